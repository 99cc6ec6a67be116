"""Run one libgphoto2 step against a PTP/IP camera and print the result as JSON (child process).

python-gphoto2 holds the GIL while libgphoto2 blocks on its socket, so it must not share a
process with the simulator's server threads: the judge tests run this file with
``python -m tests.ptpip.gphoto_child PORT STEP [ARGS...]`` and read its last stdout line.
Steps: summary, config, list, get FOLDER/NAME OUT, capture OUT, preview OUT.
"""

from __future__ import annotations

import json
import os
import sys
from typing import Any

import gphoto2 as gp


def _tree(widget: Any) -> dict[str, Any]:
    node: dict[str, Any] = {"name": widget.get_name()}
    count = widget.count_children()
    if count:
        node["children"] = [_tree(widget.get_child(i)) for i in range(count)]
    else:
        try:
            node["value"] = widget.get_value()
        except gp.GPhoto2Error:
            node["value"] = None
    return node


def _save(file: Any, out: str) -> int:
    data = bytes(memoryview(file.get_data_and_size()))
    with open(out, "wb") as fh:
        fh.write(data)
    return len(data)


def main(argv: list[str]) -> dict[str, Any]:
    port, step, args = int(argv[0]), argv[1], argv[2:]
    if os.environ.get("GPHOTO_DEBUG"):
        def log(_level: int, domain: str, text: str, _data: object = None) -> None:
            print(f"[{domain}] {text}", file=sys.stderr)
        _keep = gp.gp_log_add_func(gp.GP_LOG_DEBUG, log)
    camera = gp.Camera()
    ports = gp.PortInfoList()
    ports.load()
    camera.set_port_info(ports[ports.lookup_path(f"ptpip:127.0.0.1:{port}:{port}")])
    abilities = gp.CameraAbilitiesList()
    abilities.load()
    camera.set_abilities(abilities[abilities.lookup_model("PTP/IP Camera")])
    camera.init()
    out: dict[str, Any] = {}
    try:
        if step == "summary":
            out["summary"] = str(camera.get_summary())
        elif step == "config":
            out["config"] = _tree(camera.get_config())
        elif step == "list":
            files: dict[str, list[str]] = {}

            def walk(folder: str) -> None:
                listing = camera.folder_list_files(folder)
                files[folder] = [listing.get_name(i) for i in range(listing.count())]
                sub = camera.folder_list_folders(folder)
                for i in range(sub.count()):
                    walk(folder.rstrip("/") + "/" + sub.get_name(i))

            walk("/")
            out["files"] = files
        elif step == "get":
            folder, name = os.path.split(args[0])
            out["size"] = _save(camera.file_get(folder, name, gp.GP_FILE_TYPE_NORMAL), args[1])
        elif step == "capture":
            path = camera.capture(gp.GP_CAPTURE_IMAGE)
            out["path"] = f"{path.folder.rstrip('/')}/{path.name}"
            out["size"] = _save(camera.file_get(path.folder, path.name, gp.GP_FILE_TYPE_NORMAL),
                                args[0])
        elif step == "preview":
            file = camera.capture_preview()
            out["mime"] = file.get_mime_type()
            out["size"] = _save(file, args[0])
        else:
            raise SystemExit(f"unknown step {step!r}")
    finally:
        camera.exit()
    return out


if __name__ == "__main__":
    print(json.dumps(main(sys.argv[1:])))
