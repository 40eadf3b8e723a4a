"""The benchmark's figures, their targets (issue 6 at 5,000 patients, issue 19 at a group's
20,000), and the printed tables."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

TARGET_SIZE = 5000
GROUP_SIZE = 20000
GROWTH = (5000, 20000)


@dataclass(frozen=True)
class Figure:
    key: str
    label: str
    unit: str
    """"ms", "s", "MB" or "x" (a ratio)."""
    target: float | None = None
    higher_is_better: bool = False
    growth: float | None = 4.0
    """The most this figure may grow from 5,000 to 20,000 patients (4x is linear)."""
    group_target: float | None = None
    """Its target at a group's 20,000 patients (issue 19), if it has one there."""


FIGURES = (
    Figure("startup_s", "start-up to interactive list", "s"),
    Figure("startup_bare_s", "  bare Textual app, same way", "s", growth=None),
    Figure("startup_ratio", "  start-up / bare app", "x", 1.5, growth=None, group_target=1.5),
    Figure("filter_p50_ms", "filter keystroke p50", "ms", growth=1.5),
    Figure("filter_p95_ms", "filter keystroke p95", "ms", 30, growth=1.5, group_target=30),
    Figure("filter_handled_p95_ms", "  p95 until filtered (before paint)", "ms", growth=1.5),
    Figure("keystroke_bare_p95_ms", "  p95 of a bare app's Input (the floor)", "ms", growth=None),
    Figure("open_p50_ms", "open a patient p50", "ms", 50),
    Figure("open_p95_ms", "open a patient p95", "ms", group_target=50),
    Figure("save_p50_ms", "durable save (fsync) p50", "ms", 40),
    Figure("save_p95_ms", "durable save (fsync) p95", "ms"),
    Figure("save_max_ms", "  slowest of the saves", "ms"),
    Figure("close_after_saves_ms", "  closing the store after them", "ms", group_target=300),
    # Issue 14: the same saves with the seal left out, interleaved in the same process.
    Figure("unsealed_save_p50_ms", "  the same saves unsealed, p50", "ms", growth=None),
    Figure("seal_cost_ratio", "  sealed / unsealed save p50", "x", 2.0, growth=None),
    # Plain TinyDB is the yardstick, not mesotui: its growth is not judged.
    Figure("tinydb_insert_p50_ms", "plain TinyDB insert p50", "ms", growth=None),
    Figure("tinydb_insert_p95_ms", "plain TinyDB insert p95", "ms", growth=None),
    Figure("save_speedup", "  TinyDB insert p50 / save p50", "x", 9, higher_is_better=True,
           growth=None),
    Figure("due_s", "mesotui due (whole process)", "s", 1.0),
    # Issue 19 allows the export twice linear growth (2 x 4) from 5,000 to 20,000 patients.
    Figure("export_s", "full JSON export (whole process)", "s", 2.0, growth=8.0),
    Figure("peak_rss_mb", "peak RSS, app", "MB", 250, group_target=250),
    Figure("due_rss_mb", "peak RSS, due", "MB"),
    Figure("export_rss_mb", "peak RSS, export", "MB"),
)
KEYS = tuple(f.key for f in FIGURES)


def _value(figure: Figure, value: float | None) -> str:
    if value is None:
        return "n/a"
    if figure.unit == "x":
        return f"{value:.2f} x"
    if figure.unit == "s":
        return f"{value:.3f} s"
    return f"{value:.1f} {figure.unit}"


def target_at(figure: Figure, patients: int) -> float | None:
    """The figure's target at this clinic size (targets are set at 5,000 and 20,000 only)."""
    return {TARGET_SIZE: figure.target, GROUP_SIZE: figure.group_target}.get(patients)


def _target(figure: Figure, patients: int = TARGET_SIZE) -> str:
    target = target_at(figure, patients)
    if target is None:
        return ""
    sign = "≥" if figure.higher_is_better else "≤"
    return f"{sign} {target:g} {figure.unit}"


def verdict(figure: Figure, value: float | None, patients: int = TARGET_SIZE) -> str:
    target = target_at(figure, patients)
    if target is None:
        return ""
    if value is None:
        return "FAIL (not measured)"
    met = value >= target if figure.higher_is_better else value <= target
    return "PASS" if met else "FAIL"


def _table(rows: list[list[str]]) -> str:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
             for row in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def size_table(size: dict[str, Any]) -> str:
    """One clinic size: every figure; at 5,000 and 20,000 patients also its target and
    PASS/FAIL."""
    patients = size["patients"]
    checked = patients in (TARGET_SIZE, GROUP_SIZE)
    head = ["figure", "value", *(["target", "result"] if checked else [])]
    rows = [head]
    for figure in FIGURES:
        value = size["figures"].get(figure.key)
        row = [figure.label, _value(figure, value)]
        if checked:
            row += [_target(figure, patients), verdict(figure, value, patients)]
        rows.append(row)
    title = (f"{size['patients']:,} patients, {size['sessions']:,} sessions, "
             f"{size['file_mb']:.1f} MB file")
    errors = "".join(f"\n  ! {name}: {message}" for name, message in size["errors"].items())
    return f"{title}\n{_table(rows)}{errors}"


def growth_table(sizes: list[dict[str, Any]]) -> str | None:
    """5,000 → 20,000 patients: each figure's ratio against linear (4x) or flat (keystrokes)."""
    by_size = {s["patients"]: s["figures"] for s in sizes}
    small, large = GROWTH
    if small not in by_size or large not in by_size:
        return None
    rows = [["figure", f"{small:,}", f"{large:,}", "growth", "allowed", "result"]]
    for figure in FIGURES:
        if figure.growth is None:
            continue
        before, after = by_size[small].get(figure.key), by_size[large].get(figure.key)
        if not before or after is None:
            rows.append([figure.label, _value(figure, before), _value(figure, after), "n/a", "",
                         "n/a"])
            continue
        ratio = after / before
        rows.append([figure.label, _value(figure, before), _value(figure, after),
                     f"{ratio:.2f} x", f"≤ {figure.growth:g} x",
                     "PASS" if ratio <= figure.growth else "FAIL"])
    return f"Growth {small:,} → {large:,} patients (linear = 4 x; keystrokes should stay ~1 x)\n" \
           f"{_table(rows)}"


def failures(sizes: list[dict[str, Any]], patients: int = TARGET_SIZE) -> list[str]:
    """Targets missed at this size (5,000 or 20,000 patients), by label (for the summary)."""
    missed = []
    for size in sizes:
        if size["patients"] == patients:
            missed += [f.label.strip() for f in FIGURES
                       if verdict(f, size["figures"].get(f.key), patients).startswith("FAIL")]
    return missed
