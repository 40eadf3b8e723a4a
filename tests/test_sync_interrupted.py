"""A sync cut at every single request of the protocol, before the request reaches the server
and after the server has done it but before the laptop hears back: the next sync completes,
and nothing is lost or duplicated on either end."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime
from typing import Any

import pytest

from mesotui.demo import generate
from mesotui.sync import tree
from mesotui.sync.client import CouchClient
from mesotui.sync.errors import SyncError
from mesotui.sync.memory import MemoryReplica
from mesotui.sync.remote import RemoteDB
from mesotui.sync.replicator import Replicator
from tests.couchdb import PouchServer, pouchdb  # noqa: F401 (a fixture)
from tests.test_sync_server import KEYS, everything_of

_names = itertools.count()


class CutClient(CouchClient):
    """A client whose `cut_at`-th request fails: before it is sent, or after it was answered."""

    def __init__(self, *args: Any, cut_at: int, after: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.cut_at, self.after, self.sent = cut_at, after, 0

    def request(self, method: str, path: str, body: Any = None, **kwargs: Any
                ) -> tuple[int, Any]:
        self.sent += 1
        if self.sent == self.cut_at and not self.after:
            raise SyncError("unreachable", "cut before sending")
        answer = super().request(method, path, body, **kwargs)
        if self.sent == self.cut_at:
            raise SyncError("unreachable", "cut after the server answered")
        return answer


def _sync(replica: MemoryReplica, url: str, database: str, cut_at: int = 0,
          after: bool = False) -> int:
    client = CutClient(url, database, timeout=10, cut_at=cut_at, after=after)
    try:
        Replicator(replica, RemoteDB(client), KEYS, batch=7, create=True).sync()
    except SyncError as error:
        assert error.args[0].startswith("cut")
    return client.sent


@pytest.mark.parametrize("after", [False, True], ids=["before-sending", "after-answer"])
def test_a_sync_cut_at_any_request_resumes_and_converges(pouchdb: PouchServer,
                                                         after: bool) -> None:
    clinic = generate(date(2026, 1, 15), 3)
    probe = MemoryReplica.from_clinic(clinic)
    requests = _sync(probe, pouchdb.url, f"probe-{next(_names)}")
    assert requests > 10
    for cut_at in range(1, requests + 1):
        database = f"cut-{next(_names)}"
        a = MemoryReplica.from_clinic(clinic)
        _sync(a, pouchdb.url, database, cut_at, after)
        a.amend(a.ids()[0], {"notes": "saved while cut off"},
                at=datetime(2026, 1, 16, tzinfo=UTC), reason="note")
        _sync(a, pouchdb.url, database)
        b = MemoryReplica()
        _sync(b, pouchdb.url, database, cut_at, after)
        _sync(b, pouchdb.url, database)
        assert everything_of(b) == everything_of(a), f"cut at request {cut_at}"
        _, listing = pouchdb.call("GET", f"/{database}/_all_docs")
        assert [row["id"] for row in listing["rows"]] == a.ids()
        for record_id in a.ids()[:3]:
            _, leaves = pouchdb.call("GET", f"/{database}/{record_id}?open_revs=all")
            assert [leaf["ok"]["_rev"] for leaf in leaves] == [tree.rev(KEYS, a.leaves(
                record_id)[0])]
