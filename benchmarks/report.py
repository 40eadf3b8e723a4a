"""The benchmark's figures, their targets (issue 6), and the printed tables."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

TARGET_SIZE = 5000
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


FIGURES = (
    Figure("startup_s", "start-up to interactive list", "s"),
    Figure("startup_bare_s", "  bare Textual app, same way", "s", growth=None),
    Figure("startup_ratio", "  start-up / bare app", "x", 1.5, growth=None),
    Figure("filter_p50_ms", "filter keystroke p50", "ms", growth=1.5),
    Figure("filter_p95_ms", "filter keystroke p95", "ms", 30, growth=1.5),
    Figure("filter_handled_p95_ms", "  p95 until filtered (before paint)", "ms", growth=1.5),
    Figure("keystroke_bare_p95_ms", "  p95 of a bare app's Input (the floor)", "ms", growth=None),
    Figure("open_p50_ms", "open a patient p50", "ms", 50),
    Figure("open_p95_ms", "open a patient p95", "ms"),
    Figure("save_p50_ms", "durable save (fsync) p50", "ms", 40),
    Figure("save_p95_ms", "durable save (fsync) p95", "ms"),
    Figure("save_max_ms", "  slowest of the saves", "ms"),
    Figure("close_after_saves_ms", "  closing the store after them", "ms"),
    # Issue 14: the same saves with the seal left out, interleaved in the same process.
    Figure("unsealed_save_p50_ms", "  the same saves unsealed, p50", "ms", growth=None),
    Figure("seal_cost_ratio", "  sealed / unsealed save p50", "x", 2.0, growth=None),
    # Plain TinyDB is the yardstick, not mesotui: its growth is not judged.
    Figure("tinydb_insert_p50_ms", "plain TinyDB insert p50", "ms", growth=None),
    Figure("tinydb_insert_p95_ms", "plain TinyDB insert p95", "ms", growth=None),
    Figure("save_speedup", "  TinyDB insert p50 / save p50", "x", 9, higher_is_better=True,
           growth=None),
    Figure("due_s", "mesotui due (whole process)", "s", 1.0),
    Figure("export_s", "full JSON export (whole process)", "s", 2.0),
    Figure("peak_rss_mb", "peak RSS, app", "MB", 250),
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


def _target(figure: Figure) -> str:
    if figure.target is None:
        return ""
    sign = "≥" if figure.higher_is_better else "≤"
    return f"{sign} {figure.target:g} {figure.unit}".replace(" x", " x")


def verdict(figure: Figure, value: float | None) -> str:
    if figure.target is None:
        return ""
    if value is None:
        return "FAIL (not measured)"
    met = value >= figure.target if figure.higher_is_better else value <= figure.target
    return "PASS" if met else "FAIL"


def _table(rows: list[list[str]]) -> str:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
             for row in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def size_table(size: dict[str, Any]) -> str:
    """One clinic size: every figure; at 5,000 patients also its target and PASS/FAIL."""
    checked = size["patients"] == TARGET_SIZE
    head = ["figure", "value", *(["target", "result"] if checked else [])]
    rows = [head]
    for figure in FIGURES:
        value = size["figures"].get(figure.key)
        row = [figure.label, _value(figure, value)]
        if checked:
            row += [_target(figure), verdict(figure, value)]
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


def failures(sizes: list[dict[str, Any]]) -> list[str]:
    """Targets missed at 5,000 patients, by label (for the summary line)."""
    missed = []
    for size in sizes:
        if size["patients"] == TARGET_SIZE:
            missed += [f.label.strip() for f in FIGURES
                       if verdict(f, size["figures"].get(f.key)).startswith("FAIL")]
    return missed
