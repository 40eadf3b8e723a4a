"""A plain report of an unexpected error: what and where in mesotui's code, never with what.

Python's traceback prints the error's message and Textual's crash report every frame's local
variables: a patient's name, phone and email among them. Neither may reach a screen or a
terminal's scrollback, so an unexpected error is reported by its kind and the line of
mesotui's code it came from, only. `MESOTUI_DEBUG=1` shows the full report, for developers
working on synthetic data.
"""

from __future__ import annotations

import os
import traceback
from pathlib import Path

DEBUG = "MESOTUI_DEBUG"


def debugging() -> bool:
    return os.environ.get(DEBUG, "") not in ("", "0")


def plain_report(error: BaseException) -> str:
    """Three short lines: the error's kind and place in mesotui, and what to do; nothing more."""
    place = ""
    package = Path(__file__).resolve().parent
    for frame in reversed(traceback.extract_tb(error.__traceback__)):
        try:
            relative = Path(frame.filename).resolve().relative_to(package.parent)
        except ValueError:
            continue
        if relative.parts[0] == package.name:
            place = f", {relative.as_posix()}:{frame.lineno}"
            break
    return (f"mesotui stopped on an unexpected error ({type(error).__name__}{place}).\n"
            "Every save it had reported is on disk; nothing of the records was shown.\n"
            f"{DEBUG}=1 shows the details: use it on test data only.")
