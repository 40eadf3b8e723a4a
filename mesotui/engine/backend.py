"""Where an engine's saves go: one small protocol, two backends (a record file, memory).

TinyDB passes a `Storage` to its database and diskcache a `Disk` to its cache; the engine is
handed a `Backend` the same way. The file backend appends each save to the journal and folds
the journal into a new checkpoint from time to time; the memory backend keeps the image (and
writes it whole to a TinyDB-style storage, if it was given one).
"""

from __future__ import annotations

from collections.abc import Collection, Iterator
from pathlib import Path
from typing import Any, Protocol

from mesotui.engine.image import Image
from mesotui.engine.journal import Describe, Journal
from mesotui.engine.layout import Write
from mesotui.engine.replay import Loaded, checkpoint_token
from mesotui.engine.seal import Seal

CHECKPOINT_EVERY = 500
"""Journal entries before the checkpoint is rewritten (one full write per this many saves)."""
FOLD_ON_CLOSE = 16 << 20
"""A checkpoint this small is folded on close (well under a tenth of a second); a larger one
keeps its journal, which the next open replays and the app folds while idle."""
FOLD_PIECE = 4 << 20
"""Bytes a fold while idle writes between two pauses (a few milliseconds' work)."""
FOLD_WHEN_IDLE = 50
"""Journal entries over a larger checkpoint before the app folds them while idle: each fold
rewrites the whole file (and keeps the old one as a backup), and replaying this many at the
next start costs only milliseconds."""


class Backend(Protocol):
    """What an engine needs of the place its saves go."""

    seq: int
    """The number of the last save (it only grows)."""

    def create(self, image: Image, changes: list[Write]) -> None:
        """The first changes of a new record (written by the checkpoint that follows)."""

    def commit(self, image: Image, changes: list[Write], replaced: Collection[str]) -> None:
        """Make `changes` durable as one save and apply them to `image`, or raise WriteFailed
        with nothing changed."""

    def checkpoint(self, image: Image, describe: Describe | None, bump: bool = False) -> None:
        """Write `image` whole; `bump` gives it a save number of its own."""

    def due(self) -> bool:
        """Whether enough saves wait to be folded into a new checkpoint."""

    def pending(self) -> bool:
        """Whether any save is not in the checkpoint yet."""

    def close(self) -> None: ...


class FileBackend:
    """Saves go to the journal; checkpoints rewrite the TinyDB-layout file and its index."""

    def __init__(self, path: Path, loaded: Loaded, lock: Any, seal: Seal | None,
                 unsealable: str | None) -> None:
        token = checkpoint_token(loaded.image) if loaded.image else None
        self.journal = Journal(path, loaded.tail, token, loaded.identity, lock, seal,
                               unsealable)
        self.fold_at = CHECKPOINT_EVERY

    @property
    def seq(self) -> int:
        return self.journal.seq

    def create(self, image: Image, changes: list[Write]) -> None:
        image.apply(changes)  # a new record file: written whole by the checkpoint that follows

    def commit(self, image: Image, changes: list[Write], replaced: Collection[str] = ()) -> None:
        self.journal.append(changes, replaced)  # from here on the save is durable
        image.apply(changes)

    def due(self) -> bool:
        return self.journal.entries >= self.fold_at

    def failed_fold(self) -> None:
        """A fold could not be written (a full disk): the journal still holds everything;
        fold again after another round of saves rather than at every save."""
        self.fold_at = self.journal.entries + CHECKPOINT_EVERY

    def checkpoint(self, image: Image, describe: Describe | None, bump: bool = False) -> None:
        self.journal.checkpoint(image, describe, bump=bump)
        self.fold_at = CHECKPOINT_EVERY

    def checkpoint_steps(self, image: Image, describe: Describe | None) -> Iterator[None]:
        """`checkpoint` a piece at a time (see `Journal.checkpoint_steps`)."""
        yield from self.journal.checkpoint_steps(image, describe, piece=FOLD_PIECE)
        self.fold_at = CHECKPOINT_EVERY

    def cheap(self, image: Image) -> bool:
        """Whether folding now costs little (a small checkpoint)."""
        return image.source.size <= FOLD_ON_CLOSE

    def fold_wanted(self, image: Image) -> bool:
        """Whether to fold while idle: enough saves over a large checkpoint (a small one is
        folded on close, as quick as it is)."""
        return not self.cheap(image) and self.journal.entries >= FOLD_WHEN_IDLE

    def pending(self) -> bool:
        return self.journal.entries > 0

    def close(self) -> None:
        self.journal.close()


class MemoryBackend:
    """Saves stay in memory; with a TinyDB-style `storage` (read/write/close), each save
    also writes the whole data to it, as TinyDB's own tables do."""

    def __init__(self, storage: Any = None) -> None:
        self.storage = storage
        self.seq = 0

    def create(self, image: Image, changes: list[Write]) -> None:
        self.commit(image, changes)

    def commit(self, image: Image, changes: list[Write], replaced: Collection[str] = ()) -> None:
        image.apply(changes)
        self.seq += 1
        if self.storage is not None:
            self.storage.write(image.to_dict())

    def due(self) -> bool:
        return False

    def checkpoint(self, image: Image, describe: Describe | None, bump: bool = False) -> None:
        self.seq += bump
        if self.storage is not None:
            self.storage.write(image.to_dict())

    def cheap(self, image: Image) -> bool:
        return True

    def pending(self) -> bool:
        return False

    def close(self) -> None:
        if self.storage is not None:
            self.storage.close()
