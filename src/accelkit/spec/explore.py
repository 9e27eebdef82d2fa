"""ExploreSpec: the ``explore:`` section of a study — sweep axes, constraints, objectives and the search strategy.

```yaml
explore:
  axes:
    accelerator.pe_array.rows: [8, 16]                        # a list of values
    accelerator.memory.glb.capacity: ["128 KiB", "256 KiB"]   # unit strings as in the accelerator spec
    blocks.voltage_scaling.voltage: {start: 0.6, stop: 0.9, step: 0.1, unit: V}   # a range (stop included)
    evaluate.inference_rate: {start: 1, stop: 1000, num: 4, scale: log}
    blocks.zero_gating: on_off                                # the block off, then on
    "accelerator.pe_array.rows, accelerator.pe_array.cols": [[8, 8], [16, 16]]   # linked axes move together
  constraints:
    - average_power_w <= 1 mW            # at the study's inference rate (evaluate.inference_rate)
    - memory.on_chip_shared_bytes <= 512 KiB
    - area_mm2 <= 2                      # a bare number is in the metric's own unit (the name says it)
    - accuracy_loss_pp <= 1              # from the catalog's figures for the enabled blocks
  objectives: [energy_per_inference_j, latency_s, {metric: area_mm2, direction: minimize}]
  strategy: grid                         # grid | random | nsga2
  budget: 200                            # points (random, nsga2), a cap for grid
  seed: 0
```

Axis paths start with ``accelerator``, ``network``, ``evaluate`` or ``blocks`` (a block by label, ``blocks.quantization
.weight_bits``, or by position, ``blocks[0].weight_bits``). Whether a path names a real field is checked against the
study when the sweep starts (the explorer knows the accelerator and the blocks; this module only checks the form).
Metrics are the keys of ``Evaluation.totals()`` (nested ones joined by dots: ``memory.footprint_bytes``,
``traffic_bytes.dram``) plus ``accuracy_loss_pp``.
"""

from __future__ import annotations

import math
import re
from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from accelkit import units
from accelkit.errors import SpecError
from accelkit.spec.base import FieldProblems, SpecModel
from accelkit.spec.paths import split_path

#: scalar metrics of ``Evaluation.totals()`` (nested ``memory`` keys joined by a dot) and the explorer's own
SCALAR_METRICS: tuple[str, ...] = (
    "energy_j",
    "energy_per_inference_j",
    "dynamic_energy_j",
    "leakage_energy_j",
    "latency_s",
    "cycles",
    "throughput_ips",
    "power_w",
    "average_power_w",
    "inference_rate_ips",
    "meets_rate",
    "leakage_power_w",
    "area_mm2",
    "utilization",
    "tops_per_w",
    "energy_per_mac_j",
    "memory.weight_bytes",
    "memory.activation_peak_bytes",
    "memory.footprint_bytes",
    "memory.on_chip_shared_bytes",
    "memory.weights_fit_on_chip",
    "memory.activations_fit_on_chip",
    "memory.all_fit_on_chip",
    "accuracy_loss_pp",
)
#: per-component metrics: the prefix, then a memory level or component name (``traffic_bytes.dram``)
COMPONENT_METRICS: tuple[str, ...] = ("traffic_bytes", "energy_by_level_j", "area_by_component_mm2")
BOOLEAN_METRICS: frozenset[str] = frozenset(
    {"meets_rate", "memory.weights_fit_on_chip", "memory.activations_fit_on_chip", "memory.all_fit_on_chip"}
)
#: metrics where more is better (the default direction of an objective naming them)
HIGHER_IS_BETTER: frozenset[str] = frozenset({"throughput_ips", "utilization", "tops_per_w"})
AXIS_ROOTS: tuple[str, ...] = ("accelerator", "network", "evaluate", "blocks")
ON_OFF = "on_off"
MAX_AXIS_VALUES = 100_000

_CONSTRAINT = re.compile(r"^\s*(?P<metric>[A-Za-z_][\w.]*)\s*(?P<op><=|>=|==|<|>)\s*(?P<value>.+?)\s*$")


def metric_problem(name: str) -> str | None:
    """Why ``name`` is not a metric (None when it is one); suggests the closest names."""
    import difflib

    if name in SCALAR_METRICS:
        return None
    head, _, rest = name.partition(".")
    if head in COMPONENT_METRICS and rest:
        return None  # the component name is checked against the accelerator when the sweep starts
    known = [*SCALAR_METRICS, *(f"{p}.<level>" for p in COMPONENT_METRICS)]
    close = difflib.get_close_matches(name, known, n=3, cutoff=0.5)
    hint = f"; did you mean {', '.join(repr(c) for c in close)}?" if close else ""
    return f"unknown metric {name!r}{hint} (metrics: {', '.join(known)})"


def metric_kind(name: str) -> tuple[str | None, float]:
    """The quantity kind of a metric (from the unit its name ends with) and the factor from SI to that unit."""
    if name.endswith("_mm2"):
        return "area", 1e6
    if name.endswith("_bytes"):
        return "data", 1 / 8
    for suffix, kind in (("_j", "energy"), ("_s", "time"), ("_w", "power")):
        if name.endswith(suffix):
            return kind, 1.0
    return None, 1.0


def parse_metric_value(metric: str, value: Any) -> float | bool:
    """A constraint bound in the metric's own unit: a unit string (``"1 mW"``, ``"512 KiB"``, ``"2 mm2"``) is
    converted; a bare number is already in the unit the metric's name says (``area_mm2 <= 2`` is 2 mm²)."""
    if metric in BOOLEAN_METRICS:
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in ("true", "yes", "1"):
            return True
        if text in ("false", "no", "0"):
            return False
        raise ValueError(f"{metric} is true or false, got {value!r}")
    if isinstance(value, bool):
        raise ValueError(f"expected a number for {metric}, got {value!r}")
    if isinstance(value, int | float):
        x = float(value)
    else:
        text = str(value).strip()
        try:
            x = float(text)
        except ValueError:
            kind, factor = metric_kind(metric)
            if kind is None:
                raise ValueError(f"{metric} is a plain number, got {value!r}") from None
            try:
                x = units.parse_quantity(text, kind) * factor
            except units.UnitError as exc:
                raise ValueError(str(exc)) from None
    if not math.isfinite(x):
        raise ValueError(f"expected a finite number for {metric}, got {value!r}")
    return x


class ConstraintSpec(SpecModel):
    """``metric op value``: a design point is feasible when every constraint holds."""

    metric: str
    op: Literal["<=", "<", ">=", ">", "=="]
    value: float | bool
    #: the constraint as written (shown in tables and errors)
    text: str = ""

    @model_validator(mode="before")
    @classmethod
    def _parse(cls, data: Any) -> Any:
        if isinstance(data, str):
            m = _CONSTRAINT.match(data)
            if m is None:
                if data.strip() in BOOLEAN_METRICS:  # "meets_rate" alone means it must hold
                    return {"metric": data.strip(), "op": "==", "value": True, "text": data.strip()}
                raise ValueError(
                    f"expected 'metric <= value' (or >=, <, >, ==), e.g. 'average_power_w <= 1 mW', got {data!r}"
                )
            return {"metric": m["metric"], "op": m["op"], "value": m["value"], "text": data.strip()}
        if isinstance(data, dict) and "op" not in data:  # {metric: x, max: v} / {min: v} / {equals: v}
            d = dict(data)
            bounds = [k for k in ("max", "min", "equals") if k in d]
            if len(bounds) != 1:
                raise ValueError("give the metric and exactly one of max, min or equals")
            key = bounds[0]
            value = d.pop(key)
            op = {"max": "<=", "min": ">=", "equals": "=="}[key]
            d.update(op=op, value=value, text=f"{d.get('metric')} {op} {value}")
            return d
        return data

    @field_validator("metric")
    @classmethod
    def _metric(cls, v: str) -> str:
        problem = metric_problem(v)
        if problem:
            raise ValueError(problem)
        return v

    @field_validator("value", mode="before")
    @classmethod
    def _value(cls, v: Any, info: Any) -> Any:
        metric = info.data.get("metric")
        if metric is None:  # the metric itself is wrong (reported); no second error for its value
            return 0.0
        return parse_metric_value(metric, v)

    @model_validator(mode="after")
    def _consistent(self) -> ConstraintSpec:
        boolean = self.metric in BOOLEAN_METRICS
        if boolean and self.op != "==":
            raise ValueError(f"{self.metric} is true or false: use '== true' or '== false'")
        if not self.text:
            object.__setattr__(self, "text", f"{self.metric} {self.op} {self.value}")
        return self

    def holds(self, x: Any) -> bool:
        """Whether the value ``x`` of the metric satisfies this constraint (an unknown value never does)."""
        if x is None or (isinstance(x, float) and math.isnan(x)):
            return False
        v = self.value
        if self.op == "==":
            return bool(x) == v if isinstance(v, bool) else x == v
        return {"<=": x <= v, "<": x < v, ">=": x >= v, ">": x > v}[self.op]

    def violation(self, x: Any) -> float:
        """How far ``x`` is outside the bound, relative to the bound (0 when it holds; 1 for unknown/boolean)."""
        if self.holds(x):
            return 0.0
        if x is None or isinstance(self.value, bool) or (isinstance(x, float) and math.isnan(x)):
            return 1.0
        scale = abs(float(self.value)) or 1.0
        return max(abs(float(x) - float(self.value)) / scale, 1e-12)


class ObjectiveSpec(SpecModel):
    """A metric to minimize or maximize (default: by the metric — throughput up, energy down, ...)."""

    metric: str
    direction: Literal["minimize", "maximize"] = "minimize"

    @model_validator(mode="before")
    @classmethod
    def _parse(cls, data: Any) -> Any:
        if isinstance(data, str):
            words = data.split()
            if len(words) == 2 and words[0] in ("minimize", "maximize", "min", "max"):
                direction = "maximize" if words[0].startswith("max") else "minimize"
                return {"metric": words[1], "direction": direction}
            if len(words) != 1:
                raise ValueError(f"expected a metric name, optionally after 'minimize' or 'maximize', got {data!r}")
            data = {"metric": words[0]}
        if isinstance(data, dict) and "direction" not in data and isinstance(data.get("metric"), str):
            data = {**data, "direction": "maximize" if data["metric"] in HIGHER_IS_BETTER else "minimize"}
        return data

    @field_validator("metric")
    @classmethod
    def _metric(cls, v: str) -> str:
        problem = metric_problem(v)
        if problem:
            raise ValueError(problem)
        if v in BOOLEAN_METRICS:
            raise ValueError(f"{v} is true or false; make it a constraint, not an objective")
        return v

    @property
    def sign(self) -> float:
        """+1 to minimize, -1 to maximize (objective values times the sign are minimized)."""
        return 1.0 if self.direction == "minimize" else -1.0


class RangeSpec(SpecModel):
    """Numbers from ``start`` to ``stop`` (included when a step lands on it): ``step`` or ``num`` values;
    ``scale: log`` spaces ``num`` values geometrically; ``unit`` makes each value a unit string (``0.7 V``)."""

    start: float
    stop: float
    step: float | None = Field(None, gt=0)
    num: int | None = Field(None, ge=1, le=MAX_AXIS_VALUES)
    scale: Literal["linear", "log"] = "linear"
    unit: str | None = Field(None, description="appended to each value, e.g. 'V', 'KiB', 'MHz'")

    @model_validator(mode="after")
    def _shape(self) -> RangeSpec:
        problems = []
        if (self.step is None) == (self.num is None):
            problems.append(("", "give exactly one of 'step' or 'num'"))
        if self.stop < self.start:
            problems.append(("stop", f"stop ({self.stop:g}) is below start ({self.start:g}): the range is empty"))
        if self.scale == "log":
            if self.step is not None:
                problems.append(("step", "a log range takes 'num' values, not a step"))
            if self.start <= 0:
                problems.append(("start", f"a log range needs a positive start, got {self.start:g}"))
        if self.step is not None and self.stop >= self.start:
            n = math.floor((self.stop - self.start) / self.step * (1 + 1e-12) + 1e-9) + 1
            if n > MAX_AXIS_VALUES:
                problems.append(("step", f"the range has {n} values; at most {MAX_AXIS_VALUES} per axis"))
        if problems:
            raise FieldProblems(problems)
        return self

    def values(self) -> list[Any]:
        if self.step is not None:
            n = math.floor((self.stop - self.start) / self.step * (1 + 1e-12) + 1e-9) + 1
            xs = [self.start + i * self.step for i in range(n)]
        elif self.num == 1:
            xs = [self.start]
        elif self.scale == "log":
            ratio = (self.stop / self.start) ** (1 / (self.num - 1))  # type: ignore[operator]
            xs = [self.start * ratio**i for i in range(self.num)]  # type: ignore[arg-type]
            xs[-1] = self.stop
        else:
            xs = [self.start + (self.stop - self.start) * i / (self.num - 1) for i in range(self.num)]  # type: ignore[operator]
        integral = all(float(v).is_integer() for v in (self.start, self.stop, self.step or 1)) and (
            self.step is not None or self.num == 1
        )
        out: list[Any] = []
        for x in xs:
            x = round(x, 12)
            num: Any = round(x) if integral else float(f"{x:.12g}")
            out.append(f"{num} {self.unit}" if self.unit else num)
        return out


def _canonical(value: Any) -> str:
    import json

    return json.dumps(value, sort_keys=True, default=str)


class AccuracySpec(SpecModel):
    """Accuracy loss of the enabled blocks, for ``accuracy_loss_pp`` constraints and objectives."""

    loss_pp: dict[str, float] = Field(
        default_factory=dict,
        description="your own accuracy loss (percentage points) per block label; wins over the catalog's figures",
    )


class ExploreSpec(SpecModel):
    """Sweep axes, constraints, objectives and search settings of ``accelkit explore``."""

    axes: dict[str, Any] = Field(description="field path -> values (a list, a range or on_off)")
    constraints: list[ConstraintSpec] = Field(default_factory=list)
    objectives: list[ObjectiveSpec] = Field(
        default_factory=lambda: [ObjectiveSpec(metric="energy_per_inference_j"), ObjectiveSpec(metric="latency_s")]
    )
    strategy: str = Field("grid", description="search strategy: grid, random, nsga2 (accelkit list strategies)")
    budget: int | None = Field(None, ge=1, description="points to evaluate (random, nsga2); a cap for grid")
    seed: int = Field(0, ge=0, description="seed of every random choice: the same seed gives the same points")
    population: int | None = Field(None, ge=2, le=10_000, description="population per generation (nsga2)")
    accuracy: AccuracySpec = Field(default_factory=AccuracySpec)
    reference: dict[str, Any] | None = Field(
        None, description="hypervolume reference point per objective (default: normalized objectives, 1.1)"
    )

    @field_validator("axes", mode="before")
    @classmethod
    def _axes(cls, v: Any) -> Any:
        """Every axis checked at once (form, ranges, linked lists): each problem keeps the axis' path."""
        from pydantic import ValidationError

        from accelkit.spec.base import validation_problems

        if not isinstance(v, dict):
            return v  # pydantic reports the type
        problems: list[tuple[str, str]] = []
        out: dict[str, Any] = {}
        if not v:
            problems.append(("", "give at least one axis to sweep"))
        for name, values in v.items():
            where = f"[{name!r}]"
            if not isinstance(name, str):
                problems.append((where, "an axis is named by a field path string"))
                continue
            if isinstance(values, dict):
                try:
                    values = RangeSpec.model_validate(values)
                except ValidationError as exc:
                    problems.extend((f"{where}.{p}" if p else where, m) for p, m in validation_problems(exc))
                    continue
            elif isinstance(values, list):
                if not values:
                    problems.append((where, "the axis is empty; give at least one value"))
                    continue
                if len(values) > MAX_AXIS_VALUES:
                    problems.append((where, f"{len(values)} values; at most {MAX_AXIS_VALUES} per axis"))
                    continue
                if len({_canonical(x) for x in values}) != len(values):
                    problems.append((where, "a value is given twice"))
                    continue
            elif values != ON_OFF:
                problems.append((where, f"expected a list of values, a range or 'on_off', got {values!r}"))
                continue
            problems.extend((where, msg) for msg in axis_problems(name, values))
            out[name] = values
        if problems:
            raise FieldProblems(problems)
        return out

    @field_validator("constraints")
    @classmethod
    def _constraints(cls, v: list[ConstraintSpec]) -> list[ConstraintSpec]:
        problems = contradictions(v)
        if problems:
            raise FieldProblems([(p[len("constraints") :], m) for p, m in problems])
        return v

    @field_validator("objectives")
    @classmethod
    def _objectives(cls, v: list[ObjectiveSpec]) -> list[ObjectiveSpec]:
        problems: list[tuple[str, str]] = []
        if not v:
            problems.append(("", "give at least one objective"))
        seen: dict[str, int] = {}
        for i, o in enumerate(v):
            if o.metric in seen:
                problems.append((f"[{i}]", f"{o.metric} is already objectives[{seen[o.metric]}]"))
            seen.setdefault(o.metric, i)
        if problems:
            raise FieldProblems(problems)
        return v

    @model_validator(mode="after")
    def _reference(self) -> ExploreSpec:
        problems: list[tuple[str, str]] = []
        if self.reference is not None:
            names = {o.metric for o in self.objectives}
            for k, v in self.reference.items():
                if k not in names:
                    problems.append((f"reference.{k}", f"not an objective (objectives: {', '.join(sorted(names))})"))
                else:
                    try:
                        parse_metric_value(k, v)
                    except ValueError as exc:
                        problems.append((f"reference.{k}", str(exc)))
            missing = names - set(self.reference)
            if missing:
                problems.append(
                    ("reference", f"give a reference value for every objective (missing: {sorted(missing)})")
                )
        if problems:
            raise FieldProblems(problems)
        return self

    def reference_point(self) -> list[float] | None:
        """The hypervolume reference point in the objectives' units and order (None: normalized)."""
        if self.reference is None:
            return None
        return [float(parse_metric_value(o.metric, self.reference[o.metric])) for o in self.objectives]


def axis_paths(name: str) -> list[str]:
    """The field paths an axis moves: one, or several for linked axes (``"a.x, a.y"``)."""
    return [p.strip() for p in name.split(",")]


def axis_problems(name: str, values: Any) -> list[str]:
    """Problems with an axis' form (its paths are checked against the study when the sweep starts)."""
    problems = []
    paths = axis_paths(name)
    for path in paths:
        if not path:
            problems.append("an empty field path")
            continue
        try:
            parts = split_path(path)
        except SpecError as exc:
            problems.extend(m for _, m in exc.problems)
            continue
        root = parts[0]
        if root not in AXIS_ROOTS:
            import difflib

            close = difflib.get_close_matches(str(root), AXIS_ROOTS, n=1, cutoff=0.4)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            problems.append(
                f"{path!r} must start with {', '.join(AXIS_ROOTS)}{hint} (e.g. accelerator.pe_array.rows, "
                "blocks.quantization.weight_bits, evaluate.inference_rate)"
            )
        elif root == "blocks" and len(parts) < 2:
            problems.append(f"{path!r} names no block: use blocks.<label>.<field> or blocks[<index>].<field>")
        elif root == "evaluate" and len(parts) != 2:
            problems.append(f"{path!r}: evaluate options are one level deep (e.g. evaluate.inference_rate)")
    if len(set(paths)) != len(paths):
        problems.append("a linked axis names the same field twice")
    if values == ON_OFF:
        if len(paths) != 1 or not paths[0].startswith("blocks"):
            problems.append("'on_off' switches a block: use it on blocks.<label> or blocks.<label>.enabled")
    elif len(paths) > 1 and isinstance(values, list):
        for i, v in enumerate(values):
            if not isinstance(v, list) or len(v) != len(paths):
                problems.append(f"value {i}: a linked axis of {len(paths)} fields takes lists of {len(paths)} values")
    elif len(paths) > 1 and isinstance(values, RangeSpec):
        problems.append("a linked axis takes a list of value lists, not a range")
    return problems


def contradictions(constraints: list[ConstraintSpec]) -> list[tuple[str, str]]:
    """Constraints no design can satisfy together: bounds on one metric that leave nothing between them."""
    problems = []
    by_metric: dict[str, list[tuple[int, ConstraintSpec]]] = {}
    for i, c in enumerate(constraints):
        by_metric.setdefault(c.metric, []).append((i, c))
    for metric, cs in by_metric.items():
        if len(cs) < 2:
            continue
        if metric in BOOLEAN_METRICS:
            wanted = {bool(c.value) for _, c in cs}
            if len(wanted) > 1:
                idx = [i for i, _ in cs]
                problems.append((f"constraints[{idx[-1]}]", f"{metric} cannot be both true and false"))
            continue
        lo, lo_strict, lo_i = -math.inf, False, -1
        hi, hi_strict, hi_i = math.inf, False, -1
        for i, c in cs:
            v = float(c.value)
            if c.op in (">=", ">", "==") and (v > lo or (v == lo and c.op == ">")):
                lo, lo_strict, lo_i = v, c.op == ">", i
            if c.op in ("<=", "<", "==") and (v < hi or (v == hi and c.op == "<")):
                hi, hi_strict, hi_i = v, c.op == "<", i
        if lo > hi or (lo == hi and (lo_strict or hi_strict)):
            a, b = constraints[lo_i], constraints[hi_i]
            problems.append(
                (
                    f"constraints[{max(lo_i, hi_i)}]",
                    f"contradicts constraints[{min(lo_i, hi_i)}]: {a.text!r} and {b.text!r} leave no feasible "
                    f"value of {metric}",
                )
            )
    return problems
