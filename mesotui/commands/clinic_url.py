"""`mesotui clinic-url`: the URL under which the clinic's FHIR identifier and code systems live."""

from __future__ import annotations

import argparse
from dataclasses import replace
from typing import TYPE_CHECKING

from mesotui.commands._common import print_json
from mesotui.interop import Systems

if TYPE_CHECKING:
    from mesotui.commands.context import Context


def register(subparsers: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    parser = subparsers.add_parser(
        "clinic-url", parents=[common],
        help="show or set the URL the clinic owns, under which its FHIR ids and codes live")
    parser.add_argument("url", nargs="?", metavar="URL",
                        help="e.g. https://fhir.my-clinic.example (omit to show the current one)")
    parser.add_argument("--json", action="store_true", help="print JSON for scripts")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace, context: Context) -> int:
    with context.open_store(readonly=args.url is None) as store:
        if args.url is not None:
            store.save_settings(replace(store.settings, system_base=args.url.strip()),
                                reason="clinic URL for FHIR systems changed")
        systems = Systems(store.settings.system_base)
    if args.json:
        print_json({"url": systems.base, "default": systems.is_default,
                    "patient_identifiers": systems.identifier("patient")})
    elif systems.is_default:
        print(f"{systems.base} (the placeholder default: set a URL your clinic owns)")
    else:
        print(systems.base)
    return 0
