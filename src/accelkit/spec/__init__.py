"""Validated user input (pydantic v2): frozen models, unknown keys rejected. Suffix ``Spec`` = validated input."""

from accelkit.spec.base import SpecModel, load_yaml, validate_spec
from accelkit.spec.network import NetworkSpec

__all__ = ["NetworkSpec", "SpecModel", "load_yaml", "validate_spec"]
