"""The state one command (or a whole shell session) runs with: options, output, the camera.

What belongs here: :class:`Context`, which turns the global options into a connection
(``--serial`` / ``--model`` / ``--bus`` / ``--address`` on USB, ``--host`` / ``--port`` on
PTP/IP, ``--sim`` for a simulated camera) and keeps it open until :meth:`Context.close`, so
the interactive shell reuses one session.  The simulator is imported lazily, only for
``--sim``: it needs the ``sim`` extra (lupa), and the library layers never import it.
"""

from __future__ import annotations

import argparse
import logging
from typing import Any

from chdkptp.camera import Camera, connect
from chdkptp.cli.output import Output
from chdkptp.discovery import CameraInfo, list_cameras

__all__ = ["SIM_EXTRA_HINT", "Context"]

log = logging.getLogger(__name__)

SIM_EXTRA_HINT = "--sim needs the simulator extra: pip install 'chdkptp[sim]' (it adds lupa)"


class Context:
    """Options + output + a lazily opened camera connection."""

    def __init__(self, options: argparse.Namespace, out: Output) -> None:
        self.options = options
        self.out = out
        self._camera: Camera | None = None
        self._sim_cameras: list[Any] = []
        self._backend: Any = None

    # --- simulator -------------------------------------------------------------------------

    @property
    def simulated(self) -> bool:
        """True with ``--sim`` (or ``--sim-card``)."""
        return bool(getattr(self.options, "sim", False) or
                    getattr(self.options, "sim_card", None))

    @property
    def sim_camera(self) -> Any:
        """The simulated camera behind ``--sim`` (created on first use), else None."""
        if not self.simulated:
            return None
        self.backend()
        return self._sim_cameras[0] if self._sim_cameras else None

    def backend(self) -> Any:
        """The pyusb backend to use: the simulated bus with ``--sim``, else None (libusb)."""
        if not self.simulated:
            return None
        if self._backend is None:
            try:
                from chdkptp import sim
                camera = sim.SimulatedCamera(
                    serial=getattr(self.options, "serial", None) or "SIM00001",
                    card_dir=getattr(self.options, "sim_card", None),
                )
            except ImportError as exc:
                raise ImportError(SIM_EXTRA_HINT) from exc
            self._sim_cameras.append(camera)
            self._backend = sim.SimulatedBackend(self._sim_cameras)
            log.info("simulated camera %s, card in %s", camera.serial, camera.card.root)
        return self._backend

    def add_sim_cameras(self, count: int) -> None:
        """With ``--sim``: make sure ``count`` simulated cameras are on the bus (for ``group``;
        the extra ones are SIM00002, SIM00003 …, each with its own clock offset)."""
        backend = self.backend()
        if backend is None:
            return
        from chdkptp import sim

        while len(self._sim_cameras) < count:
            n = len(self._sim_cameras) + 1
            camera = sim.SimulatedCamera(serial=f"SIM{n:05d}", clock_offset_ms=n * 1_000_000,
                                         seed=n)
            self._sim_cameras.append(camera)
            backend.add(camera)

    # --- cameras ---------------------------------------------------------------------------

    def list_cameras(self) -> list[CameraInfo]:
        """Cameras on the bus (USB descriptors only; no session is opened)."""
        return list_cameras(backend=self.backend())

    @property
    def connected(self) -> bool:
        """True while a camera connection is open."""
        return self._camera is not None and not self._camera.closed

    def camera(self) -> Camera:
        """The connected camera; connects on first use with the selection options.

        Raises ``CameraNotFoundError``, ``DeviceAccessError`` and the other ``connect`` errors.
        """
        if self._camera is not None and not self._camera.closed:
            return self._camera
        opts = self.options
        host = getattr(opts, "host", None)
        extra: dict[str, Any] = {}
        if getattr(opts, "timeout", None) is not None:
            extra["timeout"] = float(opts.timeout)
        if host is not None and not self.simulated:
            usb = [f"--{n}" for n in ("serial", "model", "bus", "address")
                   if getattr(opts, n, None) is not None]
            if usb:
                raise ValueError(f"--host (PTP/IP) cannot be combined with {', '.join(usb)}")
            if getattr(opts, "port", None) is not None:
                extra["port"] = int(opts.port)
            self._camera = connect(host=host, **extra)
        else:
            self._camera = connect(
                getattr(opts, "serial", None),
                model=getattr(opts, "model", None),
                bus=getattr(opts, "bus", None),
                address=getattr(opts, "address", None),
                backend=self.backend(),
                **extra,
            )
        log.info("connected to %r", self._camera)
        return self._camera

    def disconnect(self) -> None:
        """Close the camera connection (the simulated camera stays)."""
        if self._camera is not None:
            try:
                self._camera.close()
            finally:
                self._camera = None

    def close(self) -> None:
        """Close the connection and remove simulated cameras (their temporary cards)."""
        try:
            self.disconnect()
        finally:
            for cam in self._sim_cameras:
                cam.close()
            self._sim_cameras.clear()
            self._backend = None

    def __enter__(self) -> Context:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
