"""The values a fuzzed field may get: valid-looking ones (from the live host) and hostile ones."""

from __future__ import annotations

import math
import random
import re
from dataclasses import dataclass, field

HUGE_STRING_LEN = (1 << 20) + 7  # just past 1 MiB
HUGE_REPEATED = 100_000

INT32 = (-(1 << 31), (1 << 31) - 1)
INT64 = (-(1 << 63), (1 << 63) - 1)
UINT32 = (0, (1 << 32) - 1)
UINT64 = (0, (1 << 64) - 1)

#: strings no correct host accepts blindly: traversal, absolute paths, NUL, injection, odd unicode
HOSTILE_STRINGS = (
    "",
    " ",
    "../../etc/shadow",
    "../../../../../../etc/passwd",
    "[datastore1] ../../x",
    "[datastore1] ../../../etc",
    "[datastore1] a/../../b",
    "[datastore1] /etc/passwd",
    "[datastore1]",
    "[datastore1] ",
    "[datastore1] .",
    "[datastore1] ..",
    "[] x",
    "[nosuchds] x.vmx",
    "[datastore1",
    "datastore1] x",
    "[../..] x",
    "[datastore1/..] x",
    "/etc/shadow",
    "/",
    "/tmp",
    "C:\\Windows\\system32",
    "a\x00b",
    "[datastore1] a\x00b",
    "\x00",
    'x"\nguestOS = "evil',
    "x\r\ny",
    "ünïcødé ✓ 日本語 😀",
    "\u202eevil\u202c",
    "\ud7ff\ue000\uffff",
    "%s%n%x",
    "{0}{1}",
    "*",
    "?",
    "[",
    "]",
    ".",
    "..",
    "-1",
    "0",
    "NaN",
    "1e400",
    "12abc",
    "true",
    "null",
    "vm-0",
    "vm--1",
    "vm-99999999999999999999",
    "task-0",
    "snapshot-0",
    "pool-0",
    "ha-root-pool/..",
    "scsi0:99",
    "ethernet-1",
    "ide9:9",
    "<xml/>",
    "' OR 1=1 --",
    "a" * 81,
    "a" * 4096,
)
FLOATS = (math.nan, math.inf, -math.inf, -0.0, 0.0, 1e308, -1e308, 5e-324, -1.0, 0.5, 1.0, 3600.0)
ALL_BYTES = bytes(range(256))


#: (field name pattern, message name pattern, category): the first that matches says what a string names
_RULES: tuple[tuple[str, str, str], ...] = (
    (r"^id$", r"Account", "user"),
    (r"principal|exception_users", r"", "user"),
    (r"^entity$", r"", "entity"),
    (r"^role$", r"", "role"),
    (r"^(name|new_name)$", r"Role", "role"),
    (r"privileges", r"", "privilege"),
    (r"password", r"Account", "account_password"),
    (r"snapshot", r"", "snapshot"),
    (r"task", r"", "task"),
    (r"^id$", r"Task", "task"),
    (r"pool", r"", "pool"),
    (r"^id$", r"ResourcePool", "pool"),
    (r"^entity_ids?$", r"", "entity"),
    (r"vm_id|^id$", r"", "vm"),
    (r"^key$", r"HostService", "service"),
    (r"^key$", r"Log", "log"),
    (r"^policy$", r"HostService", "service_policy"),
    (r"keys?$", r"", "device"),
    (r"ticket", r"", "ticket"),
    (r"guest_path", r"", "guest_path"),
    (r"path|^source$|^destination$|file_name", r"", "path"),
    (r"datastore", r"", "datastore"),
    (r"virtual_switch|^switch", r"", "vswitch"),
    (r"^name$", r"VirtualSwitch", "vswitch"),
    (r"uplinks|pnic|^nic", r"", "pnic"),
    (r"^name$", r"PhysicalNic", "pnic"),
    (r"network_name|port_group", r"", "portgroup"),
    (r"^name$", r"PortGroup", "portgroup"),
    (r"^name$", r"Datastore", "datastore"),
    (r"^name$", r"", "name"),
    (r"user", r"", "user"),
    (r"password", r"", "password"),
    (r"script", r"", "script"),
)


@dataclass
class Known:
    """Valid-looking values read from the host, by what they name: "vm" ids, "path"s, "datastore"
    names… (see ``_RULES``), so a valid case reaches past the first lookup."""

    pools: dict[str, list[str]] = field(default_factory=dict)

    def add(self, category: str, *found: str) -> None:
        self.pools.setdefault(category, []).extend(v for v in found if v)

    def category(self, field_name: str, message_name: str) -> str | None:
        for name_pattern, message_pattern, category in _RULES:
            if re.search(name_pattern, field_name) and re.search(message_pattern, message_name):
                return category
        return None

    def strings(self, field_name: str, message_name: str = "") -> list[str]:
        """The valid-looking pool that fits a field best (every value known when none does)."""
        category = self.category(field_name.lower(), message_name)
        if category == "entity":
            return ["ha-host", *self.pools.get("vm", []), *self.pools.get("pool", [])]
        chosen = self.pools.get(category or "", [])
        return chosen or [v for values in self.pools.values() for v in values]


def mutate(rng: random.Random, text: str) -> str:
    """A near miss of a valid value: the kind of typo or attack a validator must still refuse."""
    choice = rng.randrange(8)
    if choice == 0:
        return text + "/../../.."
    if choice == 1:
        return text.upper()
    if choice == 2:
        return text[: max(0, len(text) - 1)]
    if choice == 3:
        return text + "\x00"
    if choice == 4:
        return " " + text + " "
    if choice == 5:
        return text + "x" * rng.randrange(1, 100)
    if choice == 6:
        return text.replace("] ", "] ../")
    return text * 2


def hostile_string(rng: random.Random) -> str:
    roll = rng.randrange(20)
    if roll == 0:
        return "A" * HUGE_STRING_LEN
    if roll == 1:
        return "[datastore1] " + "d/" * 2000 + "x"
    if roll == 2:
        return "".join(chr(rng.randrange(1, 0xD7FF)) for _ in range(rng.randrange(1, 40)))
    if roll == 3:
        return "".join(rng.choice("abc/.[]\\ \x00\n") for _ in range(rng.randrange(1, 30)))
    return rng.choice(HOSTILE_STRINGS)


def any_string(rng: random.Random, known: Known, field_name: str, message_name: str = "") -> str:
    pool = known.strings(field_name, message_name)
    roll = rng.random()
    if pool and roll < 0.4:
        return rng.choice(pool)
    if pool and roll < 0.55:
        return mutate(rng, rng.choice(pool))
    return hostile_string(rng)


def valid_string(rng: random.Random, known: Known, field_name: str, message_name: str = "") -> str:
    pool = known.strings(field_name, message_name)
    fresh = 0.4 if field_name == "name" else 0.1  # a name is as often a new one (CreateVM, New-…)
    return rng.choice(pool) if pool and rng.random() >= fresh else f"fuzz{rng.randrange(1000)}"


def integer(rng: random.Random, bounds: tuple[int, int]) -> int:
    low, high = bounds
    edges = [low, high, 0, 1, -1, 2, 1024, 1 << 20, 1 << 31, (1 << 31) - 1, 1 << 40, low + 1, high - 1]
    if rng.random() < 0.6:
        value = rng.choice(edges)
    else:
        value = rng.randint(-(1 << rng.randrange(1, 64)), 1 << rng.randrange(1, 64))
    return min(max(value, low), high)


def valid_integer(rng: random.Random, bounds: tuple[int, int]) -> int:
    low, high = bounds
    return min(max(rng.choice((0, 1, 1, 2, 4, 8, 64, 128, 256, 512, 1024, 1 << 20)), low), high)


def floating(rng: random.Random) -> float:
    return rng.choice(FLOATS) if rng.random() < 0.7 else rng.uniform(-1e6, 1e6)


def raw_bytes(rng: random.Random) -> bytes:
    roll = rng.randrange(4)
    if roll == 0:
        return b""
    if roll == 1:
        return b"\x00" * HUGE_STRING_LEN
    return rng.randbytes(rng.randrange(1, 64))
