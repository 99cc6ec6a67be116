"""Every golden vector parses to its fields (bytes, stream and keyword paths) and builds back."""

from __future__ import annotations

import io
from typing import Any

import pytest
from kaitaistruct import KaitaiStream

from tests.codegen._vectors import build, expected, load_class, load_vectors, plain, subset_mismatch

VECTORS = load_vectors()


def test_vectors_exist() -> None:
    assert len(VECTORS) >= 20
    assert {v.file for v in VECTORS} >= {"ptp_types", "ptp_container", "ptp_device_info"}


@pytest.mark.parametrize("vec", VECTORS, ids=lambda v: v.id)
def test_vector_parses_to_fields(vec: Any) -> None:
    cls = load_class(vec.type)
    obj = cls.from_bytes(vec.data)
    problem = subset_mismatch(expected(vec.fields), plain(obj))
    assert problem is None, problem


@pytest.mark.parametrize("vec", [v for v in VECTORS if not v.decode_only], ids=lambda v: v.id)
def test_vector_consumes_all_bytes(vec: Any) -> None:
    cls = load_class(vec.type)
    obj = cls.__new__(cls)
    obj._root = obj
    assert obj._parse(vec.data, 0, len(vec.data)) == len(vec.data)


@pytest.mark.parametrize("vec", [v for v in VECTORS if not v.decode_only], ids=lambda v: v.id)
def test_vector_builds_back(vec: Any) -> None:
    cls = load_class(vec.type)
    assert cls.from_bytes(vec.data).to_bytes() == vec.data


@pytest.mark.parametrize("vec", [v for v in VECTORS if not v.decode_only], ids=lambda v: v.id)
def test_vector_keyword_construction_derives_counts(vec: Any) -> None:
    """Build from the fields with every derived count/length zeroed: to_bytes() fills them in."""
    cls = load_class(vec.type)

    def zero_counts(cls: Any, fields: Any) -> Any:
        out = dict(fields)
        template = cls()
        for path in cls._derived_fields:
            head, _, rest = path.partition(".")
            if rest:
                out[head] = dict(out[head])
                sub = out[head]
                for part in rest.split(".")[:-1]:
                    sub[part] = dict(sub[part])
                    sub = sub[part]
                sub[rest.split(".")[-1]] = 0
            else:
                out[head] = 0
        for key, value in fields.items():
            if isinstance(value, dict) and set(value) != {"hex"} and key in out:
                nested = out[key]
                out[key] = zero_counts(type(getattr(template, key)), nested)
        return out

    assert build(cls, vec.fields).to_bytes() == vec.data
    assert build(cls, zero_counts(cls, vec.fields)).to_bytes() == vec.data


@pytest.mark.parametrize("vec", VECTORS, ids=lambda v: v.id)
def test_vector_through_kaitai_stream(vec: Any) -> None:
    """The Kaitai API path (``Cls(KaitaiStream(io))``) gives the same object, even mid-stream."""
    cls = load_class(vec.type)
    direct = cls.from_bytes(vec.data)
    assert cls(KaitaiStream(io.BytesIO(vec.data))) == direct
    assert cls.from_io(io.BytesIO(vec.data)) == direct
    if not cls._instance_fields:  # pos instances are relative to the stream start
        stream = KaitaiStream(io.BytesIO(b"\xaa\xbb" + vec.data))
        stream.seek(2)
        obj = cls(stream)
        assert obj == direct
        if not vec.decode_only:
            assert stream.pos() == 2 + len(vec.data)


@pytest.mark.parametrize("vec", VECTORS, ids=lambda v: v.id)
def test_parse_accepts_bytearray_and_memoryview(vec: Any) -> None:
    cls = load_class(vec.type)
    direct = cls.from_bytes(vec.data)
    assert cls.from_bytes(bytearray(vec.data)) == direct
    assert cls.from_bytes(memoryview(vec.data)) == direct
