"""Documents pulled from the sync server that did not verify with the clinic key, set aside.

A sync never merges such a document: the record on this laptop stays as it was, and the
document is kept aside, flagged, so that someone can find out where it came from. This screen
lists each one (its record id and revision as the server gave them, escaped: a server can
send anything), when it was pulled, and why it was refused in plain words, and says what the
practitioner can do: nothing needs doing to the records; tell whoever runs the server.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from mesotui.terminal import safe
from mesotui.tui.widgets.keybar import KeyBar

if TYPE_CHECKING:
    from mesotui.tui.app import MesoApp

WHY = (
    ("not encrypted with this clinic's key",
     "It is not encrypted with this clinic's key: it was changed on the server, or sent by a "
     "laptop that holds another clinic's key."),
    ("seal does not verify",
     "Its seal does not match this clinic's key: it was changed on the server, or sent by a "
     "laptop that holds another clinic's key."),
    ("not a mesotui record id",
     "Its name on the server is not a mesotui record's: something other than mesotui put it "
     "there."),
    ("revision id was not made by mesotui",
     "Its revision was not made by mesotui: it was edited on the server by hand or by "
     "another program."),
    ("not written by mesotui's sync",
     "It was not written by mesotui: something else stored it in the clinic's database."),
    ("revision id does not match", "Its revision does not match its content: it was altered."),
    ("revision history does not match",
     "Its list of revisions does not match its content: it was altered."),
    ("holds another record", "It holds another record than its name says: it was altered."),
)
ADVICE = ("Nothing here was merged: the records on this laptop are as they were, and nothing "
          "needs doing to them. Tell whoever administers the clinic's sync server, with the "
          "record ids and revisions above: they can see who wrote these documents. If a room "
          "joined with another clinic's key, it must import this clinic's key (mesotui key "
          "import FILE) before it syncs again.")


def plain(reason: str) -> str:
    """Why a document was refused, in words a practitioner can pass on."""
    for clue, words in WHY:
        if clue in reason:
            return words
    if "revision" in reason:
        return f"Its revisions do not hold together ({safe(reason)}): it was altered."
    return f"It did not verify: {safe(reason)}."


def when(stamp: object) -> str:
    try:
        return f"pulled {datetime.fromisoformat(str(stamp)):%d %b %Y %H:%M}"
    except ValueError:
        return "pulled (when was not recorded)"


def shown(value: object, width: int = 60) -> str:
    """An id or revision from the server, escaped and cut to `width` (it may be anything)."""
    text = safe(str(value))
    return text if len(text) <= width else text[:width - 1] + "\u2026"


def entry(held: Mapping[str, Any]) -> str:
    """One document set aside, as the screen lists it."""
    return (f"{shown(held.get('record', '?'))}  revision {shown(held.get('rev', '?'), 40)}  "
            f"{when(held.get('pulled'))}\n{plain(str(held.get('reason', '')))}")


def held(app: MesoApp) -> list[dict[str, Any]]:
    """The documents set aside in the app's record file."""
    from mesotui.engine.replica import Replica

    return Replica(app.store.engine).quarantined()


def show(app: MesoApp) -> None:
    app.push_screen(QuarantineScreen(held(app)))


class QuarantineScreen(ModalScreen[None]):
    """The documents set aside, oldest pulled first; escape closes."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape,q", "close", "Close")]

    def __init__(self, documents: list[dict[str, Any]]) -> None:
        super().__init__(classes="form-screen")
        self.held = sorted(documents, key=lambda h: (str(h.get("pulled", "")),
                                                     str(h.get("id"))))

    def compose(self) -> ComposeResult:
        n = len(self.held)
        title = (f"{n} document{'s' if n != 1 else ''} from the sync server set aside"
                 if n else "Nothing from the sync server is set aside")
        with Vertical(id="form"):
            yield Static(f"{title} (escape closes)", id="form-title", markup=False)
            with VerticalScroll(id="fields"):
                yield Static("These came from the server but do not verify with this clinic's "
                             "key, so they were not merged." if n else "Every document pulled "
                             "from the server verified with this clinic's key.",
                             classes="prompt")
                for document in self.held:
                    yield Static(entry(document), classes="set-aside", markup=False)
                if n:
                    yield Static(ADVICE, classes="prompt", markup=False)
        yield KeyBar()

    def action_close(self) -> None:
        self.dismiss(None)
