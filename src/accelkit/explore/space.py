"""The design space of a study: its axes, the points they span, and how a point's parameters change the study.

A point is a mapping ``{field path: value}`` over the axes' paths. Its identity is a stable hash of that mapping
(:func:`point_id`), so a resumed sweep recognises the points it already evaluated whatever order they come in.

Grid order puts the axes that change the mapping search (the accelerator, the network, blocks that change either)
outermost and the rest (inference rate, counts-only blocks, ...) innermost, so consecutive points share mapping
searches; :meth:`DesignSpace.group_key` names the mapping-relevant part, which the executors use to keep points
that share mappings on one worker.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from accelkit.errors import AccelkitError, SpecError
from accelkit.spec.explore import ON_OFF, ExploreSpec, RangeSpec, axis_paths
from accelkit.spec.paths import set_path, split_path

if TYPE_CHECKING:  # pragma: no cover
    from accelkit.model.study import Study
    from accelkit.optimizations.base import Optimization
    from accelkit.spec.accelerator import AcceleratorSpec
    from accelkit.spec.study import EvaluateOptions

#: hooks of a block that change what the mapper sees (its loop nests, the hierarchy or the prices)
MAPPING_HOOKS = ("accelerator_spec", "network", "accelerator", "prices")
#: evaluate options that change the mapping search (inference_rate only changes the average power)
MAPPING_OPTIONS = ("objective", "batch", "dataflow", "residency")


def canonical(value: Any) -> str:
    """Stable JSON text of a value (sorted keys, no spaces)."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)


def point_id(params: Mapping[str, Any]) -> str:
    """A stable identity of a design point: the first 16 hex digits of SHA-256 over its sorted parameters."""
    return hashlib.sha256(canonical(dict(params)).encode()).hexdigest()[:16]


@dataclass(frozen=True)
class Axis:
    """One sweep axis: the field path(s) it sets (several for linked axes) and its values."""

    name: str
    paths: tuple[str, ...]
    values: tuple[Any, ...]
    mapping_relevant: bool

    def __len__(self) -> int:
        return len(self.values)

    def assignment(self, i: int) -> dict[str, Any]:
        v = self.values[i]
        if len(self.paths) == 1:
            return {self.paths[0]: v}
        return dict(zip(self.paths, v, strict=True))


class DesignSpace:
    """The cartesian product of the axes, in grid order (the last axis varies fastest)."""

    def __init__(self, axes: Sequence[Axis]) -> None:
        self.axes = tuple(axes)
        self.size = 1
        for a in self.axes:
            self.size *= len(a)

    def choice(self, index: int) -> tuple[int, ...]:
        """The value index on each axis of grid point ``index``."""
        if not 0 <= index < self.size:
            raise IndexError(index)
        out = []
        for a in reversed(self.axes):
            index, r = divmod(index, len(a))
            out.append(r)
        return tuple(reversed(out))

    def params(self, choice: Sequence[int]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for a, i in zip(self.axes, choice, strict=True):
            out.update(a.assignment(i))
        return out

    def point(self, index: int) -> dict[str, Any]:
        return self.params(self.choice(index))

    def group_key(self, params: Mapping[str, Any]) -> str:
        """The parameters that change mapping searches (points with equal keys share every mapping)."""
        return canonical({p: params[p] for a in self.axes if a.mapping_relevant for p in a.paths})

    def describe(self) -> list[dict[str, Any]]:
        return [{"name": a.name, "paths": list(a.paths), "values": list(a.values)} for a in self.axes]


def build_space(study: Study, spec: ExploreSpec) -> DesignSpace:
    """The design space of ``study``'s explore section; every axis value is checked against the study first, and
    every problem reported at once with its path (a field that does not exist gets the closest names)."""
    builder = PointBuilder(study)
    problems: list[tuple[str, str]] = []
    axes = []
    for name, raw in spec.axes.items():
        where = f"explore.axes[{name!r}]"
        paths = axis_paths(name)
        if raw == ON_OFF:
            paths = [paths[0] if paths[0].endswith(".enabled") else f"{paths[0]}.enabled"]
            values: list[Any] = [False, True]
        elif isinstance(raw, RangeSpec):
            values = raw.values()
        else:
            values = list(raw)
        if len(paths) > 1:
            values = [tuple(v) for v in values]
        path_errors = []
        for p in paths:
            msg = builder.path_problem(p)
            if msg:
                path_errors.append(msg)
        if path_errors:
            problems.extend((where, m) for m in path_errors)
            continue
        for i, v in enumerate(values):
            assignment = {paths[0]: v} if len(paths) == 1 else dict(zip(paths, v, strict=True))
            try:
                builder.check(assignment)
            except AccelkitError as exc:
                problems.append((f"{where}[{i}]", f"value {v!r}: {_message(exc)}"))
        axes.append(Axis(name, tuple(paths), tuple(values), any(builder.mapping_relevant(p) for p in paths)))
    if problems:
        raise SpecError(problems, source=study.source)
    # mapping-relevant axes outermost (stable otherwise): consecutive grid points share mapping searches
    axes.sort(key=lambda a: not a.mapping_relevant)
    return DesignSpace(axes)


def _message(exc: Exception) -> str:
    if isinstance(exc, SpecError):
        return "; ".join(f"{p}: {m}" if p else m for p, m in exc.problems)
    return str(exc)


def _closest(key: str, known: Sequence[str], what: str) -> str:
    close = difflib.get_close_matches(key, list(known), n=3, cutoff=0.5)
    hint = f"; did you mean {', '.join(repr(c) for c in close)}?" if close else ""
    return f"{key!r} is not {what}{hint} (known: {', '.join(known)})"


class PointBuilder:
    """Turns a point's parameters into the inputs of :func:`accelkit.evaluate` for one study."""

    def __init__(self, study: Study) -> None:
        from accelkit.presets import load_accelerator_spec

        self.study = study
        self.base_dir = study.base_dir
        self.base_accelerator = load_accelerator_spec(study.accelerator_source())
        self.block_items = [dict(b) for b in study.spec.blocks]
        self.labels = [str(item.get("label") or item.get("kind")) for item in self.block_items]

    # ---- paths ------------------------------------------------------------------------------------------------
    def _block_index(self, parts: list[str | int], path: str) -> tuple[int, list[str | int]]:
        """(index in the study's blocks, the rest of the path) of a ``blocks...`` path."""
        key = parts[1]
        if isinstance(key, int):
            if not 0 <= key < len(self.block_items):
                raise SpecError([(path, f"the study has {len(self.block_items)} blocks; index {key} is out of range")])
            return key, parts[2:]
        if key not in self.labels:
            known = self.labels or ["(the study has no blocks: add the block with enabled: false to sweep it)"]
            raise SpecError([(path, _closest(str(key), known, "a block label of the study"))])
        return self.labels.index(key), parts[2:]

    def path_problem(self, path: str) -> str | None:
        """Why ``path`` does not name a field of the study (None when it does)."""
        try:
            self._check_path(path)
        except AccelkitError as exc:
            return _message(exc)
        return None

    def _check_path(self, path: str) -> None:
        from accelkit.optimizations.base import block_class
        from accelkit.spec.paths import _field_names, get_path
        from accelkit.spec.study import EvaluateOptions

        parts = split_path(path)
        root = parts[0]
        if root == "accelerator":
            if len(parts) == 1:
                return
            sub = path[len("accelerator.") :]
            data = self.base_accelerator.model_dump(exclude_none=True)
            try:
                get_path(data, sub)
            except SpecError:
                # an optional field the preset leaves out is fine (patch creates it); anything else is not
                last = split_path(sub)[-1]
                if not (isinstance(last, str) and last in _field_names(type(self.base_accelerator))):
                    raise
                parent = sub.rsplit(".", 1)[0] if "." in sub else ""
                if parent:
                    get_path(data, parent)
        elif root == "evaluate":
            field = str(parts[1])
            if field not in EvaluateOptions.model_fields:
                raise SpecError([(path, _closest(field, list(EvaluateOptions.model_fields), "an evaluate option"))])
        elif root == "network":
            if len(parts) == 1:
                return
            from accelkit.spec.network import NetworkSpec

            field = str(parts[1])
            if field not in NetworkSpec.model_fields:
                raise SpecError([(path, _closest(field, list(NetworkSpec.model_fields), "a network field"))])
        elif root == "blocks":
            i, rest = self._block_index(parts, path)
            if not rest:
                raise SpecError([(path, "names a block, not a field: add .<field> (or sweep it with on_off)")])
            cls = block_class(str(self.block_items[i].get("kind")))
            field = str(rest[0])
            if field not in cls.Spec.model_fields or field == "kind":
                known = [f for f in cls.Spec.model_fields if f != "kind"]
                raise SpecError([(path, _closest(field, known, f"a field of block {self.labels[i]!r}"))])

    def mapping_relevant(self, path: str) -> bool:
        """Whether changing ``path`` can change mapping searches (decides grid order and worker grouping)."""
        from accelkit.optimizations.base import block_class

        parts = split_path(path)
        root = parts[0]
        if root in ("accelerator", "network"):
            return True
        if root == "evaluate":
            return str(parts[1]) in MAPPING_OPTIONS
        i, _ = self._block_index(parts, path)
        cls = block_class(str(self.block_items[i].get("kind")))
        return any(cls.overrides(h) for h in MAPPING_HOOKS)

    # ---- building -------------------------------------------------------------------------------------------
    @staticmethod
    def split(params: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
        """Parameters by root: accelerator / network / evaluate / blocks (sub-paths without the root)."""
        out: dict[str, dict[str, Any]] = {"accelerator": {}, "network": {}, "evaluate": {}, "blocks": {}}
        for path, value in params.items():
            root = path.split(".", 1)[0].split("[", 1)[0]
            sub = path[len(root) :].lstrip(".")
            out[root][sub] = value
        return out

    def accelerator_spec(self, changes: Mapping[str, Any]) -> AcceleratorSpec:
        from accelkit.presets import load_accelerator_spec
        from accelkit.spec.paths import patch

        base = self.base_accelerator
        changes = dict(changes)
        if "" in changes:  # the whole accelerator: a preset name, a file (relative to the study) or a spec
            src = changes.pop("")
            if isinstance(src, str) and self.base_dir is not None and (self.base_dir / src).exists():
                src = str(self.base_dir / src)
            base = load_accelerator_spec(src)
        if not changes:
            return base
        return patch(base, changes, source=f"accelerator {base.name!r}")

    def network_source(self, changes: Mapping[str, Any]) -> Any:
        from accelkit.spec.base import validate_spec
        from accelkit.spec.network import NetworkSpec

        changes = dict(changes)
        src = changes.pop("", None)
        if src is None:
            src = self.study.spec.network
        if not changes:
            return self._anchor(src)
        if isinstance(src, str):
            from accelkit.workload import zoo

            src = NetworkSpec(zoo=src) if zoo.is_zoo_name(src) else NetworkSpec(path=src)
        elif isinstance(src, Mapping):
            src = validate_spec(NetworkSpec, dict(src), source="network")
        data = src.model_dump(exclude_none=True)
        for sub, value in changes.items():
            data = set_path(data, sub, value, create=True)
        return self._anchor(validate_spec(NetworkSpec, data, source="network"))

    def _anchor(self, src: Any) -> Any:
        """Relative model paths are relative to the study file, as in :class:`~accelkit.model.study.Study`."""
        from accelkit.spec.network import NetworkSpec

        if self.base_dir is None:
            return src
        if isinstance(src, NetworkSpec):
            if src.path is not None and not Path(src.path).is_absolute():
                return src.model_copy(update={"path": str(self.base_dir / src.path)})
            return src
        if isinstance(src, str | os.PathLike):
            p = Path(src)
            if not p.is_absolute() and (self.base_dir / p).exists():
                return str(self.base_dir / p)
        return src

    def options(self, changes: Mapping[str, Any]) -> EvaluateOptions:
        from accelkit.spec.base import validate_spec
        from accelkit.spec.study import EvaluateOptions

        base = self.study.spec.evaluate
        if not changes:
            return base
        data = base.model_dump()
        data.update(changes)
        return validate_spec(EvaluateOptions, data, source="evaluate", prefix="evaluate")

    def blocks(self, changes: Mapping[str, Any]) -> tuple[Optimization, ...]:
        from accelkit.optimizations.base import resolve_blocks

        if not changes:
            return self.study.blocks
        items = [dict(b) for b in self.block_items]
        for sub, value in changes.items():
            path = f"blocks.{sub}" if not sub.startswith("[") else f"blocks{sub}"
            parts = split_path(path)
            i, rest = self._block_index(parts, path)
            rest_path = ".".join(str(r) if isinstance(r, str) else f"[{r}]" for r in rest).replace(".[", "[")
            items[i] = set_path(items[i], rest_path, value, create=True)
        return resolve_blocks(items, source="blocks", prefix="blocks")

    def check(self, params: Mapping[str, Any]) -> None:
        """Build every input the parameters change (raises what building raises)."""
        parts = self.split(params)
        if parts["accelerator"]:
            self.accelerator_spec(parts["accelerator"])
        if parts["network"]:
            self.network_source(parts["network"])
        if parts["evaluate"]:
            self.options(parts["evaluate"])
        if parts["blocks"]:
            self.blocks(parts["blocks"])
