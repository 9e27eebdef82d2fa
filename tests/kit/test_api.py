"""The Python API: filters, lookups, comparison and every export format."""

from __future__ import annotations

import csv
import io
import json
import re

import pytest

from accelkit import kit
from accelkit.errors import AccelkitError, UnknownNameError
from accelkit.kit.schema import Block, Level, Metric

CAT = kit.load_catalog()
N_EFFECTS = sum(len(t.effects) for t in CAT.techniques)
N_EMPTY = sum(not t.effects for t in CAT.techniques)


# ---- filters ------------------------------------------------------------------------------------------------------
def test_unfiltered_list_is_the_whole_catalog_in_block_order() -> None:
    techs = kit.techniques()
    assert len(techs) == len(CAT.techniques)
    order = [list(Block).index(t.block) for t in techs]
    assert order == sorted(order)
    assert all(isinstance(t, kit.Technique) for t in techs)


def test_filters_by_level_block_and_metric_accept_spelling_variants() -> None:
    assert {t.level for t in kit.techniques(level="circuit")} == {Level.CIRCUIT}
    sparse = kit.techniques(block="sparsity")
    assert sparse and {t.block for t in sparse} == {Block.SPARSITY}
    assert kit.techniques(block="in/near-memory computing") == kit.techniques(block="in_near_memory")
    assert kit.techniques(block="Dataflow-Reuse") == kit.techniques(block=Block.DATAFLOW_REUSE)
    energy = kit.techniques(metric="energy")
    assert energy and all(t.effects_for(Metric.ENERGY) for t in energy)


def test_min_effect_keeps_only_large_enough_improvements() -> None:
    big = kit.techniques(metric="energy", min_effect="10x")
    assert big and all((t.best_improvement(Metric.ENERGY) or 0) >= 10 for t in big)
    assert "zero-gating" not in {t.id for t in kit.techniques(min_effect="2x")}  # 45% less power = 1.8x
    assert "zero-gating" in {t.id for t in kit.techniques(min_effect="40%")}
    assert kit.techniques(min_effect=2) == kit.techniques(min_effect="2X") == kit.techniques(min_effect=" 2 x ")
    # costs (area overheads) and accuracy points never pass a threshold
    for t in kit.techniques(metric="area", min_effect="1.01x"):
        assert any(e.is_improvement for e in t.effects_for(Metric.AREA))


@pytest.mark.parametrize(
    ("text", "kind", "value"),
    [("2x", "factor", 2.0), ("1.5", "factor", 1.5), (3, "factor", 3.0), ("30%", "percent", 30.0)],
)
def test_parse_min_effect(text: object, kind: str, value: float) -> None:
    th = kit.parse_min_effect(text)  # type: ignore[arg-type]
    assert th is not None and (th.kind, th.value) == (kind, value)


@pytest.mark.parametrize("text", ["2y", "x2", "", "0.5x", "150%", "-2x", "two"])
def test_parse_min_effect_rejects_garbage_with_the_expected_forms(text: str) -> None:
    with pytest.raises(AccelkitError, match=r"min-effect"):
        kit.parse_min_effect(text)


@pytest.mark.parametrize(
    ("kwargs", "kind", "allowed"),
    [
        ({"level": "software"}, "level", "architecture, circuit, model, system"),
        ({"block": "caches"}, "block", "sparsity"),
        ({"metric": "speed"}, "metric", "throughput"),
        ({"sort": "popularity"}, "sort key", "effect"),
    ],
)
def test_bad_filter_values_name_the_allowed_values(kwargs: dict, kind: str, allowed: str) -> None:
    with pytest.raises(UnknownNameError) as info:
        kit.techniques(**kwargs)
    assert f"unknown {kind}" in str(info.value) and allowed in str(info.value)


def test_sort_by_effect_puts_the_largest_improvement_first() -> None:
    techs = kit.techniques(metric="memory", sort="effect")
    best = [t.best_improvement(Metric.MEMORY) or 0 for t in techs]
    assert best == sorted(best, reverse=True)
    assert [t.id for t in kit.techniques(sort="id")] == sorted(t.id for t in CAT.techniques)
    years = [max(CAT.sources[e.source].year for e in t.effects) for t in kit.techniques(sort="year") if t.effects]
    assert years == sorted(years, reverse=True)


# ---- lookups ------------------------------------------------------------------------------------------------------
def test_get_by_id_and_alias() -> None:
    assert kit.get("zero-gating").name.startswith("Zero-operand")
    assert kit.get("EIE").id == "compressed-sparse-accelerator"
    assert kit.get("winograd").id == "winograd-convolution"
    assert kit.source("han2016deep").arxiv == "1510.00149"


@pytest.mark.parametrize(
    ("typo", "expected"),
    [("prunning", "unstructured-pruning"), ("zero-gatting", "zero-gating"), ("systolic", "systolic-weight-stationary")],
)
def test_unknown_id_suggests_the_closest_ids(typo: str, expected: str) -> None:
    with pytest.raises(kit.UnknownTechniqueError) as info:
        kit.get(typo)
    assert expected in info.value.suggestions and expected in str(info.value)
    assert "accelkit kit list" in str(info.value)


def test_nothing_close_gives_no_suggestion() -> None:
    with pytest.raises(KeyError) as info:
        kit.get("qqqqqqqq")
    assert "Did you mean" not in str(info.value)


def test_modelled_by_info() -> None:
    assert kit.modelled_by_info("row-stationary-dataflow").computable
    assert kit.modelled_by_info("row-stationary-dataflow").blocks == ("dataflow",)


def test_the_link_goes_both_ways() -> None:
    """Every block names catalog ids; every such technique names the block back (and nothing else does)."""
    from accelkit.optimizations import available, block_class

    named = {(tid, kind) for kind in available() for tid in block_class(kind).catalog_ids}
    assert named, "some blocks model catalog techniques"
    for tid, kind in named:
        assert kind in kit.modelled_by_info(tid).blocks
    for t in kit.techniques():
        for kind in kit.modelled_by_info(t).blocks:
            assert t.id in block_class(kind).catalog_ids
    info = kit.modelled_by_info("knowledge-distillation")  # a training technique: no hardware model computes it
    assert not info.computable and info.path is None and "not modelled" in info.description


# ---- compare ------------------------------------------------------------------------------------------------------
def test_compare_lines_up_metrics_and_relations() -> None:
    cmp = kit.compare("deep-compression", "weight-sharing")
    assert "deep-compression requires weight-sharing" in cmp.relations
    assert [m.metric for m in cmp.metrics] == [Metric.MEMORY, Metric.ENERGY, Metric.THROUGHPUT]
    memory = cmp.metrics[0]
    assert memory.larger == "a" and memory.a_range == (35, 49)
    assert (
        kit.compare("winograd-convolution", "fft-convolution")
        .relations[0]
        .endswith("conflict (alternatives for the same job)")
    )
    d = cmp.to_dict()
    assert d["a"] == "deep-compression" and d["metrics"][0]["metric"] == "memory"
    json.dumps(d)


# ---- exports ------------------------------------------------------------------------------------------------------
def test_to_dataframe_is_tidy_one_row_per_effect() -> None:
    df = kit.to_dataframe()
    assert len(df) == N_EFFECTS + N_EMPTY
    assert {
        "id",
        "metric",
        "value",
        "unit",
        "direction",
        "factor",
        "baseline",
        "source",
        "year",
        "where",
        "confidence",
    } <= set(df.columns)
    assert df["id"].nunique() == len(CAT.techniques)
    energy = df[(df["metric"] == "energy") & (df["factor"] > 100)]
    assert "han2016eie" in set(energy["source"])
    sub = kit.to_dataframe(kit.techniques(block="sparsity"))
    assert set(sub["block"]) == {"sparsity"}


def test_json_export_follows_the_output_contract() -> None:
    doc = json.loads(kit.to_json())
    assert len(doc) == len(CAT.techniques)
    for rec in doc:
        assert {"id", "name", "level", "block", "modelled_by", "effects"} <= set(rec)
        for e in rec["effects"]:
            assert {"metric", "factor", "direction", "baseline", "context", "source"} <= set(e)
            assert {"authors", "title", "venue", "year", "doi", "where"} <= set(e["source"])
            assert e["direction"] in ("increase", "decrease")
            assert e["factor"] is None or e["factor"] >= 1
    gating = next(r for r in doc if r["id"] == "zero-gating")
    assert gating["effects"][0]["factor"] == pytest.approx(1 / 0.55)
    assert gating["effects"][0]["source"]["doi"] == "10.1109/JSSC.2016.2616357"


def test_csv_export_parses_back() -> None:
    rows = list(csv.DictReader(io.StringIO(kit.to_csv())))
    assert len(rows) == N_EFFECTS + N_EMPTY
    assert rows[0]["id"] and rows[0]["block"]


def test_markdown_export_is_a_table() -> None:
    md = kit.to_markdown()
    lines = md.strip().splitlines()
    assert lines[0].startswith("| technique |") and re.fullmatch(r"\|(---\|)+", lines[1])
    ncols = lines[0].count(" | ") + 1
    for line in lines[2:]:
        assert line.startswith("| ") and line.endswith(" |")
        cells = re.split(r"(?<!\\)\|", line)[1:-1]
        assert len(cells) == ncols, line
    assert len(lines) == 2 + N_EFFECTS + N_EMPTY


def parse_bibtex(text: str) -> dict[str, tuple[str, dict[str, str]]]:
    """A small structural BibTeX parser: entries, keys, brace-balanced field values."""
    entries: dict[str, tuple[str, dict[str, str]]] = {}
    pos = 0
    while True:
        m = re.compile(r"@(\w+)\{([^,\s]+),").search(text, pos)
        if not m:
            break
        kind, key = m.group(1).lower(), m.group(2)
        assert key not in entries, f"duplicate key {key}"
        i, fields = m.end(), {}
        while True:
            while text[i] in " \n\t,":
                i += 1
            if text[i] == "}":
                i += 1
                break
            fm = re.compile(r"(\w+)\s*=\s*\{").match(text, i)
            assert fm, f"bad field in {key} at {text[i : i + 40]!r}"
            depth, j = 1, fm.end()
            while depth:
                ch = text[j]
                if ch == "\\":
                    j += 2
                    continue
                depth += {"{": 1, "}": -1}.get(ch, 0)
                j += 1
            fields[fm.group(1).lower()] = text[fm.end() : j - 1]
            i = j
        entries[key] = (kind, fields)
        pos = i
    return entries


def test_bibtex_export_parses_and_has_the_required_fields() -> None:
    entries = parse_bibtex(kit.to_bibtex())
    assert set(entries) == set(CAT.sources)
    required = {"article": {"journal"}, "inproceedings": {"booktitle"}, "misc": {"howpublished"}}
    for key, (kind, fields) in entries.items():
        assert kind in required, key
        assert {"author", "title", "year"} | required[kind] <= set(fields), key
        assert re.fullmatch(r"\d{4}", fields["year"])
    kind, fields = entries["han2016deep"]
    assert kind == "inproceedings" and fields["eprint"] == "1510.00149" and "Song Han and Huizi Mao" in fields["author"]
    assert entries["jouppi2017tpu"][1]["author"].endswith("and others")
    assert entries["chen2017eyeriss"][1]["doi"] == "10.1109/JSSC.2016.2616357"


def test_bibtex_for_a_selection_cites_only_its_sources() -> None:
    entries = parse_bibtex(kit.to_bibtex([kit.get("zero-gating")]))
    assert set(entries) == {"chen2017eyeriss"}


def test_export_dispatch_and_unknown_format() -> None:
    assert kit.export("md") == kit.to_markdown()
    assert kit.export("BIB") == kit.to_bibtex()
    with pytest.raises(UnknownNameError, match="bibtex, csv, json, markdown"):
        kit.export("xml")
