"""The storage engine on its own: opaque documents and rows, one durable save each, a change
feed that survives folds and restarts; over a record file and over memory alike."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from mesotui.engine import Engine, Layout, Write
from mesotui.engine.index import Catalogue
from mesotui.errors import ReadOnlyStore

LAYOUT = Layout(tables=("meta", "notes", "cards"), lazy=("notes", "cards"), chunked="cards",
                records={"notes": "n", "cards": "k"}, owner="note")
"""A layout that is no clinic at all: notes, and cards belonging to notes."""


def revisioned(record_id: str, n: int = 1, **data: Any) -> dict[str, Any]:
    """A document with a revision chain the seal can follow (the engine reads n/hash/prev)."""
    return {"id": record_id, "history": [{"n": k, "hash": f"{record_id}-{k}".ljust(32, "0"),
                                          "prev": f"{record_id}-{k - 1}".ljust(32, "0")
                                          if k > 1 else "", "data": data}
                                         for k in range(1, n + 1)]}


def rows_of(engine: Engine) -> dict[str, list[list[Any]]]:
    """The rows a layer above would keep for the list: here, each record's first data word."""
    out: dict[str, list[list[Any]]] = {}
    for table in LAYOUT.lazy:
        ids = engine.image.ids.get(table, {})
        out[table] = [[doc_id, record_id, str(engine.doc(table, doc_id)["history"][-1]["data"])]
                      for record_id, doc_id in ids.items()]
    return out


@pytest.fixture(params=["memory", "file"])
def opened(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    engine = (Engine.memory(LAYOUT) if request.param == "memory"
              else Engine.open(tmp_path / "notes.json", LAYOUT))
    engine.rows = lambda: rows_of(engine)
    yield engine
    engine.close()


def save(engine: Engine, table: str, doc: dict[str, Any]) -> None:
    with engine.saving():
        where = engine.image.ids.get(table, {}).get(doc["id"])
        engine.put(table, where or engine.new_doc_id(table), doc)


def test_documents_go_in_and_come_out_as_they_were(opened: Engine) -> None:
    heard: list[list[Write]] = []
    opened.listeners.append(heard.append)
    save(opened, "notes", revisioned("N-1", text="hello"))
    with opened.saving():  # one save, two documents: heard of once
        opened.put("cards", opened.new_doc_id("cards"), revisioned("K-1", note="N-1"))
        opened.put("cards", opened.new_doc_id("cards"), revisioned("K-2", note="N-1"))
    assert opened.locate("K-2") == ("cards", "2")
    assert opened.doc("cards", "2")["history"][0]["data"] == {"note": "N-1"}
    assert [len(writes) for writes in heard] == [1, 2]


def test_a_failed_save_changes_nothing_and_tells_nobody(opened: Engine) -> None:
    heard: list[list[Write]] = []
    opened.listeners.append(heard.append)
    with pytest.raises(RuntimeError), opened.saving():
        opened.put("notes", opened.new_doc_id("notes"), revisioned("N-1"))
        raise RuntimeError("the rules refused it")
    assert opened.locate("N-1") is None and heard == []


def test_the_change_feed_lists_each_record_once_at_its_last_change(opened: Engine) -> None:
    for record in ("N-1", "N-2", "N-3"):
        save(opened, "notes", revisioned(record))
    save(opened, "notes", revisioned("N-1", 2))  # changed again: it moves to the end
    assert [(c.seq, c.record_id) for c in opened.changes(0, 10)] == \
        [(2, "N-2"), (3, "N-3"), (4, "N-1")]
    assert [c.record_id for c in opened.changes(2, 1)] == ["N-3"]
    with opened.saving():  # not a record: not a change
        opened.put("meta", "1", {**opened.table("meta").get("1", {}), "note": "x"})
    assert opened.changes(4, 10) == []


def test_the_change_feed_survives_folds_and_restarts(tmp_path: Path) -> None:
    path = tmp_path / "notes.json"
    engine = Engine.open(path, LAYOUT)
    engine.rows = lambda: rows_of(engine)
    save(engine, "notes", revisioned("N-1"))
    save(engine, "notes", revisioned("N-2"))
    engine.fold()  # a checkpoint: the feed is now in the file, the journal empty
    save(engine, "notes", revisioned("N-1", 2))
    engine.close(fold=False)  # as if killed: the last change is only in the journal
    again = Engine.open(path, LAYOUT)
    again.rows = lambda: rows_of(again)
    assert [(c.seq, c.record_id) for c in again.changes(0, 10)] == [(2, "N-2"), (3, "N-1")]
    save(again, "notes", revisioned("N-3"))
    assert again.changes(3, 10)[0].seq == 4  # never reused
    again.close()


def test_rows_handed_to_the_engine_come_back_at_the_next_start(tmp_path: Path) -> None:
    path = tmp_path / "notes.json"
    engine = Engine.open(path, LAYOUT)
    engine.rows = lambda: rows_of(engine)
    save(engine, "notes", revisioned("N-1", text="first"))
    for n in range(3):
        save(engine, "cards", revisioned(f"K-{n}", note="N-1"))
    engine.fold()
    engine.close()
    again = Engine.open(path, LAYOUT, readonly=True)
    catalogue = again.image.catalogue
    assert isinstance(catalogue, Catalogue)
    chunks: dict[str, list[list[Any]]] = {}
    catalogue.on_rows = lambda table, rows: chunks.setdefault(table, []).extend(rows)
    catalogue.read_all()
    assert chunks["notes"] == [["N-1", "{'text': 'first'}"]]
    assert sorted(row[0] for row in chunks["cards"]) == ["K-0", "K-1", "K-2"]
    assert again.doc("cards", again.image.ids["cards"]["K-1"])["id"] == "K-1"
    again.close()


def test_a_reader_cannot_save(tmp_path: Path) -> None:
    path = tmp_path / "notes.json"
    engine = Engine.open(path, LAYOUT)
    save(engine, "notes", revisioned("N-1"))
    engine.close()
    reader = Engine.open(path, LAYOUT, readonly=True)
    with pytest.raises(ReadOnlyStore), reader.saving():
        pass
    assert reader.doc(*reader.locate("N-1") or ("", ""))["id"] == "N-1"
    reader.close()
