"""Two versions of a record, told apart in the clinic's words."""

from __future__ import annotations

from mesotui.sync import diff
from mesotui.sync.tree import Leaf
from tests.test_sync_tree import grow


def test_differences_are_named_as_the_forms_name_them_with_units() -> None:
    old = {"volume_ml": 1.0, "notes": "", "anaesthesia": {"type": "local", "agent": "lidocaine"},
           "side_effects": [{"effect": "pain", "severity": "mild", "note": ""}],
           "counselling_given": True, "lot": "DU25-0412"}
    new = {"volume_ml": 1.5, "notes": "bruise", "anaesthesia": {"type": "local",
                                                                "agent": "articaine"},
           "side_effects": [{"effect": "pain", "severity": "moderate", "note": ""},
                            {"effect": "bruising", "severity": "mild", "note": "vertex"}],
           "counselling_given": True, "lot": "DU25-0412"}
    lines = [d.line for d in diff.differences(old, new)]
    assert lines == [
        "Anaesthetic agent: lidocaine → articaine",
        "Volume: 1 mL → 1.5 mL",
        "Side effects: pain (mild) → bruising (mild, vertex); pain (moderate)",
        "Notes: (empty) → “bruise”",
    ]


def test_equal_versions_and_reordered_lists_show_no_difference() -> None:
    data = {"areas": ["vertex", "crown"], "volume_ml": 2.0}
    assert diff.differences(data, {"areas": ["crown", "vertex"], "volume_ml": 2.0}) == []


def test_a_version_line_says_who_when_and_why_and_nothing_raw() -> None:
    leaf = grow(grow(None, {}), {"notes": "x"}, by="Dr \x1b[31mRed")
    line = diff.version_line(leaf)
    assert line.startswith("revision 2, amended 15 Jan 2026 10:00 by Dr ")
    assert "(corrected)" in line and "\x1b" not in line
    assert diff.version_line(Leaf(leaf.table, leaf.doc, deleted=True)).endswith("set aside")
    assert [d.line for d in diff.between(grow(None, {}), leaf)] == ["Notes: (empty) → “x”"]
