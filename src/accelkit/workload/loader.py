"""One entry point for every way to name a network: a Network, a zoo name, an ONNX/TFLite file, a YAML spec."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import replace
from functools import partial
from pathlib import Path
from typing import Any

from accelkit.errors import AccelkitError, NetworkFileError, UnknownNameError
from accelkit.spec.base import load_yaml, validate_spec
from accelkit.spec.network import NetworkSpec
from accelkit.workload.ir import Constants, Network

NetworkSource = Network | NetworkSpec | Mapping[str, Any] | str | os.PathLike[str]

_MODEL_SUFFIXES = {".onnx": "onnx", ".tflite": "tflite", ".lite": "tflite"}
#: ``keep_weights=None`` ("auto"): model files up to this size keep their constant values in memory on import
#: (about the file's size: 0.05-1 MiB for the MLPerf Tiny models); larger files get a lazy store that re-imports
#: the file the first time the values are read (e.g. by ``activation_density: measured``).
KEEP_WEIGHTS_MAX_BYTES = 64 * 2**20
_SHAPE_RE = re.compile(r"^\s*(?:(?P<name>[^=]+)=\s*)?(?P<dims>\d+(?:\s*[x,]\s*\d+)*)\s*$")


def parse_input_shape(text: str) -> tuple[str | None, list[int]]:
    """Parse a CLI input shape: ``input=1x3x224x224``, ``1,3,224,224`` or ``x=1x49x10x1``."""
    m = _SHAPE_RE.match(text)
    if not m:
        raise AccelkitError(
            f"--input-shape {text!r}: expected NAME=DxDx... with positive integers, e.g. input=1x3x224x224"
        )
    dims = [int(d) for d in re.split(r"\s*[x,]\s*", m.group("dims"))]
    if any(d <= 0 for d in dims):
        raise AccelkitError(f"--input-shape {text!r}: every dimension must be positive")
    return (m.group("name").strip() if m.group("name") else None), dims


def _sniff_format(path: Path) -> str | None:
    """Guess the format from the suffix, else from the content (TFLite's "TFL3" file identifier)."""
    fmt = _MODEL_SUFFIXES.get(path.suffix.lower())
    if fmt:
        return fmt
    if path.suffix.lower() in (".yaml", ".yml"):
        return "yaml"
    try:
        with path.open("rb") as fh:
            head = fh.read(8)
    except OSError:
        return None
    if head[4:8] == b"TFL3":
        return "tflite"
    return None


def load_model_file(
    path: str | os.PathLike[str],
    *,
    input_shapes: Mapping[str, Sequence[int]] | None = None,
    name: str | None = None,
    keep_weights: bool | None = None,
) -> Network:
    """Import an ONNX or TFLite file (chosen by suffix, or by content for TFLite).

    ``keep_weights``: ``True`` keeps the constant values on ``Network.constants``, ``False`` drops them, ``None``
    (auto) keeps them for files up to :data:`KEEP_WEIGHTS_MAX_BYTES` and gives larger files a lazy store.
    """
    p = Path(path)
    if not p.exists():
        raise NetworkFileError("file not found", source=str(p))
    if p.is_dir():
        raise NetworkFileError("is a directory, expected an .onnx or .tflite file", source=str(p))
    fmt = _sniff_format(p)
    if fmt in ("onnx", "tflite"):
        if fmt == "tflite" and input_shapes:
            raise AccelkitError(
                "input shapes cannot be overridden for TFLite models (their shapes are fixed)", source=str(p)
            )
        stat = p.stat()
        eager = keep_weights if keep_weights is not None else stat.st_size <= KEEP_WEIGHTS_MAX_BYTES
        net = _import(p, fmt, input_shapes, name, keep_weights=eager)
        if keep_weights is None and not eager:
            shapes = {k: tuple(v) for k, v in (input_shapes or {}).items()}
            loader = partial(_reload_constants, str(p), fmt, shapes, stat.st_size, stat.st_mtime_ns)
            net = replace(net, constants=Constants.lazy(loader, describe=f"constants of {p} (loaded on first use)"))
        return net
    if fmt == "yaml":
        return load_network_spec_file(p)
    raise NetworkFileError(
        f"unknown model format {p.suffix or '(no suffix)'!r}; expected an .onnx or .tflite file", source=str(p)
    )


def _import(
    p: Path, fmt: str, input_shapes: Mapping[str, Sequence[int]] | None, name: str | None, *, keep_weights: bool
) -> Network:
    if fmt == "onnx":
        from accelkit.workload.onnx_import import load_onnx

        return load_onnx(p, input_shapes=input_shapes, name=name, keep_weights=keep_weights)
    from accelkit.workload.tflite_import import load_tflite

    return load_tflite(p, name=name, keep_weights=keep_weights)


def _reload_constants(
    path: str, fmt: str, input_shapes: Mapping[str, Sequence[int]], size: int, mtime_ns: int
) -> Constants | None:
    """The loader of a lazy store: re-import the file (unchanged since the first import) keeping its constants."""
    p = Path(path)
    try:
        stat = p.stat()
    except OSError as exc:
        msg = f"cannot re-read the model for its weight values: {exc.strerror or exc}"
        raise NetworkFileError(msg, source=path) from None
    if (stat.st_size, stat.st_mtime_ns) != (size, mtime_ns):
        raise NetworkFileError(
            "the model file changed since it was imported; its weight values no longer belong to the network "
            "(load it again)",
            source=path,
        )
    return _import(p, fmt, input_shapes or None, None, keep_weights=True).constants


def load_network_spec_file(path: Path) -> Network:
    """A YAML file holding a NetworkSpec, either at the top level or under a ``network:`` key."""
    data = load_yaml(path)
    prefix = ""
    if isinstance(data, dict) and "network" in data:
        data, prefix = data["network"], "network"
    spec = validate_spec(NetworkSpec, data, source=str(path), prefix=prefix)
    return network_from_spec(spec, base_dir=path.parent)


def network_from_spec(spec: NetworkSpec, *, base_dir: Path | None = None) -> Network:
    """Resolve a validated NetworkSpec."""
    from accelkit.workload import zoo

    if spec.zoo is not None:
        if spec.input_shapes:
            raise AccelkitError("'input_shapes' apply to model files; zoo networks take 'params' (e.g. batch)")
        net = zoo.get_network(spec.zoo, **spec.params)
        return net.with_layers(net.layers, name=spec.name) if spec.name else net
    assert spec.path is not None
    p = Path(spec.path)
    if base_dir is not None and not p.is_absolute():
        p = base_dir / p
    return load_model_file(p, input_shapes=spec.input_shapes or None, name=spec.name)


def load_network(
    source: NetworkSource,
    *,
    input_shapes: Mapping[str, Sequence[int]] | None = None,
    name: str | None = None,
    keep_weights: bool | None = None,
    **params: Any,
) -> Network:
    """Load a network from anything that names one.

    * a :class:`Network` (returned as is);
    * a zoo name (``"resnet50"``, ``"mlperf_tiny_kws"``; ``params`` go to the builder, e.g. ``batch=4``);
    * a path to an ``.onnx`` or ``.tflite`` file (``input_shapes`` resolve dynamic ONNX dimensions);
    * a path to a YAML file with a network spec, a :class:`NetworkSpec`, or a dict of one.

    ``keep_weights`` applies to model files (see :func:`load_model_file`; default: auto by file size).
    """
    from accelkit.workload import zoo

    if isinstance(source, Network):
        return source
    if isinstance(source, NetworkSpec):
        return network_from_spec(source)
    if isinstance(source, Mapping):
        return network_from_spec(validate_spec(NetworkSpec, dict(source), source="network spec"))
    text = os.fspath(source)
    p = Path(text)
    looks_like_file = p.suffix.lower() in {*_MODEL_SUFFIXES, ".yaml", ".yml"} or os.sep in text or p.is_file()
    if looks_like_file and not (zoo.is_zoo_name(text) and not p.exists()):
        if params:
            raise AccelkitError(f"parameters {sorted(params)} apply to zoo networks, not to files", source=text)
        return load_model_file(p, input_shapes=input_shapes, name=name, keep_weights=keep_weights)
    if zoo.is_zoo_name(text):
        if input_shapes:
            raise AccelkitError("input shapes apply to model files; zoo networks take parameters such as batch")
        net = zoo.get_network(text, **params)
        return net.with_layers(net.layers, name=name) if name else net
    raise UnknownNameError("network (neither a file nor a zoo name)", text, zoo.zoo_names()) from None
