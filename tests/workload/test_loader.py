"""load_network: zoo names, files, YAML specs, and the errors a user meets."""

from __future__ import annotations

from pathlib import Path

import pytest

import accelkit
from accelkit.errors import AccelkitError, NetworkFileError, SpecError, UnknownNameError
from accelkit.workload.loader import parse_input_shape


def test_zoo_names_and_aliases() -> None:
    assert accelkit.load_network("mlperf_tiny_kws").macs == 2_656_768
    assert accelkit.load_network("kws").name == "mlperf_tiny_kws"
    assert accelkit.load_network("IC").params == 77_706  # case-insensitive
    assert accelkit.load_network("ic", batch=2).macs == 2 * 12_501_632


def test_unknown_name_suggests_close_matches() -> None:
    with pytest.raises(UnknownNameError, match="mlperf_tiny_kws"):
        accelkit.load_network("mlperf_tiny_kw")


def test_unknown_zoo_parameter_names_the_allowed_ones() -> None:
    with pytest.raises(AccelkitError, match="batch="):
        accelkit.load_network("kws", width=3)


def test_missing_file_is_named() -> None:
    with pytest.raises(NetworkFileError, match=r"nope\.onnx: file not found"):
        accelkit.load_network("nope.onnx")


def test_unknown_suffix(tmp_path: Path) -> None:
    p = tmp_path / "model.pb"
    p.write_bytes(b"\x00" * 16)
    with pytest.raises(NetworkFileError, match=r"unknown model format '\.pb'"):
        accelkit.load_network(p)


def test_yaml_network_spec(tmp_path: Path) -> None:
    p = tmp_path / "net.yaml"
    p.write_text("network:\n  zoo: mlperf_tiny_vww\n  params: {batch: 2}\n  name: my-vww\n")
    net = accelkit.load_network(p)
    assert net.name == "my-vww" and net.macs == 2 * 7_489_664


def test_yaml_spec_errors_list_every_problem_with_its_path(tmp_path: Path) -> None:
    p = tmp_path / "bad.yaml"
    p.write_text("network:\n  zoo: kws\n  path: x.onnx\n  colour: red\n")
    with pytest.raises(SpecError) as info:
        accelkit.load_network(p)
    msg = str(info.value)
    assert str(p) in msg and "network.colour: unknown field" in msg and "exactly one of 'zoo'" in msg


def test_yaml_syntax_error_names_line(tmp_path: Path) -> None:
    p = tmp_path / "broken.yaml"
    p.write_text("network:\n  zoo: [kws\n")
    with pytest.raises(SpecError, match="line 3"):
        accelkit.load_network(p)


def test_yaml_path_is_relative_to_the_spec(tmp_path: Path, mlperf_dir: Path) -> None:
    (tmp_path / "models").mkdir()
    target = tmp_path / "models" / "kws.tflite"
    target.write_bytes((mlperf_dir / "kws_ref_model.tflite").read_bytes())
    spec = tmp_path / "study.yaml"
    spec.write_text("network:\n  path: models/kws.tflite\n")
    assert accelkit.load_network(spec).macs == 2_656_768


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("input=1x3x224x224", ("input", [1, 3, 224, 224])),
        ("1,49,10,1", (None, [1, 49, 10, 1])),
        ("x = 2 x 8", ("x", [2, 8])),
    ],
)
def test_parse_input_shape(text: str, expected: tuple[str | None, list[int]]) -> None:
    assert parse_input_shape(text) == expected


@pytest.mark.parametrize("text", ["input=", "input=1x0x3", "a=bxc"])
def test_parse_input_shape_rejects_bad_text(text: str) -> None:
    with pytest.raises(AccelkitError, match="input-shape"):
        parse_input_shape(text)


def test_a_key_given_twice_in_a_spec_is_an_error(tmp_path: Path) -> None:
    p = tmp_path / "twice.yaml"
    p.write_text("network:\n  zoo: kws\n  zoo: vww\n")
    with pytest.raises(SpecError, match=r"key 'zoo' appears twice \(first on line 2\)"):
        accelkit.load_network(p)
