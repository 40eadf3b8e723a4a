"""Where a checkpoint's bytes come from: held in memory, or read by place from the file.

A large clinic's checkpoint is hundreds of megabytes; the writer and the app keep only the
places of its documents and read each from the file when it is first needed (`FileSource`).
A thread proves meanwhile that the file is the one the start-up index describes: it reads
the file through in pieces (a file read and a SHA-256 digest let other Python code run), and
keeps none of it.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable, Iterator
from itertools import pairwise
from pathlib import Path
from typing import BinaryIO

from mesotui.errors import RecordFileError

GAP = 64 << 10
"""Documents this close together are read in one go."""
BLOCK = 4 << 20
"""What the proof reads and digests at a time: each block lets other threads run while it is
read and digested, then waits for its turn at the interpreter (up to 5 ms while the main
thread computes): few large blocks finish the proof sooner, beside a reader that does."""


class Source:
    """A checkpoint's bytes, read by place (thread-safe)."""

    size = 0

    def read(self, start: int, end: int) -> bytes:
        raise NotImplementedError

    def reads(self, spans: list[tuple[int, int]]) -> list[bytes]:
        """Several spans (in any order), neighbours read together."""
        return [self.read(start, end) for start, end in spans]

    def pieces(self, start: int, end: int, size: int) -> Iterator[bytes]:
        """Bytes [start, end) in pieces of at most `size`."""
        while start < end:
            step = min(end, start + size)
            yield self.read(start, step)
            start = step

    def whole(self) -> bytes:
        return self.read(0, self.size)

    def why_not(self) -> str | None:
        """Why the start-up index does not describe these bytes (None: it does, or there
        was no index to prove)."""
        return None

    def vouched(self) -> bool:
        """Whether the index may be shown before `why_not` is known (`Proof.vouches`)."""
        return True

    @property
    def proof_done(self) -> bool:
        """Whether `why_not` would answer without waiting."""
        return True

    def close(self) -> None:
        pass


class BytesSource(Source):
    """Bytes held in memory (a checkpoint read whole, a new record, a test)."""

    def __init__(self, raw: bytes) -> None:
        self.raw = raw
        self.size = len(raw)

    def read(self, start: int, end: int) -> bytes:
        return self.raw[start:end]

    def whole(self) -> bytes:
        return self.raw


class FileSource(Source):
    """The checkpoint file itself, kept open and read by place.

    Args:
        path: the file (for messages, and to open again after `close`).
        handle: the file, already open, of `size` bytes (None: opened when first read).
        prove: given the SHA-256 digest of the whole file, says why the index does not
            describe it (None when it does); run by a thread at once. None: nothing to prove.
        first: spans read before the proof began (the small tables): they must be what the
            proof reads there too, or the file was rewritten in place while being read.
        vouch: whether the index may be shown before the digest is done (its MAC holds and
            the file has the stamp it recorded); the thread asks it first.
    """

    def __init__(self, path: Path, handle: BinaryIO | None, size: int,
                 prove: Callable[[str], str | None] | None = None,
                 first: list[tuple[int, bytes]] | None = None, *,
                 vouch: Callable[[], bool] | None = None) -> None:
        self.path, self.size = path, size
        self._handle: BinaryIO | None = handle
        self._lock = threading.Lock()
        self._first = sorted(first or [])
        self._why: str | None = None
        self._error: BaseException | None = None
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._vouch = vouch or (lambda: False)
        self._vouched: bool | None = None
        self._asked = threading.Event()
        if prove is None:
            self._asked.set()
        else:
            self._thread = threading.Thread(target=self._prove, args=(prove,),
                                            name="mesotui-prove", daemon=True)
            self._thread.start()

    def read(self, start: int, end: int) -> bytes:
        with self._lock:
            handle = self._open()
            handle.seek(start)
            data = handle.read(end - start)
        if len(data) != end - start:
            raise RecordFileError(self.path, "changed while it was being read; open it again")
        return data

    def reads(self, spans: list[tuple[int, int]]) -> list[bytes]:
        if all(a[1] <= b[0] <= a[1] + GAP for a, b in pairwise(spans)):  # in file order, near
            begin = spans[0][0] if spans else 0
            block = self.read(begin, spans[-1][1]) if spans else b""
            return [block[start - begin:end - begin] for start, end in spans]
        order = sorted(range(len(spans)), key=lambda n: spans[n][0])
        found: list[bytes] = [b""] * len(spans)
        n = 0
        while n < len(order):
            first = last = n
            while (last + 1 < len(order) and spans[order[last + 1]][0]
                   - spans[order[last]][1] <= GAP):
                last += 1
            begin, end = spans[order[first]][0], max(spans[order[k]][1]
                                                     for k in range(first, last + 1))
            block = self.read(begin, end)
            for k in range(first, last + 1):
                start, stop = spans[order[k]]
                found[order[k]] = block[start - begin:stop - begin]
            n = last + 1
        return found

    def why_not(self) -> str | None:
        if self._thread is not None:
            self._thread.join()
        if self._error is not None:
            raise self._error.with_traceback(None)  # each time anew, not an ever longer trace
        return self._why

    def vouched(self) -> bool:
        if self._thread is None:
            return True
        self._asked.wait()
        return bool(self._vouched)

    @property
    def proof_done(self) -> bool:
        return self._thread is None or not self._thread.is_alive()

    def abandon(self) -> None:
        """Stop the proof and wait for it, leaving the file open for the caller (whose
        index turned out unusable)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join()

    def close(self) -> None:
        """Let go of the file; a proof under way stops (whatever had to wait for it, a save
        or a fold, has waited already)."""
        self.abandon()
        with self._lock:
            if self._handle is not None:
                self._handle.close()
                self._handle = None

    def _open(self) -> BinaryIO:
        if self._handle is None:
            try:
                self._handle = self.path.open("rb")
            except OSError as error:
                raise RecordFileError(self.path, f"cannot be read ({error.strerror})") from None
        return self._handle

    def _prove(self, prove: Callable[[str], str | None]) -> None:
        try:
            try:
                self._vouched = self._vouch()
            finally:
                self._asked.set()
            digest = hashlib.sha256()
            first = iter(self._first)
            pending = next(first, None)
            for offset in range(0, self.size, BLOCK):
                if self._stop.is_set():
                    self._why = "its proof was stopped"
                    return
                block = self.read(offset, min(self.size, offset + BLOCK))
                digest.update(block)  # hashlib lets other threads run over large blocks
                while pending is not None and pending[0] < offset + len(block):
                    start, part = pending
                    if start + len(part) > offset + len(block):
                        block = block + self.read(offset + len(block), start + len(part))
                    if block[start - offset:start - offset + len(part)] != part:
                        raise RecordFileError(self.path, "changed while it was being read; "
                                                         "open it again")
                    pending = next(first, None)
            with self._lock:
                handle = self._open()
                handle.seek(0, 2)
                grown = handle.tell() != self.size
            if grown:
                raise RecordFileError(self.path, "changed while it was being read; open it again")
            self._why = prove(digest.hexdigest())
        except BaseException as error:  # noqa: BLE001 - handed to the thread that waits
            self._error = error
