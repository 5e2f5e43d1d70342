"""Thumbs up/down on answers, appended to a JSONL log (one object per line), bounded in size."""
from __future__ import annotations

import json
import threading
import time
from pathlib import Path


class FeedbackTooLarge(ValueError):
    """An entry over the log's per-record limit; nothing was written."""


class FeedbackLog:
    """Appends entries to ``path``; an entry over ``max_record_bytes`` is refused, and once the
    file would pass ``max_bytes`` it is renamed to ``<path>.1`` (replacing the older one) and a
    new file begins, so the log never holds more than about twice ``max_bytes``."""

    def __init__(self, path: Path, max_record_bytes: int = 100_000, max_bytes: int = 10_000_000):
        self.path = Path(path)
        self.max_record_bytes = max_record_bytes
        self.max_bytes = max_bytes
        self._lock = threading.Lock()

    def record(self, rating: str, question: str, answer: dict, filters: dict | None = None, channel: str = "chat") -> dict:
        """Append one entry; ``rating`` is 'up' or 'down'; ``answer`` is ``Answer.to_dict()``."""
        if rating not in ("up", "down"):
            raise ValueError(f"rating must be 'up' or 'down', not {rating!r}")
        entry = {
            "time": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "rating": rating,
            "channel": channel,
            "question": question,
            "answer": answer.get("answer", ""),
            "refused": answer.get("refused", False),
            "citations": [{k: c.get(k) for k in ("n", "article_id", "title", "source", "url", "published", "chunk_id", "highlight")}
                          | {"quote": " … ".join(c.get("passage", "")[s:e] for s, e in c.get("highlight", []))}
                          for c in answer.get("citations", [])],
            "filters": filters or {},
        }
        line = (json.dumps(entry, ensure_ascii=False) + "\n").encode("utf-8")
        if len(line) > self.max_record_bytes:
            raise FeedbackTooLarge(f"feedback entry of {len(line)} bytes refused: at most {self.max_record_bytes} "
                                   "(NEWSBOT_FEEDBACK_MAX_RECORD_BYTES)")
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            if self.path.exists() and self.path.stat().st_size + len(line) > self.max_bytes:
                self.path.replace(self.path.with_name(self.path.name + ".1"))
            with self.path.open("ab") as f:
                f.write(line)
        return entry
