"""evaluation/answer_bench.py: refusal precision and recall from hand-made confidences (the part
that needs no store), through the one refusal score of evaluation/metrics.py."""
from __future__ import annotations

from newsbot_testdata import CALL_QA

from evaluation.answer_bench import Confidence, bench_refusal, refusal_at


def test_refusal_at_a_threshold_counts_refused_unanswerable_and_answerable_questions():
    conf = [Confidence(1.0, False), Confidence(1.5, False), Confidence(1.6, True), Confidence(2.0, True),
            Confidence(2.5, True)]
    assert refusal_at(conf, 1.7) == {"threshold": 1.7, "precision": 0.6667, "recall": 1.0,
                                     "answerable_refused": 0.3333}
    assert refusal_at(conf, 1.2) == {"threshold": 1.2, "precision": 1.0, "recall": 0.5, "answerable_refused": 0.0}
    assert refusal_at(conf, 0.5)["precision"] is None  # nothing refused: undefined, not zero


def test_bench_refusal_uses_the_bots_own_threshold_and_records_its_configs():
    conf = [Confidence(1.0, False), Confidence(2.0, True)]
    configs = {"search": {"rrf_k": 10}, "answer": {"answerer": "extractive", "min_evidence": 1.5}}
    result = bench_refusal(conf, configs, thresholds=(0.5, 1.5, 2.5))
    d = result.to_dict()
    assert d["questions"] == 2 and d["negatives"] == 1 and d["configs"] == configs
    assert d["at_default"]["threshold"] == 1.5 and d["at_default"]["recall"] == 1.0
    assert [s["threshold"] for s in d["sweep"]] == [0.5, 1.5, 2.5]
    assert d["sweep"][2]["answerable_refused"] == 1.0


def test_retrieval_and_sentence_benches_build_bots_from_configs(seed_store):
    from bot.extractive import AnswerConfig
    from bot.retriever import SearchConfig
    from evaluation.answer_bench import bench_answers, bench_retrieval, build_bot
    from evaluation.qa import load_qa

    items = [it for it in load_qa(CALL_QA) if it.answerable][:3]
    res = bench_retrieval(seed_store.path, items, SearchConfig(rrf_k=60)).to_dict()
    assert res["questions"] == 3 and res["configs"]["search"]["rrf_k"] == 60
    assert 0.0 <= res["hit@1"] <= res["hit@5"] <= res["hit@10"] == 1.0  # under ten passages: all retrieved
    sentences = bench_answers(seed_store.path, items).to_dict()
    assert sentences["configs"]["answer"]["min_evidence"] == 0.0  # refusals off: the sentence choice is measured
    assert 0.0 <= sentences["first_sentence"] <= sentences["within_first_three"] <= 1.0
    # a bot is built, never changed in place: another one keeps the defaults
    assert build_bot(seed_store.path, answer=AnswerConfig(min_evidence=0.0)).answerer.min_evidence == 0.0
    assert build_bot(seed_store.path).configs()["answer"]["min_evidence"] == AnswerConfig().min_evidence
