"""Kill a real writer with SIGKILL at random moments and check that nothing it reported is lost.

The long run: `python -m tests.torture --kills 500` (figures go into RELIABILITY.md).
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from mesotui import integrity
from mesotui.history import verify
from mesotui.store import Store

WRITER = Path(__file__).with_name("torture_writer.py")


@dataclass
class TortureResult:
    kills: int = 0
    operations_verified: int = 0
    """Distinct operations reported saved, each checked again after every later kill."""
    losses: list[str] = field(default_factory=list)


def run(path: Path, kills: int, seed: int = 1, max_delay: float = 0.4) -> TortureResult:
    """Start the writer `kills` times, SIGKILL it after a random delay, and verify after each.

    Every operation the writer reported before the kill must be in the file afterwards: added
    patients and logged sessions present, amendments and voids applied, every revision chain
    intact, and the file opens (which also proves no stale lock blocks the next start).
    """
    rng = random.Random(seed)
    result = TortureResult()
    reported: list[tuple[str, str]] = []
    env = {**os.environ, "PYTHONPATH": str(WRITER.parent.parent)}
    for attempt in range(kills):
        child = subprocess.Popen([sys.executable, str(WRITER), str(path),
                                  str(seed * 1000 + attempt)],
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, text=True)
        time.sleep(rng.uniform(0.15, 0.15 + max_delay))  # start-up, then a random moment mid-write
        child.send_signal(signal.SIGKILL)
        out, err = child.communicate()
        if child.returncode != -signal.SIGKILL and err.strip():
            result.losses.append(f"writer failed: {err.strip().splitlines()[-1]}")
        complete = out.endswith("\n")
        lines = out.splitlines() if complete else out.splitlines()[:-1]
        reported.extend(tuple(line.split(" ", 1)) for line in lines)  # type: ignore[misc]
        result.kills += 1
        result.operations_verified = verify_reported(path, reported, result.losses)
    return result


def verify_reported(path: Path, reported: list[tuple[str, str]], losses: list[str]) -> int:
    """Check the file as `mesotui check` does, then every reported operation; count them."""
    if not path.exists():  # killed before its first save: fine, if it had reported nothing
        losses.extend(f"{op} {ident} reported before the file existed" for op, ident in reported)
        return len(reported)
    report = integrity.check(path)
    losses.extend(f"check: {problem}" for problem in report.problems)
    with Store.open(path) as store:
        patients = {p.id for p in store.patients()}
        sessions = {s.id: s for s in store.sessions()}
        for record in [*store.patients(), *store.sessions()]:
            if problems := verify(record.history):
                losses.append(f"{record.id}: {problems[0]}")
        for op, ident in reported:
            if op == "add" and ident not in patients:
                losses.append(f"patient {ident} lost")
            elif op == "log" and ident not in sessions:
                losses.append(f"session {ident} lost")
            elif op == "amend" and (ident not in sessions or not sessions[ident].amended):
                losses.append(f"amendment of {ident} lost")
            elif op == "void" and (ident not in sessions or not sessions[ident].voided):
                losses.append(f"void of {ident} lost")
        return len(reported)


if __name__ == "__main__":
    import argparse
    import tempfile

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--kills", type=int, default=500)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        started = time.monotonic()
        outcome = run(Path(folder) / "clinic.json", args.kills, args.seed)
    print(f"kills survived: {outcome.kills}, operations verified: {outcome.operations_verified}, "
          f"losses: {len(outcome.losses)}, {time.monotonic() - started:.0f} s")
    for loss in outcome.losses[:20]:
        print("LOST:", loss)
    raise SystemExit(1 if outcome.losses else 0)
