"""The apps' crash report: plain words instead of Textual's traceback with every local."""

from __future__ import annotations

from rich.segment import Segment, Segments
from textual.app import App

from mesotui.crashreport import debugging, plain_report


class PlainCrash(App[object]):
    """Mixed into mesotui's apps before `App`: an unhandled error exits with status 1 and
    the report of `mesotui.crashreport`, never a traceback showing patient data."""

    def _handle_exception(self, error: Exception) -> None:
        super()._handle_exception(error)  # sets the exit status; keeps the error for tests
        if not debugging():
            lines = plain_report(error).splitlines()
            self._exit_renderables[:] = [  # printed as they are: no wrapping mid-line
                Segments([piece for line in lines for piece in (Segment(line), Segment.line())])]
