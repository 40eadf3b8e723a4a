"""A record that stands in two versions after a sync: both shown, the practitioner chooses.

Two rooms amended the same record while apart; the sync kept both versions and settled
nothing. This form shows who made each version, when and why, and every field on which they
differ in the clinic's words ("Volume: 1 mL → 1.5 mL"); the practitioner keeps one (the
other stays in the record's history, set aside, never lost), with a reason, and that choice
is saved as a new revision that the next sync takes to every room.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from textual.app import ComposeResult
from textual.widgets import Input, Select, Static

from mesotui.engine.replica import Replica
from mesotui.store import Store
from mesotui.sync import diff, tree
from mesotui.sync.keys import SyncKeys
from mesotui.sync.replica import Batch
from mesotui.sync.tree import Leaf
from mesotui.tui.screens.form import FormScreen
from mesotui.tui.widgets.field import Field

WHAT = {"patients": "the details of", "sessions": "a session of",
        "evaluations": "an evaluation of"}


def live_versions(store: Store, record_id: str) -> tuple[Leaf, ...]:
    leaves = Replica(store.engine).trees([record_id]).get(record_id, ())
    return tuple(leaf for leaf in leaves if not leaf.deleted)


def described(store: Store, leaf: Leaf) -> str:
    """"a session of Sofia Brennan (S-00001-03, 06 Aug 2025)"."""
    data = leaf.head["data"]
    owner = leaf.doc.get("patient_id") or leaf.record_id
    try:
        name = store.patient(owner).name
    except Exception:  # noqa: BLE001 (a record pulled before its patient: named by id)
        name = owner
    day = f", {data['date']}" if data.get("date") else ""
    return f"{WHAT.get(leaf.table, 'a record of')} {name} ({leaf.record_id}{day})"


def comparison(versions: tuple[Leaf, ...]) -> list[str]:
    """The lines the form shows: each version, then what differs, field by field."""
    lines = [f"Version {n}: {diff.version_line(leaf)}" for n, leaf in enumerate(versions, 1)]
    lines.append("")
    first = versions[0]
    for n, other in enumerate(versions[1:], 2):
        found = diff.between(first, other)
        if not found:
            lines.append(f"Versions 1 and {n} hold the same values.")
        for difference in found:
            lines.append(f"{difference.label}: version 1 {difference.old} · version {n} "
                         f"{difference.new}")
    return lines


class ConflictScreen(FormScreen[str | None]):
    """Shows a record's versions; saving keeps the one chosen, as a new revision."""

    def __init__(self, store: Store, record_id: str, keys: SyncKeys, *, by: str,
                 now: datetime) -> None:
        super().__init__()
        self.store, self.record_id, self.keys, self.by, self.now = \
            store, record_id, keys, by, now
        self.versions = live_versions(store, record_id)
        what = described(store, self.versions[0]) if self.versions else record_id
        self.TITLE_TEXT = f"Two versions of {what}"

    def compose_fields(self) -> ComposeResult:
        yield Static("Two rooms changed this record while apart. Both versions are kept; "
                     "choose the one that is right. The other stays in the record's history.",
                     classes="prompt")
        yield Static("\n".join(comparison(self.versions)), id="versions", markup=False)
        choices = [(f"Keep version {n}", n - 1) for n in range(1, len(self.versions) + 1)]
        yield Field("Keep", Select(choices, value=0, allow_blank=False, id="keep",
                                   compact=True), keys=("keep",))
        yield Field("Reason", Input(placeholder="e.g. room 2 had the corrected volume",
                                    id="reason", compact=True), keys=("reason",))

    def on_mount(self) -> None:
        self.query_one("#keep").focus()
        super().on_mount()

    def collect(self) -> Any:
        if not self.text("#reason"):
            self.problems["reason"] = "is required: say why, for the record"
        return (self.query_one("#keep", Select).value, self.text("#reason"))

    def submit(self, record: Any) -> str | None:
        keep, reason = record
        return settle(self.store, self.record_id, self.keys, int(keep), by=self.by,
                      at=self.now, reason=reason)


def settle(store: Store, record_id: str, keys: SyncKeys, keep: int, *, by: str,
           at: datetime, reason: str) -> str:
    """Keep version `keep` (0-based) of a record in conflict: one durable save of its tree,
    the kept version one revision longer, every other live version retired (kept whole)."""
    replica = Replica(store.engine)
    leaves = replica.trees([record_id])[record_id]
    live = [leaf for leaf in leaves if not leaf.deleted]
    chosen = live[keep]
    resolved = tree.resolve(keys, leaves, chosen, chosen.head["data"], at=at, by=by,
                            reason=f"kept this version of two: {reason}")
    replica.save(Batch({record_id: resolved}))
    return record_id
