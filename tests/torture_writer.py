"""A writer for crash tests: real store operations in a loop, each reported once it is saved.

Run as `python tests/torture_writer.py RECORD_FILE SEED`. After every operation returns, one
line goes to stdout (flushed): `<op> <record id>`; `folding` and `folded` bracket each
checkpoint. It folds its journal every few saves, sometimes a step at a time as the app does
while idle (left half-way for the next save to abandon), and sometimes closes and reopens
the file, so a kill often lands mid-checkpoint. A parent kills this process with SIGKILL at random
moments and checks that every reported operation survived.
"""

from __future__ import annotations

import random
import sys
from dataclasses import replace
from datetime import date, timedelta

from mesotui.engine import backend
from mesotui.engine.journal import Journal
from mesotui.evaluation import Consent
from mesotui.models import Patient, Session, SideEffectReport
from mesotui.store import Store
from mesotui.vocab import Severity, Sex, SideEffect

TODAY = date(2026, 1, 15)


def main(path: str, seed: int) -> None:
    rng = random.Random(seed)
    backend.CHECKPOINT_EVERY = rng.randint(3, 30)
    checkpoint = Journal.checkpoint

    def reported_checkpoint(*args, **kwargs):  # type: ignore[no-untyped-def]
        report("folding", "")
        checkpoint(*args, **kwargs)
        report("folded", "")

    Journal.checkpoint = reported_checkpoint  # type: ignore[method-assign]
    store = Store.open(path)
    patients = [p.id for p in store.patients()]
    live = [s.id for s in store.sessions() if not s.voided]
    while True:
        roll = rng.random()
        if roll < 0.02:
            store.close()  # a command-line writer's life: open, save, close (folds)
            store = Store.open(path)
            continue
        if roll < 0.05:  # the app folding while idle, a step at a time; often a save
            steps = store.folding()  # comes before it ends, and abandons it
            report("folding", "")
            if all(rng.random() < 0.8 for _step in steps):
                report("folded", "")
            continue
        if not patients or roll < 0.15:
            patient = store.add_patient(Patient("", f"Crash Test {rng.randint(1, 10**6)}",
                                                rng.choice(list(Sex)), date(1980, 1, 1),
                                                consents=(Consent(date(2020, 1, 1)),)), TODAY)
            patients.append(patient.id)
            report("add", patient.id)
        elif roll < 0.70:
            day = TODAY - timedelta(days=rng.randint(0, 700))
            session = store.log_session(Session("", rng.choice(patients), day, volume_ml=1.0,
                                                concentration_pct=0.01, no_side_effects=True,
                                                dose_notes="x" * rng.randint(0, 3000)), TODAY)
            live.append(session.id)
            report("log", session.id)
        elif roll < 0.85 and live:
            held = store.session(rng.choice(live))
            amended = replace(held, no_side_effects=False, side_effects=(
                SideEffectReport(SideEffect.HEADACHE, Severity.MILD, "reported later"),))
            store.amend_session(amended, TODAY, reason="side effect reported at next visit")
            report("amend", held.id)
        elif roll < 0.95 and live:
            target = live.pop(rng.randrange(len(live)))
            store.void_session(target, reason="duplicate entry")
            report("void", target)
        else:
            window = rng.randint(1, 60)
            store.save_settings(replace(store.settings, due_soon_days=window))
            report("settings", str(window))


def report(op: str, ident: str) -> None:
    sys.stdout.write(f"{op} {ident}\n")
    sys.stdout.flush()


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]))
