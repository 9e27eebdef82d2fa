"""Resolved, immutable hardware: Accelerator, PEArray, MemoryLevel, Technology (node, voltage, clock, scaling laws)."""
