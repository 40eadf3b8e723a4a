"""Where a sync resumes: the checkpoint both ends agree on, as CouchDB's replicator decides."""

from __future__ import annotations

from datetime import UTC, datetime

from mesotui.sync.checkpoint import Session, resume_from


def _log(session: str, seq: int, *older: tuple[str, int]) -> dict:
    history = [{"session_id": s, "recorded_seq": q} for s, q in ((session, seq), *older)]
    return {"session_id": session, "source_last_seq": seq, "history": history}


def test_the_same_session_on_both_ends_resumes_from_its_seq() -> None:
    assert resume_from(_log("s2", 40, ("s1", 10)), _log("s2", 40, ("s1", 10)))[0] == 40


def test_ends_that_disagree_resume_from_the_newest_session_both_remember() -> None:
    # The server holds a checkpoint this laptop never wrote (killed between the two writes,
    # or an older copy of the record file restored): the newest common session counts.
    assert resume_from(_log("s3", 90, ("s2", 40), ("s1", 10)),
                       _log("s2", 40, ("s1", 10)))[0] == 40
    assert resume_from(_log("s9", 70, ("s1", 10)), _log("s8", 60, ("s1", 10)))[0] == 10


def test_no_common_history_or_no_checkpoint_starts_from_the_beginning() -> None:
    assert resume_from(_log("s2", 40), _log("s7", 99))[0] == 0
    assert resume_from(None, _log("s7", 99)) == (0, [])
    assert resume_from(_log("s7", 99), None) == (0, [])


def test_a_checkpoint_document_is_couchdbs_shape_and_keeps_the_history() -> None:
    session = Session(10, [{"session_id": "old", "recorded_seq": 10}],
                      clock=lambda: datetime(2026, 1, 15, 9, tzinfo=UTC))
    doc = session.document(25)
    assert doc["session_id"] == session.id and doc["source_last_seq"] == 25
    assert doc["replication_id_version"] == 3
    assert [h["session_id"] for h in doc["history"]] == [session.id, "old"]
    assert doc["history"][0]["start_time"] == "Thu, 15 Jan 2026 09:00:00 GMT"
    assert resume_from(doc, doc)[0] == 25
