"""A record that stands in two versions after a sync: both shown, the practitioner chooses.

Two rooms amended the same record while apart; the sync kept both versions and settled
nothing. This form shows who made each version, when and why, and every field on which they
differ in the clinic's words ("Volume: version 1 1 mL · version 2 1.5 mL"). The practitioner
keeps one version whole ("Start from"), or takes each differing field from the version that
is right (one row per field; 1 or 2 picks on the row), sees the record as it will read, and
gives a reason. The merged record is checked as any edit is, a problem shown next to its
field; saving makes one new revision, and the versions not kept stay in the record's history,
set aside, never lost. The next sync takes it to every room.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import Input, Select, Static

from mesotui.engine.replica import Replica
from mesotui.errors import MesoError
from mesotui.store import Store
from mesotui.sync import diff, merge, tree
from mesotui.sync.keys import SyncKeys
from mesotui.sync.replica import Batch
from mesotui.sync.tree import Leaf
from mesotui.tui.screens.form import FormScreen
from mesotui.tui.widgets.field import Field

WHAT = {"patients": "the details of", "sessions": "a session of",
        "evaluations": "an evaluation of"}
BESIDE = {"date": ("consent",)}
"""Problems shown on a field's row besides its own (a session's date: the consent on it)."""


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
    """Shows a record's versions; saving keeps one, or a field-by-field merge, as a new
    revision."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(str(n), f"pick({n - 1})", f"Version {n}", show=False) for n in range(1, 10)]

    def __init__(self, store: Store, record_id: str, keys: SyncKeys, *, by: str,
                 now: datetime) -> None:
        super().__init__()
        self.store, self.record_id, self.keys, self.by, self.now = \
            store, record_id, keys, by, now
        self.versions = live_versions(store, record_id)
        self.choices = merge.choices(self.versions) if self.versions else []
        self._applied = 0
        """The "Start from" version last applied to every field's row."""
        what = described(store, self.versions[0]) if self.versions else record_id
        self.TITLE_TEXT = f"Two versions of {what}"

    def compose_fields(self) -> ComposeResult:
        yield Static("Two rooms changed this record while apart. Both versions are kept: keep "
                     "one whole, or take each field from the version that is right (1 or 2 "
                     "on a row). What is not kept stays in the record's history.",
                     classes="prompt")
        yield Static("\n".join(comparison(self.versions)), id="versions", markup=False)
        wholes = [(f"version {n}, whole", n - 1) for n in range(1, len(self.versions) + 1)]
        yield Field("Start from", Select(wholes, value=0, allow_blank=False, id="keep",
                                         compact=True), keys=("keep",))
        for i, choice in enumerate(self.choices):
            options = [(f"{value} (version {n})", n - 1)
                       for n, value in enumerate(choice.values, 1)]
            yield Field(choice.label, Select(options, value=0, allow_blank=False,
                                             id=f"pick-{i}", classes="pick", compact=True),
                        keys=(choice.field, *BESIDE.get(choice.field, ())))
        yield Static(self.result(), id="merge-result", markup=False)
        yield Field("Reason", Input(placeholder="e.g. room 2 had the corrected volume",
                                    id="reason", compact=True), keys=("reason",))

    def on_mount(self) -> None:
        self.query_one("#keep").focus()
        super().on_mount()

    # -- choosing ---------------------------------------------------------------------------

    def picks(self) -> dict[str, int]:
        """The version (0-based) each differing field is taken from, as the rows stand."""
        keep = self.query_one("#keep", Select).value
        if keep != self._applied:  # "Start from" changed and its message not handled yet
            self._start_from(int(keep))  # type: ignore[arg-type]
        return {choice.field: int(self.query_one(f"#pick-{i}", Select).value)  # type: ignore[arg-type]
                for i, choice in enumerate(self.choices)}

    def _start_from(self, keep: int) -> None:
        self._applied = keep
        for select in self.query(".pick").results(Select):
            select.value = keep

    @on(Select.Changed, "#keep")
    def _keep_changed(self, event: Select.Changed) -> None:
        if event.value != self._applied:
            self._start_from(int(event.value))  # type: ignore[arg-type]
        self._show_result()

    @on(Select.Changed, ".pick")
    def _pick_changed(self) -> None:
        self._show_result()

    def action_pick(self, n: int) -> None:
        """1, 2...: the focused row (or "Start from") takes that version."""
        focused = self.focused
        if isinstance(focused, Select) and n < len(self.versions) and \
                (focused.id == "keep" or focused.has_class("pick")):
            focused.value = n

    def _show_result(self) -> None:
        self.query_one("#merge-result", Static).update(self.result())

    def result(self) -> str:
        """The record as it will read, on the fields that differ."""
        if not self.choices:
            return "The versions hold the same values: keeping either changes nothing."
        picks = self.picks() if self.is_mounted else {c.field: 0 for c in self.choices}
        whole = set(picks.values())
        head = (f"Saved as version {whole.pop() + 1}, whole:" if len(whole) == 1 else
                "Saved as a merge of the versions:")
        return "\n".join([head, *(f"{c.label}: {c.values[picks[c.field]]} (version "
                                  f"{picks[c.field] + 1})" for c in self.choices)])

    # -- saving -----------------------------------------------------------------------------

    def collect(self) -> Any:
        if not self.text("#reason"):
            self.problems["reason"] = "is required: say why, for the record"
        picks = self.picks()
        return (picks if self.choices else int(self.query_one("#keep", Select).value),  # type: ignore[arg-type]
                self.text("#reason"))

    def check(self, record: Any) -> dict[str, str]:
        picks, _ = record
        base, data, _ = outcome(self.versions, picks)
        try:
            patient = self.store.patient(str(base.doc.get("patient_id")))
        except Exception:  # noqa: BLE001 (not here yet, or the record is a patient)
            patient = None
        found = merge.problems(base.table, self.record_id, data, patient=patient,
                               today=self.app.today, was=base.head["data"])  # type: ignore[attr-defined]
        placed = {key for choice in self.choices
                  for key in (choice.field, *BESIDE.get(choice.field, ()))}
        return {key if key in placed else diff.label(key): problem
                for key, problem in found.items()}

    def submit(self, record: Any) -> str | None:
        picks, reason = record
        return settle(self.store, self.record_id, self.keys, picks, by=self.by, at=self.now,
                      reason=reason, shown=tuple(v.head["hash"] for v in self.versions))


def outcome(versions: tuple[Leaf, ...], picks: int | dict[str, int]
            ) -> tuple[Leaf, dict[str, Any], str]:
    """The version the new revision follows, the data it holds and its action. `picks` is a
    version (0-based) kept whole, or the version each differing field is taken from: a
    version kept whole follows itself; a merge follows version 1, each field taken from the
    one picked. A voided version kept stays voided (its last revision's action says so)."""
    whole = {picks} if isinstance(picks, int) else set(picks.values()) or {0}
    if len(whole) == 1:
        kept = versions[whole.pop()]
        return kept, dict(kept.head["data"]), "void" if kept.head["action"] == "void" \
            else "amend"
    data = merge.merged(versions, picks)  # type: ignore[arg-type]
    return versions[0], data, "void" if merge.voided(versions, picks) else "amend"  # type: ignore[arg-type]


def settle(store: Store, record_id: str, keys: SyncKeys, picks: int | dict[str, int], *,
           by: str, at: datetime, reason: str, shown: tuple[str, ...] | None = None) -> str:
    """Keep one version of a record in conflict, or merge them field by field (`outcome`):
    one durable save of its tree, one revision longer, every other live version retired
    (kept whole). `shown`: the versions the practitioner chose among (their last revisions'
    hashes); if a sync changed them meanwhile, nothing is saved (MesoError)."""
    replica = Replica(store.engine)
    leaves = replica.trees([record_id])[record_id]
    live = tuple(leaf for leaf in leaves if not leaf.deleted)
    if shown is not None and tuple(leaf.head["hash"] for leaf in live) != shown:
        raise MesoError("a sync changed this record's versions while the form was open; "
                        "nothing was saved: close the form and open it again")
    chosen, data, action = outcome(live, picks)
    of = "two" if len(live) == 2 else str(len(live))
    if isinstance(picks, dict) and len(set(picks.values())) > 1:
        taken = ", ".join(f"{diff.label(field)} from version {n + 1}"
                          for field, n in picks.items() if n)
        why = f"merged {of} versions ({taken}): {reason}"
    else:
        why = f"kept this version of {of}: {reason}"
    resolved = tree.resolve(keys, leaves, chosen, data, at=at, by=by, reason=why,
                            action=action)
    replica.save(Batch({record_id: resolved}))
    return record_id
