"""The catalog's data model: techniques, their measured effects, and the sources those effects come from.

Every number in the catalog is an :class:`Effect`: a positive ``value`` with a ``unit`` (``x`` factor, ``%`` change
or ``pp`` accuracy points) and a ``direction`` (the metric goes up or down), measured against a named ``baseline``
in a stated ``context``, and traceable to a :class:`Source` at a ``where`` (abstract, table, figure, section).
``confidence`` says how the number reached the catalog:

``read``
    Read in the primary source (its abstract or body) during the research for this catalog; ``read_at`` records
    the copy that was read.
``secondary``
    Read only in a secondary source (a review, course note, summary); ``secondary_source`` names it.
``computed``
    Derived from read numbers; ``derivation`` shows the arithmetic.
``remembered``
    Background knowledge not re-checked; a prior, not ground truth.

Energy-efficiency ratios (TOPS/W, inferences/J) are filed as an energy decrease (energy per operation); speed-ups
as a throughput increase. Absolute figures (TOPS/W, uJ/frame) go into ``context``, never into ``value``.
"""

from __future__ import annotations

import re
from enum import Enum, StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator


class _Choice(StrEnum):
    """A string enum that prints as its value."""

    @classmethod
    def values(cls) -> list[str]:
        return [m.value for m in cls]


class Level(_Choice):
    MODEL = "model"
    ARCHITECTURE = "architecture"
    CIRCUIT = "circuit"
    SYSTEM = "system"


class Block(_Choice):
    """The building blocks of the construction kit (one catalog file each)."""

    DATA_REPRESENTATION = "data_representation"
    COMPUTE_UNITS = "compute_units"
    MEMORY_HIERARCHY = "memory_hierarchy"
    DATAFLOW_REUSE = "dataflow_reuse"
    SPARSITY = "sparsity"
    IN_NEAR_MEMORY = "in_near_memory"
    CIRCUIT_POWER = "circuit_power"
    SYSTEM_LEVEL = "system_level"


BLOCK_TITLES: dict[Block, str] = {
    Block.DATA_REPRESENTATION: "data representation",
    Block.COMPUTE_UNITS: "compute units",
    Block.MEMORY_HIERARCHY: "memory hierarchy",
    Block.DATAFLOW_REUSE: "dataflow & data reuse",
    Block.SPARSITY: "sparsity",
    Block.IN_NEAR_MEMORY: "in/near-memory computing",
    Block.CIRCUIT_POWER: "circuit & power management",
    Block.SYSTEM_LEVEL: "system-level",
}


class Metric(_Choice):
    MEMORY = "memory"
    ENERGY = "energy"
    THROUGHPUT = "throughput"
    LATENCY = "latency"
    AREA = "area"
    POWER = "power"
    ACCURACY = "accuracy"

    @property
    def lower_is_better(self) -> bool:
        return self not in (Metric.THROUGHPUT, Metric.ACCURACY)


class Direction(_Choice):
    DECREASE = "decrease"
    INCREASE = "increase"


class Unit(_Choice):
    FACTOR = "x"
    PERCENT = "%"
    POINTS = "pp"  # accuracy percentage points


class Qualifier(_Choice):
    EXACT = ""
    UP_TO = "up to"
    AT_LEAST = "at least"
    MORE_THAN = "more than"
    ABOUT = "about"
    AVERAGE = "average"


class Confidence(_Choice):
    READ = "read"
    SECONDARY = "secondary"
    COMPUTED = "computed"
    REMEMBERED = "remembered"


class Evidence(_Choice):
    """What kind of result a number is."""

    SILICON = "silicon"
    POST_LAYOUT = "post-layout"
    SYNTHESIS = "synthesis"
    SIMULATION = "simulation"
    ANALYTICAL = "analytical"
    FPGA = "fpga"
    SOFTWARE = "software"  # measured on a CPU/GPU/MCU (framework or kernel)
    ALGORITHMIC = "algorithmic"  # operation/parameter counts, accuracy on a dataset


class SourceType(_Choice):
    JOURNAL = "journal"
    CONFERENCE = "conference"
    PREPRINT = "preprint"
    REPORT = "report"


class KitModel(BaseModel):
    """Frozen, unknown keys rejected (the same rules as the ``*Spec`` models)."""

    model_config = ConfigDict(frozen=True, extra="forbid", use_enum_values=False)


_ID = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_KEY = re.compile(r"^[a-z][a-z0-9]*$")
_DOI = re.compile(r"^10\.\d{4,9}/\S+$")
_ARXIV = re.compile(r"^\d{4}\.\d{4,5}$")


class Source(KitModel):
    """A publication (or dataset/report). Referenced by ``key`` from every effect that cites it."""

    key: str = Field(description="citation key, lower-case letters and digits, e.g. 'han2016deep'")
    authors: list[str] = Field(min_length=1, description="'First Last' each; a final 'others' means et al.")
    title: str = Field(min_length=3)
    venue: str = Field(min_length=2, description="journal, conference or 'arXiv preprint'")
    year: int = Field(ge=1950, le=2030)
    type: SourceType
    doi: str | None = None
    arxiv: str | None = None
    url: str | None = Field(default=None, description="a public page with the paper or its abstract")
    note: str | None = Field(default=None, description="e.g. which bibliographic fields are unchecked")

    @field_validator("key")
    @classmethod
    def _key(cls, v: str) -> str:
        if not _KEY.match(v):
            raise ValueError(f"citation key must be lower-case letters and digits, got {v!r}")
        return v

    @field_validator("doi")
    @classmethod
    def _doi(cls, v: str | None) -> str | None:
        if v is not None and not _DOI.match(v):
            raise ValueError(f"a DOI looks like '10.1109/JSSC.2016.2616357', got {v!r}")
        return v

    @field_validator("arxiv")
    @classmethod
    def _arxiv(cls, v: str | None) -> str | None:
        if v is not None and not _ARXIV.match(v):
            raise ValueError(f"an arXiv id looks like '1510.00149', got {v!r}")
        return v

    @property
    def short(self) -> str:
        """'Han et al., ICLR 2016' style."""
        last = self.authors[0].split()[-1]
        etal = " et al." if len(self.authors) > 1 else ""
        return f"{last}{etal}, {self.venue} {self.year}"

    @property
    def identifier(self) -> str:
        if self.doi:
            return f"doi:{self.doi}"
        if self.arxiv:
            return f"arXiv:{self.arxiv}"
        return self.url or ""


class Context(KitModel):
    """Where a number was measured."""

    network: str | None = None
    dataset: str | None = None
    node: str | None = Field(default=None, description="technology node, e.g. '65 nm'")
    evidence: Evidence
    notes: str | None = None

    def text(self) -> str:
        parts = [p for p in (self.network, self.dataset, self.node) if p]
        parts.append(self.evidence.value)
        if self.notes:
            parts.append(self.notes)
        return "; ".join(parts)


class Effect(KitModel):
    """One measured (or derived) effect of a technique on one metric."""

    metric: Metric
    value: float = Field(gt=0)
    value_max: float | None = Field(default=None, gt=0, description="upper end when the source gives a range")
    unit: Unit
    direction: Direction
    qualifier: Qualifier = Qualifier.EXACT
    baseline: str = Field(min_length=3, description="what the effect is measured against")
    context: Context
    source: str = Field(description="key of a Source in the catalog")
    where: str = Field(min_length=3, description="abstract, table, figure or section in the source")
    confidence: Confidence
    read_at: str | None = Field(default=None, description="the copy that was read (URL or record)")
    secondary_source: str | None = None
    derivation: str | None = None
    note: str | None = None

    @model_validator(mode="after")
    def _consistent(self) -> Effect:
        if self.value_max is not None and self.value_max <= self.value:
            raise ValueError(f"value_max ({self.value_max}) must be larger than value ({self.value})")
        if self.metric is Metric.ACCURACY:
            if self.unit is Unit.FACTOR:
                raise ValueError("accuracy effects are given in 'pp' (points) or '%' (relative), not as a factor")
        elif self.unit is Unit.POINTS:
            raise ValueError(f"'pp' (percentage points) is only for accuracy, not {self.metric.value}")
        top = self.value_max or self.value
        if self.unit is Unit.FACTOR and self.value < 1:
            raise ValueError(f"a factor must be >= 1 (flip the direction instead), got {self.value}")
        if self.unit is Unit.PERCENT and self.direction is Direction.DECREASE and top >= 100:
            raise ValueError(f"a decrease cannot be 100% or more, got {top}%")
        if self.confidence is Confidence.READ and not self.read_at:
            raise ValueError("a 'read' number needs read_at: the copy of the source that was read")
        if self.confidence is Confidence.SECONDARY and not self.secondary_source:
            raise ValueError("a 'secondary' number needs secondary_source: where it was read")
        if self.confidence is Confidence.COMPUTED and not self.derivation:
            raise ValueError("a 'computed' number needs derivation: the arithmetic and its inputs")
        return self

    # ---- derived views ---------------------------------------------------------------------------------------
    def _ratio(self, v: float) -> float | None:
        """The metric's new/old ratio expressed as a factor >= 1 in ``direction`` (None for accuracy points)."""
        if self.unit is Unit.FACTOR:
            return v
        if self.unit is Unit.PERCENT:
            return 1.0 / (1.0 - v / 100.0) if self.direction is Direction.DECREASE else 1.0 + v / 100.0
        return None

    @property
    def factor(self) -> float | None:
        """The change as a factor (>= 1) in ``direction``: 35x smaller -> 35; -45% -> 1.82; +30% -> 1.3."""
        return self._ratio(self.value)

    @property
    def factor_max(self) -> float | None:
        return self._ratio(self.value_max) if self.value_max is not None else self.factor

    @property
    def is_improvement(self) -> bool:
        """True when the change is in the metric's good direction (less energy, more throughput, ...)."""
        lower = self.metric.lower_is_better
        return (self.direction is Direction.DECREASE) == lower

    def _improvement(self, f: float | None) -> float | None:
        if f is None:
            return None
        return f if self.is_improvement else 1.0 / f

    @property
    def improvement(self) -> float | None:
        """Baseline / new in the good sense: > 1 is better, < 1 a cost (e.g. area overhead)."""
        return self._improvement(self.factor)

    @property
    def improvement_max(self) -> float | None:
        return self._improvement(self.factor_max)

    def percent_improvement(self, best: bool = True) -> float | None:
        """The improvement as a percentage of the baseline (reduction % for lower-is-better metrics)."""
        imp = self.improvement_max if best else self.improvement
        if imp is None:
            return None
        return (1.0 - 1.0 / imp) * 100.0 if self.metric.lower_is_better else (imp - 1.0) * 100.0

    def value_text(self) -> str:
        """'35x less', '9-13x less', '-45%', '+0.3 pp', 'up to 4x more'."""
        rng = f"{_num(self.value)}-{_num(self.value_max)}" if self.value_max is not None else _num(self.value)
        q = f"{self.qualifier.value} " if self.qualifier is not Qualifier.EXACT else ""
        if self.unit is Unit.FACTOR:
            word = "less" if self.direction is Direction.DECREASE else "more"
            if self.metric is Metric.THROUGHPUT and self.direction is Direction.INCREASE:
                word = "faster"
            return f"{q}{rng}x {word}"
        sign = "-" if self.direction is Direction.DECREASE else "+"
        suffix = "%" if self.unit is Unit.PERCENT else " pp"
        return f"{q}{sign}{rng}{suffix}"


def _num(v: float | None) -> str:
    if v is None:
        return ""
    return f"{v:,.0f}" if v >= 1000 else f"{v:g}"


class Technique(KitModel):
    """One building-block choice with every effect the literature reports for it."""

    id: str
    name: str = Field(min_length=3)
    level: Level
    block: Block
    description: str = Field(min_length=10)
    prerequisites: list[str] = Field(default_factory=list, description="technique ids this one needs")
    conflicts: list[str] = Field(default_factory=list, description="technique ids it cannot be combined with")
    modelled_by: str | None = Field(
        default=None, description="dotted path of the accelkit object that computes this technique's effect"
    )
    modelled_note: str | None = Field(default=None, description="what the accelkit model covers and what not")
    aliases: list[str] = Field(default_factory=list)
    effects: list[Effect] = Field(default_factory=list)
    notes: str | None = None

    @field_validator("id")
    @classmethod
    def _id(cls, v: str) -> str:
        if not _ID.match(v):
            raise ValueError(f"technique ids are lower-case words joined by '-', got {v!r}")
        return v

    @model_validator(mode="after")
    def _no_self_reference(self) -> Technique:
        if self.id in self.prerequisites or self.id in self.conflicts:
            raise ValueError(f"{self.id!r} cannot list itself as a prerequisite or conflict")
        both = set(self.prerequisites) & set(self.conflicts)
        if both:
            raise ValueError(f"{sorted(both)} are listed as both prerequisite and conflict")
        return self

    def effects_for(self, metric: Metric | None = None) -> list[Effect]:
        return [e for e in self.effects if metric is None or e.metric is metric]

    def best_improvement(self, metric: Metric | None = None) -> float | None:
        """The largest improvement (good-direction factor) among the effects on ``metric`` (all if None)."""
        vals = [e.improvement_max for e in self.effects_for(metric) if e.improvement_max is not None]
        return max(vals) if vals else None

    @property
    def metrics(self) -> list[Metric]:
        return sorted({e.metric for e in self.effects}, key=lambda m: list(Metric).index(m))


class Headline(KitModel):
    """A headline claim of the survey the kit is built from, with what is (and is not) known of its basis."""

    id: str
    claim: str
    metric: Metric
    value: float = Field(gt=0)
    unit: Unit
    direction: Direction
    source: str
    where: str
    confidence: Confidence
    read_at: str | None = None
    attribution: str = Field(description="what the claim measures, as far as it could be traced")
    candidates: list[str] = Field(default_factory=list, description="catalog technique ids with comparable effects")


class CatalogFile(KitModel):
    """One YAML file of the packaged catalog."""

    block: Block | None = None
    techniques: list[Technique] = Field(default_factory=list)
    sources: list[Source] = Field(default_factory=list)
    headlines: list[Headline] = Field(default_factory=list)


def catalog_problems(
    techniques: list[Technique], sources: list[Source], headlines: list[Headline]
) -> list[tuple[str, str]]:
    """Cross-reference problems (path, message): duplicate ids/keys, unknown references, asymmetric conflicts."""
    problems: list[tuple[str, str]] = []
    ids: dict[str, int] = {}
    for i, t in enumerate(techniques):
        if t.id in ids:
            problems.append((f"techniques[{i}].id", f"duplicate technique id {t.id!r}"))
        ids[t.id] = i
    keys: set[str] = set()
    for i, s in enumerate(sources):
        if s.key in keys:
            problems.append((f"sources[{i}].key", f"duplicate source key {s.key!r}"))
        keys.add(s.key)
    by_id = {t.id: t for t in techniques}
    for t in techniques:
        for field in ("prerequisites", "conflicts"):
            for ref in getattr(t, field):
                if ref not in by_id:
                    problems.append((f"{t.id}.{field}", f"unknown technique id {ref!r}"))
        for ref in t.conflicts:
            if ref in by_id and t.id not in by_id[ref].conflicts:
                problems.append((f"{t.id}.conflicts", f"{ref!r} does not list {t.id!r} back as a conflict"))
        for j, e in enumerate(t.effects):
            if e.source not in keys:
                problems.append((f"{t.id}.effects[{j}].source", f"unknown source key {e.source!r}"))
    for h in headlines:
        if h.source not in keys:
            problems.append((f"headlines.{h.id}.source", f"unknown source key {h.source!r}"))
        for ref in h.candidates:
            if ref not in by_id:
                problems.append((f"headlines.{h.id}.candidates", f"unknown technique id {ref!r}"))
    used = {e.source for t in techniques for e in t.effects} | {h.source for h in headlines}
    for s in sources:
        if s.key not in used:
            problems.append((f"sources.{s.key}", "source is cited by no effect"))
    return problems


def as_plain(value: Any) -> Any:
    """Enums to their values, recursively (for JSON/CSV)."""
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, dict):
        return {k: as_plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [as_plain(v) for v in value]
    return value
