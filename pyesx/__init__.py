"""pyesx: an ESXi-style hypervisor host in Python (shared code and generated protocol)."""

__version__ = "0.1.0"
PROTOCOL_VERSION = 1
