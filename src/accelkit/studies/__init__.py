"""Packaged example studies (the demo's), read with importlib.resources so the installed package needs no repo."""

from __future__ import annotations

from importlib import resources
from pathlib import Path


def study_path(name: str) -> Path:
    """Filesystem path of a packaged study (``demo_kws_tinyml``)."""
    ref = resources.files(__package__).joinpath(f"{name}.yaml")
    return Path(str(ref))
