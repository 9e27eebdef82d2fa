"""Unit strings at the boundary: ``"108 KiB"``, ``"200 MHz"``, ``"0.9 V"``, ``"22 nm"``, ``"0.3 pJ"`` -> SI floats.

Inside accelkit every quantity is SI (J, s, m, m², W, V, Hz; data in **bits**). Decimal prefixes (k, M, G) and
binary ones (Ki, Mi, Gi) are both understood for data; ``B`` is a byte (8 bits), ``b``/``bit`` a bit.

The rule for bare numbers: Python callers inside accelkit may pass SI numbers (bits for data), which
``parse_quantity`` takes as they are. A *spec* (YAML or a dict given to a ``*Spec``) calls it with
``require_unit=True``: there a bare number (``clock: 200``, ``capacity: 1024``, ``voltage: 1``) is rejected,
because the unit is ambiguous to the reader (Hz or MHz? bits or bytes? V or mV?) and a wrong guess silently
changes results by orders of magnitude. Only a bare ``0`` is accepted, being zero in every unit.
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


_NOUN = {
    "energy": "an energy",
    "power": "a power",
    "voltage": "a voltage",
    "frequency": "a frequency",
    "time": "a time",
    "length": "a length",
    "area": "an area",
    "data": "a data size",
}


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


_AMBIGUITY = {
    "energy": "J or pJ?",
    "power": "W or mW?",
    "voltage": "V or mV?",
    "frequency": "Hz or MHz?",
    "time": "s or ns?",
    "length": "m or nm?",
    "area": "m2 or mm2?",
    "data": "bits or bytes?",
}


def _bare_number(value: Any, num: float, kind: str, require_unit: bool) -> float:
    if require_unit and num != 0:
        raise UnitError(
            f"a number without a unit is ambiguous for {_NOUN[kind]} ({_AMBIGUITY[kind]}); "
            f"expected e.g. {_examples(kind)}, got {value!r}"
        )
    return num


def parse_quantity(value: Any, kind: str, *, require_unit: bool = False) -> float:
    """Parse ``value`` as a quantity of ``kind`` and return it in SI (data in bits).

    A bare number is taken as already SI (bits for data), unless ``require_unit`` (specs), where any bare number
    but 0 is rejected. Raises :class:`UnitError` naming what was expected and what was got.
    """
    if kind not in _BASE_UNITS:
        raise ValueError(f"unknown quantity kind {kind!r}")
    if isinstance(value, bool):
        raise UnitError(f"expected {_NOUN[kind]} such as {_examples(kind)}, got {value!r}")
    if isinstance(value, int | float):
        return _bare_number(value, float(value), kind, require_unit)
    if not isinstance(value, str):
        raise UnitError(f"expected {_NOUN[kind]} such as {_examples(kind)}, got {value!r}")
    m = _RE.match(value)
    if not m:
        raise UnitError(f"expected {_NOUN[kind]} such as {_examples(kind)}, got {value!r}")
    num = float(m.group("num"))
    unit = m.group("unit")
    if not unit:
        return _bare_number(value, num, kind, require_unit)
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


_SI_SYMBOL = {
    "energy": "J",
    "power": "W",
    "voltage": "V",
    "frequency": "Hz",
    "time": "s",
    "length": "m",
    "area": "m2",
    "data": "b",
}


def format_si(value: float, kind: str) -> str:
    """An SI number as an exact unit string that ``parse_quantity`` reads back: ``format_si(2e8, "frequency")``
    is ``'200000000.0 Hz'`` (data in bits: ``'65536.0 b'``)."""
    return f"{float(value)!r} {_SI_SYMBOL[kind]}"


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
