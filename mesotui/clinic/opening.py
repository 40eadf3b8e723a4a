"""Opening the clinic's record: the engine on the file, the schema upgraded, the seal made.

A new record file gets its meta table (schema version, when it was made) and a clinic key,
whose seal its first checkpoint carries; a file written by an older mesotui is upgraded
through `MIGRATIONS` (the old file kept as a backup), and one made before seals is sealed
once, as found.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from mesotui.clinic.rows import LAYOUT
from mesotui.engine import Engine, keys
from mesotui.engine.image import Image
from mesotui.engine.lock import WriterLock
from mesotui.errors import CorruptRecordFile, MesoError, ReadOnlyStore, RecordFileError

MIGRATIONS: dict[int, Callable[[dict[str, Any]], None]] = {}
"""Upgrades of raw file data, keyed by the version they upgrade *from* (1 → 2 is MIGRATIONS[1])."""


def open_engine(path: str | Path, *, readonly: bool, prove: bool, lock: WriterLock | None,
                now: Callable[[], datetime], schema: int,
                clinic: keys.ClinicKey | None = None) -> Engine:
    """The engine on the record file, upgraded to `schema` and sealed (writers).

    Args:
        clinic: the clinic a new record file joins (its key is on this machine already): a
            second room of one clinic.

    Raises:
        MesoError: the file exists and belongs to another clinic than `clinic`.
    """
    engine = Engine.open(path, LAYOUT, readonly=readonly, prove=prove, lock=lock)
    try:
        migrate(engine, now, schema)
        if clinic is not None and not engine.fresh and engine.integrity.clinic != clinic.clinic:
            raise MesoError(f"{engine.path}: belongs to another clinic; nothing was changed")
        if engine.readonly:
            return engine
        if engine.integrity.status == "unsealed":  # a new clinic, or one from before seals
            engine.seal_first(new=engine.fresh, key=clinic if engine.fresh else None)
        elif engine.integrity.status == "sealed" and engine.path is not None:
            keys.remember_path(engine.path, engine.integrity.clinic)
    except BaseException:
        engine.close(fold=False)
        raise
    return engine


def migrate(engine: Engine, now: Callable[[], datetime], schema: int) -> None:
    """Bring an older record up to `schema` through MIGRATIONS, or stamp a new one."""
    where = engine.path or "record"
    meta = engine.table("meta")
    meta_doc = next(iter(meta.values()), {}) if meta else {}
    if not isinstance(meta_doc, dict):
        raise CorruptRecordFile(where, "has an unreadable meta table")
    version = meta_doc.get("schema_version")
    if version is not None and (not isinstance(version, int) or isinstance(version, bool)
                                or version < 1):
        raise CorruptRecordFile(where, f"has an impossible schema version {version!r}")
    image = engine.image
    if not engine.fresh and version is None and any(image.doc_ids(t) for t in ("patients",
                                                                              "sessions")):
        raise CorruptRecordFile(where, "has records but no schema version")
    if version is not None and version > schema:
        raise RecordFileError(where, f"was written by a newer mesotui (schema {version}); "
                                     "update mesotui")
    if version == schema or engine.readonly:
        return
    if version is not None:
        data = image.to_dict()
        for step in range(version, schema):
            MIGRATIONS[step](data)
        upgraded = dict(next(iter(data["meta"].values())))  # keeps the pseudonym key
        upgraded["schema_version"] = schema
        data["meta"] = {"1": upgraded}
        engine.rewrite(Image(data, layout=image.layout))  # the old file is kept as a backup
        return
    if engine.backend is None:
        raise ReadOnlyStore(engine.read_only_message())
    engine.create([("meta", "1", {"schema_version": schema,
                                  "created": now().isoformat(timespec="seconds")})])
