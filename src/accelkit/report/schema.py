"""JSON schemas of every spec, for editor completion and validation, and a Markdown YAML reference made from them.

The schemas describe what a user *writes*: a quantity with a unit (``capacity: 256 KiB``, ``clock: 200 MHz``) is a
string, although the validated spec holds an SI float; a study's ``blocks`` are a list of the registered blocks'
specs, told apart by ``kind``; its ``accelerator`` is a preset name, a file or an inline accelerator spec.

``accelkit schema -o DIR`` writes one ``<Name>.schema.json`` per spec; ``accelkit schema --markdown`` prints the
reference (``docs/yaml-reference.md`` is made this way).
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import GenerateJsonSchema

__all__ = ["all_schemas", "detect_spec_kind", "schema_markdown", "validate_document", "write_schemas"]

_DIALECT = "https://json-schema.org/draft/2020-12/schema"
#: a number followed by a unit, as accelkit.units reads it ("256 KiB", "0.9 V", "1.5e-12 J", "28nm")
UNIT_PATTERN = r"^\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*[A-Za-zµμΩ%²0-9/]*\s*$"


class _UserInputSchema(GenerateJsonSchema):
    """Pydantic's schema generator, but a field parsed from a unit string (a before-validator whose value is
    written back as a string) is a string with a unit pattern, not the float it becomes."""

    def _as_unit_string(self, schema: Any, inner: Any) -> Any:
        ser = schema.get("serialization") or {}
        returns = (ser.get("return_schema") or {}).get("type")
        if ser.get("type") == "function-plain" and returns == "str" and inner.get("type") in ("number", "integer"):
            out: dict[str, Any] = {"type": "string", "pattern": UNIT_PATTERN}
            for key in ("description", "title", "examples"):
                if key in inner:
                    out[key] = inner[key]
            return out
        return inner

    def function_before_schema(self, schema: Any) -> Any:
        return self._as_unit_string(schema, super().function_before_schema(schema))

    def model_schema(self, schema: Any) -> Any:
        out = super().model_schema(schema)
        if schema.get("schema", {}).get("type") == "function-before":
            # a model with a 'before' validator takes a short form too ("energy_per_inference_j", "area_mm2 <= 2"):
            # accept a string beside the mapping, or the schema would reject what the loader accepts
            desc = out.get("description")
            out = {"anyOf": [out, {"type": "string", "description": "the short form, as one string"}]}
            if desc:
                out["description"] = desc
        return out

    def function_after_schema(self, schema: Any) -> Any:
        return self._as_unit_string(schema, super().function_after_schema(schema))


def _schema(model: type[BaseModel]) -> dict[str, Any]:
    s = model.model_json_schema(schema_generator=_UserInputSchema, mode="validation")
    _fix_bounds(s)
    return s


def _fix_bounds(node: Any) -> None:
    """Pydantic writes ``gt``/``ge`` of a constrained string as non-standard keys: drop them from strings."""
    if isinstance(node, dict):
        if node.get("type") == "string":
            for key in ("gt", "ge", "lt", "le"):
                node.pop(key, None)
        for v in node.values():
            _fix_bounds(v)
    elif isinstance(node, list):
        for v in node:
            _fix_bounds(v)


def _merge_defs(target: dict[str, Any], schema: dict[str, Any], name: str) -> dict[str, Any]:
    """Move ``schema``'s $defs into ``target``'s and return a $ref to ``schema`` itself stored as ``name``."""
    s = copy.deepcopy(schema)
    defs = s.pop("$defs", {})
    target.setdefault("$defs", {}).update(defs)
    target["$defs"][name] = s
    return {"$ref": f"#/$defs/{name}"}


def block_schemas() -> dict[str, dict[str, Any]]:
    """kind -> JSON schema of that optimization block's Spec (every registered block)."""
    from accelkit.optimizations import available, block_class

    return {kind: _schema(block_class(kind).Spec) for kind in available()}


def all_schemas() -> dict[str, dict[str, Any]]:
    """Name -> JSON schema: AcceleratorSpec, NetworkSpec, StudySpec (blocks and accelerator filled in) and one per
    optimization block (``<Kind>BlockSpec``... named after the block's Spec class)."""
    from accelkit.optimizations import available, block_class
    from accelkit.spec.accelerator import AcceleratorSpec
    from accelkit.spec.network import NetworkSpec
    from accelkit.spec.study import StudySpec

    acc = _schema(AcceleratorSpec)
    net = _schema(NetworkSpec)
    study = _schema(StudySpec)
    blocks: dict[str, dict[str, Any]] = {}
    for kind in available():
        spec = block_class(kind).Spec
        blocks[spec.__name__] = _schema(spec)
    # the study: accelerator = name/file or an inline AcceleratorSpec; blocks = one of the block specs by kind
    props = study["properties"]
    acc_ref = _merge_defs(study, acc, "AcceleratorSpec")
    props["accelerator"] = {
        "anyOf": [{"type": "string"}, acc_ref],
        "description": props["accelerator"].get("description", ""),
        "title": "Accelerator",
    }
    refs = [_merge_defs(study, s, name) for name, s in blocks.items()]
    props["blocks"] = {
        "type": "array",
        "items": {"oneOf": refs} if refs else {"type": "object"},
        "description": props["blocks"].get("description", ""),
        "title": "Blocks",
    }
    out = {"AcceleratorSpec": acc, "NetworkSpec": net, "StudySpec": study, **blocks}
    for name, s in out.items():
        s["$schema"] = _DIALECT
        s["$id"] = f"https://accelkit.invalid/schema/{name}.schema.json"
    return out


def write_schemas(directory: str | Path) -> list[Path]:
    """Write ``<Name>.schema.json`` for every spec into ``directory``; returns the files written."""
    d = Path(directory)
    d.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, s in all_schemas().items():
        p = d / f"{name}.schema.json"
        p.write_text(json.dumps(s, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        paths.append(p)
    return paths


def detect_spec_kind(data: Any) -> str:
    """Which spec a YAML document is: a study (network + accelerator), an accelerator (pe_array/memory), a network."""
    if isinstance(data, dict):
        if "network" in data and "accelerator" in data:
            return "StudySpec"
        if "pe_array" in data or "memory" in data or "technology" in data:
            return "AcceleratorSpec"
        if "zoo" in data or "path" in data:
            return "NetworkSpec"
    return "StudySpec"


def validate_document(data: Any, kind: str | None = None) -> list[str]:
    """Problems (empty when valid) of ``data`` against the JSON schema of ``kind`` (default: detected)."""
    import jsonschema

    kind = kind or detect_spec_kind(data)
    schema = all_schemas()[kind]
    validator = jsonschema.Draft202012Validator(schema)
    return [
        f"{'.'.join(str(p) for p in err.absolute_path) or '(top)'}: {err.message}"
        for err in sorted(validator.iter_errors(data), key=lambda e: list(map(str, e.absolute_path)))
    ]


# ---- Markdown reference ----------------------------------------------------------------------------------------------
def _type_text(prop: dict[str, Any], root: dict[str, Any]) -> str:
    if "$ref" in prop:
        return f"[{prop['$ref'].rsplit('/', 1)[-1]}](#{prop['$ref'].rsplit('/', 1)[-1].lower()})"
    if "const" in prop:
        return f"`{json.dumps(prop['const'])}`"
    if "enum" in prop:
        return " \\| ".join(f"`{v}`" for v in prop["enum"])
    for key in ("anyOf", "oneOf"):
        if key in prop:
            parts = [_type_text(p, root) for p in prop[key] if p.get("type") != "null"]
            return " or ".join(dict.fromkeys(parts)) + (
                " (optional)" if any(p.get("type") == "null" for p in prop[key]) else ""
            )
    t = prop.get("type", "any")
    if t == "string" and prop.get("pattern") == UNIT_PATTERN:
        return "quantity with unit"
    if t == "array":
        return f"list of {_type_text(prop.get('items', {}), root)}"
    if t == "object" and "additionalProperties" in prop and isinstance(prop["additionalProperties"], dict):
        return f"mapping to {_type_text(prop['additionalProperties'], root)}"
    return str(t)


def _bounds(prop: dict[str, Any]) -> str:
    out = []
    for key, sym in (("minimum", "≥"), ("exclusiveMinimum", ">"), ("maximum", "≤"), ("exclusiveMaximum", "<")):
        if key in prop:
            out.append(f"{sym} {prop[key]}")
    return ", ".join(out)


def _md_escape(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def _model_table(name: str, s: dict[str, Any], root: dict[str, Any]) -> list[str]:
    lines = [f"### {name}", ""]
    if "anyOf" in s and "properties" not in s:  # a model that also takes a short string form
        obj = next((b for b in s["anyOf"] if "properties" in b), None)
        if obj is not None:
            lines += ["Written as a mapping, or in its short form as one string.", ""]
            s = {**obj, "description": s.get("description", obj.get("description", ""))}
    desc = (s.get("description") or "").strip()
    if desc:
        first = desc.split("\n\n")[0].replace("\n", " ")
        lines += [first, ""]
    props = s.get("properties", {})
    if not props:
        return [*lines, "(no fields)", ""]
    required = set(s.get("required", []))
    lines += ["| field | type | required | default | description |", "|---|---|---|---|---|"]
    for field, prop in props.items():
        default = "" if "default" not in prop else f"`{json.dumps(prop['default'], ensure_ascii=False)}`"
        bounds = _bounds(prop)
        text = _md_escape(prop.get("description", ""))
        if bounds:
            text = f"{text} ({bounds})" if text else bounds
        lines.append(
            f"| `{field}` | {_md_escape(_type_text(prop, root))} | {'yes' if field in required else ''} | "
            f"{_md_escape(default)} | {text} |"
        )
    return [*lines, ""]


def schema_markdown() -> str:
    """The YAML reference: every spec's fields, types, defaults and descriptions, generated from the schemas."""
    schemas = all_schemas()
    lines = [
        "# YAML reference",
        "",
        "Generated from the specs by `accelkit schema --markdown` (do not edit by hand; regenerate with",
        "`accelkit schema --markdown > docs/yaml-reference.md`). Quantities take a unit: `256 KiB`, `64 b`, `0.9 V`,",
        "`500 MHz`, `28 nm`, `0.3 pJ`, `1.5 mm2`. Unknown keys are rejected; every problem is reported with its path.",
        "JSON schemas for editor completion: `accelkit schema -o schemas/` (see docs/cli.md).",
        "",
    ]
    order = ["StudySpec", "AcceleratorSpec", "NetworkSpec"]
    blocks = [n for n in schemas if n not in order]
    for top in order:
        s = schemas[top]
        lines += [f"## {top}", ""]
        lines += _model_table(top, s, s)
        for name, sub in s.get("$defs", {}).items():
            if top == "StudySpec" and (
                name in blocks or name == "AcceleratorSpec" or name in schemas["AcceleratorSpec"].get("$defs", {})
            ):
                continue  # documented in their own sections
            lines += _model_table(name, sub, s)
    lines += ["## Optimization blocks", "", "Each item of a study's `blocks:` list; `kind` selects the block.", ""]
    for name in blocks:
        s = schemas[name]
        kind = s.get("properties", {}).get("kind", {})
        k = kind.get("const") or kind.get("default") or name
        lines += _model_table(f"{k} ({name})", s, s)
        for sub_name, sub in s.get("$defs", {}).items():
            lines += _model_table(sub_name, sub, s)
    return "\n".join(lines).rstrip() + "\n"
