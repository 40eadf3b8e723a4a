"""What can go wrong in a sync, each as one plain line; none of them touches the record file."""

from __future__ import annotations

from mesotui.errors import MesoError


class SyncError(MesoError):
    """A sync stopped; the message is one line a receptionist can act on.

    `kind` says which failure it was, for the title line and the retry policy: "refused"
    (a plain-HTTP or otherwise unacceptable address), "credentials", "forbidden",
    "unreachable", "timeout", "rejected" (the server refused a document), "full" (the server
    has no space), "server" (it answered with an error or something that is not CouchDB),
    "key" (the clinic key is missing or wrong), "missing" (the server has no such database:
    only --setup creates one), "local" (what was pulled could not be saved in the record
    file; nothing of it was).
    """

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind

    @property
    def retry(self) -> bool:
        """Whether trying again later, unchanged, can succeed."""
        return self.kind in ("unreachable", "timeout", "server", "full")
