"""System programs: uname, hostname, uptime, date, free, df, ps, top, sleep, shutdown and friends."""

from __future__ import annotations

import math
import time

from vmx.guestos import layout
from vmx.guestos.context import Ctx
from vmx.guestos.kernel import KERNEL_RELEASE, KERNEL_VERSION, Gen, Kernel, Process


def uname(ctx: Ctx, args: list[str]) -> Gen[int]:
    fields = {
        "s": "Linux",
        "n": ctx.kernel.hostname,
        "r": KERNEL_RELEASE,
        "v": KERNEL_VERSION,
        "m": "x86_64",
        "o": "GNU/Linux",
    }
    chosen: list[str] = []
    for arg in args[1:]:
        if not arg.startswith("-") or len(arg) < 2:
            ctx.err(f"uname: extra operand '{arg}'\nTry 'uname --help' for more information.\n")
            return 1
        for letter in arg[1:]:
            if letter == "a":
                chosen.extend("snrvmo")
            elif letter in fields or letter in "pi":
                chosen.append(letter)
            else:
                ctx.err(f"uname: invalid option -- '{letter}'\nTry 'uname --help' for more information.\n")
                return 1
    order = [k for k in "snrvmpio" if k in (chosen or ["s"])]
    ctx.out(" ".join(fields.get(k, "x86_64" if k == "p" else "unknown") for k in order) + "\n")
    return 0
    yield  # pragma: no cover


def hostname(ctx: Ctx, args: list[str]) -> Gen[int]:
    if len(args) > 1 and args[1] in ("-I", "-i"):
        nic = ctx.kernel.machine.nic()
        address = nic.address.split("/")[0] if nic is not None and nic.address and nic.connected else ""
        ctx.out((address + " " if address else "") + "\n")
        return 0
    if len(args) > 1:
        if ctx.user != "root":
            ctx.err("hostname: you must be root to change the host name\n")
            return 1
        ctx.kernel.hostname = args[1]
        return 0
    ctx.out(ctx.kernel.hostname + "\n")
    return 0
    yield  # pragma: no cover


def uptime_line(kernel: Kernel) -> str:
    """`` 11:45:02 up 5 min,  1 user,  load average: 0.00, 0.00, 0.00`` (also top's first line)."""
    up = int(kernel.uptime())
    days, rest = divmod(up, 86400)
    hours, minutes = rest // 3600, rest % 3600 // 60
    span = f"{days} day{'s' if days != 1 else ''}, " if days else ""
    span += f"{hours:2d}:{minutes:02d}" if hours else f"{minutes} min"
    users = sum(1 for p in kernel.procs.values() if p.name == "-sh")
    load = ", ".join(f"{v:.2f}" for v in kernel.loadavg())
    clock = time.strftime("%H:%M:%S", time.gmtime())
    return f" {clock} up {span},  {users} user{'s' if users != 1 else ''},  load average: {load}"


def uptime(ctx: Ctx, args: list[str]) -> Gen[int]:
    if "-p" in args[1:]:
        minutes = int(ctx.kernel.uptime()) // 60
        ctx.out(f"up {minutes} minute{'s' if minutes != 1 else ''}\n")
    else:
        ctx.out(uptime_line(ctx.kernel) + "\n")
    return 0
    yield  # pragma: no cover


def date(ctx: Ctx, args: list[str]) -> Gen[int]:
    fmt = "%a %b %e %H:%M:%S UTC %Y"
    for arg in args[1:]:
        if arg.startswith("+"):
            fmt = arg[1:]
        elif arg not in ("-u", "--utc"):
            ctx.err(f"date: invalid date '{arg}'\n")
            return 1
    ctx.out(time.strftime(fmt.replace("%N", "000000000"), time.gmtime()) + "\n")
    return 0
    yield  # pragma: no cover


def _memory(kernel: Kernel) -> tuple[int, int]:
    """(total, used) MiB as the guest sees them (the balloon's pages count as used)."""
    info = kernel.machine.memory_info()
    used = min(info.total_mb, info.used_mb + info.balloon_mb)
    return info.total_mb, used


def _size(mib: float, unit: str) -> str:
    if unit == "h":
        if not mib:
            return "0B"
        value = mib
        for suffix in ("Mi", "Gi", "Ti"):
            if value < 1024 or suffix == "Ti":
                return f"{value:.1f}{suffix}" if value < 10 and value else f"{value:.0f}{suffix}"
            value /= 1024
    scale = {"k": 1024, "m": 1, "g": 1 / 1024, "b": 1024 * 1024}[unit]
    return str(int(mib * scale))


def free(ctx: Ctx, args: list[str]) -> Gen[int]:
    unit = "k"
    for arg in args[1:]:
        letter = arg.lstrip("-")[:1]
        if arg in ("-m", "--mebi"):
            unit = "m"
        elif arg in ("-g", "--gibi"):
            unit = "g"
        elif arg in ("-h", "--human"):
            unit = "h"
        elif arg in ("-k", "--kibi"):
            unit = "k"
        elif arg in ("-b", "--bytes"):
            unit = "b"
        else:
            ctx.err(f"free: invalid option -- '{letter}'\n")
            return 1
    total, used = _memory(ctx.kernel)

    def cells(values: list[int]) -> str:
        return "".join(_size(v, unit).rjust(12) for v in values)

    ctx.out(
        " " * 8
        + "".join(h.rjust(12) for h in ("total", "used", "free", "shared", "buff/cache", "available"))
        + "\n"
    )
    ctx.out("Mem:    " + cells([total, used, total - used, 0, 0, total - used]) + "\n")
    ctx.out("Swap:   " + cells([0, 0, 0]) + "\n")
    return 0
    yield  # pragma: no cover


def _df_size(nbytes: int, human: bool) -> str:
    """df's sizes: 1K blocks, or -h's powers of 1024 rounded up (one decimal below 10)."""
    if not human:
        return str(-(-nbytes // 1024))
    if nbytes < 1024:
        return str(nbytes)
    value = float(nbytes)
    for suffix in "KMGTP":
        value /= 1024
        if math.ceil(value) < 1024 or suffix == "P":
            if value < 10:
                return f"{math.ceil(value * 10) / 10:.1f}{suffix}"
            return f"{math.ceil(value)}{suffix}"
    return str(nbytes)


def df(ctx: Ctx, args: list[str]) -> Gen[int]:
    human = any(a in ("-h", "--human-readable") for a in args[1:])
    try:
        usage = ctx.vfs.statvfs()
    except OSError as exc:
        ctx.fail("df", "/", exc)
        return 1
    used = usage.total_bytes - usage.free_bytes
    device = getattr(ctx.kernel, "root_device", "rootfs")
    percent = f"{-(-used * 100 // max(usage.total_bytes, 1))}%"
    if human:
        ctx.out("Filesystem      Size  Used Avail Use% Mounted on\n")
        row = [_df_size(usage.total_bytes, True), _df_size(used, True), _df_size(usage.free_bytes, True)]
        ctx.out(f"{device:<15} {row[0]:>4} {row[1]:>5} {row[2]:>5} {percent:>4} /\n")
    else:
        ctx.out("Filesystem     1K-blocks    Used Available Use% Mounted on\n")
        row = [_df_size(usage.total_bytes, False), _df_size(used, False), _df_size(usage.free_bytes, False)]
        ctx.out(f"{device:<14} {row[0]:>9} {row[1]:>7} {row[2]:>9} {percent:>4} /\n")
    return 0
    yield  # pragma: no cover


def _cputime(proc: Process, kernel: Kernel) -> float:
    seconds = proc.cpu_s
    if proc.name == "stress":
        seconds += (kernel.uptime() - proc.start_time) * kernel.stress_cpus
    return seconds


def _hms(seconds: float) -> str:
    whole = int(seconds)
    return f"{whole // 3600:02d}:{whole % 3600 // 60:02d}:{whole % 60:02d}"


def ps(ctx: Ctx, args: list[str]) -> Gen[int]:
    kernel = ctx.kernel
    procs = sorted(kernel.procs.values(), key=lambda p: p.pid)
    options = "".join(a.lstrip("-") for a in args[1:])
    if "u" in options:
        total_mb, _ = _memory(kernel)
        ctx.out("USER         PID %CPU %MEM    VSZ   RSS TTY      STAT START   TIME COMMAND\n")
        for p in procs:
            start = time.strftime("%H:%M", time.gmtime(p.start_wall))
            cpu = 100.0 * kernel.stress_cpus if p.name == "stress" else 0.0
            mem = 100.0 * _rss_kb(p, kernel) / 1024 / max(total_mb, 1)
            used = _cputime(p, kernel)
            state = "R" if p is ctx.proc else "S"
            ctx.out(
                f"{p.owner:<8} {p.pid:>7} {cpu:4.1f} {mem:4.1f} "
                f"{_vsz_kb(p, kernel):>6} {_rss_kb(p, kernel):>5} "
                f"{p.tty:<8} {state:<4} {start:>5} {int(used) // 60:3d}:{int(used) % 60:02d} {p.cmd}\n"
            )
    elif "f" in options or "e" in options:
        ctx.out("UID          PID    PPID  C STIME TTY          TIME CMD\n")
        for p in procs:
            start = time.strftime("%H:%M", time.gmtime(p.start_wall))
            ppid = p.parent.pid if p.parent is not None else 0
            ctx.out(
                f"{p.owner:<8} {p.pid:>7} {ppid:>7}  0 {start} {p.tty:<8} "
                f"{_hms(_cputime(p, kernel))} {p.cmd}\n"
            )
    else:
        ctx.out("    PID TTY          TIME CMD\n")
        for p in procs:
            ctx.out(f"{p.pid:>7} {p.tty:<8} {_hms(_cputime(p, kernel))} {p.name}\n")
    return 0
    yield  # pragma: no cover


def _rss_kb(proc: Process, kernel: Kernel) -> int:
    if proc.name == "stress":
        return int(getattr(kernel, "stress_bytes", 0) // 1024) + 1024
    return 1024 + 256 * (proc.pid % 7)


def _vsz_kb(proc: Process, kernel: Kernel) -> int:
    return _rss_kb(proc, kernel) * 2 + 4096


def top(ctx: Ctx, args: list[str]) -> Gen[int]:
    """``top -b [-n N] [-d S]``: N snapshots (1 without -n; this terminal has no full-screen top)."""
    iterations, delay = 1, 3.0
    rest = args[1:]
    while rest:
        arg = rest.pop(0)
        if arg in ("-n", "-d") and rest:
            value = rest.pop(0)
            try:
                number = float(value)
            except ValueError:
                ctx.err(f"top: bad {'iterations' if arg == '-n' else 'delay interval'} argument '{value}'\n")
                return 1
            if arg == "-n":
                iterations = max(1, int(number))
            else:
                delay = max(0.0, number)
        elif arg != "-b":
            ctx.err(
                f"top: unknown option '{arg.lstrip('-')[:1]}'\nUsage:\n  top -b [-n iterations] [-d delay]\n"
            )
            return 1
    for index in range(iterations):
        if index:
            ctx.out("\n")
            yield from ctx.kernel.sleep(delay)
        _top_snapshot(ctx)
    return 0


def _top_snapshot(ctx: Ctx) -> None:
    kernel = ctx.kernel
    procs = sorted(kernel.procs.values(), key=lambda p: p.pid)
    cpus = max(kernel.machine.num_cpus, 1)
    busy = min(100.0, 100.0 * kernel.stress_cpus / cpus)
    total, used = _memory(kernel)
    ctx.out("top -" + uptime_line(kernel) + "\n")
    ctx.out(
        f"Tasks: {len(procs):3d} total,   1 running, {len(procs) - 1:3d} sleeping,   0 stopped,   0 zombie\n"
    )
    ctx.out(
        f"%Cpu(s): {busy:4.1f} us,  0.0 sy,  0.0 ni,{100 - busy:5.1f} id,"
        "  0.0 wa,  0.0 hi,  0.0 si,  0.0 st\n"
    )
    ctx.out(
        f"MiB Mem : {total:8.1f} total, {total - used:8.1f} free, {used:8.1f} used, {0:8.1f} buff/cache\n"
    )
    ctx.out(f"MiB Swap: {0:8.1f} total, {0:8.1f} free, {0:8.1f} used. {total - used:8.1f} avail Mem\n\n")
    ctx.out("    PID USER      PR  NI    VIRT    RES    SHR S  %CPU  %MEM     TIME+ COMMAND\n")
    rows = sorted(procs, key=lambda p: (p.name != "stress", p.pid))
    for p in rows:
        cpu = 100.0 * kernel.stress_cpus if p.name == "stress" else 0.0
        rss = _rss_kb(p, kernel)
        mem = 100.0 * rss / 1024 / max(total, 1)
        used_s = _cputime(p, kernel)
        plus = f"{int(used_s) // 60}:{used_s % 60:05.2f}"
        state = "R" if p is ctx.proc or p.name == "stress" else "S"
        ctx.out(
            f"{p.pid:>7} {p.owner:<8}  20   0 {_vsz_kb(p, kernel):>7} {rss:>6} {rss // 4:>6} {state} "
            f"{cpu:5.1f} {mem:5.1f} {plus:>9} {p.name}\n"
        )


_UNITS = {"": 1.0, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}


def sleep(ctx: Ctx, args: list[str]) -> Gen[int]:
    if len(args) < 2:
        ctx.err("sleep: missing operand\nTry 'sleep --help' for more information.\n")
        return 1
    total = 0.0
    for arg in args[1:]:
        number, unit = (arg[:-1], arg[-1]) if arg and arg[-1] in "smhd" else (arg, "")
        try:
            value = float(number)
            if value < 0 or value != value:
                raise ValueError(arg)
        except ValueError:
            ctx.err(f"sleep: invalid time interval '{arg}'\nTry 'sleep --help' for more information.\n")
            return 1
        total += value * _UNITS[unit]
    yield from ctx.kernel.sleep(total)
    return 0


def _power(ctx: Ctx, action: str, delay: float = 0.0) -> Gen[int]:
    if ctx.user != "root":
        ctx.err("Failed to set wall message, ignoring: Interactive authentication required.\n")
        ctx.err(f"Failed to {action} system via logind: Interactive authentication required.\n")
        return 1
    if delay:
        when = time.strftime("%a %Y-%m-%d %H:%M:%S UTC", time.gmtime(time.time() + delay))
        ctx.out(f"Shutdown scheduled for {when}, use 'shutdown -c' to cancel.\n")
        yield from ctx.kernel.sleep(delay)
    ctx.kernel.request("reboot" if action == "reboot" else "poweroff")
    yield None
    return 0


def shutdown(ctx: Ctx, args: list[str]) -> Gen[int]:
    action, delay = "poweroff", 60.0
    for arg in args[1:]:
        if arg in ("-r", "--reboot"):
            action = "reboot"
        elif arg in ("-h", "-P", "-H", "--poweroff", "--halt"):
            action = "poweroff"
        elif arg == "now":
            delay = 0.0
        elif arg.startswith("+") and arg[1:].isdigit():
            delay = 60.0 * int(arg[1:])
        elif arg.startswith("-"):
            ctx.err(f"shutdown: invalid option -- '{arg.lstrip('-')[:1]}'\n")
            return 1
    return (yield from _power(ctx, action, delay))


def poweroff(ctx: Ctx, args: list[str]) -> Gen[int]:
    return (yield from _power(ctx, "poweroff"))


def reboot(ctx: Ctx, args: list[str]) -> Gen[int]:
    return (yield from _power(ctx, "reboot"))


def kill(ctx: Ctx, args: list[str]) -> Gen[int]:
    status_code = 143
    targets = []
    for arg in args[1:]:
        if arg in ("-9", "-KILL", "-SIGKILL"):
            status_code = 137
        elif arg in ("-2", "-INT", "-SIGINT"):
            status_code = 130
        elif arg in ("-15", "-TERM", "-SIGTERM"):
            status_code = 143
        else:
            targets.append(arg)
    if not targets:
        ctx.err(
            "kill: usage: kill [-s sigspec | -n signum | -sigspec] pid | jobspec ... or kill -l [sigspec]\n"
        )
        return 2
    status = 0
    for target in targets:
        if not target.isdigit():
            ctx.err(f"kill: {target}: arguments must be process or job IDs\n")
            status = 1
        elif not ctx.kernel.kill(int(target), status_code):
            ctx.err(f"kill: ({target}) - No such process\n")
            status = 1
    return status
    yield  # pragma: no cover


def dmesg(ctx: Ctx, args: list[str]) -> Gen[int]:
    ctx.out("".join(line + "\n" for line in ctx.kernel.log))
    return 0
    yield  # pragma: no cover


def clear(ctx: Ctx, args: list[str]) -> Gen[int]:
    ctx.out("\x1b[H\x1b[2J\x1b[3J")
    return 0
    yield  # pragma: no cover


def whoami(ctx: Ctx, args: list[str]) -> Gen[int]:
    ctx.out(ctx.user + "\n")
    return 0
    yield  # pragma: no cover


def id_(ctx: Ctx, args: list[str]) -> Gen[int]:
    uid = 0 if ctx.user == "root" else 1000
    ctx.out(f"uid={uid}({ctx.user}) gid={uid}({ctx.user}) groups={uid}({ctx.user})\n")
    return 0
    yield  # pragma: no cover


def env(ctx: Ctx, args: list[str]) -> Gen[int]:
    for key in sorted(ctx.env):
        if key not in ("?", "!"):
            ctx.out(f"{key}={ctx.env[key]}\n")
    return 0
    yield  # pragma: no cover


def true(ctx: Ctx, args: list[str]) -> Gen[int]:
    return 0
    yield  # pragma: no cover


def false(ctx: Ctx, args: list[str]) -> Gen[int]:
    return 1
    yield  # pragma: no cover


def sync(ctx: Ctx, args: list[str]) -> Gen[int]:
    try:
        ctx.vfs.sync()
    except OSError as exc:
        ctx.fail("sync", "error syncing '/'", exc)
        return 1
    return 0
    yield  # pragma: no cover


def help_(ctx: Ctx, args: list[str]) -> Gen[int]:
    from vmx.guestos.commands import COMMANDS
    from vmx.guestos.commands.files import _columns

    names = [*(n for n in COMMANDS if ctx.vfs.exists(f"/bin/{n}")), "cd", "exit", "export", "unset"]
    ctx.out(f"{layout.OS_FULL_NAME} shell. These commands are available:\n\n")
    ctx.out("\n".join(_columns(sorted(names))) + "\n\n")
    ctx.out("The shell knows ; && || | > >> < 2>&1 & quotes and $VAR. Ctrl-C interrupts, Ctrl-D logs out.\n")
    return 0
    yield  # pragma: no cover


COMMANDS = {
    "uname": uname,
    "hostname": hostname,
    "uptime": uptime,
    "date": date,
    "free": free,
    "df": df,
    "ps": ps,
    "top": top,
    "sleep": sleep,
    "shutdown": shutdown,
    "poweroff": poweroff,
    "halt": poweroff,
    "reboot": reboot,
    "kill": kill,
    "clear": clear,
    "dmesg": dmesg,
    "whoami": whoami,
    "id": id_,
    "env": env,
    "true": true,
    "false": false,
    "sync": sync,
    "help": help_,
}
