"""StudySpec: one YAML file naming a network, an accelerator, the optimization blocks and the evaluation options.

```yaml
name: kws-on-edge-npu
network: {zoo: mlperf_tiny_kws}          # or a zoo name, or {path: kws.tflite} (relative to this file)
accelerator: edge_npu_int8               # a preset name, a YAML file (relative to this file), or an inline spec
evaluate: {objective: edp, residency: auto, inference_rate: 10}
blocks:
  - {kind: quantization, weights: int4}
  - {kind: zero_gating, operands: [input]}
```
``accelkit evaluate study.yaml`` evaluates the design with every enabled block; ``accelkit attribute study.yaml``
splits the effect among the blocks. Each block's fields are validated by the block's own spec when the study is
loaded (so errors name ``blocks[i].field``).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from accelkit.spec.base import SpecModel
from accelkit.spec.explore import ExploreSpec
from accelkit.spec.network import NetworkSpec


class EvaluateOptions(SpecModel):
    objective: Literal["energy", "latency", "edp"] = Field("edp", description="mapping objective")
    batch: int | None = Field(None, ge=1, description="re-batch the network (default: as loaded)")
    dataflow: str | None = Field(None, description="force a dataflow for every layer (default: the accelerator's)")
    residency: Literal["auto", "dram", "on_chip"] = Field(
        "auto", description="keep the whole model on chip when it fits (auto), never (dram), or require it (on_chip)"
    )
    inference_rate: float | None = Field(
        None, gt=0, description="inferences per second the system must sustain (sets the average power)"
    )

    @property
    def inference_rate_ips(self) -> float | None:
        return self.inference_rate


class StudySpec(SpecModel):
    name: str | None = Field(None, description="study name (default: the file name)")
    description: str | None = None
    network: NetworkSpec | str = Field(description="zoo name, model file, or a network spec")
    accelerator: str | dict[str, Any] = Field(description="preset name, accelerator YAML file, or an inline spec")
    evaluate: EvaluateOptions = Field(default_factory=EvaluateOptions)
    blocks: list[dict[str, Any]] = Field(default_factory=list, description="optimization blocks, each with a kind")
    #: sweep axes, constraints and objectives for ``accelkit explore`` (validated by the explorer)
    explore: ExploreSpec | None = None
