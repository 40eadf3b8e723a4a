"""The errors the domain raises; each one carries a message a clinician can act on."""

from __future__ import annotations

from pathlib import Path


class MesoError(Exception):
    """Base of every error mesotui reports to the user instead of a traceback."""


class ValidationError(MesoError):
    """A record was rejected; `problems` maps each field to what is wrong with it."""

    def __init__(self, problems: dict[str, str], record: str = "") -> None:
        self.problems = dict(problems)
        self.record = record
        where = f"{record}: " if record else ""
        # Every problem, on the one line: a command fixed one problem per run otherwise.
        said = "; ".join(f"{field}: {problem}" for field, problem in self.problems.items())
        super().__init__(f"{where}{said}")


class NotFound(MesoError):
    """No record has the given id."""


class RecordFileError(MesoError):
    """The record file cannot be used; the message names the file."""

    def __init__(self, path: str | Path, detail: str) -> None:
        self.path = Path(path)
        self.detail = detail
        super().__init__(f"{self.path}: {detail}")


class CorruptRecordFile(RecordFileError):
    """The record file exists but does not hold a readable mesotui record."""


class MissingRecordFile(CorruptRecordFile):
    """The record file is gone, but its journal, backups or a kept copy show it existed: it is
    never taken for a new, empty clinic."""


class RecordFileLocked(RecordFileError):
    """Another mesotui process holds the record file."""

    def __init__(self, path: str | Path) -> None:
        super().__init__(path, "is open in another mesotui window")
        self.args = (f"{Path(path).name} is open in another mesotui window ({path})",)


class WriteFailed(RecordFileError):
    """Saving failed; the record file on disk is unchanged."""


class IndexReread(WriteFailed):
    """A save found the start-up index the record was read through not to describe the
    file: nothing was written, and the file was read again whole (save again)."""


class ReadOnlyStore(MesoError):
    """A change was attempted on a store opened only for reading."""
