"""Does a view-only window slow the writer? Writer saves timed with and without one, in one run.

    python benchmarks/viewer.py [--patients 5000] [--saves 60] [--blocks 4] [--json out.json]

The writer is this process, saving sessions to a record file (the demo clinic at 5,000
patients by default) as the app does. The viewer is a real `mesotui --view-only` app in a
second process (headless), polling the file and reading it again after each save. Blocks of
saves alternate without and with the viewer running, so the machine's drift falls on both
alike; the figure is the ratio of the two save p50s, and how long the viewer took to show
each save (its reloads, counted from its own log).

No figure here is asserted: timings on a shared machine are compared as ratios in one run.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from mesotui.demo import generate  # noqa: E402
from mesotui.models import Session  # noqa: E402
from mesotui.store import Store  # noqa: E402

TODAY = date(2026, 1, 15)
VIEWER = """
import sys, time
from datetime import date
from pathlib import Path
from mesotui.store import Store
from mesotui.tui.app import MesoApp
from mesotui.tui import viewonly

log = open(sys.argv[2], "a", buffering=1)
shown = viewonly.Follower._show
def _show(self, store, seen):
    shown(self, store, seen)
    log.write(f"{time.time()}\\n")  # when each new reading was on screen
viewonly.Follower._show = _show
started = viewonly.Follower.start
def start(self, *args, **kwargs):
    started(self, *args, **kwargs)
    log.write("ready\\n")  # the window is on screen and following
viewonly.Follower.start = start
viewonly.lower_priority()  # as `mesotui --view-only` does
app = MesoApp(Store.open(Path(sys.argv[1]), readonly=True), date(2026, 1, 15), view_only=True)
app.run(headless=True)
"""


def save_times(store: Store, patient_ids: list[str], count: int, start: int,
               saved_at: list[float]) -> list[float]:
    times = []
    for n in range(count):
        session = Session(id="", patient_id=patient_ids[(start + n) % len(patient_ids)],
                          date=TODAY, volume_ml=1.0, concentration_pct=0.01,
                          no_side_effects=True, lot=f"BENCH-{start + n}", consent_override=True,
                          lot_expiry=date(2027, 1, 1))
        began = time.perf_counter()
        store.log_session(session, TODAY, reason="benchmark")
        times.append(time.perf_counter() - began)
        saved_at.append(time.time())
        time.sleep(0.05)  # a clinic saves now and then, not in a tight loop
    return times


def _wait_for(log: Path, shown: Callable[[list[str]], bool], limit: float = 60) -> None:
    """Wait until the viewer's log shows what is asked (on a loaded machine a window takes
    longer than usual to start and to follow); give up after `limit` seconds."""
    give_up = time.monotonic() + limit
    while time.monotonic() < give_up:
        if shown(log.read_text().split() if log.exists() else []):
            return
        time.sleep(0.1)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, default=5000)
    parser.add_argument("--saves", type=int, default=60, help="saves per block")
    parser.add_argument("--blocks", type=int, default=4, help="blocks of each kind")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    folder = Path(tempfile.mkdtemp(prefix="mesotui-viewer-bench-"))
    db, log = folder / "clinic.json", folder / "viewer.log"
    print(f"building a clinic of {args.patients:,} patients...", flush=True)
    generate(TODAY, args.patients).load_into(Store.open(db)).close()
    without: list[float] = []
    with_viewer: list[float] = []
    saved_at: list[float] = []
    store = Store.open(db)
    ids = [card.id for card in store.cards()]
    done = 0
    try:
        for _block in range(args.blocks):
            without += save_times(store, ids, args.saves, done, [])
            done += args.saves
            viewer = subprocess.Popen([sys.executable, "-c", VIEWER, str(db), str(log)],
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            _wait_for(log, lambda lines, n=_block: lines.count("ready") > n)  # it follows
            with_viewer += save_times(store, ids, args.saves, done, saved_at)
            done += args.saves
            last = saved_at[-1]
            _wait_for(log, lambda lines, last=last: any(float(t) >= last for t in lines
                                                        if t != "ready"))
            viewer.terminate()
            viewer.wait(10)
    finally:
        store.close()
    shown = [float(line) for line in log.read_text().split() if line != "ready"] \
        if log.exists() else []
    lags = [min((t for t in shown if t >= s), default=float("nan")) - s for s in saved_at]
    lags = [lag for lag in lags if lag == lag]
    figures = {
        "patients": args.patients, "saves_per_kind": len(without),
        "save_p50_ms_without_viewer": statistics.median(without) * 1000,
        "save_p50_ms_with_viewer": statistics.median(with_viewer) * 1000,
        "ratio_with_to_without": statistics.median(with_viewer) / statistics.median(without),
        "viewer_readings": len(shown),
        "viewer_lag_p50_s": statistics.median(lags) if lags else None,
        "viewer_lag_max_s": max(lags) if lags else None,
    }
    for key, value in figures.items():
        print(f"{key:<28} {value:.3f}" if isinstance(value, float) else f"{key:<28} {value}")
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
