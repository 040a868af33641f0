"""The runners' progress in the terminal: a rich progress bar on stderr.

The runners know nothing of rich: the recorder hands every progress document
(``benchwh.progress``) to a callback, and :class:`TerminalBar` is that callback. The bar is
drawn only when stderr is a terminal (rich's own test, so ``TTY_COMPATIBLE=1`` forces it and a
pipe or a CI log gets the plain lines only); messages said while it is up print above it.
"""

from __future__ import annotations

from typing import Any


class TerminalBar:
    """``with TerminalBar() as bar: run_sweep(..., on_progress=bar)``."""

    def __init__(self, console=None):
        from rich.console import Console

        self.console = console or Console(stderr=True)
        self.enabled = self.console.is_terminal
        self._bar = None
        self._task = None

    def __enter__(self) -> "TerminalBar":
        if self.enabled:
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

            self._bar = Progress(
                TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                TextColumn("configurations"), TimeElapsedColumn(), TextColumn("ETA {task.fields[eta]}"),
                TextColumn("{task.fields[current]}"), console=self.console, transient=False)
            self._bar.start()
        return self

    def __call__(self, doc: dict[str, Any]) -> None:
        if self._bar is None:
            return
        eta = doc.get("eta_s")
        fields = {"eta": "?" if eta is None else _duration(eta), "current": _state_text(doc)}
        if self._task is None:
            self._task = self._bar.add_task(str(doc.get("what") or "run"), total=doc.get("total"),
                                            completed=doc.get("done") or 0, **fields)
        else:
            self._bar.update(self._task, total=doc.get("total"), completed=doc.get("done") or 0, **fields)

    def __exit__(self, exc_type, exc, tb) -> None:
        if self._bar is not None:
            self._bar.stop()
            self._bar = None


def _duration(seconds: float) -> str:
    s = int(round(float(seconds)))
    return f"{s // 60}:{s % 60:02d}" if s >= 60 else f"{s} s"


def _state_text(doc: dict[str, Any]) -> str:
    state = doc.get("state")
    if state == "finished":
        return "finished"
    if state == "failed":
        return f"failed: {doc.get('error') or ''}"[:120]
    return str(doc.get("current") or "")
