"""The literature catalog: accelerator optimization techniques and their measured, sourced effects.

Query it::

    from accelkit import kit
    kit.techniques(block="sparsity", metric="energy", min_effect="2x", sort="effect")
    kit.get("zero-gating").effects[0].source   # -> 'chen2017eyeriss'
    kit.to_dataframe()                          # one row per effect
    kit.compare("zero-gating", "zero-activation-skipping")

The data is packaged YAML (``accelkit/kit/catalog/*.yaml``, one file per building block plus ``sources.yaml`` and
``headlines.yaml``), validated by :mod:`accelkit.kit.schema` on first use. Exports: :func:`to_csv`,
:func:`to_json` (the ``kit export --format json`` contract in DESIGN.md), :func:`to_markdown`, :func:`to_bibtex`.
"""

from __future__ import annotations

import difflib
import functools
import importlib
import io
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from accelkit.errors import AccelkitError, SpecError, UnknownNameError
from accelkit.kit.schema import (
    BLOCK_TITLES,
    Block,
    CatalogFile,
    Confidence,
    Direction,
    Effect,
    Headline,
    Level,
    Metric,
    Source,
    SourceType,
    Technique,
    Unit,
    as_plain,
    catalog_problems,
)
from accelkit.spec.base import validate_spec

__all__ = [
    "BLOCK_TITLES",
    "EXPORT_FORMATS",
    "SORT_KEYS",
    "Block",
    "Catalog",
    "Comparison",
    "Confidence",
    "Direction",
    "Effect",
    "Headline",
    "KitError",
    "Level",
    "Metric",
    "Source",
    "Technique",
    "Threshold",
    "Unit",
    "UnknownTechniqueError",
    "compare",
    "export",
    "export_records",
    "get",
    "headlines",
    "load_catalog",
    "modelled_by_info",
    "parse_min_effect",
    "source",
    "sources",
    "techniques",
    "to_bibtex",
    "to_csv",
    "to_dataframe",
    "to_json",
    "to_markdown",
]

SORT_KEYS = ("block", "id", "name", "level", "effect", "effects", "year")
EXPORT_FORMATS = ("csv", "json", "markdown", "bibtex")


class KitError(AccelkitError):
    """Bad input to the catalog API (a malformed threshold, an unknown export format, ...)."""


class UnknownTechniqueError(AccelkitError, KeyError):
    """A technique id that is not in the catalog; suggests the closest ids."""

    def __init__(self, name: str, suggestions: Sequence[str], total: int) -> None:
        self.name = name
        self.suggestions = list(suggestions)
        hint = f" Did you mean {', '.join(repr(s) for s in suggestions)}?" if suggestions else ""
        super().__init__(f"unknown technique {name!r}.{hint} 'accelkit kit list' shows all {total} technique ids.")

    def __str__(self) -> str:
        return self.args[0]


# ---- loading ------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Catalog:
    """The validated catalog: techniques in file order, sources by key, the survey's headline claims."""

    techniques: tuple[Technique, ...]
    sources: dict[str, Source]
    headlines: tuple[Headline, ...]

    @functools.cached_property
    def by_id(self) -> dict[str, Technique]:
        return {t.id: t for t in self.techniques}

    @functools.cached_property
    def aliases(self) -> dict[str, str]:
        out: dict[str, str] = {}
        for t in self.techniques:
            for a in t.aliases:
                out.setdefault(a.lower(), t.id)
        return out


def _catalog_files(directory: Path | None) -> list[tuple[str, str]]:
    if directory is not None:
        return [(p.name, p.read_text(encoding="utf-8")) for p in sorted(Path(directory).glob("*.yaml"))]
    root = resources.files("accelkit.kit").joinpath("catalog")
    return sorted((p.name, p.read_text(encoding="utf-8")) for p in root.iterdir() if p.name.endswith(".yaml"))


def _load(directory: Path | None) -> Catalog:
    techs: list[Technique] = []
    srcs: list[Source] = []
    heads: list[Headline] = []
    problems: list[tuple[str, str]] = []
    for name, text in _catalog_files(directory):
        where = f"catalog/{name}"
        try:
            data = yaml.safe_load(text) or {}
        except yaml.YAMLError as exc:
            problems.append((where, f"YAML syntax error: {exc}"))
            continue
        try:
            part = validate_spec(CatalogFile, data, source=where)
        except SpecError as exc:
            problems.extend((f"{where}: {p}", m) for p, m in exc.problems)
            continue
        for i, t in enumerate(part.techniques):
            if part.block is not None and t.block is not part.block:
                problems.append(
                    (f"{where}: techniques[{i}].block", f"{t.id!r} is {t.block.value}, file is {part.block.value}")
                )
        techs.extend(part.techniques)
        srcs.extend(part.sources)
        heads.extend(part.headlines)
    problems.extend(catalog_problems(techs, srcs, heads))
    if problems:
        raise SpecError(problems, source="accelkit kit catalog")
    return Catalog(tuple(techs), {s.key: s for s in srcs}, tuple(heads))


@functools.cache
def _packaged() -> Catalog:
    return _load(None)


def load_catalog(directory: str | Path | None = None) -> Catalog:
    """The packaged catalog (cached), or the ``*.yaml`` files of ``directory`` (validated the same way)."""
    return _packaged() if directory is None else _load(Path(directory))


# ---- lookups ------------------------------------------------------------------------------------------------------
def _norm(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", text.strip().lower().replace("&", " ")).strip("_")


def _choice(enum: type[Any], value: Any, kind: str) -> Any:
    """An enum member from its value, accepting hyphens/spaces/case variants; else UnknownNameError."""
    if value is None or isinstance(value, enum):
        return value
    key = _norm(str(value))
    for member in enum:
        if _norm(member.value) == key or _norm(member.name) == key:
            return member
    if enum is Block:
        for member, title in BLOCK_TITLES.items():
            if _norm(title) == key:
                return member
    raise UnknownNameError(kind, str(value), enum.values())


def _suggest(query: str, cat: Catalog, n: int = 3) -> list[str]:
    q = query.strip().lower()
    scored: dict[str, float] = {}
    names = [(t.id, t.id) for t in cat.techniques] + [(a, i) for a, i in cat.aliases.items()]
    for name, tid in names:
        parts = [name, *name.split("-")]
        score = max(difflib.SequenceMatcher(None, q, p).ratio() for p in parts)
        if q and q in name:
            score = max(score, 0.8)
        scored[tid] = max(scored.get(tid, 0.0), score)
    ranked = sorted((s, tid) for tid, s in scored.items() if s >= 0.6)
    return [tid for _, tid in sorted(ranked, key=lambda st: (-st[0], st[1]))][:n]


def get(technique_id: str, *, catalog: Catalog | None = None) -> Technique:
    """The technique with this id (or a unique alias); unknown ids raise with the closest suggestions."""
    cat = catalog or load_catalog()
    key = technique_id.strip().lower()
    if key in cat.by_id:
        return cat.by_id[key]
    if key in cat.aliases:
        return cat.by_id[cat.aliases[key]]
    raise UnknownTechniqueError(technique_id, _suggest(key, cat), len(cat.techniques))


def source(key: str, *, catalog: Catalog | None = None) -> Source:
    cat = catalog or load_catalog()
    try:
        return cat.sources[key]
    except KeyError:
        raise UnknownNameError("source", key, list(cat.sources)) from None


def sources(*, catalog: Catalog | None = None) -> list[Source]:
    cat = catalog or load_catalog()
    return sorted(cat.sources.values(), key=lambda s: s.key)


def headlines(*, catalog: Catalog | None = None) -> list[Headline]:
    return list((catalog or load_catalog()).headlines)


# ---- filtering ----------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Threshold:
    """A minimum effect: a factor (``2x``: improvement >= 2) or a percentage (``30%``: >= 30% better)."""

    kind: str  # "factor" or "percent"
    value: float

    def admits(self, effect: Effect) -> bool:
        if self.kind == "factor":
            imp = effect.improvement_max
            return imp is not None and imp >= self.value
        pct = effect.percent_improvement()
        return pct is not None and pct >= self.value

    def __str__(self) -> str:
        return f"{self.value:g}x" if self.kind == "factor" else f"{self.value:g}%"


_THRESHOLD = re.compile(r"^\s*(\d+(?:\.\d*)?|\.\d+)\s*(x|%)?\s*$", re.IGNORECASE)


def parse_min_effect(value: str | float | Threshold | None) -> Threshold | None:
    """``'2x'``, ``'2'``, ``2.5`` -> factor threshold; ``'30%'`` -> percent threshold; None -> None."""
    if value is None or isinstance(value, Threshold):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        num, unit = float(value), "x"
    else:
        m = _THRESHOLD.match(str(value))
        if not m:
            raise KitError(
                f"min-effect {value!r}: expected a factor such as '2x' or '1.5' (improvement >= that factor), "
                "or a percentage such as '30%'"
            )
        num, unit = float(m.group(1)), (m.group(2) or "x").lower()
    if unit == "x":
        if num < 1:
            raise KitError(
                f"min-effect {value!r}: a factor threshold must be >= 1 (e.g. '2x'); use '30%' for percentages"
            )
        return Threshold("factor", num)
    if not 0 < num < 100:
        raise KitError(f"min-effect {value!r}: a percentage must be between 0 and 100 (exclusive)")
    return Threshold("percent", num)


def _newest_year(t: Technique, cat: Catalog) -> int:
    return max((cat.sources[e.source].year for e in t.effects), default=0)


def techniques(
    level: str | Level | None = None,
    block: str | Block | None = None,
    metric: str | Metric | None = None,
    min_effect: str | float | Threshold | None = None,
    sort: str | None = None,
    *,
    catalog: Catalog | None = None,
) -> list[Technique]:
    """Techniques matching every given filter.

    ``metric`` keeps techniques with at least one effect on that metric; ``min_effect`` keeps those with an effect
    (on ``metric`` if given) whose improvement reaches the threshold (``'2x'`` or ``'30%'``; accuracy points and
    costs never pass). ``sort``: block (catalog order, default), id, name, level, effect (largest improvement
    first, on ``metric`` if given), effects (most effects first), year (newest source first).
    """
    cat = catalog or load_catalog()
    lv = _choice(Level, level, "level")
    bl = _choice(Block, block, "block")
    mt = _choice(Metric, metric, "metric")
    th = parse_min_effect(min_effect)
    key = (sort or "block").strip().lower()
    if key not in SORT_KEYS:
        raise UnknownNameError("sort key", sort or "", list(SORT_KEYS))

    def keep(t: Technique) -> bool:
        if lv is not None and t.level is not lv:
            return False
        if bl is not None and t.block is not bl:
            return False
        effs = t.effects_for(mt)
        if mt is not None and not effs:
            return False
        return not (th is not None and not any(th.admits(e) for e in effs))

    out = [t for t in cat.techniques if keep(t)]
    block_order = list(Block)
    if key == "block":
        out.sort(key=lambda t: block_order.index(t.block))
    elif key == "id":
        out.sort(key=lambda t: t.id)
    elif key == "name":
        out.sort(key=lambda t: t.name.lower())
    elif key == "level":
        out.sort(key=lambda t: (list(Level).index(t.level), block_order.index(t.block)))
    elif key == "effect":
        out.sort(key=lambda t: -(t.best_improvement(mt) or 0.0))
    elif key == "effects":
        out.sort(key=lambda t: -len(t.effects_for(mt)))
    elif key == "year":
        out.sort(key=lambda t: -_newest_year(t, cat))
    return out


# ---- the model link -----------------------------------------------------------------------------------------------
_MODELLED_DESCRIPTIONS = {
    "accelkit.mapping.dataflows": "the mapper's dataflows (accelkit list dataflows; evaluate --dataflow)",
    "accelkit.hardware.technology": "the technology and voltage scaling laws (technology.node / voltage / clock)",
    "accelkit.spec.accelerator.MemoryLevelSpec": "the accelerator spec's memory hierarchy (levels, capacities, kinds)",
    "accelkit.spec.accelerator.MacSpec": "the datapath precision of the accelerator spec (pe_array.mac)",
}


@dataclass(frozen=True)
class ModelledBy:
    path: str | None
    resolvable: bool
    description: str
    #: kinds of the optimization blocks whose ``catalog_ids`` name this technique (the link from the blocks back)
    blocks: tuple[str, ...] = ()

    @property
    def computable(self) -> bool:
        return bool(self.blocks) or (self.path is not None and self.resolvable)

    @property
    def label(self) -> str | None:
        """What computes it, in one string: the block kinds, else the dotted path of the base-model feature."""
        if self.blocks:
            return ", ".join(self.blocks)
        return self.path


def blocks_for(technique_id: str) -> tuple[str, ...]:
    """Kinds of the registered optimization blocks that model ``technique_id`` (their ``catalog_ids`` say so)."""
    return _block_index().get(technique_id, ())


@functools.lru_cache(maxsize=1)
def _block_index() -> dict[str, tuple[str, ...]]:
    from accelkit.optimizations import available, block_class

    index: dict[str, list[str]] = {}
    for kind in available():
        for tid in block_class(kind).catalog_ids:
            index.setdefault(tid, []).append(kind)
    return {k: tuple(v) for k, v in index.items()}


def modelled_by_info(technique: Technique | str) -> ModelledBy:
    """Whether accelkit computes this technique's effect on the user's design: through an optimization block
    (found from the blocks' ``catalog_ids``: the blocks name the techniques they implement, the catalog does
    not repeat it), or through a base-model feature named by the catalog's ``modelled_by`` path."""
    t = technique if isinstance(technique, Technique) else get(technique)
    blocks = blocks_for(t.id)
    path = t.modelled_by
    resolvable = False
    if path is not None:
        obj: Any = None
        module, _, attr = path.rpartition(".")
        for mod_name, attr_name in ((path, None), (module, attr)):
            try:
                obj = importlib.import_module(mod_name)
            except ImportError:
                continue
            if attr_name is not None:
                obj = getattr(obj, attr_name, None)
            if obj is not None:
                break
        resolvable = obj is not None
    parts = []
    if blocks:
        parts.append(
            f"the optimization block{'s' if len(blocks) > 1 else ''} {', '.join(blocks)} (list it under `blocks:` "
            "in a study file; `accelkit attribute` shows its effect beside these figures)"
        )
    if path is not None:
        parts.append(_MODELLED_DESCRIPTIONS.get(path, path))
    if not parts:
        return ModelledBy(None, False, "not modelled: no accelkit block computes this effect yet")
    return ModelledBy(path, resolvable, "; and ".join(parts), blocks)


# ---- comparison ---------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class MetricComparison:
    metric: Metric
    a: tuple[Effect, ...]
    b: tuple[Effect, ...]

    @staticmethod
    def _span(effects: Sequence[Effect]) -> tuple[float, float] | None:
        lo = [e.improvement for e in effects if e.improvement is not None]
        hi = [e.improvement_max for e in effects if e.improvement_max is not None]
        return (min(lo), max(hi)) if lo and hi else None

    @property
    def a_range(self) -> tuple[float, float] | None:
        return self._span(self.a)

    @property
    def b_range(self) -> tuple[float, float] | None:
        return self._span(self.b)

    @property
    def larger(self) -> str | None:
        """'a' or 'b': whose best reported improvement on this metric is larger (None when not comparable)."""
        ra, rb = self.a_range, self.b_range
        if ra is None or rb is None or ra[1] == rb[1]:
            return None
        return "a" if ra[1] > rb[1] else "b"


@dataclass(frozen=True)
class Comparison:
    """Two techniques side by side: per-metric reported effects and how the two relate."""

    a: Technique
    b: Technique
    metrics: tuple[MetricComparison, ...]
    relations: tuple[str, ...] = field(default_factory=tuple)

    def to_dict(self) -> dict[str, Any]:
        def eff(e: Effect) -> dict[str, Any]:
            return {
                "effect": e.value_text(),
                "improvement": e.improvement_max,
                "baseline": e.baseline,
                "source": e.source,
            }

        return {
            "a": self.a.id,
            "b": self.b.id,
            "relations": list(self.relations),
            "metrics": [
                {
                    "metric": m.metric.value,
                    "a": [eff(e) for e in m.a],
                    "b": [eff(e) for e in m.b],
                    "a_range": list(m.a_range) if m.a_range else None,
                    "b_range": list(m.b_range) if m.b_range else None,
                    "larger": m.larger,
                }
                for m in self.metrics
            ],
        }


def compare(a: str | Technique, b: str | Technique, *, catalog: Catalog | None = None) -> Comparison:
    """Compare two techniques metric by metric (only the literature values; baselines differ between papers)."""
    cat = catalog or load_catalog()
    ta = a if isinstance(a, Technique) else get(a, catalog=cat)
    tb = b if isinstance(b, Technique) else get(b, catalog=cat)
    rows = []
    for m in Metric:
        ea, eb = tuple(ta.effects_for(m)), tuple(tb.effects_for(m))
        if ea or eb:
            rows.append(MetricComparison(m, ea, eb))
    rel: list[str] = []
    if ta.id == tb.id:
        rel.append("the same technique")
    if tb.id in ta.prerequisites:
        rel.append(f"{ta.id} requires {tb.id}")
    if ta.id in tb.prerequisites:
        rel.append(f"{tb.id} requires {ta.id}")
    if tb.id in ta.conflicts or ta.id in tb.conflicts:
        rel.append(f"{ta.id} and {tb.id} conflict (alternatives for the same job)")
    rel.append(
        f"same building block ({BLOCK_TITLES[ta.block]})"
        if ta.block is tb.block
        else f"different building blocks ({BLOCK_TITLES[ta.block]} vs {BLOCK_TITLES[tb.block]})"
    )
    shared = sorted({e.source for e in ta.effects} & {e.source for e in tb.effects})
    if shared:
        rel.append("shared sources: " + ", ".join(shared))
    rel.append("baselines differ between sources: compare ranges, not single numbers")
    return Comparison(ta, tb, tuple(rows), tuple(rel))


# ---- exports ------------------------------------------------------------------------------------------------------
def _selected(techs: Iterable[Technique] | None) -> list[Technique]:
    return list(load_catalog().techniques if techs is None else techs)


def _source_dict(s: Source, where: str) -> dict[str, Any]:
    return {
        "key": s.key,
        "authors": list(s.authors),
        "title": s.title,
        "venue": s.venue,
        "year": s.year,
        "doi": s.doi,
        "arxiv": s.arxiv,
        "url": s.url,
        "where": where,
    }


def _effect_dict(e: Effect, cat: Catalog) -> dict[str, Any]:
    return {
        "metric": e.metric.value,
        "factor": e.factor,
        "factor_max": e.factor_max,
        "direction": e.direction.value,
        "value": e.value,
        "value_max": e.value_max,
        "unit": e.unit.value,
        "qualifier": e.qualifier.value,
        "improvement": e.improvement_max,
        "baseline": e.baseline,
        "context": as_plain(e.context.model_dump()),
        "source": _source_dict(cat.sources[e.source], e.where),
        "confidence": e.confidence.value,
        "read_at": e.read_at,
        "secondary_source": e.secondary_source,
        "derivation": e.derivation,
        "note": e.note,
    }


def export_records(techs: Iterable[Technique] | None = None) -> list[dict[str, Any]]:
    """The ``kit export --format json`` document (keys follow the output contract in DESIGN.md)."""
    cat = load_catalog()
    out = []
    for t in _selected(techs):
        info = modelled_by_info(t)
        out.append(
            {
                "id": t.id,
                "name": t.name,
                "level": t.level.value,
                "block": t.block.value,
                "modelled_by": info.label,
                "modelled_by_blocks": list(info.blocks),
                "computable_by_accelkit": info.computable,
                "description": t.description,
                "prerequisites": list(t.prerequisites),
                "conflicts": list(t.conflicts),
                "aliases": list(t.aliases),
                "effects": [_effect_dict(e, cat) for e in t.effects],
            }
        )
    return out


def to_json(techs: Iterable[Technique] | None = None, *, indent: int | None = 2) -> str:
    return json.dumps(export_records(techs), indent=indent, ensure_ascii=False)


_COLUMNS = [
    "id", "name", "level", "block", "modelled_by", "metric", "value", "value_max", "unit", "direction",
    "qualifier", "factor", "factor_max", "improvement", "baseline", "network", "dataset", "node", "evidence",
    "context_notes", "source", "authors", "title", "venue", "year", "doi", "arxiv", "where", "confidence",
    "read_at", "secondary_source", "derivation",
]  # fmt: skip


def to_dataframe(techs: Iterable[Technique] | None = None) -> Any:
    """A tidy pandas DataFrame: one row per effect (a technique without effects gets one row with no metric)."""
    import pandas as pd

    cat = load_catalog()
    rows: list[dict[str, Any]] = []
    for t in _selected(techs):
        base = {
            "id": t.id,
            "name": t.name,
            "level": t.level.value,
            "block": t.block.value,
            "modelled_by": modelled_by_info(t).label,
        }
        if not t.effects:
            rows.append(base)
        for e in t.effects:
            s = cat.sources[e.source]
            rows.append(
                {
                    **base,
                    "metric": e.metric.value,
                    "value": e.value,
                    "value_max": e.value_max,
                    "unit": e.unit.value,
                    "direction": e.direction.value,
                    "qualifier": e.qualifier.value,
                    "factor": e.factor,
                    "factor_max": e.factor_max,
                    "improvement": e.improvement_max,
                    "baseline": e.baseline,
                    "network": e.context.network,
                    "dataset": e.context.dataset,
                    "node": e.context.node,
                    "evidence": e.context.evidence.value,
                    "context_notes": e.context.notes,
                    "source": s.key,
                    "authors": "; ".join(s.authors),
                    "title": s.title,
                    "venue": s.venue,
                    "year": s.year,
                    "doi": s.doi,
                    "arxiv": s.arxiv,
                    "where": e.where,
                    "confidence": e.confidence.value,
                    "read_at": e.read_at,
                    "secondary_source": e.secondary_source,
                    "derivation": e.derivation,
                }
            )
    return pd.DataFrame(rows, columns=_COLUMNS)


def to_csv(techs: Iterable[Technique] | None = None) -> str:
    buf = io.StringIO()
    to_dataframe(techs).to_csv(buf, index=False)
    return buf.getvalue()


def _md(text: Any) -> str:
    s = "" if text is None else str(text)
    return s.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ").strip()


def to_markdown(techs: Iterable[Technique] | None = None) -> str:
    """A GitHub-flavoured Markdown table, one row per effect."""
    cat = load_catalog()
    head = ["technique", "level", "block", "metric", "effect", "baseline", "context", "source", "where", "confidence"]
    lines = ["| " + " | ".join(head) + " |", "|" + "|".join("---" for _ in head) + "|"]
    for t in _selected(techs):
        name = f"{t.name} (`{t.id}`)"
        if not t.effects:
            cells = [name, t.level.value, BLOCK_TITLES[t.block], "-", "no grounded effect", "-", "-", "-", "-", "-"]
            lines.append("| " + " | ".join(_md(c) for c in cells) + " |")
        for e in t.effects:
            s = cat.sources[e.source]
            ident = f" {s.identifier}" if s.identifier else ""
            cells = [
                name,
                t.level.value,
                BLOCK_TITLES[t.block],
                e.metric.value,
                e.value_text(),
                e.baseline,
                e.context.text(),
                f"{s.short}{ident}",
                e.where,
                e.confidence.value,
            ]
            lines.append("| " + " | ".join(_md(c) for c in cells) + " |")
    return "\n".join(lines) + "\n"


_BIB_ESCAPES = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_",
                "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}"}  # fmt: skip


def _bib(text: str) -> str:
    return "".join(_BIB_ESCAPES.get(ch, ch) for ch in text)


def _bib_entry(s: Source) -> str:
    authors = " and ".join("others" if a == "others" else _bib(a) for a in s.authors)
    fields: list[tuple[str, str]] = [("author", authors), ("title", "{" + _bib(s.title) + "}")]
    if s.type is SourceType.JOURNAL:
        kind = "article"
        fields.append(("journal", _bib(s.venue)))
    elif s.type is SourceType.CONFERENCE:
        kind = "inproceedings"
        fields.append(("booktitle", _bib(s.venue)))
    else:
        kind = "misc"
        fields.append(("howpublished", _bib(s.venue)))
    fields.append(("year", str(s.year)))
    if s.doi:
        fields.append(("doi", s.doi))
    if s.arxiv:
        fields += [("eprint", s.arxiv), ("archivePrefix", "arXiv")]
    if s.url:
        fields.append(("url", s.url.replace("{", "%7B").replace("}", "%7D")))
    if s.note:
        fields.append(("note", _bib(s.note)))
    body = ",\n".join(f"  {k} = {{{v}}}" for k, v in fields)
    return f"@{kind}{{{s.key},\n{body}\n}}\n"


def to_bibtex(techs: Iterable[Technique] | None = None) -> str:
    """BibTeX entries for every source cited by ``techs`` (all sources, incl. the survey, when None)."""
    cat = load_catalog()
    keys = set(cat.sources) if techs is None else {e.source for t in techs for e in t.effects}
    return "\n".join(_bib_entry(cat.sources[k]) for k in sorted(keys))


def export(fmt: str, techs: Iterable[Technique] | None = None) -> str:
    """One of :data:`EXPORT_FORMATS` as text."""
    key = fmt.strip().lower()
    if key in ("md", "markdown"):
        return to_markdown(techs)
    if key == "csv":
        return to_csv(techs)
    if key == "json":
        return to_json(techs)
    if key in ("bib", "bibtex"):
        return to_bibtex(techs)
    raise UnknownNameError("export format", fmt, list(EXPORT_FORMATS))
