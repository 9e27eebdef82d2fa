"""Conformance over every registered block: identity when disabled, pure, deterministic, picklable, spec
round-trips through YAML, declared metadata valid (catalog ids exist, conflicts name real kinds)."""

from __future__ import annotations

import copy
import pickle

import pytest
import yaml

import accelkit
from accelkit import kit
from accelkit.optimizations import available, block_class, make_block

KINDS = available()
NETWORK = "mlperf_tiny_kws"
ACCELERATOR = "edge_npu_int8"


def _context(kind: str) -> dict:
    ctx = {"network": NETWORK, "accelerator": ACCELERATOR, **block_class(kind).example_context}
    return ctx


def _evaluate(ctx: dict, blocks: list, **extra) -> accelkit.Evaluation:
    kwargs = {k: v for k, v in ctx.items() if k not in ("network", "accelerator")}
    return accelkit.evaluate(ctx["network"], ctx["accelerator"], optimizations=blocks, **kwargs, **extra)


@pytest.fixture(scope="module")
def baselines() -> dict:
    return {}


def _baseline(baselines: dict, ctx: dict) -> dict:
    key = repr(sorted(ctx.items()))
    if key not in baselines:
        baselines[key] = _evaluate(ctx, []).totals()
    return baselines[key]


def test_there_are_blocks() -> None:
    assert {"dataflow", "memory", "voltage_scaling", "technology_node", "batch"} <= set(KINDS)


@pytest.mark.parametrize("kind", KINDS)
def test_metadata(kind: str) -> None:
    cls = block_class(kind)
    assert cls.kind == kind
    assert cls.summary, f"{kind} needs a summary"
    assert cls.example is not None, f"{kind} needs an example parameter set"
    assert cls.Spec.model_fields["kind"].default == kind
    for tid in cls.catalog_ids:
        kit.get(tid)  # raises for an unknown id
    for other in cls.conflicts:
        assert other in KINDS, f"{kind} declares a conflict with unknown kind {other!r}"


@pytest.mark.parametrize("kind", KINDS)
def test_identity_when_disabled(kind: str, baselines: dict) -> None:
    ctx = _context(kind)
    block = make_block({"kind": kind, **block_class(kind).example, "enabled": False})
    assert _evaluate(ctx, [block]).totals() == _baseline(baselines, ctx)


@pytest.mark.parametrize("kind", KINDS)
def test_pure_deterministic_and_effective(kind: str, baselines: dict) -> None:
    ctx = _context(kind)
    net = accelkit.load_network(ctx["network"])
    before = copy.deepcopy(net)
    block = make_block({"kind": kind, **block_class(kind).example})
    spec_before = block.spec.model_dump()
    first = _evaluate({**ctx, "network": net}, [block]).totals()
    second = _evaluate({**ctx, "network": net}, [block]).totals()
    assert first == second
    assert net == before, f"{kind} mutated its input network"
    assert block.spec.model_dump() == spec_before
    # the example does something on its design (a block whose example changes nothing tests nothing)
    assert first != _baseline(baselines, ctx)


@pytest.mark.parametrize("kind", KINDS)
def test_picklable_and_yaml_round_trip(kind: str) -> None:
    block = make_block({"kind": kind, **block_class(kind).example})
    assert pickle.loads(pickle.dumps(block)) == block
    text = yaml.safe_dump(block.spec.model_dump(mode="json"))
    assert make_block(yaml.safe_load(text)) == block


@pytest.mark.parametrize("kind", KINDS)
def test_unknown_parameter_is_named(kind: str) -> None:
    with pytest.raises(accelkit.SpecError) as exc:
        make_block({"kind": kind, **block_class(kind).example, "no_such_field": 1}, path="blocks[0]")
    assert "blocks[0].no_such_field" in str(exc.value)
