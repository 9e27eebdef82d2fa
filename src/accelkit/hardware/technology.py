"""Technology (node, supply voltage, clock, process flavor) and every technology/voltage scaling law, in one place.

All functions take SI inputs (node in metres, voltages in volts) and return dimensionless factors or SI powers.
The data behind them is packaged in ``hardware/data/technology.yaml``, each entry with its citation and confidence.

Named laws
----------
``energy_factor``
    Stillmaker & Baas (Integration 58, 2017) per-node energy fits ``E(V) = e2 V^2 + e1 V + e0``. A value at node
    *a*, voltage *Va* moves to node *b*, *Vb* by ``E_b(Vb) / E_a(Va)``. Rows: 180-65 nm have one fit; at 45 and
    32 nm the LP rows and at 20 nm and below the HP rows are the default (Accelergy's choice); ``flavor="LP"|"HP"``
    selects explicitly. Nodes between table rows (e.g. 40, 28, 22 nm) are interpolated **linearly in feature size**
    between the two neighbouring rows, with the weight of each neighbour falling with its distance: 28 nm takes
    2/3 of 32 nm's factor and 1/3 of 20 nm's. (A public implementation swapped those weights, which made 28 nm
    cheaper than 22 nm; a regression test guards against that.)
``voltage_energy_factor``
    The same fits at one node. Each fit is used from a lower bound ``V_lo`` upwards (half the nominal supply, or
    higher where the quadratic flattens towards its unphysical vertex; see the YAML entry
    ``energy_fit_lower_bound``); below ``V_lo`` energy follows ``C V^2`` from the bound.
``area_factor``
    The Stillmaker & Baas node-to-node area table, exact at table nodes and interpolated linearly in feature size
    between them.
``max_frequency_factor``
    Sakurai-Newton alpha-power law (IEEE JSSC 1990): ``f_max ~ (V - Vth)^alpha / V`` with ``alpha = 1.3`` and an
    *effective* Vth per row, fitted here to the Stillmaker delay fits. A model: it reproduces measured
    voltage/frequency pairs only loosely.
``max_clock_hz``
    The clock ceiling a spec may ask for: the fastest clock shipped CMOS logic has reached at the node (YAML entry
    ``record_logic_clock``, e.g. 65 nm 5.0 GHz IBM POWER6, 28 nm 5.3 GHz interpolated) at nominal supply, moved
    to the given supply by ``max_frequency_factor``.
``leakage_power_per_bit_w`` / ``leakage_power_per_area_w_per_m2``
    Explicit assumptions (order of magnitude, range x0.1-x10) with a DIBL-style voltage dependence.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from functools import cache, lru_cache
from importlib import resources
from typing import Any, Literal, cast

import yaml

from accelkit import units
from accelkit.errors import AccelkitError

Flavor = Literal["LP", "HP"]

#: Feature sizes (nm) that have rows in the Stillmaker & Baas tables, largest first.
TABLE_NODES_NM: tuple[int, ...] = (180, 130, 90, 65, 45, 32, 20, 16, 14, 10, 7)
#: The range the scaling laws cover, in metres.
MIN_NODE_M = 7e-9
MAX_NODE_M = 180e-9
#: The range a Technology may be constructed with (same bounds as ``TechnologySpec``).
_CONSTRUCT_RANGE_M = (3e-9, 250e-9)


class TechnologyError(AccelkitError, ValueError):
    """A node, voltage or flavor outside what the technology scaling laws cover."""


# ---------------------------------------------------------------------------------------------------------------
# packaged data


@lru_cache(maxsize=1)
def technology_data() -> Mapping[str, Any]:
    """The entries of ``hardware/data/technology.yaml`` (each with value, unit, source, confidence)."""
    text = resources.files("accelkit.hardware").joinpath("data/technology.yaml").read_text(encoding="utf-8")
    return cast(Mapping[str, Any], yaml.safe_load(text)["entries"])


def _value(name: str) -> Any:
    return technology_data()[name]["value"]


def format_source(source: Mapping[str, Any]) -> str:
    """One-line citation: ``Authors, 'Title', Venue, Year (doi) -- where``."""
    parts = [str(source.get("authors", "")), f"'{source.get('title', '')}'", str(source.get("venue", ""))]
    text = ", ".join(p for p in parts if p and p != "''") + f", {source.get('year', '')}"
    if source.get("doi"):
        text += f", doi:{source['doi']}"
    if source.get("where"):
        text += f" -- {source['where']}"
    return text


STILLMAKER_CITATION = "Stillmaker & Baas, Integration 58:74-81, 2017 (energy fits / area table)"
SAKURAI_CITATION = "Sakurai & Newton, IEEE JSSC 25(2):584-594, 1990 (alpha-power law)"


# ---------------------------------------------------------------------------------------------------------------
# node and flavor handling


def _node_nm(node_m: float, what: str = "node") -> float:
    """Validate a node given in metres against the scaling range and return it in nm (rounded against float noise)."""
    if isinstance(node_m, bool) or not isinstance(node_m, int | float) or not math.isfinite(node_m) or node_m <= 0:
        raise TechnologyError(f"{what} must be a positive length in metres (e.g. 28e-9), got {node_m!r}")
    nm = round(float(node_m) * 1e9, 6)
    if not 7.0 <= nm <= 180.0:
        hint = " (it is in metres: 28 nm is 28e-9, or use accelkit.units.length('28 nm'))" if node_m >= 1e-6 else ""
        raise TechnologyError(
            f"{what} {nm:g} nm is outside the 7-180 nm range of the Stillmaker & Baas scaling data{hint}"
        )
    return nm


def _check_flavor(flavor: str | None) -> Flavor | None:
    if flavor is None:
        return None
    up = str(flavor).upper()
    if up not in ("LP", "HP"):
        raise TechnologyError(f"process flavor must be 'LP', 'HP' or None, got {flavor!r}")
    return cast(Flavor, up)


def _bracket(nm: float, nodes: tuple[int, ...] = TABLE_NODES_NM) -> tuple[int, int, float]:
    """Neighbouring table nodes ``(larger, smaller, w)`` with ``w`` the weight of the smaller one.

    Linear in feature size: ``w = (larger - nm) / (larger - smaller)``, so a node close to the smaller neighbour
    takes most of that neighbour's value. At a table node both neighbours are that node and ``w = 0``.
    """
    for n in nodes:
        if abs(nm - n) < 1e-6:
            return n, n, 0.0
    for big, small in itertools.pairwise(nodes):
        if small < nm < big:
            return big, small, (big - nm) / (big - small)
    raise TechnologyError(f"node {nm:g} nm is outside the table range {nodes[-1]}-{nodes[0]} nm")


def _interpolate(nm: float, value_at: Callable[[int], float], nodes: tuple[int, ...] = TABLE_NODES_NM) -> float:
    big, small, w = _bracket(nm, nodes)
    if w == 0.0:
        return value_at(big)
    return (1.0 - w) * value_at(big) + w * value_at(small)


def _row(node_nm: int, flavor: Flavor | None) -> str:
    """The Stillmaker fit row serving a table node."""
    if node_nm >= 65:
        return str(node_nm)
    if flavor is None:
        return str(_value("default_energy_rows")[str(node_nm)])
    return f"{flavor}{node_nm}"


def nominal_voltage_v(node_m: float) -> float:
    """Nominal supply voltage at a node (table values interpolated linearly in feature size; remembered data)."""
    table = _value("nominal_voltage")
    return _interpolate(_node_nm(node_m), lambda n: float(table[str(n)]))


def _check_voltage(voltage_v: float, nm: float, what: str = "voltage") -> float:
    if isinstance(voltage_v, bool) or not isinstance(voltage_v, int | float) or not math.isfinite(voltage_v):
        raise TechnologyError(f"{what} must be a number of volts, got {voltage_v!r}")
    vnom = _interpolate(nm, lambda n: float(_value("nominal_voltage")[str(n)]))
    if not 0.1 <= voltage_v <= 2.0 * vnom:
        raise TechnologyError(
            f"{what} {voltage_v:g} V is outside 0.1 V .. 2 x nominal ({2 * vnom:g} V) at {nm:g} nm, "
            "where the scaling laws are not meaningful"
        )
    return float(voltage_v)


# ---------------------------------------------------------------------------------------------------------------
# energy


def _energy_poly(row: str, v: float) -> float:
    e2, e1, e0 = (float(c) for c in _value("stillmaker_energy_fits")[row])
    return e2 * v * v + e1 * v + e0


@cache
def _fit_floor_v(row: str, node_nm: int) -> float:
    """Lowest voltage at which the row's energy fit is used (see the YAML entry ``energy_fit_lower_bound``)."""
    rule = _value("energy_fit_lower_bound")
    ks = float(rule["min_log_slope"])
    lo = float(rule["min_fraction_of_nominal"]) * float(_value("nominal_voltage")[str(node_nm)])
    e2, e1, e0 = (float(c) for c in _value("stillmaker_energy_fits")[row])
    if e2 > 0:
        # d ln E / d ln V >= ks  <=>  (2 - ks) e2 V^2 + (1 - ks) e1 V - ks e0 >= 0 (for E > 0)
        a, b, c = (2.0 - ks) * e2, (1.0 - ks) * e1, -ks * e0
        disc = b * b - 4.0 * a * c
        if disc >= 0:
            lo = max(lo, (-b + math.sqrt(disc)) / (2.0 * a))
    elif e1 > 0 and e0 < 0:
        # a rising straight line with a negative intercept has slope > 1 wherever it is positive
        lo = max(lo, -e0 / e1 * 1.01)
    if _energy_poly(row, lo) <= 0:  # pragma: no cover - guarded by the data tests
        raise TechnologyError(f"energy fit {row} is not positive at its lower bound {lo:.3f} V")
    return lo


def _row_energy(row: str, node_nm: int, v: float) -> float:
    lo = _fit_floor_v(row, node_nm)
    if v >= lo:
        return _energy_poly(row, v)
    return _energy_poly(row, lo) * (v / lo) ** 2


@lru_cache(maxsize=4096)
def _relative_energy(nm: float, v: float, flavor: Flavor | None) -> float:
    return _interpolate(nm, lambda n: _row_energy(_row(n, flavor), n, v))


def energy_fit_floor_v(node_m: float, flavor: str | None = None) -> float:
    """Voltage above which the Stillmaker fits (of both neighbouring rows) are used; below it energy ~ C V^2."""
    nm, fl = _node_nm(node_m), _check_flavor(flavor)
    big, small, _ = _bracket(nm)
    return max(_fit_floor_v(_row(big, fl), big), _fit_floor_v(_row(small, fl), small))


def energy_factor(
    from_node_m: float,
    from_v: float,
    to_node_m: float,
    to_v: float,
    *,
    from_flavor: str | None = None,
    to_flavor: str | None = None,
) -> float:
    """Multiply a dynamic energy characterised at (``from_node_m``, ``from_v``) by this to get it at the target.

    Stillmaker & Baas 2017 energy fits, interpolated linearly in feature size between table nodes. Example:
    ``energy_factor(65e-9, 1.0, 45e-9, 1.0) == 0.764``.
    """
    a_nm, b_nm = _node_nm(from_node_m, "from node"), _node_nm(to_node_m, "to node")
    va, vb = _check_voltage(from_v, a_nm, "from voltage"), _check_voltage(to_v, b_nm, "to voltage")
    fa, fb = _check_flavor(from_flavor), _check_flavor(to_flavor)
    return _relative_energy(b_nm, vb, fb) / _relative_energy(a_nm, va, fa)


def voltage_energy_factor(v_from: float, v_to: float, node_m: float, flavor: str | None = None) -> float:
    """Energy multiplier for a supply change at one node (the Stillmaker fit; C*V^2 below the fit's range).

    Example: 65 nm 1.2 V -> 0.8 V gives x0.41 (plain V^2 would give 0.44).
    """
    return energy_factor(node_m, v_from, node_m, v_to, from_flavor=flavor, to_flavor=flavor)


# ---------------------------------------------------------------------------------------------------------------
# area


def _area_table(from_nm: int, to_nm: int) -> float:
    return float(_value("stillmaker_area_matrix")[str(from_nm)][str(to_nm)])


def _area_from_table_node(from_nm: int, to_nm: float) -> float:
    return _interpolate(to_nm, lambda t: _area_table(from_nm, t))


@lru_cache(maxsize=4096)
def _area_factor_nm(from_nm: float, to_nm: float) -> float:
    if abs(from_nm - to_nm) < 1e-6:
        return 1.0
    f_big, _, f_w = _bracket(from_nm)
    if f_w == 0.0:  # from a table node: read (and interpolate along) its row
        return _area_from_table_node(f_big, to_nm)
    # from a non-table node: to a table node T, the reciprocal of the move back (T's row); between table nodes,
    # interpolated linearly in feature size between the two neighbours' values, so the factor is monotone in the
    # target (pivoting on another row instead mixed two slightly inconsistent rows of the published matrix:
    # 33 -> 178 nm came out larger than 33 -> 180 nm)
    return _interpolate(to_nm, lambda t: 1.0 / _area_from_table_node(t, from_nm))


def area_factor(from_node_m: float, to_node_m: float) -> float:
    """Area multiplier for moving a design between nodes (Stillmaker & Baas area table).

    Exact at table nodes (65 -> 45 nm x0.66, 45 -> 7 nm x0.059); a non-table target is interpolated linearly in
    feature size along the source's row; a non-table source uses the reciprocal of the move back from each table
    node, interpolated the same way between table nodes.
    """
    return _area_factor_nm(_node_nm(from_node_m, "from node"), _node_nm(to_node_m, "to node"))


# ---------------------------------------------------------------------------------------------------------------
# frequency


def threshold_voltage_v(node_m: float, flavor: str | None = None) -> float:
    """Effective threshold voltage of the alpha-power law at a node (fitted to the Stillmaker delay fits)."""
    nm, fl = _node_nm(node_m), _check_flavor(flavor)
    table = _value("effective_threshold_voltage")
    return _interpolate(nm, lambda n: float(table[_row(n, fl)]))


def alpha_power_exponent() -> float:
    """Sakurai-Newton velocity-saturation exponent (1.3)."""
    return float(_value("alpha_power_exponent"))


def max_frequency_factor(v_from: float, v_to: float, node_m: float, flavor: str | None = None) -> float:
    """Multiplier of the maximum clock frequency when the supply moves from ``v_from`` to ``v_to`` at one node.

    Alpha-power law ``f ~ (V - Vth)^alpha / V`` (Sakurai & Newton 1990), alpha = 1.3, effective Vth per node.
    Raises :class:`TechnologyError` within 50 mV of the effective threshold, where the law does not apply.
    """
    nm = _node_nm(node_m)
    vth = threshold_voltage_v(node_m, flavor)
    alpha = alpha_power_exponent()
    for name, v in (("v_from", v_from), ("v_to", v_to)):
        _check_voltage(v, nm, name)
        if v < vth + 0.05:
            raise TechnologyError(
                f"{name} {v:g} V is within 50 mV of the effective threshold voltage {vth:.3f} V at {nm:g} nm; "
                "the alpha-power frequency law does not apply near or below threshold"
            )

    def f(v: float) -> float:
        return (v - vth) ** alpha / v

    return f(v_to) / f(v_from)


#: Nodes (nm) with a row in ``record_logic_clock``.
_CLOCK_NODES: tuple[int, ...] = (180, 130, 90, 65, 45, 32, 22, 14, 10, 7)


def max_clock_hz(node_m: float, voltage_v: float, flavor: str | None = None) -> float:
    """The highest clock a spec may ask for at a node and supply, in Hz.

    ``f_record(node) * max_frequency_factor(Vnom -> V)``: the fastest clock CMOS logic has shipped at at that node
    (``record_logic_clock`` in technology.yaml: custom, deeply pipelined processor cores, e.g. 5.0 GHz at 65 nm,
    5.3 GHz interpolated at 28 nm; linear in feature size between rows), moved from the nominal supply to
    ``voltage_v`` by the alpha-power law with the node's (and flavor's) effective Vth. Example:
    ``max_clock_hz(28e-9, 0.6)`` is about 2.7 GHz.

    Why a hard limit and not a warning: the alpha-power law matches the Stillmaker delay fits only loosely (largest
    log error 0.02-0.27 for most rows, up to 0.45 for HP32, i.e. up to 1.6x), so a *typical* clock cannot be
    predicted from it. The ceiling is therefore placed where no realistic design is: at record processor clocks,
    reached above nominal supply, 3-10x faster than accelerator datapaths run (Eyeriss 200 MHz at 65 nm, TPU v1
    700 MHz at 28 nm). A clock above it is a unit mistake or an operating point no CMOS has reached, and the
    energy model would silently price it. Raises :class:`TechnologyError` where the law does not apply (node
    outside 7-180 nm, supply within 50 mV of the effective Vth or above 2x nominal).
    """
    nm = _node_nm(node_m)
    table = _value("record_logic_clock")
    record_hz = _interpolate(nm, lambda n: float(table[str(n)]) * 1e9, _CLOCK_NODES)
    return record_hz * max_frequency_factor(nominal_voltage_v(node_m), voltage_v, node_m, flavor)


# ---------------------------------------------------------------------------------------------------------------
# leakage (explicit assumptions)

_LEAK_NODES: tuple[int, ...] = (180, 90, 45, 16, 7)


def _leakage_scale(nm: float, voltage_v: float, flavor: Flavor | None) -> float:
    vnom = _interpolate(nm, lambda n: float(_value("nominal_voltage")[str(n)]))
    efold = float(_value("leakage_voltage_efold"))
    flavor_mult = 1.0 if flavor is None else float(_value("leakage_flavor_multiplier")[flavor])
    return flavor_mult * (voltage_v / vnom) * math.exp((voltage_v - vnom) / efold)


def leakage_power_per_bit_w(node_m: float, voltage_v: float, *, kind: str = "sram", flavor: str | None = None) -> float:
    """Leakage power of one SRAM bit in watts (an explicit assumption, range x0.1-x10; see technology.yaml).

    Only ``kind="sram"`` (6T cells); flip-flop and latch arrays leak like logic: use
    :func:`leakage_power_per_area_w_per_m2` times their area.
    """
    if kind != "sram":
        raise TechnologyError(
            f"per-bit leakage is tabulated for kind 'sram' only, got {kind!r}; "
            "register files and latch memories leak like logic (leakage_power_per_area_w_per_m2 x area)"
        )
    nm, fl = _node_nm(node_m), _check_flavor(flavor)
    v = _check_voltage(voltage_v, nm)
    table = _value("sram_leakage_per_bit")
    per_bit_pw = _interpolate(nm, lambda n: float(table[str(n)]), _LEAK_NODES)
    return per_bit_pw * 1e-12 * _leakage_scale(nm, v, fl)


def leakage_power_per_area_w_per_m2(node_m: float, voltage_v: float, *, flavor: str | None = None) -> float:
    """Leakage power density of standard-cell logic in W/m^2 (an explicit assumption, range x0.1-x10)."""
    nm, fl = _node_nm(node_m), _check_flavor(flavor)
    v = _check_voltage(voltage_v, nm)
    table = _value("logic_leakage_per_area")
    mw_per_mm2 = _interpolate(nm, lambda n: float(table[str(n)]), _LEAK_NODES)
    return mw_per_mm2 * 1e3 * _leakage_scale(nm, v, fl)  # 1 mW/mm^2 = 1e3 W/m^2


# ---------------------------------------------------------------------------------------------------------------
# the Technology value object


@dataclass(frozen=True)
class Technology:
    """A process node at an operating point. Immutable; SI units (metres, volts, hertz).

    ``nominal_voltage_v`` defaults to the node's nominal supply (table in ``technology.yaml``, remembered from the
    device models behind Stillmaker & Baas 2017: 180 nm 1.8 V, 130 nm 1.3 V, 90 nm 1.2 V, 65 nm 1.1 V, 45 nm 1.0 V,
    32/20 nm 0.9 V, 16 nm 0.85 V, 14 nm 0.8 V, 10 nm 0.75 V, 7 nm 0.7 V; interpolated in between). It is ``None``
    for nodes outside 7-180 nm, where the scaling laws do not apply.
    """

    node_m: float
    voltage_v: float
    clock_hz: float
    flavor: Flavor | None = None
    nominal_voltage_v: float | None = None

    def __post_init__(self) -> None:
        lo, hi = _CONSTRUCT_RANGE_M
        if isinstance(self.node_m, bool) or not isinstance(self.node_m, int | float) or not lo <= self.node_m <= hi:
            raise TechnologyError(f"technology node must be between 3 nm and 250 nm (in metres), got {self.node_m!r}")
        for name in ("voltage_v", "clock_hz"):
            val = getattr(self, name)
            if isinstance(val, bool) or not isinstance(val, int | float) or not math.isfinite(val) or val <= 0:
                raise TechnologyError(f"{name} must be a positive number, got {val!r}")
        object.__setattr__(self, "flavor", _check_flavor(self.flavor))
        if self.nominal_voltage_v is None and self.in_scaling_range:
            object.__setattr__(self, "nominal_voltage_v", nominal_voltage_v(self.node_m))

    @classmethod
    def from_spec(
        cls,
        node: Any,
        voltage: str | float | None = None,
        clock: str | float | None = None,
        flavor: str | None = None,
    ) -> Technology:
        """Build from unit strings or SI numbers: ``Technology.from_spec("28 nm", "0.9 V", "500 MHz")``.

        ``node`` may also be a ``TechnologySpec`` (anything with ``node``, ``voltage``, ``clock`` and ``flavor``
        attributes). A missing voltage means the node's nominal supply; the clock is required.
        """
        if hasattr(node, "node") and hasattr(node, "clock"):
            spec = node
            return cls.from_spec(spec.node, spec.voltage, spec.clock, getattr(spec, "flavor", None))
        try:
            node_m = units.length(node)
            clock_hz = None if clock is None else units.frequency(clock)
            voltage_v = None if voltage is None else units.voltage(voltage)
        except units.UnitError as exc:
            raise TechnologyError(str(exc)) from None
        if clock_hz is None:
            raise TechnologyError("a technology needs a clock, e.g. '500 MHz'")
        if voltage_v is None:
            voltage_v = nominal_voltage_v(node_m)
        return cls(node_m=node_m, voltage_v=voltage_v, clock_hz=clock_hz, flavor=_check_flavor(flavor))

    @property
    def node_nm(self) -> float:
        return round(self.node_m * 1e9, 6)

    @property
    def in_scaling_range(self) -> bool:
        """Whether the node lies in 7-180 nm, the range of the scaling data."""
        return MIN_NODE_M - 1e-15 <= self.node_m <= MAX_NODE_M + 1e-15

    def energy_factor_from(self, node_m: float, voltage_v: float, flavor: str | None = None) -> float:
        """Factor that moves an energy characterised at (``node_m``, ``voltage_v``) to this technology."""
        return energy_factor(node_m, voltage_v, self.node_m, self.voltage_v, from_flavor=flavor, to_flavor=self.flavor)

    def area_factor_from(self, node_m: float) -> float:
        """Factor that moves an area characterised at ``node_m`` to this node."""
        return area_factor(node_m, self.node_m)

    def sram_leakage_per_bit_w(self) -> float:
        return leakage_power_per_bit_w(self.node_m, self.voltage_v, kind="sram", flavor=self.flavor)

    def logic_leakage_w_per_m2(self) -> float:
        return leakage_power_per_area_w_per_m2(self.node_m, self.voltage_v, flavor=self.flavor)

    def at_voltage(self, voltage_v: float, *, scale_clock: bool = True) -> Technology:
        """The same node at another supply; the clock follows the alpha-power law unless ``scale_clock=False``."""
        clock = self.clock_hz
        if scale_clock:
            clock *= max_frequency_factor(self.voltage_v, voltage_v, self.node_m, self.flavor)
        return replace(self, voltage_v=float(voltage_v), clock_hz=clock)

    def __str__(self) -> str:
        flavor = f" {self.flavor}" if self.flavor else ""
        return f"{self.node_nm:g} nm{flavor}, {self.voltage_v:g} V, {self.clock_hz / 1e6:g} MHz"
