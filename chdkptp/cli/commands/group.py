"""Many cameras at once: ``group list|lua|status|rec|play|sync|shoot|download``.

Every subcommand connects all CHDK cameras on the bus (or those named with ``--serials``)
through :class:`chdkptp.multicam.CameraGroup`, runs on each camera in its own thread and prints
one line per camera.  The exit code is 0 when every camera succeeded, else the code of the first
camera's error.  With ``--sim`` the bus holds ``--sim-count`` simulated cameras (default 3).
"""

from __future__ import annotations

import argparse
from typing import Any

from chdkptp.camera import CameraStatus
from chdkptp.cli.commands.lua import read_source
from chdkptp.cli.context import Context
from chdkptp.cli.exitcodes import ExitCode, exit_code_for
from chdkptp.cli.output import lua_text
from chdkptp.cli.registry import command
from chdkptp.files import Transfer
from chdkptp.multicam import CameraGroup, ClockSync, GroupResult, GroupShot, ShotResult


def _positive(text: str) -> float:
    try:
        value = float(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from exc
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be positive: {text!r}")
    return value


def _count(text: str) -> int:
    try:
        value = int(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from exc
    if not 1 <= value <= 100:
        raise argparse.ArgumentTypeError("must be 1..100")
    return value


def _group_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--serials", metavar="S1,S2,...",
                   help="only these cameras (comma-separated serials)")
    p.add_argument("--sim-count", type=_count, default=3, metavar="N",
                   help="with --sim: how many simulated cameras (default 3)")
    p.add_argument("--limit", type=_positive, default=60.0, metavar="SECONDS",
                   help="how long each camera may take (default 60)")
    sub = p.add_subparsers(dest="group_command", metavar="SUBCOMMAND", required=True)
    sub.add_parser("list", help="connect every camera and list them")
    lua = sub.add_parser("lua", help="run Lua on every camera and print each result")
    lua.add_argument("code", nargs="*", help="Lua source ('-' reads stdin)")
    lua.add_argument("-f", "--file", metavar="PATH", help="read the Lua source from a file")
    sub.add_parser("status", help="mode, battery and image count of every camera")
    sub.add_parser("rec", help="switch every camera to record mode")
    sub.add_parser("play", help="switch every camera to playback mode")
    sync = sub.add_parser("sync", help="measure each camera's clock offset")
    sync.add_argument("--samples", type=_count, default=8, help="round trips (default 8)")
    shoot = sub.add_parser("shoot", help="synchronized shot on every camera")
    shoot.add_argument("--delay", type=_positive, default=0.5, metavar="SECONDS",
                       help="shoot this long from now (default 0.5)")
    dl = sub.add_parser("download", help="download images, one DEST/<serial>/ folder each")
    dl.add_argument("dest", help="local folder")
    dl.add_argument("--last", type=int, metavar="N", help="only the last N shots")
    dl.add_argument("--overwrite", action="store_true", help="replace existing files")


def _connect(ctx: Context, args: argparse.Namespace) -> CameraGroup:
    if ctx.simulated:
        ctx.add_sim_cameras(args.sim_count)
    serials = None
    if args.serials:
        serials = [s.strip() for s in args.serials.split(",") if s.strip()]
    extra: dict[str, Any] = {}
    if getattr(ctx.options, "timeout", None) is not None:
        extra["timeout"] = float(ctx.options.timeout)
    group = CameraGroup.connect_all(backend=ctx.backend(), serials=serials, **extra)
    for name, exc in group.connect_errors.items():
        ctx.out.note(f"{name}: not connected: {exc}")
    return group


def _value_text(value: Any) -> str:
    if isinstance(value, CameraStatus):
        return (f"{value.mode}, battery {value.battery_mv} mV, {value.image_count} images")
    if isinstance(value, ClockSync):
        return f"offset {value.offset_ms:.1f} ms ± {value.uncertainty_ms:.1f} ms"
    if isinstance(value, ShotResult):
        return f"{value.path} (tick {value.fired}, {value.late_ms} ms late)"
    if isinstance(value, list) and all(isinstance(t, Transfer) for t in value):
        done = sum(1 for t in value if t.action == "downloaded")
        return f"{done} file(s) downloaded, {len(value) - done} skipped"
    if value is None:
        return "ok"
    return value if isinstance(value, str) else lua_text(value)


def _report(ctx: Context, group: CameraGroup, results: GroupResult,
            extra: dict[str, Any] | None = None) -> int:
    data: dict[str, Any] = {"cameras": {}, **(extra or {})}
    lines: list[str] = []
    for serial, res in results.items():
        if res.ok:
            data["cameras"][serial] = {"ok": True, "value": res.value}
            lines.append(f"{serial}: {_value_text(res.value)}")
        else:
            data["cameras"][serial] = {"ok": False, "error": str(res.error),
                                       "error_type": type(res.error).__name__}
            lines.append(f"{serial}: FAILED {type(res.error).__name__}: {res.error}")
    data["not_connected"] = {k: str(e) for k, e in group.connect_errors.items()}
    ctx.out.emit(data, lines)
    for exc in results.errors.values():
        return int(exit_code_for(exc))
    return ExitCode.OK


@command("group", arguments=_group_args, group="camera",
         help="run a command on every connected camera at once (rigs)")
def group_command(ctx: Context, args: argparse.Namespace) -> int:
    """``CameraGroup`` (chdkptp.multicam): one thread per camera; see the subcommands."""
    which = args.group_command
    limit = args.limit
    lua_code = read_source(argparse.Namespace(code=args.code, file=args.file)) \
        if which == "lua" else ""
    with _connect(ctx, args) as group:
        if which == "list":
            rows = [[s, cam.model, ".".join(map(str, cam.chdk_version or ()))]
                    for s, cam in group.cameras.items()]
            ctx.out.table(["serial", "model", "chdk"], rows,
                          data={"cameras": [dict(zip(["serial", "model", "chdk"], r,
                                                     strict=True)) for r in rows],
                                "not_connected": {k: str(e) for k, e in
                                                  group.connect_errors.items()}})
            return ExitCode.OK
        if which == "lua":
            return _report(ctx, group, group.run_lua(lua_code, timeout=limit))
        if which == "status":
            return _report(ctx, group, group.status(timeout=limit))
        if which in ("rec", "play"):
            mode = "record" if which == "rec" else "play"
            return _report(ctx, group, group.switch_mode(mode, timeout=min(limit, 30.0)))
        if which == "sync":
            return _report(ctx, group, group.sync_clocks(samples=args.samples,
                                                         timeout=min(limit, 10.0)))
        if which == "shoot":
            shot: GroupShot = group.shoot(delay=args.delay, timeout=limit)
            extra = {"spread_ms": None if shot.spread is None else shot.spread * 1000.0,
                     "uncertainty_ms": shot.uncertainty * 1000.0}
            code = _report(ctx, group, shot.results, extra)
            if shot.spread is not None:
                ctx.out.note(f"spread {shot.spread * 1000:.1f} ms "
                             f"(± {shot.uncertainty * 1000:.1f} ms)")
            return code
        # download
        return _report(ctx, group, group.download_images(
            args.dest, last=args.last, overwrite=args.overwrite, timeout=None))
