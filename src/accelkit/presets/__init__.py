"""Packaged accelerator presets (YAML, each with its citation), and the accelerator loader."""

from __future__ import annotations

import os
from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from accelkit.errors import SpecError, UnknownNameError
from accelkit.hardware.accelerator import Accelerator
from accelkit.spec.accelerator import AcceleratorSpec
from accelkit.spec.base import load_yaml, validate_spec

AcceleratorSource = Accelerator | AcceleratorSpec | Mapping[str, Any] | str | os.PathLike[str]


def preset_names() -> list[str]:
    return sorted(p.name[: -len(".yaml")] for p in resources.files(__package__).iterdir() if p.name.endswith(".yaml"))


def preset_spec(name: str) -> AcceleratorSpec:
    key = name.strip().lower().replace("-", "_")
    if key not in preset_names():
        raise UnknownNameError("accelerator preset", name, preset_names())
    text = resources.files(__package__).joinpath(f"{key}.yaml").read_text(encoding="utf-8")
    return validate_spec(AcceleratorSpec, yaml.safe_load(text), source=f"preset {key}")


def load_accelerator_spec(source: AcceleratorSpec | Mapping[str, Any] | str | os.PathLike[str]) -> AcceleratorSpec:
    """An AcceleratorSpec from a preset name, a YAML file (top level or under ``accelerator:``), or a dict."""
    if isinstance(source, AcceleratorSpec):
        return source
    if isinstance(source, Mapping):
        return validate_spec(AcceleratorSpec, dict(source), source="accelerator spec")
    text = os.fspath(source)
    p = Path(text)
    if p.suffix.lower() in (".yaml", ".yml") or p.exists():
        data = load_yaml(p)
        prefix = ""
        if isinstance(data, dict) and "accelerator" in data:
            data, prefix = data["accelerator"], "accelerator"
        if not isinstance(data, dict):
            raise SpecError([(prefix, "expected a mapping with name, technology, pe_array and memory")], source=text)
        return validate_spec(AcceleratorSpec, data, source=text, prefix=prefix)
    return preset_spec(text)


def load_accelerator(source: AcceleratorSource) -> Accelerator:
    """Resolve anything that names an accelerator into an :class:`Accelerator`."""
    if isinstance(source, Accelerator):
        return source
    return Accelerator.from_spec(load_accelerator_spec(source))
