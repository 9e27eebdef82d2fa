"""Spec plumbing: the frozen base model, safe YAML loading, and validation errors with their paths."""

from __future__ import annotations

from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError

from accelkit.errors import SpecError

M = TypeVar("M", bound=BaseModel)


class FieldProblems(ValueError):
    """Raised by a model validator that found problems in several fields: each keeps its own path (relative to
    the model) in the :class:`SpecError`, instead of one joined message at the model's own path."""

    def __init__(self, problems: list[tuple[str, str]]) -> None:
        self.problems = list(problems)
        super().__init__("; ".join(f"{p}: {m}" if p else m for p, m in self.problems))


class SpecModel(BaseModel):
    """Base of every ``*Spec``: immutable, unknown keys rejected."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    @classmethod
    def cross_field_problems(cls, data: Any) -> list[tuple[str, str]]:
        """Problems between fields, found on the raw data so they are reported even when a field also fails.

        (pydantic runs ``model_validator(mode="after")`` only when every field is valid.) Return (path, message).
        """
        return []


def _loc(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


def _join(path: str, sub: str) -> str:
    if not path or not sub:
        return path or sub
    return path + sub if sub.startswith("[") else f"{path}.{sub}"


def validation_problems(exc: ValidationError, prefix: str = "") -> list[tuple[str, str]]:
    """Every pydantic error as (YAML path, message with what was expected and what was got)."""
    problems = []
    for err in exc.errors(include_url=False):
        loc = _loc(tuple(err["loc"]))
        path = f"{prefix}.{loc}" if prefix and loc else (prefix or loc)
        cause = (err.get("ctx") or {}).get("error")
        if isinstance(cause, FieldProblems):
            problems.extend((_join(path, sub), msg) for sub, msg in cause.problems)
            continue
        msg = err["msg"]
        if msg.startswith("Value error, "):
            msg = msg[len("Value error, ") :]
        if err["type"] == "extra_forbidden":
            msg = "unknown field"
        elif "input" in err and err["type"] != "missing" and "got " not in msg:
            got = err["input"]
            text = repr(got)
            msg = f"{msg} (got {text[:80]}{'...' if len(text) > 80 else ''})"
        problems.append((path, msg))
    return problems


def validate_spec(model: type[M], data: Any, *, source: str | None = None, prefix: str = "") -> M:
    """Validate ``data`` against ``model``; raise :class:`SpecError` listing every problem with its path."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        problems = validation_problems(exc, prefix)
        if issubclass(model, SpecModel):
            for path, msg in model.cross_field_problems(data):
                full = f"{prefix}.{path}" if prefix and path else (prefix or path)
                if not any(m == msg for _, m in problems):
                    problems.append((full, msg))
        raise SpecError(problems, source=source) from None


class _StrictLoader(yaml.SafeLoader):
    """Safe YAML loading that rejects a key given twice in one mapping (PyYAML keeps the last one silently)."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: dict[Any, int] = {}
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"key {key!r} appears twice (first on line {seen[key] + 1})", key_node.start_mark
                )
            seen[key] = key_node.start_mark.line
        return super().construct_mapping(node, deep=deep)


def load_yaml(path: str | Path) -> Any:
    """Safe-load a YAML file; a missing file or a YAML syntax error becomes a SpecError naming the file."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SpecError([("", "file not found")], source=str(p)) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise SpecError([("", f"cannot read the file: {exc}")], source=str(p)) from None
    try:
        return yaml.load(text, Loader=_StrictLoader)  # a SafeLoader subclass: safe
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise SpecError([(where, f"YAML syntax error: {problem}")], source=str(p)) from None
