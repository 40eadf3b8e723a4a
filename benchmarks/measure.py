"""Parent-process side of the benchmark: launch, time and reap child processes; cached clinics."""

from __future__ import annotations

import hashlib
import json
import math
import os
import platform
import queue
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
RUNNER = HERE / "runner.py"


class MeasureError(RuntimeError):
    """A child process failed or timed out; the message says which and shows its last words."""


@dataclass(frozen=True)
class Finished:
    seconds: float
    """Wall clock from launch until the process was reaped (the whole process)."""
    peak_rss_bytes: int | None
    stdout: str


CHILD_ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
"""Children may write bytecode, as an installed app does: pip compiles it at install time, so
without this every start would recompile whatever a sandbox or a `pip install -e` left
uncompiled, and measure the compiler instead of the app."""


def runner(mode: str, *args: object) -> list[str]:
    return [sys.executable, str(RUNNER), mode, *(str(a) for a in args)]


def mesotui(*args: object) -> list[str]:
    return [sys.executable, "-m", "mesotui", *(str(a) for a in args)]


def _tail(text: str, lines: int = 8) -> str:
    return "\n".join(text.strip().splitlines()[-lines:])


def run(command: list[str], timeout: float, cwd: Path | None = None) -> Finished:
    """Run to completion; measure wall clock and this child's own peak RSS (via wait4)."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=out, stderr=err,
                                   cwd=cwd, env=CHILD_ENV)
        timer = threading.Timer(timeout, process.kill)
        timer.start()
        try:
            if hasattr(os, "wait4"):
                _, status, usage = os.wait4(process.pid, 0)
                seconds = time.perf_counter() - started
                process.returncode = os.waitstatus_to_exitcode(status)
                rss: int | None = usage.ru_maxrss * (1 if sys.platform == "darwin" else 1024)
            else:
                process.wait()
                seconds, rss = time.perf_counter() - started, None
        finally:
            timed_out = not timer.is_alive() and process.returncode != 0
            timer.cancel()
        out.seek(0)
        err.seek(0)
        stdout, stderr = (f.read().decode("utf-8", "replace") for f in (out, err))
    if timed_out:
        raise MeasureError(f"timed out after {timeout:.0f} s: {' '.join(command[1:])}")
    if process.returncode != 0:
        raise MeasureError(f"exit code {process.returncode}: {' '.join(command[1:])}\n"
                           f"{_tail(stderr or stdout)}")
    return Finished(seconds, rss, stdout)


def result_of(finished: Finished) -> dict[str, Any]:
    """The JSON result a runner mode prints as its last line."""
    lines = finished.stdout.strip().splitlines()
    try:
        return json.loads(lines[-1])
    except (IndexError, json.JSONDecodeError):
        raise MeasureError(f"no result line in the output: {_tail(finished.stdout)!r}") from None


def time_to_ready(command: list[str], timeout: float) -> float:
    """Seconds from launch (interpreter start included) until the child prints READY."""
    lines: queue.Queue[bytes] = queue.Queue()
    with tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                   stderr=err, env=CHILD_ENV)
        assert process.stdout is not None
        reader = threading.Thread(target=lambda: [lines.put(line) for line in process.stdout],
                                  daemon=True)
        reader.start()
        ready_at: float | None = None
        try:
            while ready_at is None:
                line = lines.get(timeout=max(0.0, started + timeout - time.perf_counter()))
                if line.strip() == b"READY":
                    ready_at = time.perf_counter()
        except queue.Empty:
            pass
        finally:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            reader.join(timeout=5)
        err.seek(0)
        stderr = err.read().decode("utf-8", "replace")
    if ready_at is None:
        raise MeasureError(f"never became interactive (exit code {process.returncode}): "
                           f"{' '.join(command[1:])}\n{_tail(stderr)}")
    return ready_at - started


def percentile(values: list[float], fraction: float) -> float:
    """Nearest-rank percentile: p95 of 40 samples is the 38th smallest, a value really seen."""
    ordered = sorted(values)
    rank = max(1, min(len(ordered), math.ceil(fraction * len(ordered))))
    return ordered[rank - 1]


def median(values: list[float]) -> float:
    return statistics.median(values)


def clinic_file(workdir: Path, patients: int, sessions: int, timeout: float
                ) -> tuple[Path, dict[str, Any]]:
    """The generated clinic for this size and its counts, reused while the generator and the
    store (its file format) are unchanged."""
    import mesotui

    package = Path(mesotui.__file__).parent
    source = b"".join(path.read_bytes() for path in sorted(
        [package / "demo.py", package / "store.py", *(package / "engine").glob("*.py"),
         *(package / "clinic").glob("*.py")]) if path.exists())
    digest = hashlib.sha256(source).hexdigest()[:10]
    folder = workdir / f"clinic-{patients}x{sessions}-{digest}"
    path, counts = folder / "clinic.json", folder / "counts.json"
    if path.exists() and counts.exists():
        return path, json.loads(counts.read_text())
    for stale in workdir.glob(f"clinic-{patients}x{sessions}-*"):  # older generator or format
        shutil.rmtree(stale, ignore_errors=True)
    folder.mkdir(parents=True)
    # Generated in place: the start-up index and the lock are named after the record file,
    # so a file renamed afterwards would start without its index (read whole, every time).
    # counts.json, written last, says the clinic is complete.
    result = result_of(run(runner("generate", path, patients, sessions), timeout))
    counts.write_text(json.dumps(result))
    return path, result


def machine() -> dict[str, Any]:
    """CPU, cores, Python and OS, to read the figures against."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    versions = {}
    for name in ("textual", "tinydb", "mesotui"):
        try:
            from importlib.metadata import version

            versions[name] = version(name)
        except Exception:  # noqa: BLE001 - a missing version is only a missing label
            versions[name] = "?"
    return {"cpu": cpu, "cores": os.cpu_count(), "python": platform.python_version(),
            "os": platform.platform(), **versions}


def filesystem_of(path: Path) -> str:
    """The file system type under `path` (tmpfs makes fsync free, so say so), or "?"."""
    try:
        mounts = [line.split() for line in Path("/proc/mounts").read_text().splitlines()]
    except OSError:
        return "?"
    resolved, best = str(path.resolve()), ("", "?")
    for fields in mounts:
        if len(fields) >= 3 and (resolved + "/").startswith(fields[1].rstrip("/") + "/"):
            if len(fields[1]) >= len(best[0]):
                best = (fields[1], fields[2])
    return best[1]
