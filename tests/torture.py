"""Kill real mesotui processes with SIGKILL at random moments; check that nothing reported is lost.

Four kinds of victim, chosen at random each round:
- save: a writer doing store operations in a loop (tests/torture_writer.py), which folds its
  journal into a new checkpoint every few saves and sometimes closes and reopens the file, so
  many kills land mid-checkpoint ("fold" when it was folding);
- restore: `mesotui restore BACKUP --yes`;
- import: `mesotui import FILE` of a fresh export holding new patients.

After every kill the file must open (no stale lock), pass `mesotui check`, and hold every
operation reported saved; a killed restore must leave the old file or the restored one, and
when the restored one, the copy it kept must hold every save of the old one; a killed import
must have added all of its records or none.

The long run: `python -m tests.torture --kills 500` (figures go into RELIABILITY.md).
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from mesotui import export, integrity
from mesotui.engine import durable
from mesotui.history import verify
from mesotui.models import Patient, Session
from mesotui.store import Store
from mesotui.vocab import Sex

WRITER = Path(__file__).with_name("torture_writer.py")
TODAY = date(2026, 1, 15)
KINDS = {"save": 0.6, "restore": 0.2, "import": 0.2}
MAIN = "import sys; from mesotui.cli import main; sys.exit(main(sys.argv[1:]))"


@dataclass
class TortureResult:
    kills: int = 0
    operations_verified: int = 0
    """Distinct operations reported saved, each checked again after every later kill."""
    losses: list[str] = field(default_factory=list)
    by_kind: Counter[str] = field(default_factory=Counter)
    """Kills per kind: save, fold (a writer killed mid-checkpoint), restore, import."""
    restored: int = 0
    """Killed restores that had already swapped the restored file in."""
    imported: int = 0
    """Killed imports that had already added their records."""


@dataclass
class Facts:
    """What the record must hold: patients and sessions present, sessions amended, voided."""

    patients: set[str] = field(default_factory=set)
    sessions: set[str] = field(default_factory=set)
    amended: set[str] = field(default_factory=set)
    voided: set[str] = field(default_factory=set)

    def count(self) -> int:
        return len(self.patients) + len(self.sessions) + len(self.amended) + len(self.voided)

    def missing_from(self, held: Facts) -> list[str]:
        return ([f"patient {p} lost" for p in sorted(self.patients - held.patients)]
                + [f"session {s} lost" for s in sorted(self.sessions - held.sessions)]
                + [f"amendment of {s} lost" for s in sorted(self.amended - held.amended)]
                + [f"void of {s} lost" for s in sorted(self.voided - held.voided)])


def facts_of(path: Path, losses: list[str]) -> Facts:
    """Open the file as a writer would (no stale lock), check it, and say what it holds."""
    report = integrity.check(path)
    losses.extend(f"check: {problem}" for problem in report.problems)
    with Store.open(path) as store:
        held = Facts({p.id for p in store.patients()})
        for session in store.sessions():
            held.sessions.add(session.id)
            if session.amended:
                held.amended.add(session.id)
            if session.voided:
                held.voided.add(session.id)
        for record in [*store.patients(), *store.sessions()]:
            if problems := verify(record.history):
                losses.append(f"{record.id}: {problems[0]}")
    return held


def run(path: Path, kills: int, seed: int = 1, max_delay: float = 0.4,
        kinds: dict[str, float] | None = None) -> TortureResult:
    """Kill `kills` processes at random moments, verifying the record after each."""
    rng = random.Random(seed)
    result = TortureResult()
    expected = Facts()
    env = {**os.environ, "PYTHONPATH": str(WRITER.parent.parent)}
    weights = kinds or KINDS
    for attempt in range(kills):
        kind = rng.choices(list(weights), list(weights.values()))[0]
        if kind != "save" and not path.exists():
            kind = "save"
        if kind == "save":
            kind = _kill_writer(path, seed * 1000 + attempt, rng, max_delay, env, expected,
                                result)
        elif kind == "restore":
            expected = _kill_restore(path, rng, env, expected, result)
        else:
            expected = _kill_import(path, rng, env, expected, result)
        result.kills += 1
        result.by_kind[kind] += 1
        if path.exists():
            result.losses.extend(expected.missing_from(facts_of(path, result.losses)))
        elif expected.count():
            result.losses.append("the record file is gone")
        result.operations_verified = max(result.operations_verified, expected.count())
    return result


def _kill_after(command: list[str], delay: float, env: dict[str, str], *,
                from_first_line: bool = False) -> tuple[str, str, int]:
    """Run `command` and SIGKILL it `delay` seconds after it starts or, with
    `from_first_line`, after it reports its first operation: how far a writer gets then
    depends on the moment chosen, not on how long Python takes to start on a loaded machine."""
    child = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env,
                             text=True)
    first = child.stdout.readline() if from_first_line and child.stdout else ""
    time.sleep(delay)
    child.send_signal(signal.SIGKILL)
    out, err = child.communicate()
    return first + out, err, child.returncode


def _kill_writer(path: Path, seed: int, rng: random.Random, max_delay: float,
                 env: dict[str, str], expected: Facts, result: TortureResult) -> str:
    out, err, code = _kill_after([sys.executable, str(WRITER), str(path), str(seed)],
                                 rng.uniform(0.15, 0.15 + max_delay) - 0.15, env,
                                 from_first_line=True)
    if code != -signal.SIGKILL and err.strip():
        result.losses.append(f"writer failed: {err.strip().splitlines()[-1]}")
    lines = out.splitlines() if out.endswith("\n") else out.splitlines()[:-1]
    folding = False
    for line in lines:
        op, _, ident = line.partition(" ")
        folding = op == "folding"
        if op == "add":
            expected.patients.add(ident)
        elif op == "log":
            expected.sessions.add(ident)
        elif op == "amend":
            expected.amended.add(ident)
        elif op == "void":
            expected.voided.add(ident)
    return "fold" if folding else "save"


def _kill_restore(path: Path, rng: random.Random, env: dict[str, str], expected: Facts,
                  result: TortureResult) -> Facts:
    backups = durable.list_backups(path)
    if not backups:
        return expected
    backup = rng.choice(backups[:10])
    with Store.open(backup, readonly=True) as old:
        ids = {p.id for p in old.patients()}, {s.id for s in old.sessions()}
    before = set(path.parent.glob(f"{path.stem}.replaced-*{path.suffix}"))
    out, err, code = _kill_after(
        [sys.executable, "-c", MAIN, "restore", str(backup), "--yes", "--db", str(path)],
        rng.uniform(0.05, 0.5), env)
    if code not in (0, -signal.SIGKILL):
        result.losses.append(f"restore failed: {err.strip()[-200:]}")
    held = facts_of(path, result.losses)
    if not expected.missing_from(held):
        if code == 0 and (held.patients, held.sessions) != ids:
            result.losses.append("restore said done, but the old file is still in place")
        return expected  # killed before the swap: the old file, whole
    if (held.patients, held.sessions) != ids:
        result.losses.append("after a killed restore the file is neither old nor restored")
        return expected
    kept = sorted(set(path.parent.glob(f"{path.stem}.replaced-*{path.suffix}")) - before)
    if not kept:
        result.losses.append("a restore swapped the file in but kept no copy of the old one")
    else:
        with Store.open(kept[-1], readonly=True) as replaced:
            copy = Facts({p.id for p in replaced.patients()},
                         {s.id for s in replaced.sessions()},
                         {s.id for s in replaced.sessions() if s.amended},
                         {s.id for s in replaced.sessions() if s.voided})
        result.losses.extend(f"kept copy: {loss}" for loss in expected.missing_from(copy))
    result.restored += 1
    return held  # the restored file is what must hold from now on


def _kill_import(path: Path, rng: random.Random, env: dict[str, str], expected: Facts,
                 result: TortureResult) -> Facts:
    file = path.parent / "incoming.json"
    patients = _export(file, rng)
    out, err, code = _kill_after(
        [sys.executable, "-c", MAIN, "import", str(file), "--db", str(path),
         "--today", TODAY.isoformat()], rng.uniform(0.05, 0.6), env)
    if code not in (0, -signal.SIGKILL):
        result.losses.append(f"import failed: {err.strip()[-200:]}")
    held = facts_of(path, result.losses)
    added = patients & held.patients
    if added and added != patients:
        result.losses.append(f"a killed import added {len(added)} of {len(patients)} patients")
    if code == 0 and "Added" in out and added != patients:
        result.losses.append("an import said Added but its patients are not all there")
    if added == patients:
        expected.patients |= patients
        result.imported += 1
    return expected


def _export(file: Path, rng: random.Random) -> set[str]:
    """An export of a few new patients with a session each, under fresh random ids."""
    from mesotui.evaluation import Consent

    store = Store.in_memory()
    ids = set()
    for _ in range(rng.randint(1, 4)):
        patient = store.add_patient(Patient("", "Imported Person", rng.choice(list(Sex)),
                                            date(1975, 5, 5), consents=(Consent(
                                                date(2020, 1, 1)),)), TODAY)
        store.log_session(Session("", patient.id, TODAY, volume_ml=1.0, concentration_pct=0.01,
                                  no_side_effects=True), TODAY)
        ids.add(patient.id)
    file.write_bytes(export.to_json(export.build(store, TODAY)))
    return ids


if __name__ == "__main__":
    import argparse
    import tempfile

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--kills", type=int, default=500)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        os.environ.setdefault("MESOTUI_KEYS", str(Path(folder) / "keys"))  # not the user's
        started = time.monotonic()
        outcome = run(Path(folder) / "clinic.json", args.kills, args.seed)
    kinds = ", ".join(f"{kind} {n}" for kind, n in sorted(outcome.by_kind.items()))
    print(f"kills survived: {outcome.kills} ({kinds}; {outcome.restored} restores and "
          f"{outcome.imported} imports killed after their swap), operations verified: "
          f"{outcome.operations_verified}, losses: {len(outcome.losses)}, "
          f"{time.monotonic() - started:.0f} s")
    for loss in outcome.losses[:20]:
        print("LOST:", loss)
    raise SystemExit(1 if outcome.losses else 0)
