"""Links to a camera (layer L3): the :class:`~chdkptp.transport.base.Transport` contract and
its implementations, USB through pyusb (:mod:`.usb`) and PTP/IP over TCP (:mod:`.ptpip`), plus
OS access helpers (:mod:`.access`).  Nothing here knows about transactions or CHDK."""
