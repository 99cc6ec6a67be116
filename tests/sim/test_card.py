"""VirtualCard: camera-path mapping, escape refusal, Canon numbering, folder roll-over, space."""

from __future__ import annotations

import errno
from collections.abc import Iterator
from pathlib import Path

import pytest

from chdkptp.sim import card as card_mod
from chdkptp.sim.card import VirtualCard


@pytest.fixture
def card() -> Iterator[VirtualCard]:
    c = VirtualCard()
    yield c
    c.cleanup()


def test_temp_card_looks_like_a_chdk_card_and_is_removed(card: VirtualCard) -> None:
    root = card.root
    assert root.is_dir()
    assert (root / "DCIM").is_dir()
    assert (root / "CHDK").is_dir()
    card.cleanup()
    assert not root.exists()


def test_user_folder_is_never_deleted(tmp_path: Path) -> None:
    (tmp_path / "keep.txt").write_text("x")
    c = VirtualCard(tmp_path)
    assert c.root == tmp_path.resolve()
    c.cleanup()
    assert (tmp_path / "keep.txt").read_text() == "x"


def test_user_root_must_be_a_directory(tmp_path: Path) -> None:
    f = tmp_path / "file"
    f.write_text("x")
    with pytest.raises(ValueError, match="not a directory"):
        VirtualCard(f)


@pytest.mark.parametrize(
    ("camera_path", "rel"),
    [
        ("A/DCIM/100CANON", "DCIM/100CANON"),
        ("DCIM/100CANON", "DCIM/100CANON"),
        ("A/CHDK/SCRIPTS/x.lua", "CHDK/SCRIPTS/x.lua"),
        ("A/", "."),
        ("A", "."),
        ("", "."),
        ("A//DCIM/./x", "DCIM/x"),
        ("a/dcim", "dcim"),
    ],
)
def test_to_local(card: VirtualCard, camera_path: str, rel: str) -> None:
    assert card.to_local(camera_path) == (card.root / rel if rel != "." else card.root)


@pytest.mark.parametrize(
    "bad",
    ["A/../etc", "../x", "A/DCIM/../../x", "/etc/passwd", "C:/x", "A/C:x", "A/x\x00y", "A\\DCIM"],
)
def test_to_local_refuses_escapes(card: VirtualCard, bad: str) -> None:
    with pytest.raises(ValueError):
        card.to_local(bad)


def test_to_local_type_error(card: VirtualCard) -> None:
    with pytest.raises(TypeError):
        card.to_local(b"A/DCIM")  # type: ignore[arg-type]


def test_to_camera_round_trip(card: VirtualCard) -> None:
    local = card.to_local("A/DCIM/100CANON/IMG_0001.JPG")
    assert card.to_camera(local) == "A/DCIM/100CANON/IMG_0001.JPG"
    assert card.to_camera(card.root) == "A/"
    assert card.to_camera(Path("DCIM")) == "A/DCIM"
    with pytest.raises(ValueError):
        card.to_camera(card.root.parent / "elsewhere")
    with pytest.raises(ValueError):
        card.to_camera(card.root / ".." / "x")


def test_numbering_starts_at_one_and_advances(card: VirtualCard) -> None:
    assert card.exp_count == 0
    assert card.image_dir() == "A/DCIM/100CANON"
    first = card.next_image_path()
    assert first == "A/DCIM/100CANON/IMG_0001.JPG"
    assert card.to_local(first).parent.is_dir()
    assert card.exp_count == 1
    assert card.next_image_path("DNG") == "A/DCIM/100CANON/IMG_0002.DNG"
    assert card.exp_count == 2


def test_bad_extension(card: VirtualCard) -> None:
    for ext in ("", "JPEGX", "J/G", "../x"):
        with pytest.raises(ValueError):
            card.next_image_path(ext)


def test_sibling_path() -> None:
    p = "A/DCIM/100CANON/IMG_0042.JPG"
    assert VirtualCard.sibling_path(p, "CR2") == "A/DCIM/100CANON/IMG_0042.CR2"
    assert VirtualCard.sibling_path(p, "DNG", "CRW_") == "A/DCIM/100CANON/CRW_0042.DNG"
    with pytest.raises(ValueError):
        VirtualCard.sibling_path("A/DCIM/foo.txt", "DNG")
    with pytest.raises(ValueError):
        VirtualCard.sibling_path(p, "DNG", "TOOLONG")


def test_resumes_from_existing_files(tmp_path: Path) -> None:
    d = tmp_path / "DCIM" / "101CANON"
    d.mkdir(parents=True)
    (tmp_path / "DCIM" / "100CANON").mkdir()
    (d / "IMG_0417.JPG").write_bytes(b"x")
    (d / "CRW_0420.DNG").write_bytes(b"x")
    (d / "notes.txt").write_bytes(b"x")
    c = VirtualCard(tmp_path)
    assert c.exp_count == 420
    assert c.image_dir() == "A/DCIM/101CANON"
    assert c.next_image_path() == "A/DCIM/101CANON/IMG_0421.JPG"


def test_taken_numbers_are_skipped(card: VirtualCard) -> None:
    d = card.root / "DCIM" / "100CANON"
    d.mkdir(parents=True)
    first = card.next_image_path()
    assert first.endswith("IMG_0001.JPG")
    (d / "IMG_0002.JPG").write_bytes(b"placed by someone else")
    assert card.next_image_path().endswith("IMG_0003.JPG")


def test_number_wraps_into_next_folder(tmp_path: Path) -> None:
    d = tmp_path / "DCIM" / "100CANON"
    d.mkdir(parents=True)
    (d / "IMG_9998.JPG").write_bytes(b"x")
    c = VirtualCard(tmp_path)
    assert c.next_image_path() == "A/DCIM/100CANON/IMG_9999.JPG"
    assert c.next_image_path() == "A/DCIM/101CANON/IMG_0001.JPG"
    assert c.image_dir() == "A/DCIM/101CANON"


def test_full_folder_rolls_over(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # A smaller folder capacity keeps the test fast; the logic is the same as for 2000.
    monkeypatch.setattr(card_mod, "FOLDER_CAPACITY", 3)
    c = VirtualCard(tmp_path)
    paths = []
    for _ in range(4):
        p = c.next_image_path()
        c.to_local(p).write_bytes(b"img")
        paths.append(p)
    assert paths == [
        "A/DCIM/100CANON/IMG_0001.JPG",
        "A/DCIM/100CANON/IMG_0002.JPG",
        "A/DCIM/100CANON/IMG_0003.JPG",
        "A/DCIM/101CANON/IMG_0004.JPG",
    ]


def test_numbering_exhausted_is_enospc(tmp_path: Path) -> None:
    d = tmp_path / "DCIM" / "999CANON"
    d.mkdir(parents=True)
    (d / "IMG_9999.JPG").write_bytes(b"x")
    c = VirtualCard(tmp_path)
    with pytest.raises(OSError) as info:
        c.next_image_path()
    assert info.value.errno == errno.ENOSPC


def test_space_figures(tmp_path: Path) -> None:
    c = VirtualCard(tmp_path, total_bytes=10_000)
    assert c.total_bytes == 10_000
    assert c.free_bytes() == 10_000
    c.to_local("A/DCIM/x.bin").parent.mkdir(parents=True)
    c.to_local("A/DCIM/x.bin").write_bytes(b"\0" * 4000)
    assert c.free_bytes() == 6_000
    c.to_local("A/big.bin").write_bytes(b"\0" * 7000)
    assert c.free_bytes() == 0
    with pytest.raises(ValueError):
        VirtualCard(tmp_path, total_bytes=0)


def test_context_manager_cleans_up() -> None:
    with VirtualCard() as c:
        root = c.root
        assert root.exists()
    assert not root.exists()


def test_to_camera_through_a_symlink(tmp_path: Path) -> None:
    real = tmp_path / "real"
    real.mkdir()
    link = tmp_path / "link"
    link.symlink_to(real)
    c = VirtualCard(link)
    assert c.to_camera(link / "DCIM" / "x.JPG") == "A/DCIM/x.JPG"
