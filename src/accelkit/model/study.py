"""Loading a study (network + accelerator + blocks + evaluation options) from YAML, a dict or a StudySpec."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from accelkit.errors import AccelkitError, SpecError
from accelkit.optimizations.base import Optimization, resolve_blocks
from accelkit.spec.base import load_yaml, validate_spec
from accelkit.spec.network import NetworkSpec
from accelkit.spec.study import StudySpec


@dataclass(frozen=True)
class Study:
    """A validated study with its blocks built and its relative paths anchored at the study file's folder."""

    spec: StudySpec
    blocks: tuple[Optimization, ...]
    base_dir: Path | None = None
    source: str | None = None

    @property
    def name(self) -> str:
        if self.spec.name:
            return self.spec.name
        if self.source:
            return Path(self.source).stem
        return "study"

    @property
    def evaluate(self) -> Any:
        return self.spec.evaluate

    def network_source(self) -> Any:
        net = self.spec.network
        if isinstance(net, NetworkSpec):
            if net.path is not None and self.base_dir is not None and not Path(net.path).is_absolute():
                return net.model_copy(update={"path": str(self.base_dir / net.path)})
            return net
        p = Path(net)
        if self.base_dir is not None and not p.is_absolute() and (self.base_dir / p).exists():
            return str(self.base_dir / p)
        return net

    def accelerator_source(self) -> Any:
        acc = self.spec.accelerator
        if isinstance(acc, Mapping):
            return dict(acc)
        p = Path(acc)
        if self.base_dir is not None and not p.is_absolute() and (self.base_dir / p).exists():
            return str(self.base_dir / p)
        return acc

    def blocks_resolved(self) -> tuple[Optimization, ...]:
        return self.blocks

    def with_blocks(self, blocks: tuple[Optimization, ...]) -> Study:
        return Study(self.spec, blocks, self.base_dir, self.source)


def load_study(source: Any) -> Study:
    """A :class:`Study` from a path to a study YAML file, a mapping, a :class:`StudySpec` or a Study."""
    if isinstance(source, Study):
        return source
    base_dir: Path | None = None
    where: str | None = None
    if isinstance(source, StudySpec):
        spec = source
    elif isinstance(source, Mapping):
        where = "study"
        spec = validate_spec(StudySpec, dict(source), source=where)
    elif isinstance(source, str | os.PathLike):
        p = Path(source)
        if p.suffix.lower() not in (".yaml", ".yml"):
            raise AccelkitError(
                f"{os.fspath(source)!r} is not a study file (expected a .yaml file with network, accelerator and "
                "blocks); to evaluate a network, also give an accelerator"
            )
        where = str(p)
        data = load_yaml(p)
        if not isinstance(data, dict):
            raise SpecError([("", "expected a mapping with network, accelerator and blocks")], source=where)
        spec = validate_spec(StudySpec, data, source=where)
        base_dir = p.parent
    else:
        raise AccelkitError(f"cannot load a study from {type(source).__name__}")
    blocks = resolve_blocks(spec.blocks, source=where, prefix="blocks")
    return Study(spec, blocks, base_dir, where)
