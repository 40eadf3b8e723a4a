"""Replication with a clinic's CouchDB: every room keeps its own record file and works offline.

The layer speaks CouchDB's replication protocol (version 3) to a server and talks to the local
record only through `LocalReplica` (replica.py), the contract the storage engine implements:

- keys.py: what is derived from the clinic key (encryption, keyed revision ids, seals);
- tree.py: a record's revision tree, CouchDB's winner, and the merge rules, as pure functions;
- codec.py: a record as a CouchDB document (encrypted body), and the checks a pulled one passes;
- diff.py: what differs between two versions, in the clinic's words;
- client.py: the HTTP client (TLS policy, Basic auth, one plain line per failure);
- checkpoint.py and replicator.py: push, pull and their `_local/` checkpoints;
- credentials.py: where `mesotui sync --setup` keeps the server's address and password.

Nothing here imports Textual, the store or the app.
"""
