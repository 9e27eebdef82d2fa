"""What every command-line module shares: the --debug state, the error contract and the console.

Lives apart from ``cli.py`` so sub-apps (``kit/cli.py``) need not import the main app (nothing imports from cli).
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import typer
from rich.console import Console

from accelkit.errors import AccelkitError

#: Set by the main app's ``--debug`` option.
state: dict[str, Any] = {"debug": False}
F = TypeVar("F", bound=Callable[..., Any])


def console() -> Console:
    """Rich console; when not attached to a terminal (pipes, files, CI logs) tables are not squeezed to 80 cols."""
    out = Console(soft_wrap=False)
    if not out.is_terminal:
        out = Console(soft_wrap=False, width=200)
    return out


@contextlib.contextmanager
def progress_bar(label: str, *, disable: bool = False) -> Iterator[Callable[..., None]]:
    """A transient progress bar on stderr (done / total, what is running, elapsed time); yields
    ``update(done, total, what="")``."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(
        TextColumn(label),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.description}"),
        TimeElapsedColumn(),
        console=Console(stderr=True),
        transient=True,
        disable=disable,
    ) as bar:
        task = bar.add_task("", total=None)

        def update(done: int, total: int, what: str = "") -> None:
            bar.update(task, total=total, completed=done, description=what)

        yield update


def cli_errors(fn: F) -> F:
    """Turn user errors into exit status 2 with a clear message on stderr (traceback only with --debug)."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except AccelkitError as exc:
            if state["debug"]:
                raise
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(2) from None

    return wrapper  # type: ignore[return-value]
