"""One fuzz case's request, built from a message descriptor with a seeded RNG.

A case has a *mode*, taken in turn so every method gets each one:

    empty   the empty message (every field at its default)
    valid   valid-looking values: ids, names and paths that exist on the host, sane numbers
    mutant  valid, but for one field (maybe nested) that gets a hostile value: past the first lookup
    random  every field maybe set, to anything its type allows and some it should refuse
    huge    random, plus one string past 1 MiB or one repeated field of 100 000 entries
    raw     bytes that are not a valid message of the request type (sent without serializer)
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

from google.protobuf import descriptor
from google.protobuf.message import Message

from tests.fuzz import values
from tests.fuzz.values import Known

FD = descriptor.FieldDescriptor
Field = Any  # a FieldDescriptor: protobuf's stubs type it twice over (python and upb), mypy sees neither
MODES = ("valid", "random", "empty", "mutant", "huge", "mutant", "raw", "valid")
MAX_DEPTH = 4
HUGE_BUDGET = 8 << 20  # bytes a huge repeated field may take (gRPC refuses more than 4 MiB anyway)

#: bytes that no protobuf parser accepts as a message (or as any message with a string field 1)
INVALID_WIRE = (
    b"\x0a\xff\xff\xff\xff\x0f",  # field 1, length-delimited, length far past the end
    b"\x08\x80\x80",  # field 1 varint, truncated
    b"\x0f",  # wire type 7 does not exist
    b"\x00",  # field number 0 is invalid
    b"\x0a\x02\xff\xfe",  # field 1 a string holding invalid UTF-8 (when it is a string)
    b"\x0b\x0a\x00",  # a group start never ended
    b"\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01",  # a tag varint of 11 bytes
)

_INT_BOUNDS = {
    FD.TYPE_INT32: values.INT32,
    FD.TYPE_SINT32: values.INT32,
    FD.TYPE_SFIXED32: values.INT32,
    FD.TYPE_INT64: values.INT64,
    FD.TYPE_SINT64: values.INT64,
    FD.TYPE_SFIXED64: values.INT64,
    FD.TYPE_UINT32: values.UINT32,
    FD.TYPE_FIXED32: values.UINT32,
    FD.TYPE_UINT64: values.UINT64,
    FD.TYPE_FIXED64: values.UINT64,
}


@dataclass(frozen=True)
class Case:
    """Which case of which method, under which campaign seed."""

    seed: int
    method: str
    index: int

    @property
    def mode(self) -> str:
        return MODES[self.index % len(MODES)]

    def rng(self) -> random.Random:
        return random.Random(f"{self.seed}:{self.method}:{self.index}")


class Builder:
    """Fills messages for one case; ``valid`` prefers values the host will accept."""

    def __init__(self, rng: random.Random, known: Known, valid: bool) -> None:
        self.rng, self.known, self.valid = rng, known, valid

    def fill(self, message: Message, depth: int = 0) -> Message:
        set_probability = 0.75 if self.valid else 0.55
        fields: list[Field] = list(message.DESCRIPTOR.fields)
        for fd in fields:
            if depth >= MAX_DEPTH and fd.type == FD.TYPE_MESSAGE:
                continue
            if self.rng.random() > set_probability:
                continue
            if fd.message_type is not None and fd.message_type.GetOptions().map_entry:
                self._fill_map(message, fd, depth)
            elif fd.is_repeated:
                for _ in range(self.rng.choice((0, 1, 1, 2, 3, 5))):
                    self._append(message, fd, depth)
            elif fd.type == FD.TYPE_MESSAGE:
                self.fill(getattr(message, fd.name), depth + 1)
                getattr(message, fd.name).SetInParent()
            else:
                setattr(message, fd.name, self.scalar(fd))
        return message

    def _append(self, message: Message, fd: Field, depth: int) -> None:
        container = getattr(message, fd.name)
        if fd.type == FD.TYPE_MESSAGE:
            self.fill(container.add(), depth + 1)
        else:
            container.append(self.scalar(fd))

    def _fill_map(self, message: Message, fd: Field, depth: int) -> None:
        key_fd, value_fd = fd.message_type.fields_by_name["key"], fd.message_type.fields_by_name["value"]
        container = getattr(message, fd.name)
        for _ in range(self.rng.choice((0, 1, 2, 4))):
            key = self.scalar(key_fd)
            if value_fd.type == FD.TYPE_MESSAGE:
                self.fill(container[key], depth + 1)
            else:
                container[key] = self.scalar(value_fd)

    def scalar(self, fd: Field) -> object:
        rng, kind = self.rng, fd.type
        if kind == FD.TYPE_STRING:
            owner = fd.containing_type.name
            if self.valid:
                return values.valid_string(rng, self.known, fd.name, owner)
            return values.any_string(rng, self.known, fd.name, owner)
        if kind == FD.TYPE_BYTES:
            return values.raw_bytes(rng) if not self.valid else rng.randbytes(rng.randrange(0, 32))
        if kind == FD.TYPE_BOOL:
            return rng.random() < 0.5
        if kind in (FD.TYPE_DOUBLE, FD.TYPE_FLOAT):
            return rng.choice((0.0, 1.0, 5.0)) if self.valid else values.floating(rng)
        if kind == FD.TYPE_ENUM:
            numbers = [v.number for v in fd.enum_type.values]
            if self.valid or rng.random() < 0.5:
                return rng.choice(numbers)
            return rng.choice((max(numbers) + 1, 99, -1, values.INT32[1], values.INT32[0]))
        bounds = _INT_BOUNDS[kind]
        if self.valid:
            return values.valid_integer(rng, bounds)
        return values.integer(rng, bounds)


def _small(value: object) -> object:
    """An entry of a huge field stays small: 100 000 copies of a 1 MiB string would be 100 GiB."""
    return value[:64] if isinstance(value, str | bytes) else value


def make_huge(rng: random.Random, known: Known, message: Message) -> Message:
    """Blow up one field of the message (or of a nested one): a 1 MiB string or up to 100 000 entries
    (as many as fit in ``HUGE_BUDGET`` bytes)."""
    fields: list[Field] = list(message.DESCRIPTOR.fields)
    if not fields:
        return message
    fd = rng.choice(fields)
    builder = Builder(rng, known, valid=rng.random() < 0.5)
    if fd.message_type is not None and fd.message_type.GetOptions().map_entry:
        container = getattr(message, fd.name)
        value_fd = fd.message_type.fields_by_name["value"]
        if value_fd.type != FD.TYPE_MESSAGE:
            value = _small(builder.scalar(value_fd))
            for i in range(values.HUGE_REPEATED // 10):
                key = f"k{i}" if fd.message_type.fields_by_name["key"].type == FD.TYPE_STRING else i
                container[key] = value
    elif fd.is_repeated:
        container = getattr(message, fd.name)
        if fd.type == FD.TYPE_MESSAGE:
            sample = builder.fill(container.add())
            if sample.ByteSize() > 256:
                sample.Clear()
            for _ in range(min(values.HUGE_REPEATED, HUGE_BUDGET // (sample.ByteSize() + 2)) - 1):
                container.add().CopyFrom(sample)
        else:
            container.extend([_small(builder.scalar(fd))] * values.HUGE_REPEATED)
    elif fd.type == FD.TYPE_MESSAGE:
        make_huge(rng, known, getattr(message, fd.name))
        getattr(message, fd.name).SetInParent()
    elif fd.type == FD.TYPE_STRING:
        setattr(message, fd.name, rng.choice(("A", "[datastore1] ", "../")) + "A" * values.HUGE_STRING_LEN)
    elif fd.type == FD.TYPE_BYTES:
        setattr(message, fd.name, b"\xab" * values.HUGE_STRING_LEN)
    else:
        setattr(message, fd.name, builder.scalar(fd))
    return message


def mutate_one(rng: random.Random, known: Known, message: Message) -> None:
    """Give one field of a valid message (or of a message in it) a hostile value."""
    hostile = Builder(rng, known, valid=False)
    fields: list[Field] = list(message.DESCRIPTOR.fields)
    if not fields:
        return
    fd = rng.choice(fields)
    if fd.type == FD.TYPE_MESSAGE and not fd.is_repeated:
        nested = getattr(message, fd.name)
        mutate_one(rng, known, nested)
        nested.SetInParent()
    elif fd.message_type is not None and fd.message_type.GetOptions().map_entry:
        hostile._fill_map(message, fd, MAX_DEPTH)
    elif fd.is_repeated:
        hostile._append(message, fd, MAX_DEPTH - 1)
    else:
        setattr(message, fd.name, hostile.scalar(fd))


def build(case: Case, request: descriptor.Descriptor, known: Known, cls: type[Message]) -> Message | bytes:
    """The request of one case: a message of ``cls``, or (mode raw) bytes that are not one."""
    rng, mode = case.rng(), case.mode
    if mode == "raw":
        if rng.random() < 0.7:
            return rng.choice(INVALID_WIRE)
        # a valid message of the wrong type, or noise: most often refused, sometimes parsed loosely
        return values.raw_bytes(rng)
    message = cls()
    if mode == "empty":
        return message
    Builder(rng, known, valid=mode in ("valid", "mutant")).fill(message)
    if mode == "mutant":
        mutate_one(rng, known, message)
    if mode == "huge":
        make_huge(rng, known, message)
    return message


def describe(request: Message | bytes, limit: int = 400) -> str:
    """A short, printable account of a request for a finding (cheap even for a 100 000-entry field)."""
    if isinstance(request, bytes):
        return f"raw bytes {request[:40]!r}{'…' if len(request) > 40 else ''} ({len(request)} bytes)"
    parts = []
    for fd, value in request.ListFields():
        if fd.is_repeated:
            items = list(value.items()) if hasattr(value, "items") else list(value)
            shown = f"[{len(items)} entries: {', '.join(_short(v) for v in items[:3])}]"
        else:
            shown = _short(value)
        parts.append(f"{fd.name}={shown}")
    text = f"{type(request).__name__}({', '.join(parts)})"
    return text[:limit] + ("…" if len(text) > limit else "")


def _short(value: object) -> str:
    if isinstance(value, Message):
        return describe(value, 120)
    text = repr(value)
    return text[:60] + f"…(len {len(value)})" if isinstance(value, str | bytes) and len(text) > 60 else text
