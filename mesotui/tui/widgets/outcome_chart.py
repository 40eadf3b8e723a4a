"""Outcome measures over time as plain-text bars (hair count, global score); no colour needed."""

from __future__ import annotations

from mesotui.evaluation import Evaluation
from mesotui.vocab import ScoreChange

BAR_WIDTH = 24
FULL, EMPTY = "█", "░"
EMPTY_CHART = "No outcome measures recorded yet"
HOW_TO_RECORD = ": press E to record an evaluation"


def hair_bar(count: float | None, top: float) -> str:
    """A bar of BAR_WIDTH cells, filled in proportion to `count` of `top`."""
    if count is None:
        return " " * BAR_WIDTH
    filled = round(BAR_WIDTH * count / top) if top else 0
    return FULL * filled + EMPTY * (BAR_WIDTH - filled)


def score_scale(score: ScoreChange | None) -> str:
    """The 7-point scale as '−−−0+++' slots, with ● where the score sits: '···0·●·'."""
    if score is None:
        return "not scored"
    slots = ["·", "·", "·", "0", "·", "·", "·"]
    slots[score.points + 3] = "●"
    return "[" + "".join(slots) + "]"


def chart_lines(evaluations: list[Evaluation], *, can_record: bool = True) -> list[str]:
    """One line per counted evaluation, oldest first: date, hair count bar and change, score.
    With none, says so, and how to record one where evaluations can be recorded."""
    counted = [e for e in evaluations if not e.voided]
    if not any(e.hair_count_per_cm2 is not None or e.global_score for e in counted):
        return [EMPTY_CHART + (HOW_TO_RECORD if can_record else ".")]
    counts = [e.hair_count_per_cm2 for e in counted if e.hair_count_per_cm2 is not None]
    top = max(counts, default=0.0)
    lines = [f"{'':10}  {'hair count per cm²':<{BAR_WIDTH + 14}}  global score (−3 … +3)"]
    first: float | None = None
    for evaluation in counted:
        count = evaluation.hair_count_per_cm2
        number = "-" if count is None else f"{count:g}"
        if count is not None and first is not None:
            number += f" ({count - first:+g})"
        if count is not None and first is None:
            first = count
        score = evaluation.global_score
        label = f" {score.points:+d} {score.label.lower()}" if score else ""
        lines.append(f"{evaluation.date}  {hair_bar(count, top)} {number:<13}  "
                     f"{score_scale(score)}{label}")
    return lines
