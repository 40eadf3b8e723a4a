"""Where the record file lives: the --db flag, then MESOTUI_DB, then the user's data folder."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

APP_NAME = "mesotui"
ENV_DB = "MESOTUI_DB"


def default_db_path() -> Path:
    """`clinic.json` in the platform's per-user data folder, created 0700 on first use."""
    folder = platformdirs.user_data_path(APP_NAME, appauthor=False, ensure_exists=True)
    return folder / "clinic.json"


def resolve_db_path(flag: str | None) -> Path:
    """The record file to open: the flag wins over the environment, which wins over the default."""
    chosen = flag or os.environ.get(ENV_DB)
    return Path(chosen).expanduser() if chosen else default_db_path()


def default_export_dir() -> Path:
    """Where exports and screenshots go unless told otherwise: the user's documents folder
    (Documents on every system), or the home folder where there is none."""
    documents = platformdirs.user_documents_path()
    return documents if documents.is_dir() else Path.home()
