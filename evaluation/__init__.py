"""Evaluation and benchmarks: QA files, metrics, baselines, the eval run and its report, and the
benchmark commands. Built on bot/ and ingest/; nothing on the answering or serving path imports it."""
