"""The change log of a store: which chunk ids each write touched, by generation.

A store bumps its collection's *generation* before every write; the write is first logged here
under that generation (with the writer's name and the time), and marked done once the BM25
index has it too. A process whose index is behind reads from the log what to re-read from
Chroma (:meth:`ChangeLog.changed_ids`), or learns that the log does not cover the gap and the
index must be rebuilt. The log is the ``<collection>-changes`` Chroma collection beside the
chunks, so every process of the store, and of a store on a Chroma server, reads the same.
"""
from __future__ import annotations

import json
import time

_LOG_KEEP = 1000  # change-log entries kept (older generations are pruned)
_LOG_MAX_IDS = 5000  # a larger write is logged without its ids: an index behind it is rebuilt
_WRITE_PATIENCE_S = 60  # an unfinished write logged by another folder's writer is awaited this long


class ChangeLog:
    """The log of the chunk collection ``name`` of ``client``, written as ``writer`` (a name
    for the writers of one folder: a write lock guards that folder only)."""

    def __init__(self, client, name: str, writer: str):
        self._log = client.get_or_create_collection(name + "-changes", embedding_function=None)
        self.writer = writer

    def begin(self, gen: int, ids: list[str]) -> None:
        """Log a write of ``ids`` under generation ``gen``, not done yet."""
        self._record(gen, ids, done=False)

    def end(self, gen: int, ids: list[str]) -> None:
        """Mark the write of generation ``gen`` done (and now and then forget old entries)."""
        self._record(gen, ids, done=True)
        if gen % 100 == 0:
            self._log.delete(where={"generation": {"$lte": gen - _LOG_KEEP}})

    def _record(self, gen: int, ids: list[str], done: bool) -> None:
        logged = json.dumps(sorted(set(ids))) if len(ids) <= _LOG_MAX_IDS else "*"
        self._log.upsert(ids=[str(gen)], embeddings=[[1.0]], metadatas=[{
            "generation": gen, "ids": logged, "writer": self.writer, "time": time.time(), "done": done}])

    def gap_is_abandoned(self, have: int, want: int) -> bool:
        """With this folder's write lock held: whether the writes between generations ``have`` and
        ``want`` are finished or abandoned (a writer of this folder that let go of the lock is gone;
        another folder's writer is given :data:`_WRITE_PATIENCE_S` to finish)."""
        if want < have:
            return True
        res = self._log.get(ids=[str(want)], include=["metadatas"])
        if not res["ids"]:
            return True
        entry = res["metadatas"][0] or {}
        return bool(entry.get("done")) or entry.get("writer") == self.writer \
            or time.time() - float(entry.get("time", 0)) > _WRITE_PATIENCE_S

    def changed_ids(self, have: int, want: int) -> list[str] | None:
        """The chunk ids written after generation ``have`` up to ``want``, sorted; None when the
        log does not hold them all (pruned, too large to log, or written by an older version)."""
        res = self._log.get(where={"generation": {"$gt": have}}, include=["metadatas"])
        logged = {int(m["generation"]): m.get("ids", "*") for m in res["metadatas"] if m}
        wanted = range(have + 1, want + 1)
        if any(logged.get(g, "*") == "*" for g in wanted):
            return None
        return sorted({cid for g in wanted for cid in json.loads(logged[g])})
