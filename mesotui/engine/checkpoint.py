"""Reading a checkpoint: through its start-up index when one describes it, else parsed whole.

Through the index, only the small tables are parsed now; the lazy tables' documents stay in
the file, read by place when asked for, while a thread proves that the file is the one the
index describes (mesotui/engine/source.py). Parsed whole, every table is in memory.
"""

from __future__ import annotations

import gc
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, BinaryIO

import orjson

from mesotui.engine import keys
from mesotui.engine.catalogue import Later, read_first_lines
from mesotui.engine.image import Image, index_path, stamp
from mesotui.engine.index import ALTERED, Foreign, Proof, from_index, rows_read
from mesotui.engine.layout import Layout
from mesotui.engine.source import FileSource
from mesotui.errors import CorruptRecordFile, RecordFileError


@contextmanager
def no_gc(*, freeze: bool = False) -> Iterator[None]:
    """Pause the cyclic garbage collector while millions of objects are built at once.

    Parsing a large record allocates objects that all live on; collecting in the middle
    only rescans them, and nearly triples the load time. With `freeze`, what was built is
    then moved out of the collector's sight (`gc.freeze`), so the first collection after does
    not rescan it all either; plain data without cycles is still freed when let go.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if freeze:
            gc.freeze()
        if was_enabled:
            gc.enable()


def read_checkpoint(path: Path, layout: Layout, *, prove: bool = True,
                    use_index: bool = True) -> Image | None:
    """Read the checkpoint; None only when it does not exist or is empty, never when corrupt.

    Args:
        prove: wait for the index's proof, and read the file whole if it fails (with a note).
            Without, the caller must call `proven` before anything from the index is shown.
    """
    try:
        file = path.open("rb")
    except FileNotFoundError:
        return None
    except OSError as error:
        raise RecordFileError(path, f"cannot be read ({error.strerror})") from error
    notes: list[str] = []
    try:
        size = os.fstat(file.fileno()).st_size
        image = _from_index(path, file, size, layout, notes) if size > 64 and use_index \
            else None
        if image is not None:  # its source now owns the file
            return proven(path, image) if prove else image
        raw = file.read()
    except OSError as error:
        file.close()
        raise RecordFileError(path, f"cannot be read ({error.strerror})") from error
    file.close()
    image = whole(path, raw, layout)
    if image is not None:
        image.notes.extend(notes)
    return image


def proven(path: Path, image: Image) -> Image:
    """`image` if its index is proven to describe the checkpoint, else the checkpoint parsed
    whole, with a note saying why."""
    why = image.unproven()
    if why is None:
        return image
    raw = image.raw
    image.source.close()
    parsed = whole(path, raw, image.layout) or Image({}, layout=image.layout)
    parsed.notes.append(f"{index_path(path).name} was ignored ({why}); the record file was "
                        "read whole")
    parsed.index_altered = why == ALTERED
    return parsed


def whole(path: Path, raw: bytes, layout: Layout) -> Image | None:
    """The checkpoint parsed whole from its bytes; None when it is empty."""
    if not raw.strip():
        return None
    try:
        with no_gc():
            data = orjson.loads(raw)
    except orjson.JSONDecodeError as error:
        raise CorruptRecordFile(path, f"is not valid JSON ({error})") from None
    if not isinstance(data, dict) or not all(isinstance(t, dict) for t in data.values()):
        raise CorruptRecordFile(path, "is JSON but not a mesotui record file")
    return Image(data, raw, layout=layout)


def _from_index(path: Path, file: BinaryIO, size: int, layout: Layout,
                notes: list[str] | None = None) -> Image | None:
    """The image its index describes, its proof under way; None when there is no index or it
    is for another checkpoint (then read the file whole)."""
    read_first: list[tuple[int, bytes]] = []

    def span(start: int, end: int) -> bytes:
        file.seek(start)
        read_first.append((start, file.read(end - start)))
        return read_first[-1][1]

    try:
        index_file = index_path(path).open("rb")
    except OSError:
        return None
    try:  # its MAC and head; a thread reads its lines of rows meanwhile, then closes it
        index = read_first_lines(index_file)
    except (OSError, ValueError) as error:
        index_file.close()
        if isinstance(error, ValueError) and notes is not None:
            notes.append(f"{index_path(path).name} was ignored (it is damaged); the record "
                         "file was read whole")
        return None
    rest = Later(index_file)
    sources: list[FileSource] = []
    keyed: list[bytes | None] = []

    def begin(proof: Proof, tables: dict[str, Any]) -> None:
        """The small tables are read: prove the file (a thread) while the rows are parsed."""
        meta = tables.get(layout.meta, {}).get("1")
        clinic = meta.get("clinic_id") if isinstance(meta, dict) else None
        key = keys.load(clinic) if isinstance(clinic, str) else None
        secret = key.secret if key else None
        keyed.append(secret)
        try:
            now: list[int] | None = stamp(os.fstat(file.fileno()))
        except (OSError, ValueError):  # no file system's file: its digest decides alone
            now = None
        sources.append(FileSource(path, file, size, lambda digest: proof(digest, secret),
                                  read_first, vouch=lambda: proof.vouches(secret, now)))

    try:
        with no_gc(freeze=True):  # thousands of rows that all live on
            image, proof = from_index(index, size, span, layout, begin, rest)
        sources[0].vouched()  # the thread has checked the index's MAC (long since)
        if proof.seal_fault(keyed[0]) is not None and image.catalogue is not None \
                and not rows_read(image.catalogue, layout):
            raise ValueError("a row of the index does not read")
    except Foreign as foreign:
        _abandon(sources, file)
        if "version" not in str(foreign) and "rules" not in str(foreign) and notes is not None:
            notes.append(f"{index_path(path).name} was ignored ({foreign}); the record file "
                         "was read whole")
        return None
    except Exception:  # noqa: BLE001 - whatever is wrong with a cache: read the file whole
        _abandon(sources, file)
        if notes is not None:
            notes.append(f"{index_path(path).name} was ignored (it is damaged); the record "
                         "file was read whole")
        return None
    image.source = sources[0]
    return image


def _abandon(sources: list[FileSource], file: BinaryIO) -> None:
    """The index cannot be used after all: stop its proof, and read the file from the top."""
    for source in sources:
        source.abandon()
    file.seek(0)
