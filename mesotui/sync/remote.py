"""The replication protocol's endpoints on one CouchDB database (CouchDB 2/3, PouchDB Server).

`_changes` (style=all_docs), `_revs_diff`, `_bulk_get` (or, on a server without it, one
`open_revs` GET per document), `_bulk_docs` with `new_edits: false`, and `_local/`
checkpoint documents. Shapes as CouchDB documents them and its replicator reads them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any
from urllib.parse import quote

import orjson

from mesotui.sync.client import CouchClient
from mesotui.sync.errors import SyncError
from mesotui.terminal import safe

Fetched = dict[str, Any]
"""A document as `_bulk_get` returns it ({"_id", "_rev", "_revisions", ...})."""


class RemoteDB:
    def __init__(self, client: CouchClient) -> None:
        self.client = client
        self.has_bulk_get = True

    def ensure(self, *, create: bool = False) -> None:
        """Check the database is there (and the credentials good); create it if it is not
        and `create` says so (only `mesotui sync --setup` does: a typo in the name of an
        existing clinic's database must not quietly split the clinic in two)."""
        status, _ = self.client.request("GET", self.client.db_path())
        if status != 404:
            return
        if not create:
            raise SyncError("missing", f"the sync server has no database "
                            f"{self.client.database} at {self.client.url}; check the name, or "
                            "run mesotui sync --setup to create it")
        self.client.request("PUT", self.client.db_path(), accept=(201, 202, 412))

    def changes(self, since: Any, limit: int) -> tuple[list[dict[str, Any]], Any]:
        """(results, last_seq) of the changes after `since`: each {"id", "seq", "changes":
        [{"rev"}...]} with every leaf revision of the document (style=all_docs)."""
        query = {"style": "all_docs", "since": since if isinstance(since, str)
                 else orjson.dumps(since).decode(), "limit": limit}
        _, data = self._ok(self.client.request("GET", self.client.db_path("_changes",
                                                                          query=query)))
        return list(data.get("results", [])), data.get("last_seq", since)

    def revs_diff(self, revs: Mapping[str, Sequence[str]]) -> dict[str, list[str]]:
        """Of the revisions given per document, the ones the server lacks."""
        if not revs:
            return {}
        _, data = self._ok(self.client.request("POST", self.client.db_path("_revs_diff"),
                                               {i: list(r) for i, r in revs.items()}))
        return {doc_id: list(found.get("missing", [])) for doc_id, found in data.items()
                if found.get("missing")}

    def bulk_get(self, wanted: Iterable[tuple[str, str]]) -> list[Fetched]:
        """The documents at (id, rev), each with its `_revisions`; missing ones left out."""
        pairs = list(wanted)
        if not pairs:
            return []
        if self.has_bulk_get:
            status, data = self.client.request(
                "POST", self.client.db_path("_bulk_get", query={"revs": "true",
                                                                "latest": "true"}),
                {"docs": [{"id": i, "rev": r} for i, r in pairs]},
                accept=(200, 400, 405, 415, 501))
            if status == 200 and isinstance(data, dict) and "results" in data:
                return _found(found for result in data["results"]
                              for found in result.get("docs", []))
            self.has_bulk_get = False  # an older CouchDB: one GET per document instead
        return self._open_revs(pairs)

    def _open_revs(self, pairs: list[tuple[str, str]]) -> list[Fetched]:
        by_id: dict[str, list[str]] = {}
        for doc_id, rev in pairs:
            by_id.setdefault(doc_id, []).append(rev)
        found: list[Fetched] = []
        for doc_id, revs in by_id.items():
            query = {"revs": "true", "latest": "true",
                     "open_revs": orjson.dumps(revs).decode()}
            _, data = self._ok(self.client.request(
                "GET", self.client.db_path(quote(doc_id, safe=""), query=query)))
            found.extend(_found(data if isinstance(data, list) else []))
        return found

    def bulk_docs(self, docs: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Write documents as they are, revision trees and all (`new_edits: false`); the
        documents the server refused, each {"id", "error", "reason"}."""
        if not docs:
            return []
        _, data = self._ok(self.client.request("POST", self.client.db_path("_bulk_docs"),
                                               {"docs": docs, "new_edits": False}))
        return [item for item in data or [] if isinstance(item, dict) and "error" in item]

    def get_local(self, key: str) -> dict[str, Any] | None:
        status, data = self.client.request("GET", self.client.db_path("_local", quote(
            key, safe="")))
        return data if status == 200 and isinstance(data, dict) else None

    def put_local(self, key: str, doc: dict[str, Any], rev: str | None = None) -> str | None:
        """Write a checkpoint document over the revision of it that is there now (`rev`, if
        known from the last write); the revision written."""
        path = self.client.db_path("_local", quote(key, safe=""))
        for _attempt in range(3):
            body = {**doc, "_id": f"_local/{key}"}
            body.pop("_rev", None)
            if rev is not None:
                body["_rev"] = rev
            status, data = self.client.request("PUT", path, body, accept=(200, 201, 202, 409))
            if status != 409:
                return data.get("rev") if isinstance(data, dict) else None
            held = self.get_local(key)
            rev = held.get("_rev") if held else None
        raise SyncError("server", "the sync server kept refusing the replication checkpoint")

    def _ok(self, answer: tuple[int, Any]) -> tuple[int, Any]:
        status, data = answer
        if status == 404:
            reason = safe(str(data.get("reason", ""))) if isinstance(data, dict) else ""
            raise SyncError("server", f"the sync server has no database "
                            f"{self.client.database}" + (f" ({reason})" if reason else ""))
        return status, data


def _found(answers: Iterable[Any]) -> list[Fetched]:
    """The documents of a `_bulk_get` or `open_revs` answer. A revision the server no longer
    has (compacted away, or superseded) is simply not there; any other error stops the pull,
    so a checkpoint never moves past a document that was not read."""
    docs: list[Fetched] = []
    for answer in answers:
        if not isinstance(answer, dict):
            continue
        if isinstance(answer.get("ok"), dict):
            docs.append(answer["ok"])
        elif "missing" in answer:
            continue
        elif isinstance(error := answer.get("error"), dict) and error.get("error") in (
                "not_found", "missing"):
            continue
        else:
            what = error.get("reason", error) if isinstance(error, dict) else answer
            raise SyncError("server", f"the sync server could not send a document "
                            f"({safe(str(what))[:120]})")
    return docs
