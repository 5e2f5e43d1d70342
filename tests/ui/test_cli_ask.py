"""``newsbot ask`` as a user runs it: a real subprocess on the real seed store."""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys

QUESTION = "Why did the Pentagon pause some weapons deliveries?"


def run_ask(store, *args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "ui.cli", "ask", *args, "--store", str(store.path)],
                          capture_output=True, text=True, timeout=300, env=dict(os.environ, **(env or {})))


def test_json_output_has_citations_with_offsets_and_highlights(seed_store):
    proc = run_ask(seed_store, QUESTION, "--json", "-k", "3")
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert set(out) >= {"question", "answer", "refused", "citations", "timings"}
    assert out["question"] == QUESTION and out["refused"] is False
    assert set(out["timings"]) >= {"retrieve_ms", "answer_ms"}
    assert "propres stocks" in out["answer"]
    for c in out["citations"]:
        assert set(c) >= {"n", "article_id", "title", "source", "url", "published", "passage", "start", "end", "highlight"}
        assert f"[{c['n']}]" in out["answer"]
        assert c["end"] - c["start"] == len(c["passage"])
        for s, e in c["highlight"]:
            assert c["passage"][s:e] in out["answer"]
    assert any("propres stocks" in c["passage"][s:e] for c in out["citations"] for s, e in c["highlight"])


def test_a_reader_that_stops_reading_gets_no_traceback(seed_store):
    cmd = [sys.executable, "-m", "ui.cli", "ask", QUESTION, "--json", "--store", str(seed_store.path)]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    proc.stdout.close()  # as `| head -c 0` would
    _, err = proc.communicate(timeout=300)
    assert proc.returncode == 141 and b"Traceback" not in err, err.decode()


def test_readable_output_quotes_the_highlight(seed_store):
    proc = run_ask(seed_store, QUESTION)
    assert proc.returncode == 0, proc.stderr
    assert "[1] " in proc.stdout and "« " in proc.stdout and "propres stocks" in proc.stdout
    assert not proc.stdout.lstrip().startswith("{")


def test_filters_and_refusal(seed_store):
    out = json.loads(run_ask(seed_store, QUESTION, "--json", "--lang", "en").stdout)
    assert out["refused"] is True and out["citations"] == []
    out = json.loads(run_ask(seed_store, QUESTION, "--json", "--source", "nowhere.example").stdout)
    assert out["refused"] is True
    out = json.loads(run_ask(seed_store, QUESTION, "--json", "--lang", "fr", "--until", "2100-01-01").stdout)
    assert out["refused"] is True  # the seed article has no date: a date bound excludes it
    out = json.loads(run_ask(seed_store, "Who won the 2022 football World Cup?", "--json").stdout)
    assert out["refused"] is True and out["answer"] == "The articles do not say."


def test_history_makes_a_follow_up(seed_store):
    history = json.dumps([{"question": "When did Trump and Putin last speak?", "answer": "On 14 June."}])
    out = json.loads(run_ask(seed_store, "Et avant ?", "--json", "--history", history).stdout)
    assert out["refused"] is False and "Trump" in out["query"]
    bad = run_ask(seed_store, "Et avant ?", "--history", "{not json")
    assert bad.returncode == 2 and "--history" in bad.stderr


def test_ask_imports_neither_torch_nor_gradio_nor_the_llm_client(seed_store):
    code = ("import sys, json; from ui.cli import main; "
            f"rc = main(['ask', {QUESTION!r}, '--json', '--store', {str(seed_store.path)!r}]); "
            "print(json.dumps(sorted({m.split('.')[0] for m in sys.modules} & {'torch', 'gradio', 'langchain_openai', 'sentence_transformers', 'py3langid'})))")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300,
                          env={k: v for k, v in os.environ.items() if not k.startswith("NEWSBOT_")})
    assert proc.returncode == 0, proc.stderr
    answer_line, modules_line = proc.stdout.strip().splitlines()[-2:]
    assert json.loads(answer_line)["refused"] is False
    assert json.loads(modules_line) == []


def test_configured_llm_answers_through_the_cli(seed_store):
    from openai_stub import OpenAIStub

    def reply(messages):
        user = messages[-1]["content"]
        n = next(m.group(1) for m in re.finditer(r'<passage n="(\d+)"[^>]*>\n(.*?)\n</passage>', user, re.S)
                 if "propres stocks" in m.group(2))
        return f"The Pentagon paused them to check its own stocks [{n}]."

    with OpenAIStub(reply) as stub:
        env = {"NEWSBOT_LLM_BASE_URL": stub.base_url, "NEWSBOT_LLM_MODEL": "stub"}
        text = run_ask(seed_store, QUESTION, env=env).stdout
        out = json.loads(run_ask(seed_store, QUESTION, "--json", env=env).stdout)
    assert text.count("The Pentagon paused them to check") == 1  # streamed once, not printed again
    assert "« " in text and "propres stocks" in text
    assert out["answerer"] == "llm" and out["answer"].startswith("The Pentagon paused them")
    assert any("propres stocks" in c["passage"][s:e] for c in out["citations"] for s, e in c["highlight"])


def test_a_bad_history_is_a_question_error_with_its_exit_status(seed_store, capsys):
    from bot.errors import QuestionError
    from ui.cli import main

    assert QuestionError.exit_code == 2
    assert main(["ask", "And before?", "--store", str(seed_store.path), "--history", '[{"question": 3}]']) == 2
    assert "--history is not a JSON list" in capsys.readouterr().err


def test_bench_options_are_checked_by_the_command_line():
    import argparse

    import pytest

    from ui.eval_commands import search_override

    assert search_override("rrf_k=60") == ("rrf_k", 60) and search_override("sentence_weight=0") == ("sentence_weight", 0.0)
    for bad in ("rrf_k", "no_such=1", "rrf_k=sixty"):
        with pytest.raises(argparse.ArgumentTypeError):
            search_override(bad)
