"""Unit strings at the boundary: ``"108 KiB"``, ``"200 MHz"``, ``"0.9 V"``, ``"22 nm"``, ``"0.3 pJ"`` -> SI floats.

Inside accelkit every quantity is SI (J, s, m, m², W, V, Hz; data in **bits**). Specs accept either a number
(already SI, or bits for data sizes) or a string with a unit. Decimal prefixes (k, M, G) and binary ones
(Ki, Mi, Gi) are both understood for data; ``B`` is a byte (8 bits), ``b``/``bit`` a bit.
"""

from __future__ import annotations

import re
from typing import Any

_NUM = r"(?P<num>[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)"
_RE = re.compile(rf"^\s*{_NUM}\s*(?P<unit>[A-Za-zµμΩ²/^0-9]*)\s*$")

_SI_PREFIX = {
    "": 1.0,
    "a": 1e-18,
    "f": 1e-15,
    "p": 1e-12,
    "n": 1e-9,
    "u": 1e-6,
    "µ": 1e-6,
    "μ": 1e-6,
    "m": 1e-3,
    "k": 1e3,
    "K": 1e3,
    "M": 1e6,
    "G": 1e9,
    "T": 1e12,
}
_BIN_PREFIX = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40}

#: quantity -> {unit symbol: factor to SI}, base units only; prefixes are applied on top.
_BASE_UNITS: dict[str, dict[str, float]] = {
    "energy": {"J": 1.0},
    "power": {"W": 1.0},
    "voltage": {"V": 1.0},
    "frequency": {"Hz": 1.0},
    "time": {"s": 1.0},
    "length": {"m": 1.0},
    "area": {"m2": 1.0, "m²": 1.0, "m^2": 1.0},
    "data": {"b": 1.0, "bit": 1.0, "bits": 1.0, "B": 8.0, "byte": 8.0, "bytes": 8.0},
}


class UnitError(ValueError):
    """A value that is not a number with a unit of the expected kind."""


def _examples(kind: str) -> str:
    return {
        "energy": "'0.2 pJ'",
        "power": "'150 mW'",
        "voltage": "'0.9 V' or '900 mV'",
        "frequency": "'200 MHz'",
        "time": "'10 ns'",
        "length": "'28 nm'",
        "area": "'1.5 mm2'",
        "data": "'108 KiB', '64 b' or '2 MB'",
    }[kind]


def parse_quantity(value: Any, kind: str) -> float:
    """Parse ``value`` as a quantity of ``kind`` and return it in SI (data in bits).

    A bare number is taken as already SI (bits for data). Raises :class:`UnitError` naming what was expected.
    """
    if kind not in _BASE_UNITS:
        raise ValueError(f"unknown quantity kind {kind!r}")
    if isinstance(value, bool):
        raise UnitError(f"expected a {kind} such as {_examples(kind)}, got {value!r}")
    if isinstance(value, int | float):
        return float(value)
    if not isinstance(value, str):
        raise UnitError(f"expected a {kind} such as {_examples(kind)}, got {value!r}")
    m = _RE.match(value)
    if not m:
        raise UnitError(f"expected a {kind} such as {_examples(kind)}, got {value!r}")
    num = float(m.group("num"))
    unit = m.group("unit")
    if not unit:
        return num
    for base, factor in sorted(_BASE_UNITS[kind].items(), key=lambda kv: -len(kv[0])):
        if unit.endswith(base):
            prefix = unit[: -len(base)]
            if kind == "data" and prefix in _BIN_PREFIX:
                return num * _BIN_PREFIX[prefix] * factor
            if prefix in _SI_PREFIX:
                scale = _SI_PREFIX[prefix]
                if kind == "area":  # mm2 means (mm)^2
                    scale = scale**2
                return num * scale * factor
    raise UnitError(f"unit {unit!r} is not a {kind}; expected e.g. {_examples(kind)}, got {value!r}")


def energy(value: Any) -> float:
    return parse_quantity(value, "energy")


def power(value: Any) -> float:
    return parse_quantity(value, "power")


def voltage(value: Any) -> float:
    return parse_quantity(value, "voltage")


def frequency(value: Any) -> float:
    return parse_quantity(value, "frequency")


def time(value: Any) -> float:
    return parse_quantity(value, "time")


def length(value: Any) -> float:
    return parse_quantity(value, "length")


def area(value: Any) -> float:
    return parse_quantity(value, "area")


def data_bits(value: Any) -> float:
    return parse_quantity(value, "data")
