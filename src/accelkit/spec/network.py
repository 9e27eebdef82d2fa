"""NetworkSpec: which network to analyse (a zoo entry or a model file) and how to resolve it."""

from __future__ import annotations

from typing import Any

from pydantic import Field, field_validator, model_validator

from accelkit.spec.base import SpecModel

_ONE_SOURCE = "give exactly one of 'zoo' (a built-in network) or 'path' (an .onnx/.tflite file)"
_PARAMS_ZOO_ONLY = "'params' apply to zoo networks only"


class NetworkSpec(SpecModel):
    """A network reference. Exactly one of ``zoo`` or ``path``.

    ```yaml
    network:
      zoo: mlperf_tiny_ic        # or: path: models/resnet8.onnx  (relative to the YAML file)
      params: {batch: 1}         # zoo builder parameters
      input_shapes: {input: [1, 3, 224, 224]}   # ONNX models with dynamic input dimensions
    ```
    """

    zoo: str | None = Field(default=None, description="name of a built-in network (accelkit list networks)")
    path: str | None = Field(default=None, description="path of an .onnx or .tflite file")
    name: str | None = Field(default=None, description="display name (defaults to the zoo name or file stem)")
    params: dict[str, Any] = Field(default_factory=dict, description="zoo builder parameters, e.g. batch, seq_len")
    input_shapes: dict[str, list[int]] = Field(
        default_factory=dict, description="concrete shapes for dynamic model inputs, by input name"
    )

    @classmethod
    def cross_field_problems(cls, data: Any) -> list[tuple[str, str]]:
        if not isinstance(data, dict):
            return []
        problems = []
        if (data.get("zoo") is None) == (data.get("path") is None):
            problems.append(("", _ONE_SOURCE))
        if data.get("params") and data.get("zoo") is None:
            problems.append(("params", _PARAMS_ZOO_ONLY))
        return problems

    @model_validator(mode="after")
    def _one_source(self) -> NetworkSpec:
        if (self.zoo is None) == (self.path is None):
            raise ValueError(_ONE_SOURCE)
        if self.params and self.zoo is None:
            raise ValueError(_PARAMS_ZOO_ONLY)
        return self

    @field_validator("input_shapes")
    @classmethod
    def _positive(cls, v: dict[str, list[int]]) -> dict[str, list[int]]:
        for key, shape in v.items():
            if not shape or any(d <= 0 for d in shape):
                raise ValueError(f"input shape of {key!r} must be a non-empty list of positive integers, got {shape}")
        return v
