"""Sans-IO PTP core (layer L2): container codec and CHDK request/response helpers.

Modules here turn requests into bytes and bytes into results; they never import ``usb``,
``socket``, ``threading`` or ``time``.  :mod:`chdkptp.ptp.containers` is the one place that
packs and unpacks container headers.
"""
