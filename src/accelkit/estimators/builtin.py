"""The built-in estimators. Every number lives in ``estimators/data/*.yaml`` with its citation and confidence.

* ``horowitz_arithmetic`` (mac, multiplier, adder): Horowitz ISSCC 2014 (via EIE Table I) at 45 nm / 0.9 V.
  Integer multiply ``E = m0 + m1 a w`` through the 8 b and 32 b points; integer add piecewise linear through
  8/16/32 b, proportional to bits outside; fp16/fp32 only, from the table. MAC = multiply + add at the accumulator
  width.
* ``mux_tree_regfile`` (regfile below 1 KiB, scm up to 64 Kib): ``E_read = width r (1 + log2(entries))``, r from
  Eyeriss's RF ~ 1x MAC.
* ``sqrt_capacity_sram`` (sram, regfile): ``E_read = width (a + b sqrt(C_bank) + c (sqrt(C) - sqrt(C_bank)))``,
  fitted to Horowitz's 8 KB / 32 KB / 1 MB points; write = 1.18 x read.
* ``dram_interface_table`` (dram): pJ/bit by interface (LPDDR2 from EIE, HBM2 from O'Connor et al. MICRO 2017,
  ...); not scaled with the logic node.
* ``wire_noc`` (noc): 0.24 pJ/bit/mm (Keckler et al. 2011) x (V / 0.9 V)^2 per hop, plus an optional router.
* ``pin_capacitance_clock`` (clock): energy of one clock cycle
  ``sinks x (C_pin x (1 + tree overhead) + C_internal) x V^2``, C_pin the Nangate 45 nm DFF_X1 clock-pin
  capacitance and C_internal its internal clock energy per cycle over (1.1 V)^2, both moved to the node with the
  Stillmaker & Baas capacitance ratio (their energy fits at equal supply); the supply enters as V^2 exactly (a
  full-swing clock). What counts as a sink is decided by :func:`clock_sinks`.

Logic and SRAM energies are characterised at 45 nm, 0.9 V and scaled with
:func:`accelkit.hardware.technology.energy_factor`; areas with :func:`~accelkit.hardware.technology.area_factor`.
The 45 nm table is taken to sit on the default (LP45) Stillmaker row, so ``flavor="HP"`` at 45 nm / 0.9 V prices
17% lower than the table. Leakage is an explicit assumption (technology.yaml), area x logic density for logic and
register files, bits x per-bit leakage for SRAM. DRAM and NoC area and leakage are not modelled (0, said so).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any, cast

import yaml

from accelkit.estimators.base import ESTIMATORS, ComponentQuery, Estimate, Estimator, weakest
from accelkit.hardware.technology import Technology, energy_factor

#: The technology the packaged logic and SRAM tables describe (Horowitz ISSCC 2014).
REFERENCE_NODE_M = 45e-9
REFERENCE_VOLTAGE_V = 0.9
REFERENCE_TECHNOLOGY = Technology(node_m=REFERENCE_NODE_M, voltage_v=REFERENCE_VOLTAGE_V, clock_hz=1e9)

DATA_FILES: tuple[str, ...] = ("arithmetic_45nm", "memory_45nm", "dram", "noc_45nm", "clock_45nm")

_UNIT_TO_SI: Mapping[str, float] = {
    "pJ": 1e-12,
    "fJ": 1e-15,
    "fF": 1e-15,
    "pJ/bit": 1e-12,
    "pJ/bit/mm": 1e-9,  # J per bit per metre
    "um^2": 1e-12,
    "ratio": 1.0,
}


@cache
def estimator_data(name: str) -> Mapping[str, Any]:
    """A packaged data file (``estimators/data/<name>.yaml``) as loaded by ``yaml.safe_load``."""
    text = resources.files("accelkit.estimators").joinpath(f"data/{name}.yaml").read_text(encoding="utf-8")
    return cast(Mapping[str, Any], yaml.safe_load(text))


def _entry(file: str, key: str) -> Mapping[str, Any]:
    return cast(Mapping[str, Any], estimator_data(file)["entries"][key])


def _si(file: str, key: str, sub: str | None = None) -> float:
    """An entry's value (or one field of a mapping value) in SI."""
    e = _entry(file, key)
    raw = e["value"] if sub is None else e["value"][sub]
    return float(raw) * _UNIT_TO_SI[str(e["unit"])]


def _cite(file: str, key: str) -> str:
    """Short citation of one packaged entry: ``file.yaml:key (First author [et al.] year -- where)``.

    The full reference (authors, title, venue, DOI) is in the YAML entry; ``format_source`` renders it.
    """
    src = _entry(file, key)["source"]
    authors = str(src.get("authors", "")).split("(")[0].strip()
    first = authors.split(",")[0].strip()
    short = first + (" et al." if "," in authors else "")
    return f"{file}.yaml:{key} ({short} {src.get('year', '')} -- {src.get('where', '')})"


@dataclass(frozen=True)
class _Part:
    """A value at the reference technology with its provenance."""

    value: float
    confidence: str
    cites: tuple[str, ...]
    law: str

    def __add__(self, other: _Part) -> _Part:
        cites = self.cites + tuple(c for c in other.cites if c not in self.cites)
        return _Part(
            self.value + other.value, weakest(self.confidence, other.confidence), cites, f"{self.law} + {other.law}"
        )

    def times(self, k: float, law: str, confidence: str | None = None) -> _Part:
        conf = self.confidence if confidence is None else weakest(self.confidence, confidence)
        return _Part(self.value * k, conf, self.cites, f"{self.law} x {law}")


def _is_reference(tech: Technology) -> bool:
    return (
        abs(tech.node_m - REFERENCE_NODE_M) < 1e-15
        and abs(tech.voltage_v - REFERENCE_VOLTAGE_V) < 1e-12
        and tech.flavor is None
    )


def _logic_energy(part: _Part, tech: Technology, estimator: str) -> Estimate:
    """Scale a 45 nm / 0.9 V energy to ``tech`` (Stillmaker & Baas) and wrap it."""
    if _is_reference(tech):
        return Estimate(part.value, "J", estimator, f"{part.law}; " + "; ".join(part.cites), part.confidence)
    k = tech.energy_factor_from(REFERENCE_NODE_M, REFERENCE_VOLTAGE_V)
    scaling = f"scaled 45 nm/0.9 V -> {tech} x{k:.4g} (Stillmaker & Baas 2017 energy fits)"
    return Estimate(
        part.value * k,
        "J",
        estimator,
        f"{part.law}; {scaling}; " + "; ".join(part.cites),
        weakest(part.confidence, "computed"),
    )


def _area(part: _Part, tech: Technology, estimator: str) -> Estimate:
    k = 1.0 if abs(tech.node_m - REFERENCE_NODE_M) < 1e-15 else tech.area_factor_from(REFERENCE_NODE_M)
    scaling = "" if k == 1.0 else f"; scaled 45 nm -> {tech.node_nm:g} nm x{k:.4g} (Stillmaker & Baas 2017 area table)"
    conf = part.confidence if k == 1.0 else weakest(part.confidence, "computed")
    return Estimate(part.value * k, "m^2", estimator, f"{part.law}{scaling}; " + "; ".join(part.cites), conf)


def _logic_leakage(area: Estimate, tech: Technology, estimator: str) -> Estimate:
    density = tech.logic_leakage_w_per_m2()
    return Estimate(
        area.value * density,
        "W",
        estimator,
        f"area {area.value * 1e12:.4g} um^2 x logic leakage {density * 1e-3:.3g} mW/mm^2 at {tech} "
        "(assumption, range x0.1-x10; accelkit technology.yaml logic_leakage_per_area); area: " + area.source,
        "assumption",
    )


# ---------------------------------------------------------------------------------------------------------------
# arithmetic


def _piecewise(bits: float, points: Mapping[int, float]) -> float:
    """Linear through the points, proportional to bits (through the origin) outside them."""
    xs = sorted(points)
    if bits <= xs[0]:
        return points[xs[0]] * bits / xs[0]
    if bits >= xs[-1]:
        return points[xs[-1]] * bits / xs[-1]
    for x0, x1 in itertools.pairwise(xs):
        if x0 <= bits <= x1:
            return points[x0] + (points[x1] - points[x0]) * (bits - x0) / (x1 - x0)
    raise AssertionError("unreachable")  # pragma: no cover


_F = "arithmetic_45nm"


def _exact(bits: float) -> int | None:
    return int(bits) if float(bits).is_integer() else None


def int_add_energy(bits: float) -> _Part:
    """Integer add at 45 nm / 0.9 V: exact at 8/16/32 b, piecewise linear between, proportional outside."""
    pts = {8: _si(_F, "int_add_8b"), 16: _si(_F, "int_add_16b"), 32: _si(_F, "int_add_32b")}
    b = _exact(bits)
    if b in pts:
        key = f"int_add_{b}b"
        return _Part(pts[b], str(_entry(_F, key)["confidence"]), (_cite(_F, key),), f"int{b} add")
    cites = (*(_cite(_F, f"int_add_{k}b") for k in pts), _cite(_F, "int_add_law"))
    return _Part(_piecewise(bits, pts), "computed", cites, f"int{bits:g} add (piecewise-linear law)")


def int_mult_energy(a_bits: float, w_bits: float) -> _Part:
    """Integer a x w multiply at 45 nm / 0.9 V: ``m0 + m1 a w``, exact at 8x8 and 32x32."""
    if a_bits == w_bits and _exact(a_bits) in (8, 32):
        key = f"int_mult_{int(a_bits)}b"
        return _Part(_si(_F, key), str(_entry(_F, key)["confidence"]), (_cite(_F, key),), f"int{int(a_bits)} mult")
    m0, m1 = _si(_F, "int_mult_law", "m0"), _si(_F, "int_mult_law", "m1")
    cites = (_cite(_F, "int_mult_8b"), _cite(_F, "int_mult_32b"), _cite(_F, "int_mult_law"))
    return _Part(m0 + m1 * a_bits * w_bits, "computed", cites, f"int{a_bits:g}x{w_bits:g} mult (m0 + m1 a w)")


def _fp(op: str, bits: float) -> _Part | None:
    b = _exact(bits)
    if b not in (16, 32):
        return None
    key = f"fp_{op}_{b}b"
    return _Part(_si(_F, key), str(_entry(_F, key)["confidence"]), (_cite(_F, key),), f"fp{b} {op}")


def _area_part(key: str, law: str) -> _Part:
    return _Part(_si(_F, key), str(_entry(_F, key)["confidence"]), (_cite(_F, key),), law)


def int_add_area(bits: float) -> _Part:
    pts = {8: _si(_F, "area_int_add_8b"), 32: _si(_F, "area_int_add_32b")}
    cites = (_cite(_F, "area_int_add_8b"), _cite(_F, "area_int_add_32b"), _cite(_F, "area_laws"))
    return _Part(_piecewise(bits, pts), "remembered", cites, f"int{bits:g} adder area")


def int_mult_area(a_bits: float, w_bits: float) -> _Part:
    lo, hi = _si(_F, "area_int_mult_8b"), _si(_F, "area_int_mult_32b")
    a1 = (hi - lo) / (32 * 32 - 8 * 8)
    a0 = lo - 64 * a1
    cites = (_cite(_F, "area_int_mult_8b"), _cite(_F, "area_int_mult_32b"), _cite(_F, "area_laws"))
    return _Part(a0 + a1 * a_bits * w_bits, "remembered", cites, f"int{a_bits:g}x{w_bits:g} multiplier area")


@dataclass(frozen=True)
class _Operands:
    fmt: str
    a: float
    w: float
    acc: float


def _operands(query: ComponentQuery) -> _Operands | None:
    fmt = str(query.get("number_format", "int")).lower()
    if fmt not in ("int", "fp"):
        return None
    try:
        if query.kind == "adder":
            bits = query.bits("bits", "accum_bits")
            if bits is None:
                return None
            a = w = acc = bits
        else:
            a_ = query.bits("input_bits", "bits")
            w_ = query.bits("weight_bits", "bits")
            if a_ is None or w_ is None:
                return None
            a, w = a_, w_
            acc = query.bits("accum_bits", default=(a + w) if fmt == "int" else max(a, w)) or 0.0
    except ValueError:
        return None
    if min(a, w, acc) < 1 or max(a, w, acc) > 64:
        return None
    if fmt == "fp" and (a != w or _exact(a) not in (16, 32) or _exact(acc) not in (16, 32)):
        return None
    return _Operands(fmt, a, w, acc)


class HorowitzArithmetic(Estimator):
    """MACs, multipliers and adders from Horowitz's 45 nm table with documented bit-width laws."""

    name = "horowitz_arithmetic"
    priority = 100
    kinds = frozenset({"mac", "multiplier", "adder"})

    @staticmethod
    def _mult(op: _Operands) -> _Part | None:
        return int_mult_energy(op.a, op.w) if op.fmt == "int" else _fp("mult", op.a)

    @staticmethod
    def _add(op: _Operands) -> _Part | None:
        return int_add_energy(op.acc) if op.fmt == "int" else _fp("add", op.acc)

    def energy(self, query: ComponentQuery, action: str, tech: Technology) -> Estimate | None:
        op = _operands(query)
        if op is None or not tech.in_scaling_range:
            return None
        part: _Part | None
        if query.kind == "adder":
            part = self._add(op) if action in ("add", "access") else None
        elif query.kind == "multiplier":
            part = self._mult(op) if action in ("mac", "multiply") else None
        elif action == "mac":
            m, s = self._mult(op), self._add(op)
            part = None if m is None or s is None else m + s
        elif action == "multiply":
            part = self._mult(op)
        elif action == "add":
            part = self._add(op)
        else:
            part = None
        return None if part is None else _logic_energy(part, tech, self.name)

    def _area_part(self, query: ComponentQuery) -> _Part | None:
        op = _operands(query)
        if op is None:
            return None
        if op.fmt == "int":
            mult, add = int_mult_area(op.a, op.w), int_add_area(op.acc)
        else:
            mult, add = (
                _area_part(f"area_fp_mult_{int(op.a)}b", f"fp{int(op.a)} multiplier area"),
                _area_part(f"area_fp_add_{int(op.acc)}b", f"fp{int(op.acc)} adder area"),
            )
        return {"adder": add, "multiplier": mult}.get(query.kind, mult + add)

    def area(self, query: ComponentQuery, tech: Technology) -> Estimate | None:
        part = self._area_part(query)
        if part is None or not tech.in_scaling_range:
            return None
        return _area(part, tech, self.name)

    def leakage(self, query: ComponentQuery, tech: Technology) -> Estimate | None:
        area = self.area(query, tech)
        return None if area is None else _logic_leakage(area, tech, self.name)


# ---------------------------------------------------------------------------------------------------------------
# on-chip memories

_M = "memory_45nm"


def _memory_shape(query: ComponentQuery) -> tuple[float, float, int] | None:
    """(capacity_bits, width_bits, banks) or None when missing or inconsistent."""
    try:
        cap = query.bits("capacity_bits")
        width = query.bits("width_bits")
    except ValueError:
        return None
    banks = query.get("banks", 1)
    if cap is None or width is None or isinstance(banks, bool) or not isinstance(banks, int) or banks < 1:
        return None
    if width <= 0 or cap < width * banks:
        return None
    return cap, width, banks


def sram_read_energy_per_bit(capacity_bits: float, banks: int = 1) -> _Part:
    """SRAM read energy per bit of the word at 45 nm / 0.9 V (the fitted sqrt-capacity law)."""
    a, b, c = (_si(_M, "sram_energy_law", k) for k in ("a", "b", "c"))
    per_bank = capacity_bits / banks
    value = a + b * math.sqrt(per_bank) + c * (math.sqrt(capacity_bits) - math.sqrt(per_bank))
    cites = (
        _cite(_M, "sram_energy_law"),
        _cite(_M, "sram_8KB_64b"),
        _cite(_M, "sram_32KB_64b"),
        _cite(_M, "sram_1MB_64b"),
    )
    conf = "computed"
    if banks > 1:
        cites += (_cite(_M, "eyeriss_glb_over_mac"),)
        conf = "remembered"
    law = f"SRAM {capacity_bits / 8192:g} KiB in {banks} bank(s): a + b sqrt(C_bank) + c (sqrt(C) - sqrt(C_bank))"
    return _Part(value, conf, cites, law)


def regfile_read_energy_per_bit(capacity_bits: float, width_bits: float) -> _Part:
    """Flip-flop register-file read energy per bit at 45 nm / 0.9 V: ``r (1 + log2(entries))``."""
    entries = max(1, math.ceil(capacity_bits / width_bits - 1e-9))
    r = _si(_M, "regfile_energy_law", "r")
    return _Part(
        r * (1 + math.log2(entries)),
        str(_entry(_M, "regfile_energy_law")["confidence"]),
        (_cite(_M, "regfile_energy_law"), _cite(_M, "eyeriss_rf_over_mac")),
        f"register file {entries} x {width_bits:g} b: r (1 + log2(entries))",
    )


def _write_factor(part: _Part, action: str) -> _Part | None:
    if action in ("read", "access"):
        return part
    if action == "write":
        k = _si(_M, "sram_write_over_read")
        out = part.times(k, f"write/read {k:g}", "read")
        return _Part(out.value, out.confidence, (*out.cites, _cite(_M, "sram_write_over_read")), out.law)
    return None


def _memory_leakage_sram(query: ComponentQuery, cap: float, tech: Technology, name: str) -> Estimate:
    per_bit = tech.sram_leakage_per_bit_w()
    return Estimate(
        cap * per_bit,
        "W",
        name,
        f"{cap:g} bits x SRAM leakage {per_bit * 1e12:.3g} pW/bit at {tech} "
        "(assumption, range x0.1-x10; accelkit technology.yaml sram_leakage_per_bit)",
        "assumption",
    )


class SqrtCapacitySram(Estimator):
    """SRAM (and register files of 1 KiB or more): energy per bit grows with the square root of the bank size."""

    name = "sqrt_capacity_sram"
    priority = 100
    kinds = frozenset({"sram", "regfile"})

    @staticmethod
    def _valid(query: ComponentQuery) -> tuple[float, float, int] | None:
        shape = _memory_shape(query)
        if shape is None:
            return None
        lo, hi = _entry(_M, "sram_energy_law")["valid_capacity_bits"]
        return shape if lo <= shape[0] <= hi else None

    def energy(self, query: ComponentQuery, action: str, tech: Technology) -> Estimate | None:
        shape = self._valid(query)
        if shape is None or not tech.in_scaling_range:
            return None
        cap, width, banks = shape
        part = _write_factor(sram_read_energy_per_bit(cap, banks).times(width, f"{width:g} bits"), action)
        if part is None:
            return None
        if query.kind == "regfile":
            part = _Part(part.value, part.confidence, part.cites, f"register file >= 1 KiB priced as SRAM: {part.law}")
        return _logic_energy(part, tech, self.name)

    def area(self, query: ComponentQuery, tech: Technology) -> Estimate | None:
        shape = self._valid(query)
        if shape is None or not tech.in_scaling_range:
            return None
        cap, _, banks = shape
        cell, per = _si(_M, "sram_bitcell_area"), _si(_M, "sram_periphery_area")
        per_bank = cap / banks
        value = banks * (cell * per_bank + per * math.sqrt(per_bank))
        part = _Part(
            value,
            "assumption",
            (_cite(_M, "sram_bitcell_area"), _cite(_M, "sram_periphery_area")),
            f"SRAM area {banks} x (cell x C_bank + periphery x sqrt(C_bank))",
        )
        return _area(part, tech, self.name)

    def leakage(self, query: ComponentQuery, tech: Technology) -> Estimate | None:
        shape = self._valid(query)
        if shape is None or not tech.in_scaling_range:
            return None
        return _memory_leakage_sram(query, shape[0], tech, self.name)


class MuxTreeRegfile(Estimator):
    """Small flip-flop register files (< 1 KiB) and latch-based standard-cell memories (<= 64 Kib)."""

    name = "mux_tree_regfile"
    priority = 200
    kinds = frozenset({"regfile", "scm"})

    @staticmethod
    def _valid(query: ComponentQuery) -> tuple[float, float, int] | None:
        shape = _memory_shape(query)
        if shape is None:
            return None
        limit = FLIP_FLOP_REGFILE_BITS if query.kind == "regfile" else 65536
        return shape if shape[0] < limit or (query.kind == "scm" and shape[0] == limit) else None

    def energy(self, query: ComponentQuery, action: str, tech: Technology) -> Estimate | None:
        shape = self._valid(query)
        if shape is None or not tech.in_scaling_range:
            return None
        cap, width, banks = shape
        base = regfile_read_energy_per_bit(cap / banks, width).times(width, f"{width:g} bits")
        part = _write_factor(base, action)
        return None if part is None else _logic_energy(part, tech, self.name)

    def area(self, query: ComponentQuery, tech: Technology) -> Estimate | None:
        shape = self._valid(query)
        if shape is None or not tech.in_scaling_range:
            return None
        cap = shape[0]
        per_bit = _si(_M, "regfile_bit_area")
        cites: tuple[str, ...] = (_cite(_M, "regfile_bit_area"),)
        law = f"{cap:g} bits x flip-flop bit area"
        if query.kind == "scm":
            per_bit *= _si(_M, "scm_bit_area_over_regfile")
            cites += (_cite(_M, "scm_bit_area_over_regfile"),)
            law = f"{cap:g} bits x latch bit area"
        return _area(_Part(cap * per_bit, "assumption", cites, law), tech, self.name)

    def leakage(self, query: ComponentQuery, tech: Technology) -> Estimate | None:
        area = self.area(query, tech)
        return None if area is None else _logic_leakage(area, tech, self.name)


# ---------------------------------------------------------------------------------------------------------------
# DRAM

_D = "dram"


def dram_interfaces() -> list[str]:
    return sorted(estimator_data(_D)["entries"])


class DramInterfaceTable(Estimator):
    """Off-chip DRAM energy per bit by interface (device + I/O); independent of the logic node and voltage."""

    name = "dram_interface_table"
    priority = 100
    kinds = frozenset({"dram"})

    def energy(self, query: ComponentQuery, action: str, tech: Technology) -> Estimate | None:
        if action not in ("read", "write", "access"):
            return None
        default = str(estimator_data(_D)["default_interface"])
        iface = str(query.get("interface") or default).upper()
        if iface not in estimator_data(_D)["entries"]:
            return None
        try:
            width = query.bits("width_bits", default=1.0) or 1.0
        except ValueError:
            return None
        e = _entry(_D, iface)
        per_bit = _si(_D, iface)
        lo, hi = e["range"]
        note = "" if query.get("interface") else f"interface not given, {default} assumed; "
        return Estimate(
            per_bit * width,
            "J",
            self.name,
            f"{note}{iface} {e['value']} pJ/bit (range {lo}-{hi}) x {width:g} bits, read = write, not node-scaled; "
            + _cite(_D, iface),
            str(e["confidence"]) if query.get("interface") else weakest(str(e["confidence"]), "assumption"),
        )

    def area(self, query: ComponentQuery, tech: Technology) -> Estimate | None:
        return Estimate(0.0, "m^2", self.name, "off-chip DRAM: not part of the accelerator's die area", "assumption")

    def leakage(self, query: ComponentQuery, tech: Technology) -> Estimate | None:
        return Estimate(
            0.0, "W", self.name, "off-chip DRAM background/refresh power is not modelled (counted as 0)", "assumption"
        )


# ---------------------------------------------------------------------------------------------------------------
# NoC

_N = "noc_45nm"


class WireNoc(Estimator):
    """On-chip links: repeated-wire energy per bit per mm (V^2-scaled), plus a router traversal if asked."""

    name = "wire_noc"
    priority = 100
    kinds = frozenset({"noc"})

    def energy(self, query: ComponentQuery, action: str, tech: Technology) -> Estimate | None:
        if action != "hop":
            return None
        try:
            width = query.bits("width_bits", default=1.0) or 1.0
        except ValueError:
            return None
        if query.get("hop_m") is not None:
            hop_mm = float(query.get("hop_m")) * 1e3
        else:
            hop_mm = float(query.get("hop_mm", 1.0))
        router = bool(query.get("router", False))
        if hop_mm < 0 or (router and not tech.in_scaling_range):
            return None
        wire = _entry(_N, "wire_energy_per_bit_mm")
        v_ref = float(wire["reference_voltage_v"])
        per_bit_mm = _si(_N, "wire_energy_per_bit_mm") * 1e-3 * (tech.voltage_v / v_ref) ** 2  # J/bit/mm
        value = width * per_bit_mm * hop_mm
        source = (
            f"{width:g} bits x {hop_mm:g} mm x {per_bit_mm * 1e12:.4g} pJ/bit/mm "
            f"(0.24 pJ/bit/mm x (V/{v_ref:g} V)^2); " + _cite(_N, "wire_energy_per_bit_mm")
        )
        conf = str(wire["confidence"])
        if router:
            r = _si(_N, "router_energy_per_bit")
            k = energy_factor(REFERENCE_NODE_M, REFERENCE_VOLTAGE_V, tech.node_m, tech.voltage_v, to_flavor=tech.flavor)
            value += width * r * k
            source += f"; + router {r * k * 1e12:.4g} pJ/bit (x{k:.4g} from 45 nm/0.9 V); " + _cite(
                _N, "router_energy_per_bit"
            )
            conf = weakest(conf, "assumption")
        return Estimate(value, "J", self.name, source, conf)

    def area(self, query: ComponentQuery, tech: Technology) -> Estimate | None:
        return Estimate(0.0, "m^2", self.name, "NoC wires and routers: area not modelled (counted as 0)", "assumption")

    def leakage(self, query: ComponentQuery, tech: Technology) -> Estimate | None:
        return Estimate(0.0, "W", self.name, "NoC leakage not modelled (counted as 0)", "assumption")


# ---------------------------------------------------------------------------------------------------------------
# clock network

_C = "clock_45nm"
#: supply at which the node-to-node capacitance ratio is read from the Stillmaker energy fits
_CAP_RATIO_VOLTAGE_V = 0.9
#: supply at which the liberty's internal clock energy was characterized (NangateOpenCellLibrary typical corner)
LIBERTY_VOLTAGE_V = 1.1


#: register files below this many bits are flip-flop arrays (the ``mux_tree_regfile`` range): every bit is a
#: clock sink (:func:`clock_sinks`)
FLIP_FLOP_REGFILE_BITS = 8192


def _sink_capacitance_45nm_f(pin_key: str, internal_key: str) -> tuple[float, float]:
    """A clocked cell's switched clock capacitance per cycle at 45 nm, ``(C_pin (1 + tree overhead), C_internal)``:
    its clock pin with its share of the tree, and its internal clock energy per cycle over the liberty's supply
    squared."""
    c_pin = _si(_C, pin_key) * (1.0 + _si(_C, "clock_tree_overhead"))
    return c_pin, _si(_C, internal_key) / LIBERTY_VOLTAGE_V**2


@cache
def icg_over_flip_flop() -> float:
    """Clock energy per cycle of a closed clock-gating cell (Nangate CLKGATE_X1) over that of a flip-flop (DFF_X1),
    both with their share of the tree; the node and voltage scale both alike."""
    return sum(_sink_capacitance_45nm_f("icg_clock_pin_capacitance", "icg_internal_clock_energy")) / sum(
        _sink_capacitance_45nm_f("dff_clock_pin_capacitance", "dff_internal_clock_energy")
    )


def clock_capacitance_per_sink_f(tech: Technology) -> _Part:
    """Switched clock capacitance per sink at ``tech``'s node, scaled from 45 nm: ``C_pin (1 + tree overhead)``
    the network charges, plus ``C_internal`` (the flip-flop's internal clock energy per cycle over the liberty's
    supply squared)."""
    k_tree = _si(_C, "clock_tree_overhead")
    c_tree, c_int = _sink_capacitance_45nm_f("dff_clock_pin_capacitance", "dff_internal_clock_energy")
    c_pin = c_tree / (1.0 + k_tree)
    if abs(tech.node_m - REFERENCE_NODE_M) < 1e-15 and tech.flavor is None:
        ratio, law = 1.0, ""
    else:
        v = _CAP_RATIO_VOLTAGE_V
        ratio = energy_factor(REFERENCE_NODE_M, v, tech.node_m, v, to_flavor=tech.flavor)
        law = f" x C(45 nm -> {tech.node_nm:g} nm) {ratio:.4g} (Stillmaker & Baas energy fits at equal {v:g} V)"
    return _Part(
        (c_tree + c_int) * ratio,
        weakest(str(_entry(_C, "dff_clock_pin_capacitance")["confidence"]), "assumption"),
        (
            _cite(_C, "dff_clock_pin_capacitance"),
            _cite(_C, "dff_internal_clock_energy"),
            _cite(_C, "clock_tree_overhead"),
        ),
        f"(C_pin {c_pin * 1e15:g} fF x (1 + tree {k_tree:g}) + C_internal {c_int * 1e15:.3g} fF){law}",
    )


def clock_sinks(
    levels: Sequence[tuple[str, str, float, float, int, int]],
    *,
    pes: int,
    macs_per_pe: int,
    mac_register_bits: float,
) -> dict[str, float]:
    """Flip-flop-equivalent clock sinks per component: ``{level name: sinks, "mac": sinks}``.

    ``levels``: ``(name, kind, capacity_bits, width_bits, banks, instances)`` per level. The rules:

    * a ``regfile`` priced as a flip-flop array (below 1 KiB, the ``mux_tree_regfile`` range): every bit is a
      flip-flop whose clock pin toggles every cycle (without clock gating a write enable is a hold multiplexer);
    * an ``scm`` (latch standard-cell memory): the latches of a row are clocked through that row's write clock
      gate, so only one clock pin per row toggles every cycle; the written row's latches are part of the write
      energy;
    * an ``sram`` (and a register file of 1 KiB or more, priced as SRAM): one clock pin per bank -- the macro's
      internal clocking (address latches, word-line and sense timing) is inside its per-access energy;
    * ``dram``: off chip, none;
    * the MAC datapath: ``mac_register_bits`` pipeline/operand/accumulator register bits per MAC unit.

    Control logic, configuration registers and NoC pipeline registers are not counted (the estimate is low).
    """
    out: dict[str, float] = {}
    for name, kind, cap, width, banks, instances in levels:
        if kind == "dram":
            continue
        if kind == "regfile" and cap < FLIP_FLOP_REGFILE_BITS:  # the mux_tree_regfile range (flip-flop arrays)
            per = cap
        elif kind == "scm":
            per = max(1.0, math.ceil(cap / width - 1e-9))
        else:
            per = float(banks)
        out[name] = per * instances
    out["mac"] = float(mac_register_bits) * macs_per_pe * pes
    return out


class PinCapacitanceClock(Estimator):
    """Clock network: sinks x pin capacitance x (1 + tree overhead) x V^2 per cycle."""

    name = "pin_capacitance_clock"
    priority = 100
    kinds = frozenset({"clock"})

    def energy(self, query: ComponentQuery, action: str, tech: Technology) -> Estimate | None:
        if action != "tick" or not tech.in_scaling_range:
            return None
        sinks = query.get("sinks", 1)
        if isinstance(sinks, bool) or not isinstance(sinks, int | float) or not math.isfinite(sinks) or sinks < 0:
            return None
        cap = clock_capacitance_per_sink_f(tech)
        v = tech.voltage_v
        value = float(sinks) * cap.value * v * v
        return Estimate(
            value,
            "J",
            self.name,
            f"{float(sinks):g} sinks x {cap.law} x ({v:g} V)^2 per cycle; " + "; ".join(cap.cites),
            weakest(cap.confidence, "computed"),
        )


for _cls in (HorowitzArithmetic, MuxTreeRegfile, SqrtCapacitySram, DramInterfaceTable, WireNoc, PinCapacitanceClock):
    ESTIMATORS.register(_cls.name)(_cls)

__all__ = [
    "DATA_FILES",
    "FLIP_FLOP_REGFILE_BITS",
    "REFERENCE_TECHNOLOGY",
    "DramInterfaceTable",
    "HorowitzArithmetic",
    "MuxTreeRegfile",
    "PinCapacitanceClock",
    "SqrtCapacitySram",
    "WireNoc",
    "clock_capacitance_per_sink_f",
    "clock_sinks",
    "dram_interfaces",
    "estimator_data",
    "icg_over_flip_flop",
    "int_add_area",
    "int_add_energy",
    "int_mult_area",
    "int_mult_energy",
    "regfile_read_energy_per_bit",
    "sram_read_energy_per_bit",
]
