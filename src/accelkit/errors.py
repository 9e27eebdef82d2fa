"""Errors that accelkit raises for bad input.

Every error a user can trigger derives from :class:`AccelkitError`. The CLI turns these into a one-paragraph
message on stderr and exit status 2; anything else is a bug and shows a traceback only with ``--debug``.
"""

from __future__ import annotations

from collections.abc import Sequence


class AccelkitError(Exception):
    """Base class for every error caused by user input (bad file, bad field, unsupported content)."""

    def __init__(self, message: str, *, source: str | None = None) -> None:
        self.source = source
        super().__init__(f"{source}: {message}" if source else message)


class SpecError(AccelkitError):
    """A spec (YAML or Python) failed validation. Carries every problem, each with its path."""

    def __init__(self, problems: Sequence[tuple[str, str]], *, source: str | None = None) -> None:
        self.problems = list(problems)
        lines = [f"  {path or '<root>'}: {msg}" for path, msg in self.problems]
        noun = "problem" if len(self.problems) == 1 else "problems"
        super().__init__(f"invalid spec, {len(self.problems)} {noun}:\n" + "\n".join(lines), source=source)


class NetworkFileError(AccelkitError):
    """A network file is missing, unreadable, truncated or corrupt."""


class UnsupportedOperator(AccelkitError):
    """An operator the importer cannot represent faithfully. Names the op, the node and the opset."""

    def __init__(
        self,
        op: str,
        node: str,
        *,
        opset: int | str | None = None,
        reason: str | None = None,
        source: str | None = None,
    ) -> None:
        self.op = op
        self.node = node
        self.opset = opset
        where = f"operator {op!r} (node {node!r}" + (f", opset {opset})" if opset is not None else ")")
        detail = f": {reason}" if reason else " is not supported"
        super().__init__(where + detail, source=source)


class ShapeError(AccelkitError):
    """A tensor shape is missing, dynamic, zero/negative, or inconsistent with an operator."""


class UnknownNameError(AccelkitError, KeyError):
    """A name (zoo network, preset, registry entry) that does not exist; suggests the closest ones."""

    def __init__(self, kind: str, name: str, known: Sequence[str]) -> None:
        import difflib

        self.kind = kind
        self.name = name
        close = difflib.get_close_matches(name, list(known), n=3, cutoff=0.4)
        hint = f" Did you mean {', '.join(repr(c) for c in close)}?" if close else ""
        listing = ", ".join(sorted(known))
        super().__init__(f"unknown {kind} {name!r}.{hint} Known: {listing}.")

    def __str__(self) -> str:  # KeyError would otherwise quote the message
        return self.args[0]
