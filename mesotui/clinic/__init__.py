"""The clinic's records over the storage engine: read, indexed, derived, and saved.

`rows` (how records sit in the engine, and the rules' tag), `records` (parsed on demand,
indexed in memory), `standings` (the standing cache), `queries` (the morning list, lots),
`reader` and `writer` (reading, and saving with its one signal), `opening` (schema and first
seal), `undo` (how a change is answered). The rules themselves are in mesotui/store.py.
"""
