"""The approximate_multiplier block: the multiplier part of the MAC scaled by a cited EvoApproxLib design."""

from __future__ import annotations

from typing import Any

import pytest

import accelkit
from accelkit.errors import SpecError
from accelkit.estimators import ComponentQuery, estimate_area, estimate_energy
from accelkit.optimizations import make_block
from accelkit.optimizations.approximate import designs

NET, ACC = "mlperf_tiny_kws", "edge_npu_int8"
CACHE: dict = {}


def _eval(*blocks: Any) -> accelkit.Evaluation:
    return accelkit.evaluate(NET, ACC, optimizations=list(blocks), mapping_cache=CACHE)


@pytest.fixture(scope="module")
def base() -> accelkit.Evaluation:
    return _eval()


def _mult(ev: accelkit.Evaluation) -> tuple[float, float]:
    q = ComponentQuery("multiplier", {"input_bits": 8, "weight_bits": 8, "number_format": "int"})
    return estimate_energy(q, "multiply", ev.priced.tech).value, estimate_area(q, ev.priced.tech).value


def test_mac_energy_and_area_drop_by_the_multiplier_share(base: accelkit.Evaluation) -> None:
    d, ref = designs()["mul8s_1L2H"], designs()["mul8s_1KV6"]
    ev = _eval({"kind": "approximate_multiplier", "design": "mul8s_1L2H"})
    mult_e, mult_a = _mult(base)
    saved = mult_e * (1 - d["power_mw"] / ref["power_mw"])
    assert ev.priced.mac.value == pytest.approx(base.priced.mac.value - saved)
    assert ev.priced.mac_area.value == pytest.approx(
        base.priced.mac_area.value - mult_a * (1 - d["area_um2"] / ref["area_um2"])
    )
    assert base.energy_by_level_j()["mac"] - ev.energy_by_level_j()["mac"] == pytest.approx(saved * base.macs)
    assert ev.latency_s == base.latency_s
    assert ev.priced.leakage_w < base.priced.leakage_w


def test_exact_design_changes_nothing(base: accelkit.Evaluation) -> None:
    ev = _eval({"kind": "approximate_multiplier", "design": "mul8s_1KV6"})
    assert ev.energy_j == pytest.approx(base.energy_j) and ev.area_mm2 == pytest.approx(base.area_mm2)


def test_cheaper_designs_save_more_and_err_more() -> None:
    order = sorted(designs(), key=lambda k: -designs()[k]["power_mw"])
    energies = [_eval({"kind": "approximate_multiplier", "design": k}).energy_j for k in order]
    assert energies == sorted(energies, reverse=True)
    errors = [designs()[k]["mae_pct"] for k in order]
    assert errors == sorted(errors)


def test_accuracy_is_shown_not_invented() -> None:
    b = make_block({"kind": "approximate_multiplier", "design": "mul8s_1L1G"})
    assert b.arithmetic_error()["mae_pct"] == designs()["mul8s_1L1G"]["mae_pct"]
    text = b.describe()
    assert "MAE 0.52%" in text and "network accuracy not modelled" in text and "ansari2020improving" in text


def test_unknown_design_lists_the_known_ones() -> None:
    with pytest.raises(SpecError) as exc:
        make_block({"kind": "approximate_multiplier", "design": "mul8u_XYZ"}, path="blocks[1]")
    assert "blocks[1].design" in str(exc.value) and "mul8s_1L2H" in str(exc.value)


def test_datapath_must_be_eight_bits() -> None:
    with pytest.raises(SpecError) as exc:
        _eval({"kind": "quantization", "weights": "int4"}, {"kind": "approximate_multiplier"})
    assert "approximate_multiplier.design" in str(exc.value) and "8x8" in str(exc.value)
