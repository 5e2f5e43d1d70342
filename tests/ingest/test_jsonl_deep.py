"""A JSON line nested thousands deep costs that line only, with an error naming it; the other
lines of the file load (it used to lose the whole file to a RecursionError)."""
from __future__ import annotations

import json

import pytest

from ingest.errors import InputError
from ingest.loaders import jsonl
from ingest.settings import IngestSettings

GOOD = {"id": "ok", "title": "Harbour reopens", "text": "The harbour reopened on Monday after the storm."}


@pytest.mark.parametrize("depth", [5_000, 100_000])
def test_a_deeply_nested_line_is_skipped_alone(tmp_path, depth):
    deep = "[" * depth + "]" * depth
    path = tmp_path / "records.jsonl"
    path.write_text("\n".join([json.dumps(GOOD), deep, '{"text": ' + deep + "}",
                               json.dumps(dict(GOOD, id="ok2"))]) + "\n", encoding="utf-8")
    errors: list[InputError] = []
    articles = jsonl.load(str(path), IngestSettings(), errors.append)
    assert [a.id for a in articles] == ["ok", "ok2"]
    assert [e.source for e in errors] == [f"{path}:2", f"{path}:3"]
    assert all("nested too deeply" in e.reason for e in errors)


def test_a_deeply_nested_json_file_is_one_clear_error(tmp_path):
    path = tmp_path / "records.json"
    path.write_text("[" * 5_000 + "]" * 5_000, encoding="utf-8")
    with pytest.raises(InputError, match="nested too deeply"):
        jsonl.load(str(path), IngestSettings(), lambda err: None)
