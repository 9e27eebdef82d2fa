"""Schema and data-quality tests over the whole packaged catalog."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest
from pydantic import ValidationError

from accelkit import kit
from accelkit.errors import SpecError
from accelkit.kit.schema import Block, Confidence, Direction, Effect, Metric, Unit

CAT = kit.load_catalog()
EFFECTS = [(t, i, e) for t in CAT.techniques for i, e in enumerate(t.effects)]


def _eid(item: tuple) -> str:
    t, i, _ = item
    return f"{t.id}[{i}]"


def test_catalog_size_meets_the_issue() -> None:
    assert len(CAT.techniques) >= 40
    assert len(EFFECTS) >= 100
    assert {t.block for t in CAT.techniques} == set(Block), "every building block has techniques"
    assert {t.level for t in CAT.techniques} == set(kit.Level)


def test_ids_and_source_keys_are_unique() -> None:
    ids = [t.id for t in CAT.techniques]
    assert len(ids) == len(set(ids))
    owners: dict[str, str] = {}
    for t in CAT.techniques:
        for a in t.aliases:
            assert a not in ids or a == t.id, f"alias {a!r} of {t.id} is another technique's id"
            assert owners.setdefault(a, t.id) == t.id, f"alias {a!r} is used by {owners[a]} and {t.id}"
    assert len(CAT.sources) == len({s.key for s in CAT.sources.values()})


def test_prerequisites_and_conflicts_reference_existing_ids_and_conflicts_are_symmetric() -> None:
    for t in CAT.techniques:
        for ref in (*t.prerequisites, *t.conflicts):
            assert ref in CAT.by_id, f"{t.id} references unknown {ref}"
        for ref in t.conflicts:
            assert t.id in CAT.by_id[ref].conflicts, f"{t.id} conflicts with {ref} but not back"


def test_prerequisites_have_no_cycles() -> None:
    state: dict[str, int] = {}

    def visit(tid: str, path: tuple[str, ...]) -> None:
        if state.get(tid) == 2:
            return
        assert state.get(tid) != 1, f"prerequisite cycle: {' -> '.join((*path, tid))}"
        state[tid] = 1
        for p in CAT.by_id[tid].prerequisites:
            visit(p, (*path, tid))
        state[tid] = 2

    for t in CAT.techniques:
        visit(t.id, ())


@pytest.mark.parametrize("item", EFFECTS, ids=_eid)
def test_every_effect_has_a_complete_source(item: tuple) -> None:
    _, _, e = item
    s = CAT.sources[e.source]
    assert s.year >= 1950 and s.venue.strip() and s.title.strip() and s.authors
    assert e.where.strip(), "every effect says where in the source the number is"


@pytest.mark.parametrize("item", EFFECTS, ids=_eid)
def test_values_are_positive_with_a_direction_and_consistent_units(item: tuple) -> None:
    _, _, e = item
    assert e.value > 0 and isinstance(e.direction, Direction)
    if e.value_max is not None:
        assert e.value_max > e.value
    if e.metric is Metric.ACCURACY:
        assert e.unit in (Unit.POINTS, Unit.PERCENT)
    else:
        assert e.unit in (Unit.FACTOR, Unit.PERCENT)
        assert e.factor is not None and e.factor >= 1
    if e.unit is Unit.FACTOR:
        assert e.value >= 1
    if e.unit is Unit.PERCENT and e.direction is Direction.DECREASE:
        assert (e.value_max or e.value) < 100


@pytest.mark.parametrize("item", EFFECTS, ids=_eid)
def test_every_number_states_how_it_was_obtained(item: tuple) -> None:
    _, _, e = item
    if e.confidence is Confidence.READ:
        assert e.read_at and e.read_at.strip(), "a read number records the copy it was read in"
        assert e.where.strip() and CAT.sources[e.source].title, "and the paper plus table/figure/section"
    elif e.confidence is Confidence.SECONDARY:
        assert e.secondary_source, "a secondary number names the secondary source"
    elif e.confidence is Confidence.COMPUTED:
        assert e.derivation and any(ch.isdigit() for ch in e.derivation), "a computed number shows its arithmetic"


def test_read_numbers_are_the_majority_and_every_confidence_is_known() -> None:
    counts = {c: sum(e.confidence is c for _, _, e in EFFECTS) for c in Confidence}
    assert counts[Confidence.READ] > len(EFFECTS) / 2
    assert sum(counts.values()) == len(EFFECTS)


def test_modelled_by_paths_resolve_to_real_accelkit_objects() -> None:
    modelled = [t for t in CAT.techniques if t.modelled_by]
    assert modelled, "some techniques are computed by accelkit's cost model"
    for t in modelled:
        info = kit.modelled_by_info(t)
        assert info.resolvable, f"{t.id}: {t.modelled_by} does not import"
        module, _, attr = t.modelled_by.rpartition(".")
        try:
            importlib.import_module(t.modelled_by)
        except ImportError:
            assert hasattr(importlib.import_module(module), attr)
    assert kit.get("row-stationary-dataflow").modelled_by == "accelkit.mapping.dataflows"
    assert kit.get("technology-scaling").modelled_by == "accelkit.hardware.technology"


def test_every_source_is_cited() -> None:
    cited = {e.source for _, _, e in EFFECTS} | {h.source for h in CAT.headlines}
    assert cited == set(CAT.sources)


def test_headline_extremes_are_present_and_traceable() -> None:
    heads = {h.id: h for h in CAT.headlines}
    mem, energy = heads["memory-10000x"], heads["energy-33x"]
    assert (mem.metric, mem.value, energy.metric, energy.value) == (Metric.MEMORY, 10000, Metric.ENERGY, 33)
    for h in (mem, energy):
        assert h.source == "jokic2022construction" and h.confidence is Confidence.READ and h.read_at
        assert CAT.sources[h.source].doi == "10.1145/3520127"
        assert h.candidates and all(c in CAT.by_id for c in h.candidates)
        assert "not" in h.attribution  # says honestly what could not be traced
    # the largest grounded factors are in the catalog with what they measure
    eie = kit.get("compressed-sparse-accelerator")
    product = [e for e in eie.effects if e.value == 28800]
    assert product and product[0].confidence is Confidence.COMPUTED and "120" in (product[0].derivation or "")
    assert any(e.value == 24000 and "CPU" in e.baseline for e in eie.effects)
    assert max(e.improvement_max or 0 for _, _, e in EFFECTS if e.metric is Metric.MEMORY) >= 496


def test_validation_md_numbers_are_reused_with_their_sources() -> None:
    def has(tid: str, value: float, source: str) -> bool:
        return any(e.value == value and e.source == source for e in kit.get(tid).effects)

    assert has("deep-compression", 35, "han2016deep") and has("deep-compression", 49, "han2016deep")
    assert has("unstructured-pruning", 9, "han2015learning") and has("unstructured-pruning", 13, "han2015learning")
    assert has("winograd-convolution", 2.25, "lavin2016fast") and has("winograd-convolution", 4, "lavin2016fast")
    assert has("on-chip-model-storage", 120, "han2016eie") and has("sparse-weight-processing", 10, "han2016eie")
    assert has("weight-sharing", 8, "han2016eie") and has("zero-activation-skipping", 3, "han2016eie")
    assert has("zero-activation-skipping", 65.16, "han2016eie") and has(
        "zero-activation-skipping", 1.37, "albericio2016cnvlutin"
    )
    assert has("binary-weights", 32, "rastegari2016xnor") and has("binary-networks", 58, "rastegari2016xnor")
    assert has("ternary-weights", 16, "li2016ternary") and has("zero-gating", 45, "chen2017eyeriss")
    assert has("activation-compression", 30, "chen2017eyeriss") and has("dvfs", 1.48, "chen2017eyeriss")
    assert has("bit-serial-precision-scalable", 23.1, "lee2019unpu") and has("dvfs", 1.39, "mlcommons2022tiny")


# ---- the schema rejects bad data ---------------------------------------------------------------------------------
def _effect(**over: object) -> dict:
    base = {
        "metric": "energy",
        "value": 2.0,
        "unit": "x",
        "direction": "decrease",
        "baseline": "some baseline",
        "context": {"evidence": "silicon"},
        "source": "han2016eie",
        "where": "abstract",
        "confidence": "read",
        "read_at": "https://example.org",
    }
    base.update(over)
    return base


@pytest.mark.parametrize(
    ("over", "message"),
    [
        ({"value": 0.5}, "factor must be >= 1"),
        ({"value": -1}, "greater than 0"),
        ({"unit": "pp"}, "only for accuracy"),
        ({"metric": "accuracy"}, "not as a factor"),
        ({"unit": "%", "value": 100}, "cannot be 100%"),
        ({"read_at": None}, "read_at"),
        ({"confidence": "secondary"}, "secondary_source"),
        ({"confidence": "computed"}, "derivation"),
        ({"value_max": 1.5}, "larger than value"),
        ({"direction": "sideways"}, "decrease"),
        ({"where": ""}, "at least 3"),
        ({"colour": "red"}, "Extra inputs"),
    ],
)
def test_effect_schema_rejects(over: dict, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        Effect.model_validate(_effect(**over))


def test_percent_and_factor_views() -> None:
    e = Effect.model_validate(_effect(unit="%", value=75))
    assert e.factor == pytest.approx(4.0) and e.improvement == pytest.approx(4.0)
    cost = Effect.model_validate(_effect(metric="area", unit="%", value=25, direction="increase"))
    assert cost.factor == pytest.approx(1.25) and cost.improvement == pytest.approx(0.8) and not cost.is_improvement
    fast = Effect.model_validate(_effect(metric="throughput", value=3, direction="increase"))
    assert fast.improvement == 3 and fast.percent_improvement() == pytest.approx(200)
    acc = Effect.model_validate(_effect(metric="accuracy", unit="pp", value=1, direction="decrease"))
    assert acc.factor is None and acc.improvement is None and acc.value_text() == "-1 pp"


def _write(tmp: Path, name: str, text: str) -> None:
    (tmp / name).write_text(text, encoding="utf-8")


def test_a_broken_catalog_reports_every_problem_with_its_path(tmp_path: Path) -> None:
    _write(
        tmp_path,
        "sources.yaml",
        "sources:\n"
        "  - {key: a2020x, authors: [A B], title: Some paper, venue: Venue, year: 2020, type: journal}\n"
        "  - {key: a2020x, authors: [A B], title: Some paper, venue: Venue, year: 2020, type: journal}\n",
    )
    tech = (
        "  - id: {id}\n    name: Technique {id}\n    level: model\n    block: sparsity\n"
        "    description: A technique for the test.\n    prerequisites: [{pre}]\n    conflicts: [{con}]\n"
        "    effects:\n"
        "      - {{metric: energy, value: 2, unit: x, direction: decrease, baseline: dense one,"
        " context: {{evidence: silicon}}, source: {src}, where: abstract, confidence: remembered}}\n"
    )
    _write(
        tmp_path,
        "sparsity.yaml",
        "block: sparsity\ntechniques:\n"
        + tech.format(id="tech-a", pre="no-such-id", con="tech-b", src="a2020x")
        + tech.format(id="tech-a", pre="", con="", src="missing2020")
        + tech.format(id="tech-b", pre="", con="", src="a2020x"),
    )
    with pytest.raises(SpecError) as info:
        kit.load_catalog(tmp_path)
    text = str(info.value)
    assert "duplicate technique id 'tech-a'" in text
    assert "duplicate source key 'a2020x'" in text
    assert "unknown technique id 'no-such-id'" in text
    assert "unknown source key 'missing2020'" in text
    assert "does not list 'tech-a' back as a conflict" in text


def test_a_technique_in_the_wrong_block_file_is_reported(tmp_path: Path) -> None:
    _write(tmp_path, "sources.yaml", "sources: []\n")
    _write(
        tmp_path,
        "sparsity.yaml",
        "block: sparsity\ntechniques:\n  - {id: x-y, name: Xyz technique, level: model, block: compute_units,"
        " description: Something long enough.}\n",
    )
    with pytest.raises(SpecError, match="file is sparsity"):
        kit.load_catalog(tmp_path)
