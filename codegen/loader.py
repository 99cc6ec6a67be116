"""Reading ``.ksy`` files into plain Python data (mappings remember duplicate keys)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from .errors import SpecError


class KeyedDict(dict[Any, Any]):
    """A YAML mapping that remembers keys it saw more than once (the validator reports them
    with their spec path; plain YAML would silently keep the last value)."""

    duplicates: list[Any]


class _StrictLoader(yaml.SafeLoader):
    """A SafeLoader whose mappings are :class:`KeyedDict` objects that record duplicate keys."""


def _construct_mapping(loader: _StrictLoader, node: yaml.MappingNode) -> KeyedDict:
    loader.flatten_mapping(node)
    result = KeyedDict()
    result.duplicates = []
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if key in result:
            result.duplicates.append(key)
        result[key] = loader.construct_object(value_node, deep=True)
    return result


_StrictLoader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG,
    _construct_mapping,
)


def load_yaml_text(text: str, display_name: str) -> Any:
    """Parse YAML text; a syntax error becomes a :class:`SpecError` naming the line."""
    try:
        return yaml.load(text, Loader=_StrictLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark is not None else "(document)"
        problem = getattr(exc, "problem", None) or str(exc)
        raise SpecError(display_name, where, f"invalid YAML: {problem}") from exc


def load_spec_dir(spec_dir: Path) -> dict[str, Any]:
    """Load every ``*.ksy`` in ``spec_dir`` (not recursive), keyed by file stem, sorted."""
    if not spec_dir.is_dir():
        raise SpecError(str(spec_dir), "(dir)", "spec directory does not exist")
    out: dict[str, Any] = {}
    for path in sorted(spec_dir.glob("*.ksy")):
        display = f"spec/{path.name}"
        out[path.stem] = load_yaml_text(path.read_text(encoding="utf-8"), display)
    return out
