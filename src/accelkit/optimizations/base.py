"""The optimization-block contract: parameters, phase hooks, conflicts, catalog links.

A block is a pure transform hooked into the phases of :func:`accelkit.evaluate` (see DESIGN.md, "The flow")::

    resolve   accelerator_spec(spec, network)          -> AcceleratorSpec  (change the hardware description)
    workload  network(net, arch)                       -> Network          (precision, density, MACs, fusion)
    hardware  accelerator(arch, net)                   -> Accelerator      (datapath chosen, resolved changes)
    pricing   prices(priced, net)                      -> PricedAccelerator (per-action energy, extra area/leakage)
    counts    counts(lc, ctx)                          -> LayerCounts      (per layer, after the mapper: gating,
                                                                             skipping, compression, codecs)
    aggregate evaluation(ev)                           -> Evaluation       (operating point: duty cycling, ...)

Every hook is the identity by default and must return new objects (never mutate its inputs). Blocks are applied
in a fixed order (``order``, then ``kind``), so a *set* of blocks gives the same result whatever order the user
listed them in — attribution relies on this.

Adding a block = one module under ``accelkit/optimizations/``::

    class FooSpec(OptimizationSpec):
        kind: Literal["foo"] = "foo"
        factor: float = Field(2.0, gt=1, description="...")

    @OPTIMIZATIONS.register("foo")
    class Foo(Optimization):
        Spec = FooSpec
        catalog_ids = ("foo-technique",)
        summary = "one line"
        def counts(self, lc, ctx): ...

Outside packages register through the ``accelkit.optimizations`` entry-point group.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, ClassVar, cast

from pydantic import ConfigDict, Field

from accelkit.errors import AccelkitError, SpecError
from accelkit.registry import Registry
from accelkit.spec.base import SpecModel, validate_spec
from accelkit.workload.stats import WEIGHT_STORAGE_BITS  # noqa: F401  (the blocks' storage key, re-exported)

if TYPE_CHECKING:  # pragma: no cover
    from accelkit.hardware.accelerator import Accelerator
    from accelkit.mapping.reuse import AccessCounts
    from accelkit.model.evaluate import Evaluation
    from accelkit.model.pricing import PricedAccelerator
    from accelkit.spec.accelerator import AcceleratorSpec
    from accelkit.workload.ir import Layer, Network


#: ``layer.attrs`` key: operands (names) whose precision a block set; the datapath cast leaves them alone
QUANTIZED = "quantized_operands"
#: the breakdown key of a layer's clock-network energy (the clock_gating block scales it through energy_factor)
CLOCK_KEY = ("clock", "-", "tick")


class OptimizationError(AccelkitError):
    """A block cannot be applied: conflicting blocks, a parameter that does not suit this design, ..."""


class OptimizationSpec(SpecModel):
    """Validated parameters of one block. Subclasses set ``kind`` to a ``Literal`` and add their fields."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: str
    enabled: bool = Field(True, description="false leaves the design untouched (the block's identity)")
    label: str | None = Field(
        None,
        description="name shown in attribution tables (default: the kind); needed when one kind appears twice "
        "(only kinds whose repeats compose, e.g. memory, or alternatives of which one is disabled)",
    )


@dataclass(frozen=True)
class ExtraAction:
    """An action a block adds to a layer's costs (metadata reads, codec work, intersection logic, ADC conversions).

    ``component`` names a memory level (then ``count`` is bits, and they also use that level's bandwidth) or a
    block-specific component (``count`` in operations). ``energy_j`` is the total for the layer, priced by the block
    from a cited figure or from the accelerator's own prices.
    """

    component: str
    operand: str
    action: str
    count: float
    energy_j: float
    block: str


@dataclass(frozen=True)
class ExtraComponent:
    """Hardware a block adds (codecs, intersection units, ADCs, ...): its area and leakage, and their source.
    The pricing phase's ``PricedAccelerator.extras`` holds them."""

    name: str
    area_m2: float
    leakage_w: float
    source: str
    block: str


@dataclass(frozen=True)
class LayerCounts:
    """One layer's work on the hardware under its chosen mapping, before pricing; what the counts hooks change.

    ``counts`` (the reuse analysis' per-level traffic) sets both energy and time: compression and skipping shrink
    it. ``energy_factor`` scales energy only — gating: the access still takes its slot but burns (almost) nothing;
    keys are ``(component, operand, action)`` as in the breakdown (``("mac", "-", "mac")`` for the MACs, a level
    name with ``input``/``weight``/``output`` and ``read``/``write``). ``mac_j`` is the energy of one MAC on this
    layer's datapath.
    """

    layer: Layer
    counts: AccessCounts
    compute_cycles: float
    mac_j: float
    macs: float
    energy_factor: Mapping[tuple[str, str, str], float] = field(default_factory=dict)
    extra: tuple[ExtraAction, ...] = ()
    notes: tuple[str, ...] = ()

    def scale_energy(self, key: tuple[str, str, str], factor: float) -> LayerCounts:
        ef = dict(self.energy_factor)
        ef[key] = ef.get(key, 1.0) * factor
        return replace(self, energy_factor=ef)

    def scale_traffic(
        self,
        factor: float,
        *,
        levels: Iterable[str] | None = None,
        operands: Iterable[str] | None = None,
        actions: Iterable[str] = ("read", "write"),
    ) -> LayerCounts:
        """Scale bits moved (energy and bandwidth) at ``levels`` (all by default) for ``operands`` (all)."""
        from accelkit.mapping.reuse import AccessCounts, LevelTraffic

        names = set(levels) if levels is not None else set(self.counts.levels)
        ops = set(operands) if operands is not None else None
        new_levels = {}
        for name, t in self.counts.levels.items():
            nt = LevelTraffic(dict(t.read_bits), dict(t.write_bits))
            if name in names:
                for o in set(nt.read_bits) | set(nt.write_bits):
                    if ops is None or o.value in ops:
                        if "read" in actions and o in nt.read_bits:
                            nt.read_bits[o] *= factor
                        if "write" in actions and o in nt.write_bits:
                            nt.write_bits[o] *= factor
            new_levels[name] = nt
        c = self.counts
        return replace(
            self,
            counts=AccessCounts(
                c.macs, c.compute_cycles, c.active_pes, new_levels, dict(c.noc_bits), c.spatial_adds, c.tiles
            ),
        )

    def with_extra(self, *actions: ExtraAction) -> LayerCounts:
        return replace(self, extra=self.extra + tuple(actions))

    def with_note(self, note: str) -> LayerCounts:
        return replace(self, notes=(*self.notes, note))


@dataclass(frozen=True)
class CountsContext:
    """What a counts hook may consult: the (transformed) network and accelerator, prices, residency."""

    network: Network
    arch: Accelerator
    priced: PricedAccelerator
    resident: bool
    #: levels the mapper used (without DRAM when the model is resident on chip)
    mapped_levels: tuple[str, ...]


class Optimization:
    """Base class of every block. Hooks are identities; override the ones your technique touches."""

    Spec: ClassVar[type[OptimizationSpec]] = OptimizationSpec
    kind: ClassVar[str] = ""
    #: catalog technique ids this block models (``accelkit kit show`` links back)
    catalog_ids: ClassVar[tuple[str, ...]] = ()
    #: kinds this block can never be combined with, and why (shown in the error)
    conflicts: ClassVar[tuple[str, ...]] = ()
    conflict_reason: ClassVar[str | None] = None
    #: application order among blocks (lower first); ties broken by kind
    order: ClassVar[int] = 50
    #: at most one enabled block of this kind (its effect would otherwise be applied twice); False where repeats
    #: compose (e.g. two memory changes)
    unique: ClassVar[bool] = True
    summary: ClassVar[str] = ""
    #: metrics (catalog names: energy, latency, memory, area, power, throughput) whose literature ranges to show
    metrics: ClassVar[tuple[str, ...]] = ("energy",)
    #: a representative parameter set (docs, ``accelkit list optimizations``, the conformance tests)
    example: ClassVar[dict[str, Any] | None] = None
    #: where the example applies when the default design does not suit it: evaluate() keyword arguments,
    #: e.g. {"accelerator": "tinyml_int8", "inference_rate": 10}
    example_context: ClassVar[dict[str, Any]] = {}

    def __init__(self, spec: OptimizationSpec | Mapping[str, Any] | None = None, **params: Any) -> None:
        if spec is None:
            spec = {**params}
        elif params:
            raise TypeError("give either a spec or keyword parameters, not both")
        if isinstance(spec, Mapping):
            spec = validate_spec(self.Spec, {"kind": self.kind, **spec}, source=f"block {self.kind!r}")
        if not isinstance(spec, self.Spec):
            raise TypeError(f"{type(self).__name__} takes a {self.Spec.__name__}, got {type(spec).__name__}")
        self.spec = spec

    # ---- identity -----------------------------------------------------------------------------------------
    @property
    def label(self) -> str:
        return self.spec.label or self.kind

    @property
    def enabled(self) -> bool:
        return self.spec.enabled

    def __repr__(self) -> str:
        fields = self.spec.model_dump(exclude={"kind"}, exclude_defaults=True)
        return f"{type(self).__name__}({', '.join(f'{k}={v!r}' for k, v in fields.items())})"

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and other.spec == self.spec  # type: ignore[attr-defined]

    def __hash__(self) -> int:
        return hash((type(self), self.spec.model_dump_json()))

    def describe(self) -> str:
        """One line saying what this instance does (parameters included)."""
        fields = self.spec.model_dump(exclude={"kind", "enabled", "label"}, exclude_defaults=True)
        params = ", ".join(f"{k}={v}" for k, v in fields.items())
        return f"{self.summary}" + (f" ({params})" if params else "")

    def techniques(self) -> tuple[str, ...]:
        """The catalog techniques these parameters select (default: every id in ``catalog_ids``); attribution
        sets the computed effect beside their literature range."""
        return self.catalog_ids

    # ---- checks -------------------------------------------------------------------------------------------
    def conflict_with(self, other: Optimization) -> str | None:
        """Why this block cannot be combined with ``other`` (None if it can). Default: the ``conflicts`` list."""
        if other.kind in self.conflicts:
            why = f": {self.conflict_reason}" if self.conflict_reason else ""
            return f"{self.kind!r} cannot be combined with {other.kind!r}{why}"
        return None

    def check(self, net: Network, arch: Accelerator) -> list[tuple[str, str]]:
        """Problems with applying this block to this design: (field, message). Called after the hardware phase."""
        return []

    # ---- phase hooks (identity by default) ----------------------------------------------------------------
    def accelerator_spec(self, spec: AcceleratorSpec, net: Network) -> AcceleratorSpec:
        return spec

    def network(self, net: Network, arch: Accelerator) -> Network:
        return net

    def accelerator(self, arch: Accelerator, net: Network) -> Accelerator:
        return arch

    def prices(self, priced: PricedAccelerator, net: Network) -> PricedAccelerator:
        return priced

    def counts(self, lc: LayerCounts, ctx: CountsContext) -> LayerCounts:
        return lc

    def evaluation(self, ev: Evaluation) -> Evaluation:
        return ev

    # which hooks a subclass overrides (evaluate skips the others)
    @classmethod
    def overrides(cls, hook: str) -> bool:
        return getattr(cls, hook) is not getattr(Optimization, hook)

    # pickling: the spec is all the state
    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.spec,))


OPTIMIZATIONS: Registry[type[Optimization]] = Registry("optimization", "accelkit.optimizations")


@functools.cache
def block_data(module: str) -> Mapping[str, Any]:
    """The cited constants of one block module: ``optimizations/data/<module>.yaml`` (each entry with its value,
    unit and source), read once."""
    from importlib import resources

    import yaml

    text = resources.files("accelkit.optimizations").joinpath(f"data/{module}.yaml").read_text(encoding="utf-8")
    return yaml.safe_load(text)


def _block_entry(module: str, key: str) -> Mapping[str, Any]:
    """One cited constant of ``optimizations/data/<module>.yaml``, whether the file lists its constants at the
    top level or under ``entries:``."""
    data = block_data(module)
    return cast(Mapping[str, Any], data.get("entries", data)[key])


def cited(module: str, key: str) -> Any:
    """The value of a cited constant in ``optimizations/data/<module>.yaml``."""
    return _block_entry(module, key)["value"]


def cite(module: str, key: str) -> str:
    """One line naming the source of a cited constant (for notes and ExtraComponent sources)."""
    entry = _block_entry(module, key)
    s = entry["source"]
    return f"{s['authors']}, {s['title']}, {s['venue']} {s['year']} ({s['where']}; {entry.get('confidence', '')})"


def cited_field(module: str, key: str, *, description: str, cast: type = float, **bounds: Any) -> Any:
    """A spec field whose default is a cited constant, read when a spec is built (so the data stays the one
    source): ``mac_residual: float = cited_field("sparsity", "gated_mac_residual", ge=0, le=1, description=...)``."""
    return Field(default_factory=lambda: cast(cited(module, key)), description=description, **bounds)


def _load_builtins() -> None:
    import accelkit.optimizations.builtin  # noqa: F401  (registers the built-in blocks)


def block_class(kind: str) -> type[Optimization]:
    _load_builtins()
    return OPTIMIZATIONS.get(kind)


def make_block(
    item: Optimization | OptimizationSpec | Mapping[str, Any], *, path: str = "", source: str | None = None
) -> Optimization:
    """A block from an instance, a spec, or a plain mapping with ``kind`` (YAML), errors naming ``path``."""
    if isinstance(item, Optimization):
        return item
    if isinstance(item, OptimizationSpec):
        return block_class(item.kind)(item)
    if not isinstance(item, Mapping):
        raise SpecError([(path, f"expected a mapping with a 'kind' (got {type(item).__name__})")], source=source)
    kind = item.get("kind")
    if not isinstance(kind, str):
        _load_builtins()
        raise SpecError(
            [
                (
                    f"{path}.kind" if path else "kind",
                    f"missing or not a string; expected one of {', '.join(OPTIMIZATIONS.names())}",
                )
            ],
            source=source,
        )
    _load_builtins()
    if kind not in OPTIMIZATIONS:
        from accelkit.errors import UnknownNameError

        err = UnknownNameError("optimization block", kind, OPTIMIZATIONS.names())
        raise SpecError([(f"{path}.kind" if path else "kind", str(err))], source=source)
    cls = OPTIMIZATIONS.get(kind)
    spec = validate_spec(cls.Spec, dict(item), source=source, prefix=path)
    return cls(spec)


def resolve_blocks(
    items: Sequence[Any] | None, *, source: str | None = None, prefix: str = "blocks"
) -> tuple[Optimization, ...]:
    """Blocks from a list (instances, specs or mappings); every bad item reported at once; conflicts enforced."""
    if not items:
        return ()
    blocks: list[Optimization] = []
    problems: list[tuple[str, str]] = []
    for i, item in enumerate(items):
        try:
            blocks.append(make_block(item, path=f"{prefix}[{i}]", source=source))
        except SpecError as exc:
            problems.extend(exc.problems)
    if problems:
        raise SpecError(problems, source=source)
    labels = [b.label for b in blocks]
    dup = sorted({x for x in labels if labels.count(x) > 1})
    if dup:
        raise SpecError(
            [
                (f"{prefix}[{labels.index(d)}].label", f"two blocks are labelled {d!r}; give each a distinct label")
                for d in dup
            ],
            source=source,
        )
    check_conflicts(blocks)
    return tuple(blocks)


def check_conflicts(blocks: Sequence[Optimization]) -> None:
    active = [b for b in blocks if b.enabled]
    msgs = []
    for i, a in enumerate(active):
        for b in active[i + 1 :]:
            why = a.conflict_with(b) or b.conflict_with(a)
            if why is None and a.kind == b.kind and a.unique:
                why = f"only one {a.kind!r} block may be enabled (a second would apply its effect twice)"
            if why:
                msgs.append(f"block {a.label!r} conflicts with block {b.label!r}: {why}")
    if msgs:
        raise OptimizationError("; ".join(msgs))


def ordered(blocks: Iterable[Optimization]) -> list[Optimization]:
    """Enabled blocks in application order (``order``, then kind, then label): independent of the user's order."""
    return sorted((b for b in blocks if b.enabled), key=lambda b: (b.order, b.kind, b.label))


def finite_positive(x: float) -> bool:
    return math.isfinite(x) and x > 0
