"""Text cut to fit a column: at a word where one is near, always marked with an ellipsis."""

from __future__ import annotations

from rich.cells import cell_len, set_cell_size

ELLIPSIS = "\u2026"
BREAKS = " -/"
"""Where a name may be cut: between words, or parts of a double name."""


def shorten(text: str, width: int) -> str:
    """`text` if it fits `width` cells, else cut at the last word that fits, with an ellipsis
    ("Priya Ångström-Núñez" in 16 cells is "Priya Ångström-…"); a single long word is cut
    where it must."""
    if cell_len(text) <= width:
        return text
    if width <= 1:
        return ELLIPSIS[:width]
    room = set_cell_size(text, width - 1)
    cut = max(room.rfind(mark) for mark in BREAKS)
    if cut > 0:  # at a word whenever the text has one that fits
        room = room[:cut + 1] if room[cut] != " " else room[:cut]
    return room.rstrip() + ELLIPSIS


def column(text: str, width: int, *, right: bool = False) -> str:
    """`text` shortened to `width` cells and padded to exactly that width."""
    short = shorten(text, width)
    pad = " " * (width - cell_len(short))
    return pad + short if right else short + pad
