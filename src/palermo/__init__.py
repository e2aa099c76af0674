"""palermo: pool human-trafficking case data in IOM's HTCDS, link it privately, analyse and publish it safely."""

__version__ = "0.1.0"
