"""The subcommands of `mesotui`; each module adds its parsers and a handler to run them."""

from __future__ import annotations

import argparse

from mesotui.commands import (
    check,
    clinic_url,
    course,
    due,
    entry,
    export,
    governance,
    import_csv,
    importing,
    key,
    lot,
    report,
    restore,
    where,
)

MODULES = (where, export, importing, import_csv, clinic_url, due, lot, entry, governance,
           course, check, report, restore, key)


def register(subparsers: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    """Add every subcommand; `common` carries the global options so they work after the name."""
    for module in MODULES:
        module.register(subparsers, common)
