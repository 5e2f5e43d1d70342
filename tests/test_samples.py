"""The sample articles shipped in samples/: the README's quick start ingests them on a bare clone."""
from __future__ import annotations

import json
import re
from pathlib import Path

from bot.newsbot import NewsBot
from ingest.pipeline import Ingester
from ingest.settings import IngestSettings
from ingest.store import Store

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "samples" / "articles.jsonl"


def test_the_quick_start_ingests_the_samples_of_the_repository():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    quick_start = readme[readme.index("## Quick start"):readme.index("## Commands")]
    ingested = re.findall(r"newsbot ingest (\S+)", quick_start)
    assert ingested == ["samples/articles.jsonl"]
    assert "../shared" not in quick_start
    assert (ROOT / "samples" / "README.md").exists()  # where they come from, their licence


def test_samples_are_dated_french_and_english_articles(tmp_path, e5):
    records = [json.loads(line) for line in SAMPLES.read_text(encoding="utf-8").splitlines()]
    assert {r["lang"] for r in records} == {"fr", "en"} and len(records) >= 4
    store = Store(tmp_path / "store", e5)
    report = Ingester(store, IngestSettings()).ingest([str(SAMPLES)], progress=False)
    assert report.errors == [] and report.articles == len(records)
    assert all(re.fullmatch(r"\d{4}-\d{2}-\d{2}", a["published"]) for a in store.articles())
    answer = NewsBot(store).ask("When did Trump and Putin last speak?")
    assert not answer.refused and "3 juillet 2025" in answer.answer
    assert answer.citations[0].published == "2025-07-03"
