"""One sync of this laptop's record file with the clinic's server, and how it stands.

What `mesotui sync` runs once and the app runs in the background: the record file's engine
as the local replica, the server kept by `mesotui sync --setup`, the keys derived from this
clinic's key. Nothing here opens a connection unless a sync is asked for.
"""

from __future__ import annotations

from dataclasses import dataclass

from mesotui.engine import keys
from mesotui.engine.engine import Engine
from mesotui.engine.layout import LEAVES
from mesotui.engine.replica import Replica
from mesotui.sync.checkpoint import replication_id
from mesotui.sync.client import CouchClient
from mesotui.sync.credentials import SyncSettings
from mesotui.sync.errors import SyncError
from mesotui.sync.keys import SyncKeys
from mesotui.sync.remote import RemoteDB
from mesotui.sync.replicator import Replicator, Report

WAITING_LIMIT = 100_000


def clinic_keys(engine: Engine) -> SyncKeys:
    """The sync keys of the clinic this record file belongs to; a SyncError when its key is
    not on this machine (without it nothing could be sent or read)."""
    clinic = engine.integrity.clinic
    key = keys.load(clinic) if clinic else None
    if key is None:
        raise SyncError("key", "this record file's clinic key is not on this machine, so "
                        "nothing can be sent or read: bring it with mesotui key import FILE")
    return SyncKeys.derive(key.secret, key.clinic)


def client(settings: SyncSettings, *, timeout: float = 30.0) -> CouchClient:
    return CouchClient(settings.url, settings.database, settings.user, settings.password,
                       timeout=timeout, allow_plain_http=settings.allow_plain_http,
                       ca_file=settings.ca_file)


def sync(engine: Engine, settings: SyncSettings, *, create: bool = False,
         timeout: float = 30.0) -> Report:
    """Push and pull once. `create`: make the database if the server has none (setup only).
    A failure is one SyncError; nothing pulled is saved unless all of its batch is."""
    sync_keys = clinic_keys(engine)
    connection = client(settings, timeout=timeout)
    try:
        return Replicator(Replica(engine), RemoteDB(connection), sync_keys,
                          create=create, encrypt=settings.encrypt).sync()
    finally:
        connection.close()


@dataclass(frozen=True)
class Standing:
    """How this laptop stands with the server, read from the record file alone."""

    waiting: int
    """Records changed here since the last push reached the server."""
    conflicts: tuple[str, ...]
    """Records that stand in two or more versions, for a practitioner to settle."""
    quarantined: int
    """Documents pulled that did not verify with the clinic key, kept aside."""


def standing(engine: Engine, settings: SyncSettings) -> Standing:
    """Changes waiting, conflicts and quarantined documents (no network)."""
    replica = Replica(engine)
    conflicts = tuple(sorted(
        str(held["id"]) for held in engine.table(LEAVES).values()
        if any(not leaf.get("deleted") for leaf in held.get("leaves", ()))))
    quarantined = len(replica.quarantined())
    clinic = engine.integrity.clinic
    if not clinic:
        return Standing(0, conflicts, quarantined)
    where = client(settings).where
    pushed = replica.checkpoint(replication_id(clinic, replica.replica_id, where, "push"))
    since = pushed.get("source_last_seq", 0) if pushed else 0
    changes = replica.changes(since if isinstance(since, int) else 0, WAITING_LIMIT)
    return Standing(len({c.record_id for c in changes}), conflicts, quarantined)


def summary(report: Report, settings: SyncSettings, now: Standing) -> str:
    """The one line a sync ends with: what went each way, and what needs a person."""
    line = f"Synced with {settings.where}: pushed {report.pushed}, pulled {report.pulled}, "
    n = len(now.conflicts)
    line += "no conflicts" if n == 0 else (
        f"{plural(n, 'record')} in two versions ({', '.join(now.conflicts[:3])}"
        f"{', ...' if n > 3 else ''}: open {'them' if n > 1 else 'it'} in the app to choose)")
    if now.quarantined:
        line += (f"; {plural(now.quarantined, 'document')} from the server did not verify "
                 "with the clinic key and {} set aside, never merged").format(
                     "were" if now.quarantined > 1 else "was")
    return line + "."


def plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"
