"""dd: block copies between files and devices (real I/O on the guest's file system)."""

from __future__ import annotations

import time

from vmx.guestos.context import Ctx
from vmx.guestos.kernel import Gen
from vmx.guestos.vfs import strerror

YIELD_BYTES = 1 << 20  # give the vCPU back at least this often
_OPERANDS = ("if", "of", "bs", "ibs", "obs", "count", "skip", "conv", "status", "iflag", "oflag")
_SUFFIXES = {
    "": 1,
    "c": 1,
    "w": 2,
    "b": 512,
    "k": 1024,
    "K": 1024,
    "kB": 1000,
    "KB": 1000,
    "M": 1 << 20,
    "MB": 10**6,
    "G": 1 << 30,
    "GB": 10**9,
    "T": 1 << 40,
    "TB": 10**12,
}


def parse_size(text: str) -> int | None:
    """``512``, ``4K``, ``1M``, ``1MB``, ``2G`` as dd and stress read them (None: invalid)."""
    digits = text
    while digits and not digits[-1].isdigit():
        digits = digits[:-1]
    suffix = text[len(digits) :]
    if suffix.endswith("iB"):
        suffix = suffix[:-2]
    if not digits.isdigit() or suffix not in _SUFFIXES:
        return None
    return int(digits) * _SUFFIXES[suffix]


def _si(value: float) -> str:
    for unit in ("B", "kB", "MB", "GB", "TB", "PB"):
        if value < 999.5 or unit == "PB":
            if unit == "B":
                return f"{int(value)} B"
            return f"{value:.1f} {unit}" if value < 9.95 else f"{value:.0f} {unit}"
        value /= 1000
    return f"{value} B"


def _iec(value: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB", "TiB", "PiB"):
        if value < 1023.5 or unit == "PiB":
            if unit == "B":
                return f"{int(value)} B"
            return f"{value:.1f} {unit}" if value < 9.95 else f"{value:.0f} {unit}"
        value /= 1024
    return f"{value} B"


def summary(full_in: int, part_in: int, full_out: int, part_out: int, nbytes: int, seconds: float) -> str:
    """dd's three closing lines."""
    lines = f"{full_in}+{part_in} records in\n{full_out}+{part_out} records out\n"
    if nbytes < 1000:
        copied = f"{nbytes} byte{'s' if nbytes != 1 else ''} copied"
    elif nbytes < 1024:
        copied = f"{nbytes} bytes ({_si(nbytes)}) copied"
    else:
        copied = f"{nbytes} bytes ({_si(nbytes)}, {_iec(nbytes)}) copied"
    rate = _si(nbytes / seconds) + "/s" if seconds > 0 else "Infinity B/s"
    return lines + f"{copied}, {seconds:g} s, {rate}\n"


def dd(ctx: Ctx, args: list[str]) -> Gen[int]:
    options: dict[str, str] = {}
    for arg in args[1:]:
        key, sep, value = arg.partition("=")
        if not sep or key not in _OPERANDS:
            ctx.err(f"dd: unrecognized operand '{arg}'\nTry 'dd --help' for more information.\n")
            return 1
        options[key] = value
    numbers: dict[str, int] = {}
    for key, default in (("bs", "512"), ("count", "-1"), ("skip", "0")):
        text = options.get(key, options.get("ibs", default) if key == "bs" else default)
        parsed = -1 if text == "-1" else parse_size(text)
        if parsed is None or (key == "bs" and parsed <= 0):
            ctx.err(f"dd: invalid number: '{text}'\n")
            return 1
        numbers[key] = parsed
    bs, count, skip = numbers["bs"], numbers["count"], numbers["skip"]
    source, sink = options.get("if"), options.get("of")
    quiet = options.get("status") in ("none", "noxfer")
    vfs = ctx.vfs
    src_path = ctx.path(source) if source else None
    dst_path = ctx.path(sink) if sink else None
    if src_path is not None:
        try:
            if vfs.stat(src_path).is_dir:
                raise IsADirectoryError(21, "Is a directory")
        except OSError as exc:
            ctx.err(f"dd: failed to open '{source}': {strerror(exc)}\n")
            return 1
    if dst_path is not None:
        try:
            if vfs.is_dir(dst_path):
                raise IsADirectoryError(21, "Is a directory")
            if "notrunc" not in options.get("conv", ""):
                vfs.write(dst_path, b"")
            else:
                vfs.write(dst_path, b"", append=True)
        except OSError as exc:
            ctx.err(f"dd: failed to open '{sink}': {strerror(exc)}\n")
            return 1
    stdin_buffer = bytearray()
    stdin_done = False
    full_in = part_in = full_out = part_out = 0
    copied = 0
    since_yield = 0
    offset = skip * bs
    started = time.monotonic()
    status = 0
    try:
        while count < 0 or full_in + part_in < count:
            if src_path is None:
                while len(stdin_buffer) < bs and not stdin_done:
                    chunk = yield from ctx.stdin.read()
                    stdin_done = not chunk
                    stdin_buffer += chunk
                block = bytes(stdin_buffer[:bs])
                del stdin_buffer[:bs]
            else:
                try:
                    block = vfs.read(src_path, offset, bs)
                except OSError as exc:
                    ctx.err(f"dd: error reading '{source}': {strerror(exc)}\n")
                    status = 1
                    break
                offset += len(block)
            if not block:
                break
            whole = len(block) == bs
            full_in, part_in = full_in + whole, part_in + (not whole)
            if dst_path is None:
                ctx.stdout.write(block)
            else:
                try:
                    vfs.write(dst_path, block, append=True)
                except OSError as exc:
                    ctx.err(f"dd: error writing '{sink}': {strerror(exc)}\n")
                    status = 1
                    break
            copied += len(block)
            full_out, part_out = full_out + whole, part_out + (not whole)
            since_yield += len(block)
            if since_yield >= YIELD_BYTES:
                since_yield = 0
                yield None
        if dst_path is not None and "fsync" in options.get("conv", "") + options.get("oflag", ""):
            vfs.sync()
    finally:
        if not quiet:
            ctx.err(summary(full_in, part_in, full_out, part_out, copied, time.monotonic() - started))
    return status
