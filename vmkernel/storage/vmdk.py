"""ESXi's .vmdk descriptor: a small text file naming the disk's extents and its parent.

``Descriptor.parse`` keeps the layout it read (comments, blank lines, key
order, unknown header and ``ddb.*`` keys), so ``render`` gives back what ESXi
wrote; a descriptor built in code renders in ESXi's own layout. Any line that
is not ESXi's format, and a file that ends before the extents, raise
``DescriptorError`` (an InvalidArgument) naming the file and the line.
"""

from __future__ import annotations

import errno
import os
import re
import secrets
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from pyesx.atomic import atomic_write
from pyesx.faults import InvalidArgument, NotFound
from vmkernel.storage.names import check_file_name

SECTOR_SIZE = 512
MAX_CAPACITY_BYTES = 62 * 2**40  # VMFS-6's largest virtual disk
NO_PARENT_CID = 0xFFFFFFFF
MAGIC_LINE = "# Disk DescriptorFile"
MAX_DESCRIPTOR_BYTES = 1 << 20

CREATE_TYPE_BASE = "vmfs"
CREATE_TYPE_DELTA = "vmfsSparse"
EXTENT_FLAT = "VMFS"
EXTENT_DELTA = "VMFSSPARSE"
EXTENT_KINDS = frozenset(
    {"FLAT", "SPARSE", "ZERO", "VMFS", "VMFSSPARSE", "VMFSRDM", "VMFSRAW", "SESPARSE", "VMFSRDMP"}
)
ADAPTER_TYPES = frozenset({"ide", "buslogic", "lsilogic", "lsisas1068", "pvscsi", "legacyESX"})
MIN_HW_VERSION, MAX_HW_VERSION = 4, 22

_KEY = re.compile(r"^\s*(?P<key>[A-Za-z][A-Za-z0-9_.\-]*)\s*=\s*(?P<value>.*?)\s*$")
_QUOTED = re.compile(r'^"(?P<text>[^"]*)"$')
_CID = re.compile(r"^[0-9A-Fa-f]{8}$")
_EXTENT = re.compile(
    r"^\s*(?P<access>RW|RDONLY|NOACCESS)\s+(?P<sectors>\d+)\s+(?P<kind>[A-Z]+)"
    r'(?:\s+"(?P<file>[^"]*)"(?:\s+(?P<offset>\d+))?)?\s*$'
)
_REQUIRED = ("version", "CID", "parentCID", "createType")

Slot = tuple[Literal["raw", "header", "extents", "ddb"], str]


class DescriptorError(InvalidArgument):
    """A descriptor that is not in ESXi's format, or truncated; names the file and the line."""

    def __init__(self, source: str, line_no: int, problem: str) -> None:
        super().__init__("descriptor", f"{source}: line {line_no}: {problem}")
        self.source = source
        self.line_no = line_no


def check_capacity(capacity_bytes: int, argument: str = "capacity") -> int:
    """``capacity_bytes`` if it is a whole number of sectors, > 0 and at most 62 TiB."""
    if isinstance(capacity_bytes, bool) or not isinstance(capacity_bytes, int):
        raise InvalidArgument(argument, f"must be an integer number of bytes, not {capacity_bytes!r}")
    if capacity_bytes <= 0:
        raise InvalidArgument(argument, f"must be greater than 0 (got {capacity_bytes})")
    if capacity_bytes % SECTOR_SIZE:
        raise InvalidArgument(
            argument, f"{capacity_bytes} is not a multiple of the {SECTOR_SIZE}-byte sector"
        )
    if capacity_bytes > MAX_CAPACITY_BYTES:
        raise InvalidArgument(argument, f"{capacity_bytes} bytes is more than the 62 TiB maximum")
    return capacity_bytes


def geometry(capacity_bytes: int, adapter_type: str) -> tuple[int, int, int]:
    """ESXi's (cylinders, heads, sectors) for ``ddb.geometry.*``: 16 heads for IDE, 255 otherwise."""
    heads = 16 if adapter_type == "ide" else 255
    cylinders = capacity_bytes // SECTOR_SIZE // (heads * 63)
    return (min(cylinders, 16383) if adapter_type == "ide" else cylinders), heads, 63


def new_cid() -> int:
    """A random content id (never ffffffff, which means "no parent")."""
    while (cid := secrets.randbits(32)) == NO_PARENT_CID:
        pass
    return cid


def new_disk_uuid() -> str:
    """A ``ddb.uuid`` as ESXi spells it: ``60 00 C2 9x xx xx xx xx-xx xx xx xx xx xx xx xx``."""
    prefix = bytes([0x60, 0x00, 0xC2, 0x90 | secrets.randbits(4)])
    raw = [f"{b:02x}" for b in prefix + secrets.token_bytes(12)]
    raw[2] = "C2"  # VMware's fixed prefix is written "60 00 C2 9"
    return " ".join(raw[:8]) + "-" + " ".join(raw[8:])


@dataclass
class ExtentLine:
    """One extent line: ``RW 41943040 VMFS "web01-flat.vmdk"`` (size in 512-byte sectors)."""

    access: str
    sectors: int
    kind: str
    file_name: str | None
    offset: int | None = None

    def render(self) -> str:
        text = f"{self.access} {self.sectors} {self.kind}"
        if self.file_name is not None:
            text += f' "{check_file_name(self.file_name, "extent")}"'
            if self.offset is not None:
                text += f" {self.offset}"
        return text


@dataclass
class Descriptor:
    """A parsed .vmdk descriptor. ``ddb`` keys are spelled in full (``ddb.adapterType``)."""

    cid: int
    create_type: str
    extents: list[ExtentLine]
    parent_cid: int = NO_PARENT_CID
    parent_file_name_hint: str | None = None
    version: int = 1
    encoding: str | None = "UTF-8"
    extra_header: dict[str, str] = field(default_factory=dict)
    """Header keys this module does not know, each with its value as written (quotes included)."""
    ddb: dict[str, str] = field(default_factory=dict)
    layout: list[Slot] = field(default_factory=list, compare=False, repr=False)
    """The lines as read: comments and blank lines verbatim, the rest as slots filled in at render."""

    @property
    def capacity_bytes(self) -> int:
        return sum(extent.sectors for extent in self.extents) * SECTOR_SIZE

    @property
    def has_parent(self) -> bool:
        return self.parent_cid != NO_PARENT_CID

    @property
    def is_thin(self) -> bool:
        return self.ddb.get("ddb.thinProvisioned") == "1"

    @classmethod
    def parse(cls, text: str, source: str = "<vmdk>") -> Descriptor:
        lines = text.splitlines()
        if not lines or lines[0].strip() != MAGIC_LINE:
            raise DescriptorError(source, 1, f"not a disk descriptor (the first line must be '{MAGIC_LINE}')")
        layout: list[Slot] = []
        header: dict[str, tuple[int, str]] = {}
        extents: list[ExtentLine] = []
        ddb: dict[str, str] = {}
        for line_no, line in enumerate(lines, start=1):
            stripped = line.strip()
            if "\x00" in line:
                raise DescriptorError(source, line_no, "contains binary data")
            if not stripped or stripped.startswith("#"):
                layout.append(("raw", line))
            elif match := _EXTENT.match(line):
                if not extents:
                    layout.append(("extents", ""))
                extents.append(_parse_extent(match, source, line_no))
            elif match := _KEY.match(line):
                key, value = match["key"], match["value"]
                if key in header or key in ddb:
                    raise DescriptorError(source, line_no, f"'{key}' appears twice")
                if key.startswith("ddb."):
                    quoted = _QUOTED.match(value)
                    if not quoted:
                        raise DescriptorError(source, line_no, f"the value of '{key}' must be quoted")
                    ddb[key] = quoted["text"]
                    layout.append(("ddb", key))
                else:
                    header[key] = (line_no, value)
                    layout.append(("header", key))
            else:
                raise DescriptorError(source, line_no, f"cannot parse {stripped[:80]!r}")
        end = len(lines) + 1
        for key in _REQUIRED:
            if key not in header:
                raise DescriptorError(source, end, f"the file ends without '{key}' (truncated?)")
        if not extents:
            raise DescriptorError(source, end, "the file ends before its extent description (truncated?)")
        if sum(extent.sectors for extent in extents) * SECTOR_SIZE > MAX_CAPACITY_BYTES:
            raise DescriptorError(source, header["createType"][0], "the extents add up to more than 62 TiB")

        def take(key: str, pattern: re.Pattern[str], what: str) -> str | None:
            if key not in header:
                return None
            line_no, value = header.pop(key)
            match = pattern.match(value)
            if not match:
                raise DescriptorError(source, line_no, f"'{key}' must be {what}, not {value[:40]!r}")
            return match[match.lastgroup] if match.lastgroup else match[0]

        version = take("version", re.compile(r"^\d{1,3}$"), "a number")
        encoding = take("encoding", _QUOTED, "quoted")
        cid = take("CID", _CID, "8 hex digits")
        parent_cid = take("parentCID", _CID, "8 hex digits")
        hint_line = header.get("parentFileNameHint", (0, ""))[0]
        create_type = take("createType", _QUOTED, "quoted")
        hint = take("parentFileNameHint", _QUOTED, "quoted")
        assert version is not None and cid is not None and parent_cid is not None and create_type is not None
        if hint is not None:
            _check_name(hint, "parentFileNameHint", source, hint_line)
        return cls(
            cid=int(cid, 16),
            create_type=create_type,
            extents=extents,
            parent_cid=int(parent_cid, 16),
            parent_file_name_hint=hint,
            version=int(version),
            encoding=encoding,
            extra_header={key: value for key, (_, value) in header.items()},
            ddb=ddb,
            layout=layout,
        )

    def render(self) -> str:
        """The descriptor's text: the layout it was read with, or ESXi's for a new one."""
        header = dict(self._header_items())
        ddb = {key: _check_ddb_value(key, value) for key, value in self.ddb.items()}
        out: list[str] = []
        header_end = ddb_end = -1
        extents_done = False
        for kind, key in self.layout or self._esxi_layout():
            if kind == "raw":
                out.append(key)
            elif kind == "header" and key in header:
                out.append(f"{key}={header.pop(key)}")
                header_end = len(out)
            elif kind == "ddb" and key in ddb:
                out.append(f'{key} = "{ddb.pop(key)}"')
                ddb_end = len(out)
            elif kind == "extents" and not extents_done:
                out.extend(extent.render() for extent in self.extents)
                extents_done = True
        # keys set since parsing go after the last line of their kind (the later position first)
        inserts = [
            (ddb_end if ddb_end >= 0 else len(out), [f'{key} = "{value}"' for key, value in ddb.items()]),
            (header_end if header_end >= 0 else 1, [f"{key}={value}" for key, value in header.items()]),
        ]
        for at, lines in sorted(inserts, key=lambda item: -item[0]):
            out[at:at] = lines
        if not extents_done:
            out.extend(extent.render() for extent in self.extents)
        return "\n".join(out) + "\n"

    def _header_items(self) -> list[tuple[str, str]]:
        for key, value in self.extra_header.items():
            if not _KEY.match(f"{key}={value}") or any(ord(c) < 0x20 for c in value):
                raise InvalidArgument("descriptor", f"the header line {key}={value!r} is not valid")
        items = [
            ("version", str(self.version)),
            *([("encoding", f'"{self.encoding}"')] if self.encoding is not None else []),
            ("CID", f"{self.cid:08x}"),
            ("parentCID", f"{self.parent_cid:08x}"),
            *self.extra_header.items(),
            ("createType", f'"{self.create_type}"'),
        ]
        if self.parent_file_name_hint is not None:
            hint = check_file_name(self.parent_file_name_hint, "parentFileNameHint")
            items.append(("parentFileNameHint", f'"{hint}"'))
        return items

    def _esxi_layout(self) -> list[Slot]:
        layout: list[Slot] = [("raw", MAGIC_LINE)]
        layout += [("header", key) for key, _ in self._header_items()]
        if self.parent_file_name_hint is None:
            layout.append(("raw", ""))  # ESXi writes no blank line after a delta's parentFileNameHint
        layout += [("raw", "# Extent description"), ("extents", ""), ("raw", "")]
        layout += [("raw", "# The Disk Data Base"), ("raw", "#DDB"), ("raw", "")]
        return layout + [("ddb", key) for key in self.ddb]


def _parse_extent(match: re.Match[str], source: str, line_no: int) -> ExtentLine:
    kind, sectors, file_name = match["kind"], int(match["sectors"]), match["file"]
    if kind not in EXTENT_KINDS:
        raise DescriptorError(source, line_no, f"unknown extent type '{kind}'")
    if sectors <= 0:
        raise DescriptorError(source, line_no, "an extent must have at least one sector")
    if file_name is not None:
        _check_name(file_name, "extent", source, line_no)
    elif kind != "ZERO":
        raise DescriptorError(source, line_no, f"a {kind} extent needs a file name")
    offset = int(match["offset"]) if match["offset"] is not None else None
    return ExtentLine(match["access"], sectors, kind, file_name, offset)


def _check_name(name: str, argument: str, source: str, line_no: int) -> None:
    try:
        check_file_name(name, argument)
    except InvalidArgument as exc:
        raise DescriptorError(source, line_no, f"{argument}: {exc.reason}") from None


def _check_ddb_value(key: str, value: str) -> str:
    if not _KEY.match(f"{key}=") or not key.startswith("ddb."):
        raise InvalidArgument("ddb", f"'{key}' is not a ddb.* key")
    if '"' in value or any(ord(c) < 0x20 for c in value):
        raise InvalidArgument("ddb", f"the value of '{key}' contains a quote or a control character")
    return value


def base_descriptor(
    flat_file: str, capacity_bytes: int, adapter_type: str, hw_version: int, thin: bool
) -> Descriptor:
    """A new base disk's descriptor, as ESXi writes one (``ddb`` keys in ESXi's sorted order)."""
    check_capacity(capacity_bytes)
    if adapter_type not in ADAPTER_TYPES:
        raise InvalidArgument(
            "adapterType", f"'{adapter_type}' is not one of {', '.join(sorted(ADAPTER_TYPES))}"
        )
    if isinstance(hw_version, bool) or not isinstance(hw_version, int):
        raise InvalidArgument("hwVersion", f"must be an integer, not {hw_version!r}")
    if not MIN_HW_VERSION <= hw_version <= MAX_HW_VERSION:
        raise InvalidArgument(
            "hwVersion", f"{hw_version} is not between {MIN_HW_VERSION} and {MAX_HW_VERSION}"
        )
    cylinders, heads, sectors = geometry(capacity_bytes, adapter_type)
    ddb = {
        "ddb.adapterType": adapter_type,
        "ddb.geometry.cylinders": str(cylinders),
        "ddb.geometry.heads": str(heads),
        "ddb.geometry.sectors": str(sectors),
        **({"ddb.thinProvisioned": "1"} if thin else {}),
        "ddb.uuid": new_disk_uuid(),
        "ddb.virtualHWVersion": str(hw_version),
    }
    extent = ExtentLine("RW", capacity_bytes // SECTOR_SIZE, EXTENT_FLAT, flat_file)
    return Descriptor(cid=new_cid(), create_type=CREATE_TYPE_BASE, extents=[extent], ddb=ddb)


def delta_descriptor(parent: Descriptor, parent_file: str, delta_file: str) -> Descriptor:
    """A snapshot delta's descriptor on top of ``parent`` (named ``parent_file`` in the same folder)."""
    extent = ExtentLine("RW", parent.capacity_bytes // SECTOR_SIZE, EXTENT_DELTA, delta_file)
    return Descriptor(
        cid=new_cid(),
        create_type=CREATE_TYPE_DELTA,
        extents=[extent],
        parent_cid=parent.cid,
        parent_file_name_hint=parent_file,
        extra_header={"isNativeSnapshot": '"no"'},
    )


def read_descriptor(path: Path) -> Descriptor:
    """Parse the descriptor at ``path``: NotFound if it is missing, DescriptorError if it is not one."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except (FileNotFoundError, NotADirectoryError):
        raise NotFound("File", path.name) from None
    except OSError as exc:
        if exc.errno != errno.ELOOP:
            raise
        raise InvalidArgument("path", f"'{path.name}' is a symbolic link, not a disk descriptor") from None
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise InvalidArgument("path", f"'{path.name}' is not a regular file")
    with os.fdopen(fd, "rb") as f:
        data = f.read(MAX_DESCRIPTOR_BYTES + 1)
    if len(data) > MAX_DESCRIPTOR_BYTES:
        raise DescriptorError(path.name, 1, "the file is too large to be a disk descriptor")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line_no = data[: exc.start].count(b"\n") + 1
        raise DescriptorError(path.name, line_no, "is not UTF-8 text") from None
    return Descriptor.parse(text, source=path.name)


def write_descriptor(path: Path, descriptor: Descriptor) -> None:
    """Replace the descriptor at ``path`` atomically (the old text or the new, never half)."""
    atomic_write(path, descriptor.render())


def is_descriptor_file(path: Path) -> bool:
    """Whether ``path`` starts like a descriptor (cheap: reads its first line only)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    except OSError:
        return False
    with os.fdopen(fd, "rb") as f:
        try:
            return f.read(len(MAGIC_LINE)) == MAGIC_LINE.encode()
        except OSError:
            return False
