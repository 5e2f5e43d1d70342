"""Where the tests find their data: the sample articles, tests/data/, and (for the few tests marked
``shared``) the big evaluation sets beside the checkout.

Imported by name from any test module (``pythonpath = ["tests"]`` in pyproject.toml); never
``from conftest import``: another folder's conftest may be the module of that name.
"""
from __future__ import annotations

import json
import os
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DATA = REPO / "tests" / "data"
SAMPLES = REPO / "samples" / "articles.jsonl"

# The seed-like article of the tests: the sample on the Trump–Putin call of Thursday 3 July 2025.
CALL_ID = "sample-trump-poutine-appel"
CALL_DATE = "2025-07-03"
CALL_QA = DATA / "call_qa.jsonl"            # questions about it, answers checked against its text
CALL_QUESTION = "When did Trump and Putin last speak?"  # the README's example
PIAF_ARTICLES = DATA / "piaf_small.jsonl"   # 8 PIAF articles (French Wikipedia)
PIAF_QA = DATA / "piaf_small_qa.jsonl"      # PIAF's questions about them

# The full evaluation sets, present in CI only (../shared, or NEWSBOT_SHARED): tests that read them
# are marked ``shared`` and skip elsewhere (tests/conftest.py).
SHARED = Path(os.environ.get("NEWSBOT_SHARED", REPO.parent / "shared"))
SHARED_SKIP_REASON = (f"needs the full evaluation sets, absent here ({SHARED}): lay shared/ beside the "
                      "checkout or set NEWSBOT_SHARED; .ci/run has them")


def shared_available() -> bool:
    return (SHARED / "eval").is_dir() and (SHARED / "corpus").is_dir()


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def sample(article_id: str = CALL_ID) -> dict:
    """One record of samples/articles.jsonl."""
    return next(r for r in read_jsonl(SAMPLES) if r["id"] == article_id)


def call_qa() -> dict[str, dict]:
    """The questions of tests/data/call_qa.jsonl by id."""
    return {q["id"]: q for q in read_jsonl(CALL_QA)}


def write_call_article(folder: Path, dated: bool = False) -> Path:
    """The call article as a text file in ``folder``: undated (a heading and the text), or with front
    matter giving its date and outlet. Returns the folder."""
    record = sample()
    folder.mkdir(parents=True, exist_ok=True)
    head = (f"---\ntitle: {record['title']}\ndate: {record['published']}\nsource: {record['source']}\n---\n"
            if dated else f"# {record['title']}\n\n")
    (folder / "trump-poutine-appel.txt").write_text(head + record["text"] + "\n", encoding="utf-8")
    return folder
