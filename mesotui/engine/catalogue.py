"""What the start-up index says of the lazy tables beyond its head: every row, in lines of a
thousand, each parsed only when asked for, or one at a time between keystrokes.

Each line's SHA-256 is in the index's head, which its MAC covers (mesotui/engine/index.py),
so a line is proven by its digest as it is parsed, and the rest of the index need not be.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, BinaryIO

import orjson

if TYPE_CHECKING:
    from mesotui.engine.image import Image

CHUNK = 1000
"""Rows per line of the chunked table (read a line at a time between keystrokes)."""
EAGER_CHUNK = 100
"""Rows per line of the eager tables, read as the rows are asked for: the list's first
screen reads two or three of them, a record opened one."""
PIECE = 1 << 18
"""Bytes read at a time until the head's end is found."""


def read_first_lines(file: BinaryIO) -> bytes:
    """The index's first two lines (its MAC and its head), the file left where its lines of
    rows begin: a start reads these, and a thread the rest (`Later`)."""
    pieces: list[bytes] = []
    read, lines = 0, 0
    while lines < 2:
        piece = file.read(PIECE)
        if not piece:
            raise ValueError("the index ends before its head does")
        pieces.append(piece)
        found = -1
        while lines < 2 and (found := piece.find(b"\n", found + 1)) >= 0:
            lines += 1
        read += len(piece)
    ends = read - len(piece) + found + 1
    file.seek(ends)
    return b"".join(pieces)[:ends]


class Later:
    """The index's lines of rows, read by a thread while a start lays out its list: 24 MB at
    20,000 patients, which a new process takes 15 ms to read (the memory is new to it), on
    another core while the file system fills it in.

    Args:
        file: the index, read from where it is to its end, then closed.
    """

    def __init__(self, file: BinaryIO) -> None:
        self._read = b""
        self._thread = threading.Thread(target=self._run, args=(file,), name="mesotui-index",
                                        daemon=True)
        self._thread.start()

    def _run(self, file: BinaryIO) -> None:
        with file:
            try:  # one read of the known size, into memory the read itself fills
                self._read = file.read(max(0, os.fstat(file.fileno()).st_size - file.tell()))
            except OSError:
                pass  # the lines then fail their digests: the record file is read whole

    def __call__(self) -> bytes:
        """The lines' bytes (waiting for the thread, the first time)."""
        self._thread.join()
        return self._read


@dataclass
class Catalogue:
    """What the index says of the lazy tables: the head it keeps of each eager table
    (`Layout.head`), and every row, in lines of `chunks` rows parsed when asked for
    (`read_rows`, `read_all`) or one at a time between keystrokes (`step`), the eager
    tables' lines first.

    Rows are `[record id, *what the layer above keeps]`; their places and ids go into the
    image. Each line of them is handed once, with its table, to `on_rows` (set by the layer
    above before anything is read) and then let go.
    """

    heads: dict[str, Any]
    """Per eager table, what the index's head keeps of it (`Layout.head`)."""
    next_doc: dict[str, int]
    tag: str
    _rest: Callable[[], bytes] = field(repr=False)
    """The index's lines of rows (`Later`)."""
    _lines: list[tuple[int, int] | None] = field(repr=False)
    """Where each line sits among them, None once it was parsed."""
    _digests: list[str] = field(repr=False)
    """Each line's SHA-256, as the head (which the MAC covers) gives it."""
    _tables: list[tuple[str, int]]
    """The tables the lines hold, in order, with how many lines each."""
    _image: Image | None = field(default=None, repr=False)
    on_rows: Callable[[str, list[list[Any]]], None] | None = None
    chunks: dict[str, int] = field(default_factory=dict)
    """Rows per line of each table, as the index was written."""
    _next: int = 0
    """The first line `step` has not looked at yet."""
    _first: dict[str, int] = field(default_factory=dict)
    _counts: dict[str, int] = field(default_factory=dict)
    _left: int = 0

    def __post_init__(self) -> None:
        counted = 0
        for table, lines in self._tables:
            self._first[table], self._counts[table] = counted, lines
            counted += lines
        if counted != len(self._lines) or any(n < 1 for n in self.chunks.values()) or \
                {table for table, _lines in self._tables} - self.chunks.keys():
            raise ValueError("the index's lines are malformed")
        self._left = counted

    def release(self) -> None:
        """Let go of every row held (the record was closed; see `Image.release`)."""
        self.heads.clear()
        self._rest, self._lines, self._image, self.on_rows, self._left = bytes, [], None, None, 0
        self._digests = []

    @property
    def left(self) -> int:
        """Lines of rows not parsed yet."""
        return self._left

    @property
    def done(self) -> bool:
        return self._left == 0

    def _span(self, table: str) -> range:
        """The numbers of the lines holding `table`'s rows."""
        first = self._first.get(table, 0)
        return range(first, first + self._counts.get(table, 0))

    def pending_lines(self, table: str) -> list[bool]:
        """For each line of `table`'s rows, whether it is still to be parsed."""
        return [self._lines[n] is not None for n in self._span(table)]

    def step(self) -> bool:
        """Parse the next line of rows not parsed yet; False when none is left.

        Raises:
            ValueError: the line does not parse (the index's damage, not the record's).
        """
        lines = self._lines
        while self._next < len(lines) and lines[self._next] is None:
            self._next += 1
        if self._next >= len(lines):
            return False
        self._parse(self._next)
        return True

    def read_rows(self, table: str, first: int, count: int) -> None:
        """Parse the lines that hold `table`'s rows [first, first + count), if not parsed
        yet: one record's rows, when the layer above keeps them together, without the rest.

        Raises:
            ValueError: a line does not parse, or there is no such row.
        """
        if count <= 0:
            return
        span = self._span(table)
        chunk = self.chunks[table]
        last = (first + count - 1) // chunk
        if first < 0 or last >= len(span):
            raise ValueError("the index's rows are malformed")
        for number in span[first // chunk:last + 1]:
            if self._lines[number] is not None:
                self._parse(number)

    def read_all(self, table: str | None = None) -> None:
        """Parse every line still pending (of `table`, or of all), which also records each
        document's place. Called before every read of a document not placed yet, so it
        returns at once when done."""
        if self.done:
            return
        for number in range(len(self._lines)) if table is None else self._span(table):
            if self._lines[number] is not None:
                self._parse(number)

    def peek(self, table: str) -> Iterator[list[Any]]:
        """Every row of `table` still in lines, parsed but not taken (nothing is recorded)."""
        for number in self._span(table):
            place = self._lines[number]
            if place is not None:
                yield from (row[3:] for row in
                            orjson.loads(memoryview(self._rest())[place[0]:place[1]]))

    def _parse(self, number: int) -> None:
        place, table = self._lines[number], self._table(number)
        assert place is not None
        line = memoryview(self._rest())[place[0]:place[1]]
        if not hmac.compare_digest(hashlib.sha256(line).hexdigest(), self._digests[number]):
            raise ValueError("the index's rows were altered or damaged")
        rows = orjson.loads(line)
        if not isinstance(rows, list):
            raise ValueError("the index's rows are malformed")
        try:  # whole lines at a time: 200,000 rows are read between keystrokes
            if self._image is not None:
                self._image.stored.setdefault(table, {}).update(
                    {row[0]: (row[1], row[2]) for row in rows})
                self._image.ids.setdefault(table, {}).update({row[3]: row[0] for row in rows})
            for row in rows:
                del row[:3]
        except (TypeError, IndexError, KeyError):
            raise ValueError("the index's rows are malformed") from None
        self._lines[number] = None
        self._left -= 1
        if self.on_rows is not None:
            self.on_rows(table, rows)

    def _table(self, number: int) -> str:
        for table, _lines in reversed(self._tables):
            if number >= self._first[table]:
                return table
        raise ValueError("the index's lines are malformed")
