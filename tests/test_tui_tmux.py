"""The real app in a real terminal (tmux): keys sent as one burst land where they were meant.

Pilot posts keys inside the app; a terminal delivers them through the driver, many in one
read. These tests type as a scanner or a fast typist does, with `tmux send-keys`, and read the
screen back with `capture-pane` and the record file afterwards.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from mesotui.demo import generate
from mesotui.store import Store
from tests.test_tui_support import TODAY, clock

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None,
                                reason="tmux is not installed (.ci/run installs it)")


class Terminal:
    """One mesotui in a private tmux server, 120x40."""

    def __init__(self, socket: str, db: Path) -> None:
        self.socket, self.db = socket, db

    def tmux(self, *args: str) -> str:
        return subprocess.run(["tmux", "-L", self.socket, *args], check=True,
                              capture_output=True, text=True).stdout

    def start(self) -> None:
        command = (f"{sys.executable} -m mesotui --db {self.db} "
                   f"--today {TODAY.isoformat()}")
        self.tmux("new-session", "-d", "-s", "t", "-x", "120", "-y", "40", command)

    def keys(self, *keys: str) -> None:
        """One send-keys: tmux writes them to the terminal in one go."""
        self.tmux("send-keys", "-t", "t", *keys)

    def screen(self) -> str:
        return self.tmux("capture-pane", "-p", "-t", "t")

    def wait_for(self, test: Callable[[str], bool], timeout: float = 20) -> str:
        deadline = time.monotonic() + timeout
        while True:
            shown = self.screen()
            if test(shown) or time.monotonic() > deadline:
                return shown
            time.sleep(0.1)

    def running(self) -> bool:
        return subprocess.run(["tmux", "-L", self.socket, "has-session", "-t", "t"],
                              capture_output=True).returncode == 0


@pytest.fixture
def terminal(tmp_path: Path) -> Iterator[Terminal]:
    db = tmp_path / "clinic.json"
    generate(TODAY).load_into(Store.open(db, clock=clock)).close()
    term = Terminal(f"mesotui-test-{os.getpid()}", db)
    os.environ.setdefault("TERM", "xterm-256color")
    term.start()
    term.wait_for(lambda s: "Sofia Brennan" in s)
    yield term
    subprocess.run(["tmux", "-L", term.socket, "kill-server"], capture_output=True)


def test_a_scanned_lot_with_a_tab_suffix_lands_in_lot_then_expiry(terminal: Terminal) -> None:
    terminal.keys("l")
    terminal.wait_for(lambda s: "Log session for" in s)
    terminal.keys("Tab", "C-u", "Tab", "C-u", "BTab")  # to the lot, both fields emptied
    time.sleep(0.5)
    terminal.keys("DU25-9999", "Tab", "2027-01-31")
    shown = terminal.wait_for(lambda s: "2027-01-31" in s)
    [lot_line] = [line for line in shown.splitlines() if "\u2502 Lot " in line]  # the row
    assert "DU25-9999" in lot_line and "DU25-99992027" not in lot_line
    assert "expiry 2027-01-31" in lot_line


def test_a_withdrawal_typed_in_one_burst_is_saved_with_its_reason(terminal: Terminal) -> None:
    terminal.keys("/", "P-00001", "Enter", "Enter")
    terminal.wait_for(lambda s: "CONSENT to off-label" in s)
    terminal.keys("k", "moved abroad", "C-s")  # the dialog opens on the reason
    terminal.wait_for(lambda s: "Withdraw the consent of" in s)
    time.sleep(0.5)  # the answer is typed once the question is read (earlier keys never answer)
    terminal.keys("y")
    terminal.wait_for(lambda s: "CONSENT WITHDRAWN" in s)
    terminal.keys("C-q")
    deadline = time.monotonic() + 20
    while terminal.running() and time.monotonic() < deadline:
        time.sleep(0.1)
    with Store.open(terminal.db, readonly=True) as store:
        last = store.patient("P-00001").consents[-1]
    assert (last.withdrawn_on, last.withdrawal_reason) == (TODAY, "moved abroad")


def test_a_second_window_opens_view_only_and_follows_the_writer(tmp_path: Path) -> None:
    """Two real processes: this test holds the file open for changes, as the first window
    does; a second `mesotui` in tmux is offered a view-only window, and shows a session the
    writer saves within 2 s of the save."""
    from datetime import date

    from mesotui.models import Session

    db = tmp_path / "clinic.json"
    writer = generate(TODAY).load_into(Store.open(db, clock=clock))
    term = Terminal(f"mesotui-test-view-{os.getpid()}", db)
    os.environ.setdefault("TERM", "xterm-256color")
    try:
        term.start()
        asked = term.wait_for(lambda s: "Open it view only?" in s)
        assert "clinic.json is open in another mesotui window" in asked
        term.keys("y", "Enter")
        shown = term.wait_for(lambda s: "VIEW ONLY: clinic.json" in s and "Sofia Brennan" in s)
        assert "VIEW ONLY: clinic.json is open for changes in another window" in shown
        assert "Log session" not in shown.splitlines()[-1]
        term.keys("/", "P-00001", "Enter", "Enter")
        term.wait_for(lambda s: "Sofia Brennan · P-00001" in s)
        start = time.monotonic()
        writer.log_session(Session(id="", patient_id="P-00001", date=TODAY, volume_ml=1.0,
                                   concentration_pct=0.01, no_side_effects=True, lot="SEEN-1",
                                   lot_expiry=date(2027, 1, 1)), TODAY)
        seen = term.wait_for(lambda s: "SEEN-1" in s, timeout=5)
        took = time.monotonic() - start
        assert "SEEN-1" in seen and took < 2, f"{took:.1f} s"
    finally:
        subprocess.run(["tmux", "-L", term.socket, "kill-server"], capture_output=True)
        writer.close()
