"""The merge rules as pure functions: fast-forward, conflict kept, CouchDB's winner, resolution."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from mesotui import history
from mesotui.sync import tree
from mesotui.sync.keys import SyncKeys
from mesotui.sync.tree import Leaf

KEYS = SyncKeys.derive(b"\x01" * 32, "0" * 32)
START = datetime(2026, 1, 15, 9, 0, tzinfo=UTC)


def grow(leaf: Leaf | None, *changes: dict, by: str = "Dr A") -> Leaf:
    """A session record with one more revision per change (the first creates it)."""
    revisions = tuple(history.Revision.from_doc(r) for r in leaf.revisions) if leaf else ()
    for n, change in enumerate(changes):
        data = {**(revisions[-1].data if revisions else {"volume_ml": 1.0}), **change}
        at = START + timedelta(hours=len(revisions) + n)
        revisions = history.append(revisions, "amend" if revisions else "create", data, at=at,
                                   by=by, reason="" if not revisions else "corrected")
    return Leaf("sessions", {"id": "S-00001-01", "patient_id": "P-00001",
                             "history": [r.to_doc() for r in revisions]})


def revisions_in(leaves: tuple[Leaf, ...]) -> set[str]:
    return {r["hash"] for leaf in leaves for r in leaf.revisions}


def test_a_pulled_version_that_extends_ours_is_a_fast_forward() -> None:
    ours = grow(None, {})
    theirs = grow(ours, {"volume_ml": 1.5})
    merged = tree.merge(KEYS, (ours,), [theirs])
    assert merged.outcome == "fast-forward"
    assert merged.leaves == (theirs,)
    assert tree.extends(KEYS, ours, theirs) and not tree.extends(KEYS, theirs, ours)


def test_an_older_version_pulled_changes_nothing() -> None:
    older = grow(None, {})
    ours = grow(older, {"volume_ml": 1.5})
    assert tree.merge(KEYS, (ours,), [older]) == tree.Merged("unchanged", (ours,))
    assert tree.merge(KEYS, (ours,), [ours]).outcome == "unchanged"


def test_two_histories_that_diverge_are_a_conflict_and_both_are_kept() -> None:
    base = grow(None, {})
    room_a = grow(base, {"volume_ml": 1.5}, by="Dr A")
    room_b = grow(base, {"notes": "bruise"}, by="Dr B")
    merged = tree.merge(KEYS, (room_a,), [room_b])
    assert merged.outcome == "conflict"
    assert set(merged.leaves) == {room_a, room_b}
    assert tree.conflicts(KEYS, merged.leaves) == (merged.leaves[1],)


def test_the_winner_is_couchdbs_live_then_longer_then_greater_revision_id() -> None:
    base = grow(None, {})
    short = grow(base, {"volume_ml": 2.0})
    long = grow(base, {"notes": "a"}, {"notes": "b"})
    assert tree.winner(KEYS, [short, long]) == long
    retired_long = Leaf(long.table, long.doc, deleted=True)
    assert tree.winner(KEYS, [short, retired_long]) == short
    same_length = [grow(base, {"lot": f"L{n}"}) for n in range(6)]
    best = max(same_length, key=lambda leaf: tree.rev(KEYS, leaf).partition("-")[2])
    assert tree.winner(KEYS, same_length) == best


def test_revision_ids_are_keyed_so_another_key_gives_other_ids() -> None:
    leaf = grow(None, {}, {"volume_ml": 1.5})
    other = SyncKeys.derive(b"\x02" * 32, "0" * 32)
    assert tree.path(KEYS, leaf) != tree.path(other, leaf)
    assert [p.partition("-")[0] for p in tree.path(KEYS, leaf)] == ["1", "2"]
    assert all(leaf.revisions[0]["hash"][:32] not in p for p in tree.path(KEYS, leaf))


def test_resolving_adds_a_revision_on_the_chosen_version_and_retires_the_others() -> None:
    base = grow(None, {})
    room_a = grow(base, {"volume_ml": 1.5})
    room_b = grow(base, {"notes": "bruise"})
    leaves = tree.merge(KEYS, (room_a,), [room_b]).leaves
    data = {**room_a.head["data"], "notes": "bruise"}  # merged by hand
    resolved = tree.resolve(KEYS, leaves, room_b, data, at=START + timedelta(days=1),
                            by="Dr C", reason="kept both rooms' corrections")
    winner, retired = resolved
    assert winner.head["data"] == data and winner.head["n"] == 3 and not winner.deleted
    assert tree.extends(KEYS, room_b, winner)
    assert retired.deleted and retired.doc == room_a.doc  # set aside, not lost
    assert tree.conflicts(KEYS, resolved) == ()
    # The room that still has both versions takes the resolution as it is.
    elsewhere = tree.merge(KEYS, leaves, resolved)
    assert elsewhere.outcome == "resolved" and set(elsewhere.leaves) == set(resolved)


def _branches(seed: int, count: int) -> list[Leaf]:
    rng = random.Random(seed)
    base = grow(None, {}, *({"volume_ml": float(n)} for n in range(rng.randint(0, 2))))
    leaves = [base]
    for n in range(count):
        parent = rng.choice(leaves)
        leaf = grow(parent, *({"notes": f"{n}-{k}"} for k in range(rng.randint(1, 3))))
        if rng.random() < 0.2:
            leaf = Leaf(leaf.table, leaf.doc, deleted=True)
        leaves.append(leaf)
    return leaves


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 10_000), st.integers(1, 5), st.randoms(use_true_random=False))
def test_every_replica_converges_on_the_same_tree_whatever_order_it_hears_in(
        seed: int, count: int, rng: random.Random) -> None:
    leaves = _branches(seed, count)
    one, other = leaves[:], leaves[:]
    rng.shuffle(other)
    a: tuple[Leaf, ...] = ()
    for leaf in one:
        a = tree.merge(KEYS, a, [leaf]).leaves
    b = tree.merge(KEYS, (), other).leaves
    assert a == b  # the same leaves, the same winner first
    assert tree.merge(KEYS, a, a).outcome == "unchanged"  # merging again changes nothing
    # No version is ever lost: every revision of every leaf is in the merged tree.
    assert revisions_in(a) == revisions_in(tuple(leaves))


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 10_000), st.integers(2, 5))
def test_a_resolution_leaves_one_live_version_and_keeps_every_revision(
        seed: int, count: int) -> None:
    leaves = tree.merge(KEYS, (), _branches(seed, count)).leaves
    live = [leaf for leaf in leaves if not leaf.deleted]
    if not live:
        return
    chosen = live[seed % len(live)]
    resolved = tree.resolve(KEYS, leaves, chosen, chosen.head["data"],
                            at=START + timedelta(days=30), by="Dr C", reason="picked")
    assert sum(not leaf.deleted for leaf in resolved) == 1
    assert tree.winner(KEYS, resolved).head["n"] == chosen.head["n"] + 1
    assert revisions_in(leaves) <= revisions_in(resolved)


def test_a_resolution_made_on_a_clock_behind_the_other_rooms_still_verifies() -> None:
    """Room B's clock ran an hour ahead; room A settles the conflict: its revision must not
    be stamped before the one it follows, or every other room would set it aside."""
    from mesotui.sync import codec

    base = grow(None, {})
    room_a = grow(base, {"volume_ml": 1.5})
    room_b = grow(base, {"notes": "bruise"})
    leaves = tree.merge(KEYS, (room_a,), [room_b]).leaves
    behind = datetime.fromisoformat(room_b.head["at"]) - timedelta(hours=1)
    resolved = tree.resolve(KEYS, leaves, room_b, room_b.head["data"], at=behind, by="Dr C",
                            reason="kept room B's")
    assert resolved[0].head["at"] == room_b.head["at"]
    for leaf in resolved:
        assert isinstance(codec.decode(KEYS, codec.encode(KEYS, leaf)), Leaf)
