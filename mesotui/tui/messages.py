"""The one message a save becomes in the app: each screen showing records refreshes from it."""

from __future__ import annotations

from textual.message import Message

from mesotui.store import Saved


class RecordSaved(Message):
    """A save reached the record file (`saved` says what it wrote); in a view-only window,
    a new reading of the file, when everything may have changed."""

    def __init__(self, saved: Saved) -> None:
        super().__init__()
        self.saved = saved

    @property
    def everyone(self) -> bool:
        """Every patient's row may have changed: the settings, an import, a new reading."""
        return self.saved.settings or self.saved.everyone

    def touches(self, patient_id: str) -> bool:
        """Whether what `patient_id`'s record shows may have changed."""
        return self.everyone or patient_id in self.saved.patients
