"""The built-in network zoo: shapes only, no weights needed.

Each entry is a builder function registered with :func:`zoo_entry`, carrying its source (paper, year, where the
shapes were read) and its keyword parameters with defaults. ``get_network("resnet8")`` builds one.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from accelkit.errors import AccelkitError
from accelkit.registry import Registry
from accelkit.workload.ir import Network


@dataclass(frozen=True)
class ZooEntry:
    """One built-in network: how to build it and where its definition comes from."""

    name: str
    build: Callable[..., Network]
    description: str
    task: str
    source: Mapping[str, Any]
    aliases: tuple[str, ...] = ()
    published: Mapping[str, Any] = field(default_factory=dict)

    @property
    def params(self) -> dict[str, Any]:
        """The builder's keyword parameters and their defaults."""
        sig = inspect.signature(self.build)
        return {k: p.default for k, p in sig.parameters.items() if p.default is not inspect.Parameter.empty}


ZOO: Registry[ZooEntry] = Registry("zoo network", "accelkit.zoo")
_ALIASES: dict[str, str] = {}


def zoo_entry(
    name: str,
    *,
    description: str,
    task: str,
    source: Mapping[str, Any],
    aliases: tuple[str, ...] = (),
    published: Mapping[str, Any] | None = None,
) -> Callable[[Callable[..., Network]], Callable[..., Network]]:
    """Register a zoo builder. ``source`` must name the paper/repository, year and where the shapes come from."""
    for key in ("title", "year", "where"):
        if key not in source:
            raise ValueError(f"zoo entry {name!r}: source needs {key!r}")

    def deco(fn: Callable[..., Network]) -> Callable[..., Network]:
        entry = ZooEntry(name, fn, description, task, dict(source), aliases, dict(published or {}))
        ZOO.register(name)(entry)
        for alias in aliases:
            _ALIASES[alias] = name
        return fn

    return deco


def _load_builtins() -> None:
    from accelkit.workload.zoo import imagenet, mlperf_tiny, transformers  # noqa: F401


def resolve_name(name: str) -> str:
    _load_builtins()
    key = name.strip().lower().replace("-", "_")
    return _ALIASES.get(key, key)


def get_entry(name: str) -> ZooEntry:
    _load_builtins()
    return ZOO.get(resolve_name(name))


def is_zoo_name(name: str) -> bool:
    _load_builtins()
    return resolve_name(name) in ZOO


def zoo_names() -> list[str]:
    _load_builtins()
    return ZOO.names()


def get_network(name: str, **params: Any) -> Network:
    """Build a zoo network; ``params`` override the entry's defaults (e.g. ``seq_len=256``, ``batch=4``)."""
    entry = get_entry(name)
    known = entry.params
    unknown = sorted(set(params) - set(known))
    if unknown:
        raise AccelkitError(
            f"zoo network {entry.name!r} has no parameter {', '.join(map(repr, unknown))}; "
            f"its parameters are: {', '.join(f'{k}={v!r}' for k, v in known.items()) or 'none'}"
        )
    for key, value in params.items():
        default = known[key]
        if isinstance(default, bool) or default is None:
            continue
        if isinstance(default, int) and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
            raise AccelkitError(f"zoo network {entry.name!r}: {key} must be positive and a whole number, got {value!r}")
        if isinstance(default, float) and (isinstance(value, bool) or not isinstance(value, int | float)):
            raise AccelkitError(f"zoo network {entry.name!r}: parameter {key!r} must be a number, got {value!r}")
        if isinstance(default, str) and not isinstance(value, str):
            raise AccelkitError(f"zoo network {entry.name!r}: parameter {key!r} must be text, got {value!r}")
    try:
        net = entry.build(**params)
    except (TypeError, ValueError) as exc:
        raise AccelkitError(f"zoo network {entry.name!r}: bad parameters {params}: {exc}") from None
    prov = {"format": "zoo", "zoo": entry.name, "zoo_params": {**known, **params}, "source": dict(entry.source)}
    return net.with_layers(net.layers, provenance={**prov, **net.provenance})
