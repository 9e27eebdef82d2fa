"""Estimator plumbing: what is asked (:class:`ComponentQuery`), what comes back (:class:`Estimate`), the
:class:`Estimator` base class, the ``ESTIMATORS`` registry and the lookup functions.

An estimator prices one component kind's actions (energy per action), its area and its leakage power, in SI units
(J, m^2, W), and **returns None to decline** a query outside its validity range. ``estimate_energy`` and friends
try the registered estimators by descending priority (ties by name) and take the first answer; a user override
(``{"glb.read": 1.2e-12}``) beats every estimator. Every :class:`Estimate` names its estimator and its source.

Query attributes (all optional unless an estimator needs them; data sizes in bits, unit strings such as
``"64 KiB"`` are accepted):

==========================  ======================================================================================
``bits``                    operand width of an adder, or both operands of a multiplier / MAC
``input_bits``              MAC / multiplier activation width (falls back to ``bits``)
``weight_bits``             MAC / multiplier weight width (falls back to ``bits``)
``accum_bits``              MAC accumulator width (default ``input_bits + weight_bits``)
``number_format``           ``"int"`` (default) or ``"fp"``
``capacity_bits``           memory capacity (whole component, all banks)
``width_bits``              bits per access (memories), per transfer (NoC); DRAM and NoC default to 1 (per bit)
``banks``                   number of banks (default 1)
``interface``               DRAM interface: LPDDR2, LPDDR4, LPDDR5, DDR3, DDR4, HBM2
``hop_mm`` / ``hop_m``      NoC hop length (default 1 mm)
``router``                  NoC: whether each hop crosses a router (default False: a plain link)
``sinks``                   clock: number of flip-flop-equivalent clock sinks the network drives (action ``tick``:
                            energy of one clock cycle of all of them)
==========================  ======================================================================================
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

from accelkit import units
from accelkit.errors import AccelkitError
from accelkit.hardware.technology import Technology
from accelkit.registry import Registry

#: Component kinds a query may name.
COMPONENT_KINDS: frozenset[str] = frozenset(
    {"mac", "multiplier", "adder", "regfile", "sram", "scm", "dram", "noc", "clock"}
)
#: Actions an energy query may name.
ACTIONS: frozenset[str] = frozenset({"mac", "multiply", "add", "read", "write", "access", "hop", "tick"})
#: Confidence labels (as in the research notes), plus ``user`` for overrides.
CONFIDENCES: tuple[str, ...] = ("read", "computed", "remembered", "assumption", "user")
#: Kinds whose only energy action may be overridden by the bare component name (``{"mac": 0.2e-12}``).
_SINGLE_ACTION: Mapping[str, str] = {"mac": "mac", "multiplier": "mac", "adder": "add", "noc": "hop", "clock": "tick"}


class EstimatorNotFound(AccelkitError):
    """No registered estimator accepts a query (kind, action, attributes, technology)."""

    def __init__(self, query: ComponentQuery, what: str, tech: Technology, tried: list[str]) -> None:
        self.query = query
        self.what = what
        label = f"{query.kind} {query.name!r}" if query.name else query.kind
        attrs = ", ".join(f"{k}={v!r}" for k, v in sorted(query.attributes.items())) or "no attributes"
        if tried:
            who = f"the estimators for {query.kind!r} ({', '.join(tried)}) all declined"
        else:
            who = f"no estimator is registered for kind {query.kind!r}"
        super().__init__(
            f"cannot estimate {what} of {label} ({attrs}) at {tech}: {who}. "
            f"Check the attributes and the technology range, or give an override such as "
            f"{{'{query.key}.{what}': value}}."
        )


class FrozenAttributes(Mapping[str, Any]):
    """A read-only, hashable, picklable mapping of query attributes."""

    __slots__ = ("_data",)

    def __init__(self, data: Mapping[str, Any] | None = None) -> None:
        self._data = dict(data or {})

    def __getitem__(self, key: str) -> Any:
        return self._data[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __hash__(self) -> int:
        return hash(tuple(sorted((k, _hashable(v)) for k, v in self._data.items())))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Mapping) and dict(self._data) == dict(other)

    def __repr__(self) -> str:
        return repr(self._data)

    def __getstate__(self) -> dict[str, Any]:
        return self._data

    def __setstate__(self, state: dict[str, Any]) -> None:
        self._data = dict(state)


def _hashable(v: Any) -> Any:
    if isinstance(v, Mapping):
        return tuple(sorted((k, _hashable(x)) for k, x in v.items()))
    if isinstance(v, list | tuple | set | frozenset):
        return tuple(_hashable(x) for x in v)
    return v


@dataclass(frozen=True)
class ComponentQuery:
    """One component to price: its ``kind``, its ``attributes`` and optionally its ``name`` (for overrides)."""

    kind: str
    attributes: Mapping[str, Any] = field(default_factory=FrozenAttributes)
    name: str | None = None

    def __post_init__(self) -> None:
        if self.kind not in COMPONENT_KINDS:
            raise ValueError(f"unknown component kind {self.kind!r}; expected one of {sorted(COMPONENT_KINDS)}")
        if not isinstance(self.attributes, FrozenAttributes):
            object.__setattr__(self, "attributes", FrozenAttributes(self.attributes))

    @property
    def key(self) -> str:
        """The prefix of override keys: the component name, or its kind when unnamed."""
        return self.name or self.kind

    def bits(self, *names: str, default: float | None = None) -> float | None:
        """The first present attribute among ``names`` as a bit count (unit strings accepted), else ``default``."""
        for n in names:
            if n in self.attributes and self.attributes[n] is not None:
                return units.data_bits(self.attributes[n])
        return default

    def get(self, name: str, default: Any = None) -> Any:
        return self.attributes.get(name, default)


@dataclass(frozen=True)
class Estimate:
    """A priced quantity: ``value`` in SI ``unit`` (J, m^2 or W), who produced it and from which source."""

    value: float
    unit: str
    estimator: str
    source: str
    confidence: str

    def __post_init__(self) -> None:
        if not math.isfinite(self.value) or self.value < 0:
            raise ValueError(f"an estimate must be finite and non-negative, got {self.value!r}")
        if self.confidence not in CONFIDENCES:
            raise ValueError(f"confidence must be one of {CONFIDENCES}, got {self.confidence!r}")


def weakest(*confidences: str) -> str:
    """The least certain of several confidence labels (read > computed > remembered > assumption)."""
    order = {c: i for i, c in enumerate(CONFIDENCES)}
    return max(confidences, key=lambda c: order[c])


class Estimator:
    """Base class of every estimator. Subclasses set ``name``, ``priority`` and ``kinds`` and override the methods
    they support; every method returns an :class:`Estimate` or ``None`` to decline (unknown attributes, a node or
    size outside the validity range, an action the component does not have)."""

    name: ClassVar[str] = ""
    priority: ClassVar[int] = 0
    kinds: ClassVar[frozenset[str]] = frozenset()

    def energy(self, query: ComponentQuery, action: str, tech: Technology) -> Estimate | None:
        """Energy of one ``action`` (J) on the component."""
        return None

    def area(self, query: ComponentQuery, tech: Technology) -> Estimate | None:
        """Area of the component (m^2)."""
        return None

    def leakage(self, query: ComponentQuery, tech: Technology) -> Estimate | None:
        """Leakage power of the component (W)."""
        return None

    def __repr__(self) -> str:
        return f"<estimator {self.name} priority={self.priority} kinds={sorted(self.kinds)}>"


#: The estimator registry; outside packages register through the ``accelkit.estimators`` entry-point group
#: (an :class:`Estimator` subclass or instance).
ESTIMATORS: Registry[Any] = Registry("estimator", "accelkit.estimators")

_instances: dict[str, Estimator] = {}


def registered_estimators(kind: str | None = None) -> list[Estimator]:
    """Registered estimators (instantiated once), highest priority first, ties by name; optionally for one kind."""
    import accelkit.estimators.builtin  # noqa: F401  (registers the built-ins)

    out = []
    for name, obj in ESTIMATORS.items():
        inst = _instances.get(name)
        if inst is None or (type(inst) is not obj and inst is not obj):
            inst = obj() if isinstance(obj, type) else obj
            _instances[name] = inst
        if kind is None or kind in inst.kinds:
            out.append(inst)
    return sorted(out, key=lambda e: (-e.priority, e.name))


def _override(overrides: Mapping[str, Any] | None, keys: list[str], parse: Any, unit: str) -> Estimate | None:
    if not overrides:
        return None
    for key in keys:
        if key in overrides and overrides[key] is not None:
            value = parse(overrides[key])
            return Estimate(value, unit, "user override", f"user override {key!r}", "user")
    return None


def estimate_energy(
    query: ComponentQuery, action: str, tech: Technology, overrides: Mapping[str, Any] | None = None
) -> Estimate:
    """Energy (J) of one ``action`` on ``query``'s component at ``tech``.

    Override keys: ``"<name>.<action>"`` (e.g. ``"glb.read"``), and for single-action components the bare name
    (``"mac"``). Values in J or unit strings (``"0.2 pJ"``).
    """
    if action not in ACTIONS:
        raise ValueError(f"unknown action {action!r}; expected one of {sorted(ACTIONS)}")
    keys = [f"{query.key}.{action}"]
    if _SINGLE_ACTION.get(query.kind) == action:
        keys.append(query.key)
    found = _override(overrides, keys, units.energy, "J")
    if found is not None:
        return found
    tried = []
    for est in registered_estimators(query.kind):
        result = est.energy(query, action, tech)
        if result is not None:
            return result
        tried.append(est.name)
    raise EstimatorNotFound(query, action, tech, tried)


def _first_estimate(query: ComponentQuery, tech: Technology, what: str) -> Estimate:
    """The first registered estimator (by priority) that accepts ``query`` for ``what`` (area or leakage)."""
    tried = []
    for est in registered_estimators(query.kind):
        result = getattr(est, what)(query, tech)
        if result is not None:
            return result
        tried.append(est.name)
    raise EstimatorNotFound(query, what, tech, tried)


def estimate_area(query: ComponentQuery, tech: Technology, overrides: Mapping[str, Any] | None = None) -> Estimate:
    """Area (m^2) of ``query``'s component at ``tech``; override key ``"<name>.area"``."""
    found = _override(overrides, [f"{query.key}.area"], units.area, "m^2")
    return found if found is not None else _first_estimate(query, tech, "area")


def estimate_leakage(query: ComponentQuery, tech: Technology, overrides: Mapping[str, Any] | None = None) -> Estimate:
    """Leakage power (W) of ``query``'s component at ``tech``; override key ``"<name>.leakage"``."""
    found = _override(overrides, [f"{query.key}.leakage"], units.power, "W")
    return found if found is not None else _first_estimate(query, tech, "leakage")


def level_query(level: Any) -> ComponentQuery:
    """The query that prices a memory level (a :class:`~accelkit.hardware.accelerator.MemoryLevel`): its kind,
    width and banks, plus the interface for DRAM or the capacity for on-chip storage."""
    attrs: dict[str, object] = {"width_bits": level.width_bits, "banks": level.banks}
    if level.kind == "dram":
        attrs["interface"] = level.interface
    else:
        attrs["capacity_bits"] = level.capacity_bits
    return ComponentQuery(level.kind, attrs, name=level.name)
