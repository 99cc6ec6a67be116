"""Helpers shared by the codegen tests: loading golden vectors and generated classes."""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
SPEC = ROOT / "spec"
VECTORS = SPEC / "vectors"


@dataclass(frozen=True)
class Vector:
    file: str
    name: str
    type: str
    data: bytes
    fields: dict[str, Any]
    decode_only: bool

    @property
    def id(self) -> str:
        return f"{self.file}:{self.name}"


def camel(name: str) -> str:
    return "".join(p[:1].upper() + p[1:] for p in name.split("_"))


def load_class(type_name: str) -> Any:
    """``ptp_types/ptp_string`` → ``chdkptp._generated.ptp_types.PtpTypes.PtpString``."""
    module, _, nested = type_name.partition("/")
    mod = importlib.import_module(f"chdkptp._generated.{module}")
    cls = getattr(mod, camel(module))
    for part in nested.split("/") if nested else []:
        cls = getattr(cls, camel(part))
    return cls


def load_vectors() -> list[Vector]:
    out = []
    for path in sorted(VECTORS.glob("*.yaml")):
        for item in yaml.safe_load(path.read_text(encoding="utf-8")) or []:
            out.append(
                Vector(
                    file=path.stem,
                    name=item["name"],
                    type=item["type"],
                    data=bytes.fromhex(item["hex"]),
                    fields=item["fields"],
                    decode_only=bool(item.get("decode_only", False)),
                )
            )
    return out


def plain(value: Any) -> Any:
    """Generated objects → plain data in the vector format (bytes as {hex}, enums as ints)."""
    if isinstance(value, bytes):
        return {"hex": value.hex(" ")}
    if isinstance(value, list):
        return [plain(v) for v in value]
    if hasattr(value, "_seq_fields"):
        names = (*value._seq_fields, *value._instance_fields)
        return {name: plain(getattr(value, name)) for name in names}
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, int):
        return int(value)
    return value


def expected(value: Any) -> Any:
    """Vector ``fields`` normalised like :func:`plain` (hex spelled the same way)."""
    if isinstance(value, dict):
        if set(value) == {"hex"}:
            return {"hex": bytes.fromhex(value["hex"]).hex(" ")}
        return {k: expected(v) for k, v in value.items()}
    if isinstance(value, list):
        return [expected(v) for v in value]
    return value


def subset_mismatch(want: Any, got: Any, path: str = "") -> str | None:
    """Where ``got`` differs from ``want`` (keys absent from ``want`` are not compared)."""
    if isinstance(want, dict) and isinstance(got, dict):
        for key, value in want.items():
            if key not in got:
                return f"{path}.{key}: missing"
            problem = subset_mismatch(value, got[key], f"{path}.{key}")
            if problem:
                return problem
        return None
    if isinstance(want, list) and isinstance(got, list):
        if len(want) != len(got):
            return f"{path}: {len(want)} items expected, got {len(got)}"
        for i, (w, g) in enumerate(zip(want, got, strict=True)):
            problem = subset_mismatch(w, g, f"{path}[{i}]")
            if problem:
                return problem
        return None
    return None if want == got else f"{path}: expected {want!r}, got {got!r}"


def build(cls: Any, fields: dict[str, Any]) -> Any:
    """Keyword-construct ``cls`` from vector fields (nested mappings become nested objects)."""
    template = cls()
    kwargs: dict[str, Any] = {}
    for key, value in fields.items():
        if isinstance(value, dict) and set(value) == {"hex"}:
            kwargs[key] = bytes.fromhex(value["hex"])
        elif isinstance(value, dict):
            kwargs[key] = build(type(getattr(template, key)), value)
        else:
            kwargs[key] = value
    return cls(**kwargs)


def import_generated(out_dir: Path, package: str) -> Any:
    """Import a generated package from ``out_dir`` under the name ``package`` (caller cleans
    up with :func:`forget_package`)."""
    import importlib.util
    import sys

    spec = importlib.util.spec_from_file_location(
        package, out_dir / "__init__.py", submodule_search_locations=[str(out_dir)]
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[package] = module
    spec.loader.exec_module(module)
    return module


def forget_package(package: str) -> None:
    import sys

    for name in [n for n in sys.modules if n == package or n.startswith(package + ".")]:
        del sys.modules[name]
