"""File programs: ls, cat, echo, rm, mkdir, touch, cp, mv, pwd, grep, wc, head."""

from __future__ import annotations

import stat
import time

from vmx.guestos.context import Ctx
from vmx.guestos.kernel import Gen
from vmx.guestos.vfs import strerror

CHUNK = 1 << 20  # bytes per read when streaming a file


def _flags(args: list[str], allowed: str) -> tuple[set[str], list[str], str | None]:
    """Short options (combined like ``-la``), operands, and the first unknown option."""
    flags: set[str] = set()
    operands: list[str] = []
    only_operands = False
    for arg in args:
        if only_operands or not arg.startswith("-") or arg == "-":
            operands.append(arg)
        elif arg == "--":
            only_operands = True
        else:
            for letter in arg[1:]:
                if letter not in allowed:
                    return flags, operands, letter
                flags.add(letter)
    return flags, operands, None


def _bad_option(ctx: Ctx, prog: str, letter: str) -> int:
    ctx.err(f"{prog}: invalid option -- '{letter}'\nTry '{prog} --help' for more information.\n")
    return 2 if prog == "ls" else 1


def _missing(ctx: Ctx, prog: str) -> int:
    ctx.err(f"{prog}: missing operand\nTry '{prog} --help' for more information.\n")
    return 1


# ls ----------------------------------------------------------------------------------------------


def _mode_string(mode: int) -> str:
    return stat.filemode(mode)


def _human(size: int) -> str:
    value = float(size)
    for unit in ("", "K", "M", "G", "T"):
        if value < 1024 or unit == "T":
            if unit == "":
                return str(int(value))
            return f"{value:.1f}{unit}" if value < 10 else f"{value:.0f}{unit}"
        value /= 1024
    return str(size)


def _date(mtime: float) -> str:
    stamp = time.gmtime(mtime)
    if abs(time.time() - mtime) < 180 * 86400:
        return time.strftime("%b %e %H:%M", stamp)
    return time.strftime("%b %e  %Y", stamp)


def _columns(names: list[str], width: int = 80) -> list[str]:
    """GNU ls's vertical columns for a terminal."""
    if not names:
        return []
    for cols in range(min(len(names), width // 3 + 1), 0, -1):
        rows = -(-len(names) // cols)
        cols = -(-len(names) // rows)
        widths = [max(len(n) for n in names[c * rows : (c + 1) * rows]) + 2 for c in range(cols)]
        if sum(widths) - 2 <= width or cols == 1:
            lines = []
            for r in range(rows):
                cells = [names[c * rows + r] for c in range(cols) if c * rows + r < len(names)]
                lines.append("".join(cell.ljust(widths[i]) for i, cell in enumerate(cells)).rstrip())
            return lines
    return names


def ls(ctx: Ctx, args: list[str]) -> Gen[int]:
    flags, operands, bad = _flags(args[1:], "laAdh1F")
    if bad:
        return _bad_option(ctx, "ls", bad)
    status = 0
    files: list[tuple[str, str]] = []
    dirs: list[tuple[str, str]] = []
    for operand in operands or ["."]:
        path = ctx.path(operand)
        try:
            info = ctx.vfs.stat(path)
        except OSError as exc:
            ctx.err(f"ls: cannot access '{operand}': {strerror(exc)}\n")
            status = 2
            continue
        (dirs if info.is_dir and "d" not in flags else files).append((operand, path))
    out: list[str] = []
    if files:
        out.extend(_listing(ctx, [(name, path) for name, path in files], flags))
    for index, (name, path) in enumerate(dirs):
        if files or index:
            out.append("")
        if len(operands) > 1 or files:
            out.append(f"{name}:")
        try:
            names = ctx.vfs.listdir(path)
        except OSError as exc:
            ctx.err(f"ls: cannot open directory '{name}': {strerror(exc)}\n")
            status = 2
            continue
        if "a" in flags:
            names = [".", "..", *names]
        elif "A" not in flags:
            names = [n for n in names if not n.startswith(".")]
        entries = [(n, path.rstrip("/") + "/" + n if n not in (".", "..") else path) for n in names]
        out.extend(_listing(ctx, entries, flags, total=True))
        yield None
    if out:
        ctx.out("\n".join(out) + "\n")
    return status


def _listing(ctx: Ctx, entries: list[tuple[str, str]], flags: set[str], total: bool = False) -> list[str]:
    if "l" not in flags:
        names = [n + ("/" if "F" in flags and ctx.vfs.is_dir(p) else "") for n, p in entries]
        if ctx.stdout.is_tty and "1" not in flags:
            return _columns(names)
        return names
    rows = []
    blocks = 0
    for name, path in entries:
        try:
            info = ctx.vfs.stat(path)
        except OSError:
            continue
        blocks += 4 * -(-info.size // 4096) if not stat.S_ISCHR(info.mode) else 0
        size = _human(info.size) if "h" in flags else str(info.size)
        if stat.S_ISCHR(info.mode):
            size = "1, " + {"null": "3", "zero": "5", "random": "8", "urandom": "9"}.get(path[5:], "0")
        rows.append((_mode_string(info.mode), str(info.nlink), size, _date(info.mtime), name))
    links = max((len(r[1]) for r in rows), default=1)
    sizes = max((len(r[2]) for r in rows), default=1)
    lines = [f"total {blocks}"] if total else []
    lines += [f"{m} {n.rjust(links)} root root {s.rjust(sizes)} {d} {name}" for m, n, s, d, name in rows]
    return lines


# reading and writing files -----------------------------------------------------------------------


def cat(ctx: Ctx, args: list[str]) -> Gen[int]:
    status = 0
    for operand in args[1:] or ["-"]:
        if operand == "-":
            while data := (yield from ctx.stdin.read()):
                ctx.stdout.write(data)
            continue
        path = ctx.path(operand)
        try:
            if ctx.vfs.is_dir(path):
                raise IsADirectoryError(21, "Is a directory")
            offset = 0
            while True:
                data = ctx.vfs.read(path, offset, CHUNK)
                ctx.stdout.write(data)
                offset += len(data)
                if len(data) < CHUNK:
                    break
                yield None
        except OSError as exc:
            ctx.fail("cat", operand, exc)
            status = 1
    return status


def echo(ctx: Ctx, args: list[str]) -> Gen[int]:
    words = args[1:]
    newline, escapes = True, False
    while words and words[0] in ("-n", "-e", "-E", "-ne", "-en"):
        newline = newline and "n" not in words[0]
        escapes = "e" in words[0]
        words = words[1:]
    text = " ".join(words)
    if escapes:
        text = text.replace("\\n", "\n").replace("\\t", "\t").replace("\\\\", "\\")
    ctx.out(text + ("\n" if newline else ""))
    return 0
    yield  # pragma: no cover


def pwd(ctx: Ctx, args: list[str]) -> Gen[int]:
    ctx.out(ctx.cwd + "\n")
    return 0
    yield  # pragma: no cover


def rm(ctx: Ctx, args: list[str]) -> Gen[int]:
    flags, operands, bad = _flags(args[1:], "rRfiv")
    if bad:
        return _bad_option(ctx, "rm", bad)
    if not operands:
        return 0 if "f" in flags else _missing(ctx, "rm")
    status = 0
    for operand in operands:
        path = ctx.path(operand)
        try:
            info = ctx.vfs.stat(path)
        except OSError as exc:
            if "f" not in flags:
                ctx.err(f"rm: cannot remove '{operand}': {strerror(exc)}\n")
                status = 1
            continue
        if info.is_dir and not flags & {"r", "R"}:
            ctx.err(f"rm: cannot remove '{operand}': Is a directory\n")
            status = 1
            continue
        if path == "/":
            ctx.err("rm: it is dangerous to operate recursively on '/'\n")
            ctx.err("rm: use --no-preserve-root to override this failsafe\n")
            status = 1
            continue
        try:
            yield from _remove(ctx, path, info.is_dir)
        except OSError as exc:
            ctx.err(f"rm: cannot remove '{operand}': {strerror(exc)}\n")
            status = 1
    return status


def _remove(ctx: Ctx, path: str, is_dir: bool) -> Gen[None]:
    if is_dir:
        for name in ctx.vfs.listdir(path):
            child = path.rstrip("/") + "/" + name
            yield from _remove(ctx, child, ctx.vfs.stat(child).is_dir)
        ctx.vfs.rmdir(path)
        yield None
    else:
        ctx.vfs.unlink(path)


def mkdir(ctx: Ctx, args: list[str]) -> Gen[int]:
    flags, operands, bad = _flags(args[1:], "pv")
    if bad:
        return _bad_option(ctx, "mkdir", bad)
    if not operands:
        return _missing(ctx, "mkdir")
    status = 0
    for operand in operands:
        path = ctx.path(operand)
        try:
            if "p" in flags:
                parts = [p for p in path.split("/") if p]
                for i in range(1, len(parts) + 1):
                    sub = "/" + "/".join(parts[:i])
                    if not ctx.vfs.is_dir(sub):
                        ctx.vfs.mkdir(sub)
            else:
                ctx.vfs.mkdir(path)
        except OSError as exc:
            ctx.err(f"mkdir: cannot create directory '{operand}': {strerror(exc)}\n")
            status = 1
    return status
    yield  # pragma: no cover


def touch(ctx: Ctx, args: list[str]) -> Gen[int]:
    _, operands, _ = _flags(args[1:], "acm")
    if not operands:
        ctx.err("touch: missing file operand\nTry 'touch --help' for more information.\n")
        return 1
    status = 0
    for operand in operands:
        path = ctx.path(operand)
        try:
            if not ctx.vfs.exists(path):
                ctx.vfs.write(path, b"")
            elif not ctx.vfs.is_dir(path):
                ctx.vfs.write(path, b"", append=True)
        except OSError as exc:
            ctx.err(f"touch: cannot touch '{operand}': {strerror(exc)}\n")
            status = 1
    return status
    yield  # pragma: no cover


def _copy_file(ctx: Ctx, src: str, dst: str) -> Gen[None]:
    offset = 0
    ctx.vfs.write(dst, b"")
    while True:
        data = ctx.vfs.read(src, offset, CHUNK)
        if data:
            ctx.vfs.write(dst, data, append=True)
        offset += len(data)
        if len(data) < CHUNK:
            return
        yield None


def _copy_tree(ctx: Ctx, src: str, dst: str) -> Gen[None]:
    if not ctx.vfs.is_dir(dst):
        ctx.vfs.mkdir(dst)
    for name in ctx.vfs.listdir(src):
        child, target = src.rstrip("/") + "/" + name, dst.rstrip("/") + "/" + name
        if ctx.vfs.is_dir(child):
            yield from _copy_tree(ctx, child, target)
        else:
            yield from _copy_file(ctx, child, target)


def _sources_and_target(ctx: Ctx, prog: str, operands: list[str]) -> tuple[list[str], str, bool] | None:
    if not operands:
        ctx.err(f"{prog}: missing file operand\nTry '{prog} --help' for more information.\n")
        return None
    if len(operands) == 1:
        ctx.err(f"{prog}: missing destination file operand after '{operands[0]}'\n")
        ctx.err(f"Try '{prog} --help' for more information.\n")
        return None
    target = operands[-1]
    into = ctx.vfs.is_dir(ctx.path(target))
    if len(operands) > 2 and not into:
        ctx.err(f"{prog}: target '{target}': Not a directory\n")
        return None
    return operands[:-1], target, into


def cp(ctx: Ctx, args: list[str]) -> Gen[int]:
    flags, operands, bad = _flags(args[1:], "rRfapv")
    if bad:
        return _bad_option(ctx, "cp", bad)
    parsed = _sources_and_target(ctx, "cp", operands)
    if parsed is None:
        return 1
    sources, target, into = parsed
    status = 0
    for source in sources:
        src = ctx.path(source)
        dst = ctx.path(target + "/" + src.rsplit("/", 1)[-1]) if into else ctx.path(target)
        try:
            info = ctx.vfs.stat(src)
            if info.is_dir:
                if not flags & {"r", "R", "a"}:
                    ctx.err(f"cp: -r not specified; omitting directory '{source}'\n")
                    status = 1
                    continue
                if (dst + "/").startswith(src.rstrip("/") + "/"):
                    ctx.err(f"cp: cannot copy a directory, '{source}', into itself, '{target}'\n")
                    status = 1
                    continue
                yield from _copy_tree(ctx, src, dst)
            else:
                if src == dst:
                    ctx.err(f"cp: '{source}' and '{target}' are the same file\n")
                    status = 1
                    continue
                yield from _copy_file(ctx, src, dst)
        except FileNotFoundError as exc:
            if not ctx.vfs.exists(src):
                ctx.err(f"cp: cannot stat '{source}': No such file or directory\n")
            else:
                ctx.err(f"cp: cannot create regular file '{target}': {strerror(exc)}\n")
            status = 1
        except OSError as exc:
            ctx.err(f"cp: error copying '{source}' to '{target}': {strerror(exc)}\n")
            status = 1
    return status


def mv(ctx: Ctx, args: list[str]) -> Gen[int]:
    _, operands, _ = _flags(args[1:], "fiv")
    parsed = _sources_and_target(ctx, "mv", operands)
    if parsed is None:
        return 1
    sources, target, into = parsed
    status = 0
    for source in sources:
        src = ctx.path(source)
        dst = ctx.path(target + "/" + src.rsplit("/", 1)[-1]) if into else ctx.path(target)
        if not ctx.vfs.exists(src):
            ctx.err(f"mv: cannot stat '{source}': No such file or directory\n")
            status = 1
            continue
        try:
            ctx.vfs.rename(src, dst)
        except OSError as exc:
            ctx.err(f"mv: cannot move '{source}' to '{target}': {strerror(exc)}\n")
            status = 1
    return status
    yield  # pragma: no cover


def _read_inputs(ctx: Ctx, prog: str, operands: list[str]) -> Gen[tuple[list[tuple[str, bytes]], int]]:
    """Whole contents of the named files (or stdin), with the status of reading them."""
    found: list[tuple[str, bytes]] = []
    status = 0
    for operand in operands or ["-"]:
        if operand == "-":
            data = bytearray()
            while chunk := (yield from ctx.stdin.read()):
                data += chunk
            found.append(("(standard input)", bytes(data)))
            continue
        try:
            path = ctx.path(operand)
            if ctx.vfs.is_dir(path):
                raise IsADirectoryError(21, "Is a directory")
            found.append((operand, ctx.vfs.read(path)))
        except OSError as exc:
            ctx.fail(prog, operand, exc)
            status = 2 if prog == "grep" else 1
    return found, status


def grep(ctx: Ctx, args: list[str]) -> Gen[int]:
    import re

    flags, operands, bad = _flags(args[1:], "ivcnqE")
    if bad:
        return _bad_option(ctx, "grep", bad)
    if not operands:
        ctx.err("Usage: grep [OPTION]... PATTERNS [FILE]...\n")
        return 2
    try:
        pattern = re.compile(operands[0], re.IGNORECASE if "i" in flags else 0)
    except re.error:
        ctx.err("grep: Unmatched ( or \\(\n")
        return 2
    inputs, status = yield from _read_inputs(ctx, "grep", operands[1:])
    matched = False
    for name, data in inputs:
        count = 0
        for number, line in enumerate(data.decode(errors="replace").splitlines(), 1):
            if bool(pattern.search(line)) == ("v" not in flags):
                count += 1
                matched = True
                if "c" in flags or "q" in flags:
                    continue
                prefix = f"{name}:" if len(inputs) > 1 else ""
                prefix += f"{number}:" if "n" in flags else ""
                ctx.out(f"{prefix}{line}\n")
        if "c" in flags:
            ctx.out((f"{name}:" if len(inputs) > 1 else "") + f"{count}\n")
    return status or (0 if matched else 1)


def wc(ctx: Ctx, args: list[str]) -> Gen[int]:
    flags, operands, bad = _flags(args[1:], "lwc")
    if bad:
        return _bad_option(ctx, "wc", bad)
    chosen = [f for f in "lwc" if f in flags] or ["l", "w", "c"]
    inputs, status = yield from _read_inputs(ctx, "wc", operands)
    totals = {"l": 0, "w": 0, "c": 0}
    rows = []
    for name, data in inputs:
        counts = {"l": data.count(b"\n"), "w": len(data.split()), "c": len(data)}
        for key in totals:
            totals[key] += counts[key]
        rows.append(([counts[k] for k in chosen], "" if name == "(standard input)" else name))
    if len(rows) > 1:
        rows.append(([totals[k] for k in chosen], "total"))
    width = 1 if len(chosen) == 1 and len(rows) == 1 else max(len(str(totals["c"])), 1)
    for numbers, name in rows:
        ctx.out(" ".join(str(n).rjust(width) for n in numbers) + (f" {name}" if name else "") + "\n")
    return status


def head(ctx: Ctx, args: list[str]) -> Gen[int]:
    """head (and tail, by its name): the first (last) -n lines."""
    count = 10
    operands: list[str] = []
    rest = args[1:]
    while rest:
        arg = rest.pop(0)
        if arg == "-n" and rest:
            arg = "-n" + rest.pop(0)
        if arg.startswith("-n") or (arg.startswith("-") and arg[1:].isdigit()):
            try:
                count = int(arg[2:] if arg.startswith("-n") else arg[1:])
            except ValueError:
                ctx.err(f"{args[0]}: invalid number of lines: '{arg[2:]}'\n")
                return 1
        else:
            operands.append(arg)
    inputs, status = yield from _read_inputs(ctx, args[0], operands)
    for index, (name, data) in enumerate(inputs):
        if len(inputs) > 1:
            ctx.out(("\n" if index else "") + f"==> {name} <==\n")
        lines = data.splitlines(keepends=True)
        ctx.stdout.write(
            b"".join(lines[:count] if args[0] == "head" else lines[max(len(lines) - count, 0) :])
        )
    return status


COMMANDS = {
    "ls": ls,
    "cat": cat,
    "echo": echo,
    "pwd": pwd,
    "rm": rm,
    "mkdir": mkdir,
    "touch": touch,
    "cp": cp,
    "mv": mv,
    "grep": grep,
    "wc": wc,
    "head": head,
    "tail": head,
}
