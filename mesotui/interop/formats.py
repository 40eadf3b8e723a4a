"""Every export format in one table: `mesotui export --format` offers its names, the app's
export dialog its labels, and both write through its entry (harlequin's `_FILE_FORMATS` is the
model). Adding a format is one entry here."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date

from mesotui import export
from mesotui.interop import render
from mesotui.interop.render import Options
from mesotui.store import Store

Whole = Callable[[Store, date, export.ExportRequest, Options, export.Progress | None], bytes]
"""A format written whole (render.py): the selected records as one file's bytes."""

DEFAULTS = Options()

__all__ = ["DEFAULTS", "FORMATS", "ExportFormat", "Options", "write"]


@dataclass(frozen=True)
class ExportFormat:
    """One export format.

    Attributes:
        name: what `--format` takes.
        suffix: how the file's name ends.
        label: the export dialog's line for it.
        summary: the command line's help for it.
        whole: writes it whole; None for JSON, written as it is built (`export.stream`).
        options: which of `Options` it takes (the dialog shows only those).
    """

    name: str
    suffix: str
    label: str
    summary: str
    whole: Whole | None = None
    options: tuple[str, ...] = ()

    def pieces(self, store: Store, today: date, request: export.ExportRequest,
               options: Options = DEFAULTS, *, progress: export.Progress | None = None,
               tally: export.Tally | None = None) -> Iterable[bytes]:
        """The export's bytes, in pieces to write one after another; `tally` counts the
        patients and sessions written."""
        if self.whole is None:  # written as it is built, counted as it is written
            return export.stream(store, today, request, progress=progress, tally=tally)
        data = self.whole(store, today, request, options, progress)
        if tally is not None:
            chosen = export.select(store, request)
            tally.patients, tally.sessions = len(chosen), sum(len(s.sessions) for s in chosen)
        return [data]


FORMATS: dict[str, ExportFormat] = {f.name: f for f in (
    ExportFormat("json", ".json", "JSON: complete, re-importable",
                 "complete, re-importable; default"),
    ExportFormat("fhir", ".fhir.json", "FHIR R4 Bundle", "R4 Bundle", render.as_fhir),
    ExportFormat("ics", ".ics", "Calendar (iCalendar): sessions due",
                 "calendar of due sessions", render.as_ics,
                 options=("horizon_months", "with_names")),
    ExportFormat("csv", ".csv", "CSV: a row per session (spreadsheets)", "a row per session",
                 render.as_csv),
    ExportFormat("jsonl", ".jsonl", "JSON Lines: a session per line", "a session per line",
                 render.as_jsonl),
)}


def write(fmt: str, store: Store, today: date, request: export.ExportRequest,
          options: Options = DEFAULTS, *, progress: export.Progress | None = None,
          tally: export.Tally | None = None) -> Iterable[bytes]:
    """The export as `fmt` (a name in FORMATS), in pieces (see `ExportFormat.pieces`)."""
    return FORMATS[fmt].pieces(store, today, request, options, progress=progress, tally=tally)

