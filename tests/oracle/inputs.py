"""Seeded generators of parser inputs: mutated golden vectors, plus a few built from scratch.

Each input is made from a seed vector (or none) by one to three mutations: byte flips, a
truncation, extra trailing bytes, a splice of two seeds, and "lying lengths" (an interesting
u1/u2/u4 written over a random aligned-or-not offset, which hits every count, length and offset
field). Structure-aware generators add valid-looking DeviceInfo blobs, PTP strings with
astral-plane characters, NULs and lone surrogates, and live-view frames whose offsets point
inside, at the edge of and past the data. Deterministic for a given seed.
"""

from __future__ import annotations

import random
import struct
from collections.abc import Callable, Iterator

INTERESTING = (
    0,
    1,
    2,
    3,
    4,
    5,
    11,
    12,
    13,
    16,
    23,
    24,
    25,
    27,
    28,
    32,
    36,
    0x7F,
    0x80,
    0xFE,
    0xFF,
    0x100,
    0x3FF,
    0x400,
    0x7FFF,
    0x8000,
    0xFFFF,
    0x10000,
    0x7FFFFFFF,
    0x80000000,
    0xFFFFFFFE,
    0xFFFFFFFF,
)
WIDTHS = ((1, "<B", 0xFF), (2, "<H", 0xFFFF), (4, "<I", 0xFFFFFFFF))


def _lying_int(rng: random.Random, data: bytearray) -> None:
    if not data:
        data += bytes(rng.randrange(1, 8))
    width, fmt, mask = rng.choice(WIDTHS)
    if len(data) < width:
        data += bytes(width - len(data))
    # an interesting constant, or a length close to the truth
    value = rng.choice(INTERESTING) if rng.random() < 0.5 else len(data) + rng.randint(-8, 8)
    at = rng.randrange(0, len(data) - width + 1)
    if rng.random() < 0.6:
        at -= at % width  # fields are mostly aligned
    struct.pack_into(fmt, data, at, value & mask)


def _flip(rng: random.Random, data: bytearray) -> None:
    for _ in range(rng.randint(1, 3)):
        if not data:
            data.append(rng.randrange(256))
            continue
        data[rng.randrange(len(data))] = rng.randrange(256)


def _truncate(rng: random.Random, data: bytearray) -> None:
    if data:
        del data[rng.randrange(len(data)) :]


def _extend(rng: random.Random, data: bytearray) -> None:
    data += rng.randbytes(rng.randint(1, 16))


def _delete(rng: random.Random, data: bytearray) -> None:
    if data:
        at = rng.randrange(len(data))
        del data[at : at + rng.randint(1, 4)]


def _insert(rng: random.Random, data: bytearray) -> None:
    at = rng.randint(0, len(data))
    data[at:at] = rng.randbytes(rng.randint(1, 4))


MUTATIONS: tuple[Callable[[random.Random, bytearray], None], ...] = (
    _lying_int,
    _lying_int,
    _lying_int,
    _flip,
    _flip,
    _truncate,
    _extend,
    _delete,
    _insert,
)


def ptp_string_bytes(rng: random.Random) -> bytes:
    """A PTP string, often well formed, sometimes with NULs, lone surrogates or a lying count."""
    alphabet = ["a", "Z", "0", " ", "é", "Ω", "Ā", "一", "中", "\U0001f4f7", "\0"]
    text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 12)))
    raw = text.encode("utf-16-le", "surrogatepass")
    if rng.random() < 0.1:
        raw += rng.choice([b"\x00\xd8", b"\x00\xdc", b"\x3d\xd8\x00\x00"])  # lone surrogates
    if rng.random() < 0.8:
        raw += b"\x00\x00"
    count = len(raw) // 2
    if rng.random() < 0.15:
        count = max(0, min(255, count + rng.randint(-2, 2)))
    return bytes([count]) + raw


def device_info_bytes(rng: random.Random) -> bytes:
    """A DeviceInfo dataset with random arrays and strings."""
    out = bytearray(struct.pack("<HIH", 100, rng.choice([6, 11, 0xFFFFFFFF]), 100))
    out += ptp_string_bytes(rng)
    out += struct.pack("<H", rng.choice([0, 1, 0x8001]))
    for _ in range(5):
        items = [rng.randrange(0x10000) for _ in range(rng.randint(0, 20))]
        out += struct.pack(f"<I{len(items)}H", len(items), *items)
    for _ in range(4):
        out += ptp_string_bytes(rng)
    return bytes(out)


def lv_frame_bytes(rng: random.Random) -> bytes:
    """A live-view frame: header, up to three descriptors and a palette at random offsets."""
    minor = rng.choice([0, 1, 2, 2, 3])
    header_size = 32 if minor >= 2 else 28
    body = bytearray(rng.randbytes(rng.randint(0, 1200)))
    size = header_size + len(body)

    def offset() -> int:
        return rng.choice([0, 0, header_size, rng.randrange(size + 64), size - 36, size, size + 1])

    palette_type = rng.choice([0, 1, 2, 3, 4, 5, 6])
    fields = [2, minor, rng.choice([0, 1, 2, 3]), palette_type, offset(), offset(), offset()]
    if minor >= 2:
        fields.append(offset())
    head = struct.pack(f"<{len(fields)}i", *fields)
    frame = bytearray(head) + body
    for ofs in fields[5:]:
        if ofs > 0 and ofs + 36 <= len(frame) and rng.random() < 0.8:
            desc = [
                rng.choice([0, 1, 2, 4, 9]),
                rng.randrange(len(frame)),
                720,
                720,
                240,
                rng.randint(-2, 2),
                0,
                rng.randint(-2, 2),
                0,
            ]
            frame[ofs : ofs + 36] = struct.pack("<9i", *desc)
    return bytes(frame)


BUILDERS: dict[str, Callable[[random.Random], bytes]] = {
    "ptp_types/ptp_string": ptp_string_bytes,
    "ptp_device_info": device_info_bytes,
    "chdk_lv_frame": lv_frame_bytes,
}


def generate(type_name: str, seeds: list[bytes], count: int, seed: int) -> Iterator[bytes]:
    """``count`` inputs for ``type_name``: the seeds themselves, then mutations and built inputs."""
    rng = random.Random(f"{type_name}:{seed}")
    builder = BUILDERS.get(type_name)
    yield from seeds
    for _ in range(count - len(seeds)):
        roll = rng.random()
        if roll < 0.05 or not seeds:
            data = bytearray(rng.randbytes(rng.randint(0, 64)))
        elif builder is not None and roll < 0.35:
            data = bytearray(builder(rng))
        elif roll < 0.4 and len(seeds) > 1:
            a, b = rng.sample(seeds, 2)
            data = bytearray(a[: rng.randint(0, len(a))] + b[rng.randint(0, len(b)) :])
        else:
            data = bytearray(rng.choice(seeds))
        if builder is None or roll >= 0.35 or rng.random() < 0.3:
            for _ in range(rng.randint(1, 3)):
                rng.choice(MUTATIONS)(rng, data)
        yield bytes(data)
