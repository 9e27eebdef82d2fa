"""Blocks that change the hardware description: dataflow, memory hierarchy, standard-cell memory, voltage and
frequency scaling (down to near-threshold), technology node, batch size.

They work in the *resolve* phase on the :class:`AcceleratorSpec` (so every change is validated like user input and
errors name the field), except ``batch``, which re-batches the network. The effect of each is then computed by the
unchanged cost model: the mapper re-maps, the estimators re-price (energy ~ C V^2 and the alpha-power frequency law
live in :mod:`accelkit.hardware.technology`, with their sources).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar, Literal

from pydantic import Field, field_validator

from accelkit.optimizations.base import OPTIMIZATIONS, Optimization, OptimizationSpec
from accelkit.spec.paths import patch

if TYPE_CHECKING:  # pragma: no cover
    from accelkit.hardware.accelerator import Accelerator
    from accelkit.spec.accelerator import AcceleratorSpec
    from accelkit.workload.ir import Network


def _patched(block: Optimization, spec: AcceleratorSpec, changes: dict[str, Any]) -> AcceleratorSpec:
    return patch(spec, changes, source=f"block {block.label!r} on accelerator {spec.name!r}")


# ---- dataflow --------------------------------------------------------------------------------------------------------
class DataflowSpec(OptimizationSpec):
    kind: Literal["dataflow"] = "dataflow"
    dataflow: Literal["weight_stationary", "output_stationary", "input_stationary", "row_stationary", "best"] = Field(
        description="spatial dataflow the mapper must use"
    )


@OPTIMIZATIONS.register("dataflow")
class Dataflow(Optimization):
    example: ClassVar[dict[str, Any]] = {"dataflow": "output_stationary"}
    Spec = DataflowSpec
    kind = "dataflow"
    catalog_ids = ("row-stationary-dataflow", "systolic-weight-stationary")
    summary = "choose the spatial dataflow (which operand stays in the PEs)"
    order = 10
    metrics = ("energy", "latency")

    def accelerator_spec(self, spec: AcceleratorSpec, net: Network) -> AcceleratorSpec:
        return _patched(self, spec, {"dataflow": self.spec.dataflow})  # type: ignore[attr-defined]


# ---- memory hierarchy ------------------------------------------------------------------------------------------------
class MemorySpec(OptimizationSpec):
    kind: Literal["memory"] = "memory"
    set: dict[str, Any] = Field(
        min_length=1,
        description="accelerator fields to change, by path: "
        "{'memory.glb.capacity': '512 KiB', 'memory.rf.width': '32 b'}",
    )


@OPTIMIZATIONS.register("memory")
class Memory(Optimization):
    """Buffer sizing and other memory-hierarchy changes (any accelerator field, validated like the spec)."""

    example: ClassVar[dict[str, Any]] = {"set": {"memory.glb.capacity": "128 KiB"}}
    Spec = MemorySpec
    kind = "memory"
    unique = False  # two hierarchy changes compose (each patches its own fields)
    catalog_ids = ("on-chip-model-storage", "local-register-files")
    summary = "resize buffers / change the memory hierarchy"
    order = 10
    metrics = ("energy", "area", "latency")

    def accelerator_spec(self, spec: AcceleratorSpec, net: Network) -> AcceleratorSpec:
        return _patched(self, spec, dict(self.spec.set))  # type: ignore[attr-defined]


# ---- standard-cell memory ----------------------------------------------------------------------------------------- --
class StandardCellMemorySpec(OptimizationSpec):
    kind: Literal["standard_cell_memory"] = "standard_cell_memory"
    levels: list[str] = Field(min_length=1, description="names of the SRAM levels to build from standard cells")


@OPTIMIZATIONS.register("standard_cell_memory")
class StandardCellMemory(Optimization):
    """SRAM macros replaced by latch-based standard-cell memory (priced by the ``scm`` estimator, cited there)."""

    example: ClassVar[dict[str, Any]] = {"levels": ["spad"]}
    example_context: ClassVar[dict[str, Any]] = {"accelerator": "eyeriss_v1"}
    Spec = StandardCellMemorySpec
    kind = "standard_cell_memory"
    catalog_ids = ("standard-cell-memories",)
    summary = "build small buffers from standard cells instead of SRAM macros"
    order = 10
    metrics = ("energy", "area", "power")

    def accelerator_spec(self, spec: AcceleratorSpec, net: Network) -> AcceleratorSpec:
        from accelkit.errors import SpecError

        names = {m.name: m for m in spec.memory}
        problems = []
        for i, name in enumerate(self.spec.levels):  # type: ignore[attr-defined]
            if name not in names:
                from accelkit.errors import UnknownNameError

                problems.append((f"{self.label}.levels[{i}]", str(UnknownNameError("memory level", name, list(names)))))
            elif names[name].kind not in ("sram", "regfile", "scm"):
                problems.append(
                    (f"{self.label}.levels[{i}]", f"level {name!r} is {names[name].kind}, not on-chip SRAM")
                )
        if problems:
            raise SpecError(problems, source=f"block {self.label!r} on accelerator {spec.name!r}")
        return _patched(self, spec, {f"memory.{n}.kind": "scm" for n in self.spec.levels})  # type: ignore[attr-defined]

    def check(self, net: Network, arch: Accelerator) -> list[tuple[str, str]]:
        """Standard-cell memory is priced only where its estimator is valid (small arrays): say so up front."""
        from accelkit.estimators import EstimatorNotFound, estimate_energy, level_query
        from accelkit.hardware.technology import Technology

        tech = Technology.from_spec(arch.node_m, arch.voltage_v, arch.clock_hz, arch.flavor)
        problems = []
        for i, name in enumerate(self.spec.levels):  # type: ignore[attr-defined]
            level = arch.level(name)
            try:
                estimate_energy(level_query(level), "read", tech, dict(arch.energy_overrides))
            except EstimatorNotFound as exc:
                problems.append(
                    (
                        f"levels[{i}]",
                        f"no standard-cell memory model covers level {name!r} "
                        f"({level.capacity_bits / 8192:g} KiB per instance): {exc}",
                    )
                )
        return problems


# ---- voltage and frequency scaling -----------------------------------------------------------------------------------
class VoltageScalingSpec(OptimizationSpec):
    kind: Literal["voltage_scaling"] = "voltage_scaling"
    voltage: str | float = Field(
        description="new supply voltage, e.g. '0.6 V' (near-threshold allowed above Vth+50 mV)"
    )
    clock: str = Field(
        "scale",
        description="'scale': the clock follows the alpha-power law from the spec's (voltage, clock); "
        "'keep': unchanged (only valid when timing still closes); or a frequency such as '50 MHz'",
    )


@OPTIMIZATIONS.register("voltage_scaling")
class VoltageScaling(Optimization):
    example: ClassVar[dict[str, Any]] = {"voltage": "0.7 V"}
    Spec = VoltageScalingSpec
    kind = "voltage_scaling"
    catalog_ids = ("dvfs", "near-threshold-voltage-scaling")
    summary = "lower (or raise) the supply voltage; the clock follows the alpha-power law"
    order = 20
    metrics = ("energy", "power", "latency")

    def accelerator_spec(self, spec: AcceleratorSpec, net: Network) -> AcceleratorSpec:
        from accelkit.errors import SpecError
        from accelkit.hardware.technology import TechnologyError, max_frequency_factor
        from accelkit.units import parse_quantity

        src = f"block {self.label!r} on accelerator {spec.name!r}"
        try:
            v = parse_quantity(self.spec.voltage, "voltage")  # type: ignore[attr-defined]
        except ValueError as exc:
            raise SpecError([(f"{self.label}.voltage", str(exc))], source=src) from None
        tech = spec.technology
        changes: dict[str, Any] = {"technology.voltage": f"{v!r} V"}
        mode = self.spec.clock  # type: ignore[attr-defined]
        if mode == "scale":
            try:
                f = tech.clock * max_frequency_factor(tech.voltage, v, tech.node, tech.flavor)
            except TechnologyError as exc:
                raise SpecError([(f"{self.label}.voltage", str(exc))], source=src) from None
            changes["technology.clock"] = f"{f!r} Hz"
        elif mode != "keep":
            try:
                changes["technology.clock"] = f"{parse_quantity(mode, 'frequency')!r} Hz"
            except ValueError as exc:
                raise SpecError(
                    [(f"{self.label}.clock", f"{exc}; expected 'scale', 'keep' or e.g. '50 MHz'")], source=src
                ) from None
        return _patched(self, spec, changes)


# ---- technology node -------------------------------------------------------------------------------------------------
class TechnologyNodeSpec(OptimizationSpec):
    kind: Literal["technology_node"] = "technology_node"
    node: str | float = Field(description="target node, e.g. '22 nm'")
    voltage: str | float = Field("nominal", description="'nominal' (the node's nominal supply) or e.g. '0.8 V'")
    clock: str = Field("keep", description="'keep' or a frequency such as '400 MHz'")
    flavor: Literal["LP", "HP"] | None = None


@OPTIMIZATIONS.register("technology_node")
class TechnologyNode(Optimization):
    example: ClassVar[dict[str, Any]] = {"node": "16 nm"}
    Spec = TechnologyNodeSpec
    kind = "technology_node"
    catalog_ids = ("technology-scaling",)
    summary = "port the design to another technology node (Stillmaker-Baas scaling)"
    order = 15
    metrics = ("energy", "area", "power")

    def accelerator_spec(self, spec: AcceleratorSpec, net: Network) -> AcceleratorSpec:
        from accelkit.errors import SpecError
        from accelkit.hardware.technology import TechnologyError, nominal_voltage_v
        from accelkit.units import parse_quantity

        src = f"block {self.label!r} on accelerator {spec.name!r}"
        p = self.spec  # type: ignore[assignment]
        problems = []
        changes: dict[str, Any] = {}
        try:
            node = parse_quantity(p.node, "length")
            changes["technology.node"] = f"{node * 1e9!r} nm"
            if p.voltage == "nominal":
                changes["technology.voltage"] = f"{nominal_voltage_v(node)!r} V"
            else:
                changes["technology.voltage"] = f"{parse_quantity(p.voltage, 'voltage')!r} V"
        except (ValueError, TechnologyError) as exc:
            problems.append((f"{self.label}.node", str(exc)))
        if p.clock != "keep":
            try:
                changes["technology.clock"] = f"{parse_quantity(p.clock, 'frequency')!r} Hz"
            except ValueError as exc:
                problems.append((f"{self.label}.clock", str(exc)))
        if p.flavor is not None:
            changes["technology.flavor"] = p.flavor
        if problems:
            raise SpecError(problems, source=src)
        return _patched(self, spec, changes)


# ---- batch -----------------------------------------------------------------------------------------------------------
class BatchSpec(OptimizationSpec):
    kind: Literal["batch"] = "batch"
    size: int = Field(ge=1, le=4096, description="inferences processed together (weights fetched once per batch)")

    @field_validator("size")
    @classmethod
    def _int(cls, v: int) -> int:
        return int(v)


@OPTIMIZATIONS.register("batch")
class Batch(Optimization):
    """Process several inferences together: weight traffic is shared, latency per batch grows."""

    example: ClassVar[dict[str, Any]] = {"size": 2}
    Spec = BatchSpec
    kind = "batch"
    summary = "batch inferences so each weight fetch serves several inputs"
    order = 5
    metrics = ("energy", "latency", "throughput")

    def network(self, net: Network, arch: Accelerator) -> Network:
        from accelkit.workload.batch import rebatch

        return rebatch(net, self.spec.size)  # type: ignore[attr-defined]
