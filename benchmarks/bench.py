"""Clinic-scale benchmark (issue 6): start-up, filter, open, save, due, export and memory, per size.

    python benchmarks/bench.py [--sizes 500,5000,20000] [--sessions 10] [--repeat N]
                               [--json FILE] [--workdir DIR]

Each figure comes from fresh child processes (see runner.py); targets are checked at 5,000
patients (issue 6) and at a group's 20,000 (issue 19).
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import measure  # noqa: E402 - found beside this script, however it is started
import report  # noqa: E402
from measure import MeasureError, median, percentile  # noqa: E402

TODAY = "2026-01-15"
SAVES = 20
TINYDB_BUDGET_S = 30.0
"""Plain TinyDB re-reads and re-writes the whole file per insert; stop after this long (min 3)."""


def _ms(values: list[float], fraction: float) -> float:
    return percentile(values, fraction) * 1000


def _mb(value: int | None) -> float | None:
    return None if value is None else value / 2**20


STARTUP_PAIRS = 11
"""Start-ups timed at least, each app's beside a bare app's (about half a second each). This
machine's speed drifts by a third within seconds: the ratio is the median of each pair's,
both run back to back, so a slow moment slows both of a pair alike."""


def measure_size(db: Path, repeat: int, scratch: Path, timeout: float,
                 say: Callable[[str], None]) -> tuple[dict[str, float | None], dict[str, str]]:
    """Every figure for one clinic file; a failed measurement leaves its figures out, with why."""
    figures: dict[str, float | None] = {}
    errors: dict[str, str] = {}

    def step(name: str, action: Callable[[], None]) -> None:
        say(f"  {name}...")
        started = time.perf_counter()
        try:
            action()
        except (MeasureError, OSError) as error:
            errors[name] = str(error)
            say(f"  {name}: FAILED: {error}")
            return
        say(f"  {name}: {time.perf_counter() - started:.1f} s")

    def startup() -> None:
        app, bare = [], []
        commands = [measure.runner("startup-meso", db), measure.runner("startup-bare")]
        for command in commands:
            measure.time_to_ready(command, timeout)  # untimed: bytecode and file caches warm
        for n in range(max(repeat, STARTUP_PAIRS)):  # in pairs: app first, then bare first
            if n % 2:
                bare_s, app_s = (measure.time_to_ready(c, timeout) for c in commands[::-1])
            else:
                app_s, bare_s = (measure.time_to_ready(c, timeout) for c in commands)
            app.append(app_s)
            bare.append(bare_s)
        figures["startup_s"], figures["startup_bare_s"] = median(app), median(bare)
        figures["startup_ratio"] = median([a / b for a, b in zip(app, bare, strict=True)])

    def interactive() -> None:
        finished = measure.run(measure.runner("interactive", db), timeout)
        result = measure.result_of(finished)
        painted, handled, opened = (result["filter_painted_s"], result["filter_handled_s"],
                                    result["open_s"])
        figures["filter_p50_ms"], figures["filter_p95_ms"] = _ms(painted, .5), _ms(painted, .95)
        figures["filter_handled_p95_ms"] = _ms(handled, .95)
        figures["open_p50_ms"], figures["open_p95_ms"] = _ms(opened, .5), _ms(opened, .95)
        figures["peak_rss_mb"] = _mb(finished.peak_rss_bytes)
        bare = measure.result_of(measure.run(measure.runner("keystroke-bare"), timeout))
        figures["keystroke_bare_p95_ms"] = _ms(bare["painted_s"], .95)

    def saves() -> None:
        folder = Path(tempfile.mkdtemp(dir=scratch, prefix="saves-"))
        try:
            for name in ("store", "unsealed", "tinydb"):
                (folder / name).mkdir()
                shutil.copyfile(db, folder / name / "clinic.json")
            for name in ("store", "unsealed"):  # with its start-up index, as a user's file is
                index = db.with_name(db.name + ".index")
                if index.exists():
                    shutil.copyfile(index, folder / name / index.name)
            # The copies' saves raise their clinic's high-water mark: on a copy of the keys,
            # or the clinic itself would then look like an older copy put back.
            keys = measure.CHILD_ENV["MESOTUI_KEYS"]
            shutil.copytree(keys, folder / "keys")
            measure.CHILD_ENV["MESOTUI_KEYS"] = str(folder / "keys")
            try:
                result = measure.result_of(measure.run(measure.runner(
                    "saves", folder / "store" / "clinic.json",
                    folder / "unsealed" / "clinic.json", folder / "tinydb" / "clinic.json",
                    SAVES, TINYDB_BUDGET_S), timeout + TINYDB_BUDGET_S))
            finally:
                measure.CHILD_ENV["MESOTUI_KEYS"] = keys
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        save, insert = result["save_s"], result["tinydb_insert_s"]
        figures["save_p50_ms"], figures["save_p95_ms"] = _ms(save, .5), _ms(save, .95)
        figures["tinydb_insert_p50_ms"] = _ms(insert, .5)
        figures["tinydb_insert_p95_ms"] = _ms(insert, .95)
        figures["save_max_ms"] = max(save) * 1000
        figures["close_after_saves_ms"] = result["close_s"][0] * 1000
        figures["save_speedup"] = percentile(insert, .5) / percentile(save, .5)
        unsealed = result["unsealed_save_s"]
        figures["unsealed_save_p50_ms"] = _ms(unsealed, .5)
        figures["seal_cost_ratio"] = percentile(save, .5) / percentile(unsealed, .5)

    def due() -> None:
        runs = [measure.run(measure.mesotui("--db", db, "--today", TODAY, "due"), timeout)
                for _ in range(repeat)]
        figures["due_s"] = median([r.seconds for r in runs])
        figures["due_rss_mb"] = _mb(max((r.peak_rss_bytes or 0) for r in runs) or None)

    def export() -> None:
        out = scratch / "export.json"
        runs = []
        for _ in range(repeat):
            out.unlink(missing_ok=True)
            runs.append(measure.run(measure.mesotui("--db", db, "--today", TODAY, "export",
                                                    "-o", out), timeout))
            if not out.exists() or out.stat().st_size == 0:
                raise MeasureError("export finished but wrote no file")
        out.unlink(missing_ok=True)
        figures["export_s"] = median([r.seconds for r in runs])
        figures["export_rss_mb"] = _mb(max((r.peak_rss_bytes or 0) for r in runs) or None)

    for name, action in (("start-up", startup), ("filter and open", interactive),
                         ("saves", saves), ("due", due), ("export", export)):
        step(name, action)
    return {key: figures.get(key) for key in report.KEYS}, errors


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="500,5000,20000",
                        help="patient counts, comma-separated (default: 500,5000,20000)")
    parser.add_argument("--sessions", type=int, default=10, help="sessions per patient")
    parser.add_argument("--repeat", type=int, default=5,
                        help="runs of each whole-process measurement; the median is reported")
    parser.add_argument("--json", type=Path, metavar="FILE", help="also write every number here")
    parser.add_argument("--workdir", type=Path, metavar="DIR",
                        help="where generated clinics are cached between runs "
                             "(default: a folder in the system temp dir)")
    parser.add_argument("--timeout", type=float, default=600.0,
                        help="seconds any one child process may take")
    args = parser.parse_args(argv)
    try:
        args.sizes = [int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip()]
    except ValueError:
        parser.error(f"--sizes must be whole numbers separated by commas, not {args.sizes!r}")
    if not args.sizes or min(args.sizes) < 1 or args.sessions < 1 or args.repeat < 1:
        parser.error("sizes, --sessions and --repeat must be at least 1")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    workdir = (args.workdir or Path(tempfile.gettempdir()) / "mesotui-bench").absolute()
    workdir.mkdir(parents=True, exist_ok=True)
    # The generated clinics' keys stay with them, never in the user's config folder.
    measure.CHILD_ENV["MESOTUI_KEYS"] = str(workdir / "keys")
    # The folder's file system, not its path: the record of a run names no one's machine.
    info = {**measure.machine(), "workdir_filesystem": measure.filesystem_of(workdir)}

    def say(text: str) -> None:
        print(text, file=sys.stderr, flush=True)

    sizes: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(dir=workdir, prefix="scratch-") as scratch:
        for patients in args.sizes:
            say(f"{patients:,} patients x {args.sessions} sessions: preparing the clinic...")
            try:
                db, counts = measure.clinic_file(workdir, patients, args.sessions, args.timeout)
            except MeasureError as error:
                say(f"  could not generate the clinic: {error}")
                sizes.append({"patients": patients, "sessions": 0, "file_mb": 0.0,
                              "figures": dict.fromkeys(report.KEYS), "errors": {
                                  "generate": str(error)}})
                continue
            figures, errors = measure_size(db, args.repeat, Path(scratch), args.timeout, say)
            sizes.append({"patients": patients, "sessions": counts["sessions"],
                          "file_mb": db.stat().st_size / 2**20, "figures": figures,
                          "errors": errors})
    print(f"mesotui benchmark, today {TODAY}, {args.repeat} repeat(s) of whole-process figures")
    print(f"machine: {info['cpu']}, {info['cores']} cores, Python {info['python']}, {info['os']}")
    print(f"textual {info['textual']}, tinydb {info['tinydb']}, mesotui {info['mesotui']}; "
          f"files on {info['workdir_filesystem']}\n")
    for size in sizes:
        print(report.size_table(size) + "\n")
    growth = report.growth_table(sizes)
    if growth:
        print(growth + "\n")
    for judged in (report.TARGET_SIZE, report.GROUP_SIZE):
        if any(judged == s["patients"] for s in sizes):
            missed = report.failures(sizes, judged)
            print(f"Targets at {judged:,} patients: " + ("all met" if not missed else
                                                         "missed: " + ", ".join(missed)))
    if args.json:
        args.json.write_text(json.dumps({"today": TODAY, "machine": info, "repeat": args.repeat,
                                         "sessions_per_patient": args.sessions, "sizes": sizes},
                                        indent=2) + "\n", encoding="utf-8")
    return 1 if any(s["errors"] for s in sizes) else 0


if __name__ == "__main__":
    raise SystemExit(main())
