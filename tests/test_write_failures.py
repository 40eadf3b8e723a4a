"""A write that fails (disk full, file too large) changes nothing and says so plainly."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from mesotui.cli import main
from mesotui.engine import replay
from tests.conftest import TODAY

posix_only = pytest.mark.skipif(os.name != "posix", reason="RLIMIT_FSIZE is POSIX")

LIMITED = """
import resource, signal, sys
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails with EFBIG
limit = int(sys.argv[1])
resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
from mesotui.cli import main
sys.exit(main(sys.argv[2:]))
"""


@posix_only
def test_the_command_line_exits_1_and_leaves_every_file_as_it_was(tmp_path: Path,
                                                                  capsys: pytest.CaptureFixture[str]
                                                                  ) -> None:
    db = tmp_path / "clinic.json"
    args = ["--db", str(db), "--today", TODAY.isoformat()]
    assert main(["add-patient", "--name", "First", "--sex", "female", "--dob", "1980-01-01",
                 *args]) == 0
    capsys.readouterr()
    record, journal = db.read_bytes(), replay.journal_path(db)
    journal_before = journal.read_bytes() if journal.exists() else None
    done = subprocess.run(
        [sys.executable, "-c", LIMITED, "4096", "add-patient", "--name",
         "x" * 150, "--sex", "male", "--dob", "1970-01-01", "--notes", "y" * 5000, *args],
        capture_output=True, text=True, timeout=60)
    assert done.returncode == 1, done.stderr
    assert done.stderr.count("\n") == 1 and "could not be saved" in done.stderr
    assert "file on disk is unchanged" in done.stderr and "Traceback" not in done.stderr
    assert db.read_bytes() == record
    assert (journal.read_bytes() if journal.exists() else None) == journal_before
    assert main(["check", *args]) == 0  # and the file is still sound


def test_a_save_after_the_folder_was_removed_fails_plainly(tmp_path: Path) -> None:
    """Deleting the record's folder under an open app: the save is refused, never lost silently."""
    import shutil

    from mesotui.errors import WriteFailed
    from mesotui.store import Store
    from tests.conftest import make_patient, make_session

    folder = tmp_path / "clinic"
    store = Store.open(folder / "clinic.json")
    patient = store.add_patient(make_patient(), TODAY)
    shutil.rmtree(folder)
    with pytest.raises(WriteFailed, match="could not be saved"):
        store.log_session(make_session(patient.id, TODAY), TODAY)
    assert store.sessions_for(patient.id) == []
    with pytest.raises(WriteFailed):  # still refused on retry, with nothing half-saved
        store.log_session(make_session(patient.id, TODAY), TODAY)
    with pytest.raises(WriteFailed, match="was not written"):  # and closing says so too
        store.close()
