"""Dotted paths into spec data: ``technology.voltage``, ``memory[1].capacity``, ``memory.glb.capacity``.

Used by blocks that change the accelerator (buffer sizing, voltage scaling, ...) and by sweep axes. Paths address
the plain data (``model_dump`` of a spec, or the YAML mapping); lists of named items (memory levels) can be indexed
by position (``memory[1]``) or by the item's ``name`` (``memory.glb``). Unknown keys raise :class:`SpecError`
naming the path and suggesting the closest keys.
"""

from __future__ import annotations

import copy
import difflib
import re
from collections.abc import Mapping
from typing import Any

from accelkit.errors import SpecError

_TOKEN = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def split_path(path: str) -> list[str | int]:
    """``"memory[1].capacity"`` -> ``["memory", 1, "capacity"]``."""
    parts: list[str | int] = []
    pos = 0
    for m in _TOKEN.finditer(path):
        gap = path[pos : m.start()]
        if gap not in ("", "."):
            raise SpecError([(path, "not a valid field path (expected keys joined by dots, e.g. memory[1].capacity)")])
        parts.append(m.group(1) if m.group(1) is not None else int(m.group(2)))
        pos = m.end()
    if not parts or pos != len(path):
        raise SpecError([(path, "not a valid field path (expected keys joined by dots, e.g. memory[1].capacity)")])
    return parts


def _step(node: Any, key: str | int, done: str, full: str) -> tuple[Any, str | int]:
    """The child of ``node`` at ``key`` and the concrete key (list items may be addressed by name)."""
    if isinstance(node, list):
        if isinstance(key, int):
            if not 0 <= key < len(node):
                raise SpecError([(full, f"{done or '<root>'} has {len(node)} items; index {key} is out of range")])
            return node[key], key
        names = [item.get("name") for item in node if isinstance(item, Mapping)]
        if key in names:
            i = names.index(key)
            return node[i], i
        raise SpecError([(full, _unknown(key, [n for n in names if n], f"an item of {done or '<root>'}"))])
    if isinstance(node, Mapping):
        if isinstance(key, int) or key not in node:
            raise SpecError([(full, _unknown(str(key), [str(k) for k in node], f"a field of {done or '<root>'}"))])
        return node[key], key
    raise SpecError([(full, f"{done or '<root>'} is a value ({node!r}), not a mapping or list")])


def _unknown(key: str, known: list[str], what: str) -> str:
    close = difflib.get_close_matches(key, known, n=3, cutoff=0.5)
    hint = f"; did you mean {', '.join(repr(c) for c in close)}?" if close else ""
    return f"{key!r} is not {what}{hint} (known: {', '.join(known)})"


def get_path(data: Any, path: str) -> Any:
    node = data
    done = ""
    for key in split_path(path):
        node, concrete = _step(node, key, done, path)
        done += f"[{concrete}]" if isinstance(concrete, int) else (f".{concrete}" if done else str(concrete))
    return node


def set_path(data: Mapping[str, Any], path: str, value: Any, *, create: bool = False) -> dict[str, Any]:
    """A deep copy of ``data`` with ``path`` set to ``value``.

    The parent must exist; the last key must exist too unless ``create`` (a mapping may gain an optional field the
    spec left out, e.g. ``memory.glb.read_energy``).
    """
    out = copy.deepcopy(dict(data))
    parts = split_path(path)
    node: Any = out
    done = ""
    for key in parts[:-1]:
        node, concrete = _step(node, key, done, path)
        done += f"[{concrete}]" if isinstance(concrete, int) else (f".{concrete}" if done else str(concrete))
    last = parts[-1]
    if isinstance(node, Mapping) and isinstance(last, str) and create:
        node[last] = value  # type: ignore[index]
        return out
    _, concrete = _step(node, last, done, path)
    node[concrete] = value
    return out


def patch(model: Any, changes: Mapping[str, Any], *, source: str | None = None, create: bool = True) -> Any:
    """A new validated spec of ``model``'s type with every ``path: value`` of ``changes`` applied.

    Values may use unit strings (``"512 KiB"``); every problem is reported with its path.
    """
    from accelkit.spec.base import validate_spec

    data: dict[str, Any] = model.model_dump(exclude_none=True)
    problems: list[tuple[str, str]] = []
    known = _field_names(type(model))
    for path, value in changes.items():
        try:
            data = set_path(data, path, value)
        except SpecError as exc:
            last = split_path(path)[-1]
            if create and isinstance(last, str) and last in known:  # an optional field the spec left out
                try:
                    data = set_path(data, path, value, create=True)
                    continue
                except SpecError:
                    pass
            problems.extend(exc.problems)
    if problems:
        raise SpecError(problems, source=source)
    return validate_spec(type(model), data, source=source)


def _field_names(model: type) -> set[str]:
    """Every field name of a pydantic model and of the models nested in it."""
    names: set[str] = set()
    seen: set[type] = set()

    def walk(m: Any) -> None:
        fields = getattr(m, "model_fields", None)
        if fields is None or m in seen:
            return
        seen.add(m)
        for name, f in fields.items():
            names.add(name)
            for arg in _types_in(f.annotation):
                walk(arg)

    walk(model)
    return names


def _types_in(annotation: Any) -> list[Any]:
    import typing

    out = [annotation]
    for arg in typing.get_args(annotation):
        out.extend(_types_in(arg))
    return out
