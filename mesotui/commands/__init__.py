"""The subcommands of `mesotui`; each module adds its parsers and a handler to run them."""

from __future__ import annotations

import argparse


def register(subparsers: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    """Add every subcommand; `common` carries the global options so they work after the name.

    The command modules are imported here, not with the package: opening the app imports only
    `mesotui.commands.context`, never the commands.
    """
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
        sync,
        where,
    )
    for module in (where, export, importing, import_csv, clinic_url, due, lot, entry,
                   governance, course, check, report, restore, key, sync):
        module.register(subparsers, common)
