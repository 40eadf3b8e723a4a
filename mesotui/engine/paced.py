"""Writing a file a piece at a time, pausing between pieces, so an app can write a 200 MB
checkpoint between keystrokes (mesotui/engine/journal.py, `Journal.checkpoint_steps`).

A stepwise write is a generator: each `yield` is a pause; its return value is the result. Closed
before it returns, it leaves nothing behind.
"""

from __future__ import annotations

import os
import tempfile
import threading
from collections.abc import Callable, Generator, Iterable
from concurrent.futures import Future
from contextlib import suppress
from pathlib import Path

from mesotui.engine import durable


def write_temp_steps(path: Path, pieces: Iterable[bytes], pause: int = 0
                     ) -> Generator[None, None, tuple[Path, os.stat_result]]:
    """`durable.write_temp`, pausing (yielding) after every `pause` bytes written and while the file
    is flushed to disk (in a thread, so the caller's loop runs meanwhile); `pause=0` never
    pauses. Closed before it returns, it removes its temporary file.
    """
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    tmp = Path(tmp_name)  # mkstemp creates it 0600
    synced: Future[None] | None = None
    try:
        with os.fdopen(fd, "wb") as handle:
            taken = 0
            for piece in pieces:
                handle.write(piece)
                taken += len(piece)
                if pause and taken >= pause:
                    taken = 0
                    yield
            handle.flush()
            if pause:
                yield  # written whole; flushed to disk next, in a thread
                synced = _in_thread(durable.full_fsync, handle.fileno())
                while not synced.done():
                    yield
                synced.result()
            else:
                durable.full_fsync(handle.fileno())
            written = os.fstat(handle.fileno())
    except BaseException:  # GeneratorExit too: closed before the file was complete
        if synced is not None:
            with suppress(OSError):
                synced.result()  # the descriptor is not closed under its fsync
        tmp.unlink(missing_ok=True)
        raise
    return tmp, written


def _in_thread(work: Callable[[int], None], fd: int) -> Future[None]:
    """Run `work(fd)` in a thread of its own (fsync lets other Python code run meanwhile)."""
    done: Future[None] = Future()

    def run() -> None:
        try:
            work(fd)
        except BaseException as error:  # noqa: BLE001 - handed to the caller
            done.set_exception(error)
        else:
            done.set_result(None)

    threading.Thread(target=run, name="mesotui-fsync", daemon=True).start()
    return done
