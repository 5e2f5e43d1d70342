"""Thumbs up/down on answers, appended to a JSONL log (one object per line)."""
from __future__ import annotations

import json
import threading
import time
from pathlib import Path


class FeedbackLog:
    def __init__(self, path: Path):
        self.path = Path(path)
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
        line = json.dumps(entry, ensure_ascii=False)
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("a", encoding="utf-8") as f:
                f.write(line + "\n")
        return entry
