"""The change feed: every record changed, in save order, each under a number that only grows.

Each record written by a save (the app's own, or a batch pulled from another replica) takes
the next number. The file keeps, for every record, the number of its last change (the `feed`
table, written with each checkpoint, and the journal's entries replayed over it), so the feed
survives folds and restarts: `changes(since)` lists each record changed after `since` once,
at its last change, as CouchDB's `_changes` does.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable
from typing import Any, NamedTuple

from mesotui.engine.image import Image
from mesotui.engine.layout import FEED, Layout, Write


class Change(NamedTuple):
    """One entry of the change feed: record `record_id`, changed by change number `seq`."""

    seq: int
    record_id: str


class Feed:
    """The feed of one open record: its last number, and each record's last change."""

    def __init__(self, image: Image) -> None:
        self.layout: Layout = image.layout
        seq = image.meta_value("feed_seq")
        self.seq: int = seq if isinstance(seq, int) and not isinstance(seq, bool) else 0
        self._image = image
        self._since: dict[str, int] = {}
        """Each record's last change since the checkpoint (every record's, once `_log` is
        built)."""
        self._log: list[tuple[int, str]] | None = None
        """(number, record) of each change in order, built when the feed is first read;
        an entry superseded by a later change of its record is skipped."""

    def note(self, changes: Iterable[Write]) -> None:
        """A save (or a journal entry replayed) changed these documents."""
        for table, _doc_id, doc in changes:
            if table in self.layout.records and isinstance(doc, dict) \
                    and isinstance(doc.get("id"), str):
                self.seq += 1
                self._since[doc["id"]] = self.seq
                if self._log is not None:
                    self._log.append((self.seq, doc["id"]))

    def mark(self) -> tuple[int, dict[str, int], int]:
        """Where the feed stands, to go back to if what it notes next is not saved."""
        return self.seq, dict(self._since), len(self._log) if self._log is not None else 0

    def back_to(self, mark: tuple[int, dict[str, int], int]) -> None:
        self.seq, self._since = mark[0], mark[1]
        if self._log is not None:
            del self._log[mark[2]:]

    def changes(self, since: int, limit: int) -> list[Change]:
        """Records whose last change is after `since`, oldest change first, at most `limit`."""
        if self._log is None:
            self._since = {**self._stored(), **self._since}
            self._log = sorted((seq, record) for record, seq in self._since.items())
        found: list[Change] = []
        at = bisect.bisect_right(self._log, (since, "\U0010ffff"))
        while at < len(self._log) and len(found) < limit:
            seq, record = self._log[at]
            if self._since.get(record) == seq:
                found.append(Change(seq, record))
            at += 1
        return found

    def into(self, image: Image) -> None:
        """Write the feed into a checkpoint about to be encoded."""
        last = self._since if self._log is not None else {**self._stored(), **self._since}
        image.meta()["feed_seq"] = self.seq
        image.apply([(FEED, "1", {"last": dict(last)})])

    def folded(self) -> None:
        """The checkpoint that holds the feed is on disk."""
        if self._log is None:
            self._since = {}

    def _stored(self) -> dict[str, int]:
        try:
            doc: Any = self._image.doc(FEED, "1")
        except (KeyError, ValueError):
            return {}
        last = doc.get("last") if isinstance(doc, dict) else None
        return dict(last) if isinstance(last, dict) else {}
