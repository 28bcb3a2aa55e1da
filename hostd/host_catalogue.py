"""The host advanced settings pyesx knows: ESXi's keys with their types, defaults and ranges.

Defaults and ranges are ESXi 8's (``esxcli system settings advanced list``); a key ESXi has and
this catalogue lacks is unknown to the host (InvalidArgument), as a misspelt key is.
"""

from __future__ import annotations

from dataclasses import dataclass

from pyesx.logs import LEVELS


@dataclass(frozen=True)
class Setting:
    """One setting: ``type`` is int, bool or string; ints have a range, strings may have choices."""

    key: str
    type: str
    default: int | bool | str
    summary: str
    min: int = 0
    max: int = 0
    choices: tuple[str, ...] = ()

    @property
    def range_text(self) -> str:
        return f"{self.min} to {self.max}"


def _int(key: str, default: int, low: int, high: int, summary: str) -> Setting:
    return Setting(key, "int", default, summary, low, high)


def _bool(key: str, default: bool, summary: str) -> Setting:
    return Setting(key, "bool", default, summary)


def _text(key: str, default: str, summary: str, choices: tuple[str, ...] = ()) -> Setting:
    return Setting(key, "string", default, summary, choices=choices)


LOG_LEVELS = tuple(LEVELS)  # ESXi's names, none … trivia
LOG_LEVEL = "Config.HostAgent.log.level"

_SETTINGS = (
    _int("Security.AccountLockFailures", 5, 0, 100, "Failed logins before the account locks (0: never)"),
    _int("Security.AccountUnlockTime", 900, 0, 3600, "Seconds a locked account stays locked"),
    _int("Security.PasswordHistory", 0, 0, 10, "Previous passwords a user may not reuse"),
    _int("Security.PasswordMaxDays", 99999, 0, 99999, "Days before a password must change"),
    _text(
        "Security.PasswordQualityControl",
        "retry=3 min=disabled,disabled,disabled,7,7",
        "The pam_passwdqc rules for passwords",
    ),
    _int("UserVars.HostClientSessionTimeout", 900, 0, 7200, "Host Client idle session timeout, seconds"),
    _int(
        "UserVars.HostSessionMaxLifetime",
        86400,
        0,
        31_536_000,
        "API session lifetime, seconds (ours; 0: none)",
    ),
    _int("UserVars.ESXiShellTimeOut", 0, 0, 86400, "Seconds the ESXi Shell stays enabled (0: always)"),
    _int("UserVars.ESXiShellInteractiveTimeOut", 0, 0, 86400, "Idle ESXi Shell session timeout, seconds"),
    _int("UserVars.DcuiTimeOut", 600, 0, 86400, "Idle DCUI session timeout, seconds"),
    _int("UserVars.SuppressShellWarning", 0, 0, 1, "Hide the warning that the shell is enabled"),
    _text(LOG_LEVEL, "info", "hostd's log level (lines less severe are not written)", LOG_LEVELS),
    _bool("Config.HostAgent.plugins.solo.enableMob", False, "Serve the managed object browser"),
    _text("Syslog.global.logDir", "[] /scratch/log", "Where the host writes its logs"),
    _text("Syslog.global.logHost", "", "Remote syslog targets (udp://host:514, …)"),
    _int("Syslog.global.defaultRotate", 8, 0, 100, "Rotated log files kept"),
    _int("Syslog.global.defaultSize", 1024, 10, 10240, "Log size in KiB before rotation"),
    _int("Mem.ShareScanGHz", 4, 0, 32, "Page-sharing scan rate per GHz of host CPU (0: off)"),
    _int("Mem.ShareScanTime", 60, 10, 600, "Minutes to scan a VM's memory for sharing"),
    _int("Mem.IdleTax", 75, 0, 99, "Idle memory tax, percent"),
    _int("Mem.AllocGuestLargePage", 1, 0, 1, "Back guest large pages with host large pages"),
    _int("Mem.MemZipEnable", 1, 0, 1, "Memory compression"),
    _int("Mem.MemZipMaxPct", 10, 5, 100, "Compression cache size, percent of VM memory"),
    _int("Net.TcpipHeapSize", 0, 0, 32, "TCP/IP heap initial size, MB"),
    _int("Net.TcpipHeapMax", 512, 32, 1576, "TCP/IP heap maximum size, MB"),
    _int("Net.BlockGuestBPDU", 0, 0, 1, "Drop BPDU frames sent by guests"),
    _int("Net.ReversePathFwdCheckPromisc", 0, 0, 1, "Reverse-path check for promiscuous ports"),
    _int("Disk.MaxLUN", 1024, 1, 16384, "Highest LUN id scanned"),
    _int("Disk.SchedNumReqOutstanding", 32, 1, 256, "Outstanding I/Os per VM when disks compete"),
    _int("Misc.BlueScreenTimeout", 0, 0, 65535, "Seconds before a purple screen reboots (0: never)"),
    _text("DCUI.Access", "root", "Users who may use the DCUI in lockdown mode (comma separated)"),
)

CATALOGUE: dict[str, Setting] = {s.key: s for s in _SETTINGS}
