"""Sync speed against a local pouchdb-server, every figure from the same run and server.

    python benchmarks/sync_bench.py [--patients 5000] [--sessions 10] [--json out.json]

1. first sync: a clinic (5,000 patients / 50,000 sessions by default, the synthetic clinic of
   mesotui.demo) pushed from an in-memory replica into an empty database;
2. the first pull of the whole clinic into a second, empty replica (room B);
3. round trip: one new session saved in room A, synced, then room B syncs and has it;
4. the server's own replicator (`POST /_replicate`) copying the same documents between two
   databases of the same server, for comparison with 1.

No figure here is asserted: timings on a shared machine are compared as ratios in one run.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from dataclasses import replace
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from mesotui.demo import generate  # noqa: E402
from mesotui.sync.client import CouchClient  # noqa: E402
from mesotui.sync.keys import SyncKeys  # noqa: E402
from mesotui.sync.memory import MemoryReplica  # noqa: E402
from mesotui.sync.remote import RemoteDB  # noqa: E402
from mesotui.sync.replicator import Replicator  # noqa: E402
from tests.couchdb import PouchServer  # noqa: E402

TODAY = date(2026, 1, 15)
KEYS = SyncKeys.derive(bytes(range(32)), "b" * 32)


def replicator(replica: MemoryReplica, url: str, database: str) -> Replicator:
    return Replicator(replica, RemoteDB(CouchClient(url, database, timeout=600)), KEYS,
                      create=True)


def timed(action):  # type: ignore[no-untyped-def]
    started = time.perf_counter()
    result = action()
    return time.perf_counter() - started, result


def run(patients: int, sessions: int) -> dict[str, object]:
    made, clinic = timed(lambda: generate(TODAY, patients, sessions_per_patient=sessions))
    a = MemoryReplica.from_clinic(clinic)
    records = len(a.ids())
    with tempfile.TemporaryDirectory() as folder:
        server = PouchServer(Path(folder)).start()
        try:
            first, pushed = timed(lambda: replicator(a, server.url, "bench").sync())
            b = MemoryReplica()
            pull, pulled = timed(lambda: replicator(b, server.url, "bench").sync())
            assert b.ids() == a.ids()
            new = replace(clinic.sessions[0], id="S-NEWSESSION-01")

            def round_trip() -> None:
                a.add("sessions", new)
                replicator(a, server.url, "bench").sync()
                replicator(b, server.url, "bench").sync()

            trip, _ = timed(round_trip)
            assert b.record(new.id) == a.record(new.id)
            again, quiet = timed(lambda: replicator(b, server.url, "bench").sync())
            server.call("PUT", "/bench-copy")
            copy, answer = timed(lambda: server.call(
                "POST", "/_replicate", {"source": "bench", "target": "bench-copy"}))
            _, info = server.call("GET", "/bench-copy")
        finally:
            server.stop()
    return {
        "patients": len(clinic.patients), "sessions": len(clinic.sessions), "documents": records,
        "generate_s": round(made, 2),
        "first_sync_s": round(first, 2), "first_sync_docs_per_s": round(records / first),
        "first_pull_s": round(pull, 2),
        "round_trip_ms": round(trip * 1000, 1),
        "idle_sync_ms": round(again * 1000, 1),
        "server_replicate_s": round(copy, 2),
        "first_sync_vs_server_replicate": round(first / copy, 2),
        "server_replicate_docs": info.get("doc_count"),  # type: ignore[union-attr]
        "pushed": pushed.pushed, "pulled": pulled.pulled, "idle_changes": quiet.pulled,
        "replicate_ok": answer[0] == 200,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, default=5000)
    parser.add_argument("--sessions", type=int, default=10, help="sessions per patient")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args(argv)
    figures = run(args.patients, args.sessions)
    for name, value in figures.items():
        print(f"{name:32} {value}")
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
