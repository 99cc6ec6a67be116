"""Files on the card: ``ls``, ``download`` (``d``), ``upload`` (``u``), ``mdl``, ``mup``,
``imdl``, ``rm``, ``mkdir``.

The work is done by :mod:`chdkptp.files` (CHDK TempData + DownloadFile, UploadFile, and the
camera-side Lua of ``camera_lua/files.lua``); this module adds progress bars, tables and the
"not found" exit code.
"""

from __future__ import annotations

import argparse
import time
from datetime import datetime
from pathlib import Path
from typing import Any

from chdkptp import files
from chdkptp.cli.context import Context
from chdkptp.cli.exitcodes import ExitCode
from chdkptp.cli.output import format_size
from chdkptp.cli.registry import command
from chdkptp.errors import CameraNotFoundError, ChdkError

__all__ = ["download_one"]


def _missing(exc: ChdkError) -> bool:
    text = str(exc).lower()
    return any(w in text for w in ("no such", "not found", "does not exist", "cannot find"))


def _stat(ctx: Context, remote: str) -> files.RemoteEntry:
    """``files.stat``, with "no such file" turned into ``FileNotFoundError`` (exit 3)."""
    try:
        return files.stat(ctx.camera(), remote)
    except ChdkError as exc:
        if _missing(exc) and not isinstance(exc, CameraNotFoundError):
            raise FileNotFoundError(f"{files.camera_path(remote)}: no such file or directory "
                                    "on the camera") from exc
        raise


def download_one(ctx: Context, remote: str, local: Path, *, overwrite: bool = True,
                 keep_mtime: bool = True) -> Path:
    """Download one camera file with a progress bar (CHDK TempData + DownloadFile)."""
    entry = _stat(ctx, remote)
    if entry.is_dir:
        raise IsADirectoryError(f"{entry.path} is a directory on the camera (use mdl)")
    with ctx.out.progress(entry.name, entry.size) as bar:
        written = files.download(ctx.camera(), entry.path, local, overwrite=overwrite,
                                 keep_mtime=keep_mtime, progress=bar.callback())
    return Path(written) if written is not None else local


def _mtime(value: int) -> str:
    if value <= 0:
        return ""
    return datetime.fromtimestamp(value).strftime("%Y-%m-%d %H:%M")


def _entry_data(e: files.RemoteEntry) -> dict[str, Any]:
    return {"name": e.name, "path": e.path, "size": e.size, "mtime": e.mtime,
            "is_dir": e.is_dir}


def _ls_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("remote", nargs="?", default="A/", help="camera directory (default A/)")
    p.add_argument("-l", "--long", action="store_true", help="show size and time")
    p.add_argument("-r", "--recursive", action="store_true", help="list subdirectories too")


@command("ls", arguments=_ls_args, group="files", help="list a camera directory")
def ls_command(ctx: Context, args: argparse.Namespace) -> int:
    """Camera Lua ``os.listdir`` / ``os.stat`` (one script, batched messages)."""
    cam = ctx.camera()
    entry = _stat(ctx, args.remote)
    if not entry.is_dir:
        entries = [entry]
    elif args.recursive:
        entries = [e for _d, dirs, fs in files.walk(cam, entry.path) for e in (*dirs, *fs)]
        entries.sort(key=lambda e: e.path)
    else:
        entries = files.listdir(cam, entry.path)
    if ctx.out.json:
        ctx.out.emit([_entry_data(e) for e in entries])
        return ExitCode.OK
    base = entry.path.rstrip("/") + "/"

    def shown(e: files.RemoteEntry) -> str:
        name = e.path[len(base):] if e.path.startswith(base) else e.name
        return name + ("/" if e.is_dir else "")

    if args.long:
        ctx.out.table(["size", "modified", "name"],
                      [["" if e.is_dir else e.size, _mtime(e.mtime), shown(e)]
                       for e in entries], right=("size",))
    else:
        for e in entries:
            ctx.out.line(shown(e))
    return ExitCode.OK


def _download_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("remote", help="camera file, e.g. A/DCIM/100CANON/IMG_0001.JPG")
    p.add_argument("local", nargs="?", default=".",
                   help="local file or folder (default: current folder)")
    p.add_argument("-n", "--no-clobber", action="store_true",
                   help="refuse to overwrite an existing local file")


@command("download", aliases=("d",), arguments=_download_args, group="files",
         help="download one file from the camera")
def download_command(ctx: Context, args: argparse.Namespace) -> int:
    """CHDK TempData + DownloadFile, streamed to a temporary file and renamed into place."""
    start = time.monotonic()
    path = download_one(ctx, args.remote, Path(args.local), overwrite=not args.no_clobber)
    size = path.stat().st_size
    elapsed = time.monotonic() - start
    ctx.out.emit({"remote": files.camera_path(args.remote), "local": str(path), "size": size},
                 f"{files.camera_path(args.remote)} -> {path} ({format_size(size)}, "
                 f"{elapsed:.1f} s)")
    return ExitCode.OK


def _upload_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("local", help="local file")
    p.add_argument("remote", nargs="?", default="A/",
                   help="camera path; ending in / means a folder (default A/)")
    p.add_argument("--no-83", action="store_true",
                   help="allow names that are not 8.3 (some cameras cannot read them)")


@command("upload", aliases=("u",), arguments=_upload_args, group="files",
         help="upload one file to the camera")
def upload_command(ctx: Context, args: argparse.Namespace) -> int:
    """CHDK UploadFile, read from disk as the link sends."""
    local = Path(args.local)
    size = local.stat().st_size  # FileNotFoundError → exit 3 before connecting
    cam = ctx.camera()
    with ctx.out.progress(local.name, size) as bar:
        remote = files.upload(cam, local, args.remote, check_names=not args.no_83,
                              progress=bar.callback())
    ctx.out.emit({"local": str(local), "remote": remote, "size": size},
                 f"{local} -> {remote} ({format_size(size)})")
    return ExitCode.OK


def _transfer_report(ctx: Context, plan: list[files.Transfer], verb: str) -> None:
    if ctx.out.json:
        ctx.out.emit([{"remote": t.remote.path, "local": str(t.local), "size": t.remote.size,
                       "action": t.action} for t in plan])
        return
    for t in plan:
        ctx.out.line(f"{t.action:>10}  {t.remote.path} -> {t.local}")
    done = [t for t in plan if t.action in ("downloaded", "uploaded")]
    total = sum(t.remote.size for t in done)
    skipped = sum(t.action == "skipped" for t in plan)
    planned = sum(t.action == "planned" for t in plan)
    summary = f"{len(done)} file(s) {verb}, {format_size(total)}"
    if skipped:
        summary += f"; {skipped} skipped (exist; --overwrite replaces them)"
    if planned:
        summary = f"dry run: {planned} file(s) would be {verb}"
    ctx.out.note(summary)


def _mdl_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("remote", help="camera directory, e.g. A/DCIM")
    p.add_argument("local", nargs="?", default=".", help="local folder (default: current)")
    p.add_argument("--match", metavar="GLOB", help="only files whose name matches, e.g. '*.JPG'")
    p.add_argument("--depth", type=int, metavar="N", help="descend at most N levels")
    p.add_argument("--overwrite", action="store_true", help="replace existing local files")
    p.add_argument("--dry-run", action="store_true", help="show what would be copied")


@command("mdl", aliases=("mdownload",), arguments=_mdl_args, group="files",
         help="download a camera directory tree")
def mdl_command(ctx: Context, args: argparse.Namespace) -> int:
    """One listing script (camera Lua), then TempData + DownloadFile per file."""
    cam = ctx.camera()
    _stat(ctx, args.remote)
    with ctx.out.progress(files.camera_path(args.remote), None) as bar:
        plan = files.download_tree(cam, args.remote, args.local, match=args.match,
                                   max_depth=args.depth, overwrite=args.overwrite,
                                   dry_run=args.dry_run, progress=bar.callback())
    _transfer_report(ctx, plan, "downloaded")
    return ExitCode.OK


def _mup_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("local", help="local folder")
    p.add_argument("remote", help="camera directory, e.g. A/CHDK/SCRIPTS")
    p.add_argument("--match", metavar="GLOB", help="only files whose name matches")
    p.add_argument("--dry-run", action="store_true", help="show what would be copied")


@command("mup", aliases=("mupload",), arguments=_mup_args, group="files",
         help="upload a local directory tree")
def mup_command(ctx: Context, args: argparse.Namespace) -> int:
    """Camera Lua ``os.mkdir`` for missing directories, then UploadFile per file."""
    if not Path(args.local).is_dir():
        raise FileNotFoundError(f"{args.local}: no such local directory")
    cam = ctx.camera()
    with ctx.out.progress("uploading", None) as bar:
        plan = files.upload_tree(cam, args.local, args.remote, match=args.match,
                                 dry_run=args.dry_run, progress=bar.callback())
    _transfer_report(ctx, plan, "uploaded")
    return ExitCode.OK


def _numbers(text: str) -> range:
    """``12`` or ``10-20`` (inclusive) as a range of image numbers."""
    try:
        first, _, last = text.partition("-")
        lo = int(first)
        hi = int(last) if last else lo
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"image numbers look like 12 or 10-20: {text!r}"
                                         ) from exc
    if hi < lo:
        raise argparse.ArgumentTypeError(f"empty range: {text!r}")
    return range(lo, hi + 1)


def _imdl_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("dest", nargs="?", default=".", help="local folder (default: current)")
    p.add_argument("--last", type=int, metavar="N", help="only the N most recent shots")
    p.add_argument("--numbers", type=_numbers, metavar="A-B", help="image numbers, e.g. 1-50")
    p.add_argument("--since", type=datetime.fromisoformat, metavar="ISO-TIME",
                   help="only images modified since, e.g. 2024-05-01T10:00")
    p.add_argument("--match", metavar="GLOB", help="only files whose name matches, e.g. '*.JPG'")
    p.add_argument("--template", default="{subdir}/{name}",
                   help="local name, fields {subdir} {name} {stem} {ext} {number} {folder} "
                        "{date} {time} {serial} (default %(default)s)")
    p.add_argument("--overwrite", action="store_true", help="replace existing local files")
    p.add_argument("--delete", action="store_true",
                   help="delete the images from the card after a complete download")
    p.add_argument("--dry-run", action="store_true", help="show what would be copied")


@command("imdl", arguments=_imdl_args, group="files",
         help="download images from A/DCIM (last N, numbers, since, name template)")
def imdl_command(ctx: Context, args: argparse.Namespace) -> int:
    """One listing script of ``A/DCIM`` (camera Lua), then TempData + DownloadFile per image."""
    cam = ctx.camera()
    options: dict[str, Any] = {"last": args.last, "since": args.since, "numbers": args.numbers,
                               "match": args.match, "name_template": args.template,
                               "overwrite": args.overwrite}
    with ctx.out.progress("images", None) as bar:
        plan = files.download_images(cam, args.dest, dry_run=args.dry_run,
                                     delete_after=args.delete and not args.dry_run,
                                     progress=bar.callback(), **options)
    if not plan:
        ctx.out.note("no images matched")
    _transfer_report(ctx, plan, "downloaded")
    return ExitCode.OK


def _rm_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("remote", nargs="+", help="camera paths")
    p.add_argument("-r", "--recursive", action="store_true", help="remove directories too")
    p.add_argument("-f", "--force", action="store_true", help="ignore missing paths")


@command("rm", aliases=("delete",), arguments=_rm_args, group="files",
         help="delete files (or directories with -r) on the camera")
def rm_command(ctx: Context, args: argparse.Namespace) -> int:
    """Camera Lua ``os.remove`` (one script for all paths)."""
    cam = ctx.camera()
    if not args.force:
        for remote in args.remote:
            _stat(ctx, remote)
    count = files.remove(cam, list(args.remote), recursive=args.recursive,
                         missing_ok=args.force)
    ctx.out.emit({"removed": count}, None)
    ctx.out.note(f"removed {count} item(s)")
    return ExitCode.OK


def _mkdir_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("remote", nargs="+", help="camera directories (parents are created)")


@command("mkdir", arguments=_mkdir_args, group="files",
         help="create directories on the camera")
def mkdir_command(ctx: Context, args: argparse.Namespace) -> int:
    """Camera Lua ``os.mkdir`` for each missing component."""
    count = files.mkdir(ctx.camera(), list(args.remote))
    ctx.out.emit({"created": count}, None)
    ctx.out.note(f"created {count} director{'y' if count == 1 else 'ies'}")
    return ExitCode.OK


