"""Time synchronization: the NTP wire format (``wire``), one client-mode query (``client``) and the
host's ntpd (``daemon``) that polls the configured servers and keeps their state."""
