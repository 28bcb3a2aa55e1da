"""``pyesx dcui``: the Direct Console User Interface, a full-screen terminal UI like ESXi's DCUI.

The front screen shows the host's name, version and where to manage it; F2 logs in to the System
Customization menu (password, lockdown mode, management network and DNS, management agents, logs,
reset of the configuration); F12 shuts the host down or restarts it. Everything goes through the
public API, so a DCUI user's changes are checked, logged and recorded like any client's.
"""
