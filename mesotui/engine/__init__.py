"""The storage engine: opaque documents and rows in one TinyDB-layout record file.

    engine = Engine.open(path, layout)          # or Engine.memory(layout)
    with engine.saving():                       # one durable save (a journal entry)
        engine.put("notes", engine.new_doc_id("notes"), {"id": "N-1", "history": [...]})
    engine.changes(since=0, limit=100)          # the change feed

Its modules: `layout` (what the layer above says of its tables), `source` and `image` (the
record in memory, documents read by place), `checkpoint` and `replay` (reading the file and
its journal), `journal` and `lock` (the single writer's side), `index` (the start-up index),
`manifest`, `seal`, `verify` and `keys` (the keyed seal), `feed` (the change feed),
`backend` (file or memory), `durable` (crash-safe writes), `replica` (what replication
needs). It imports nothing of the clinic: a test checks.
"""

from mesotui.engine.engine import Engine, record_path
from mesotui.engine.layout import Layout, Write

__all__ = ["Engine", "Layout", "Write", "record_path"]
