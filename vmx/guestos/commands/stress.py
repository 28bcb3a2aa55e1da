"""stress: keep vCPUs busy and memory touched for a while (real demand the host's schedulers see)."""

from __future__ import annotations

from vmx.guestos.commands.dd import parse_size
from vmx.guestos.context import Ctx
from vmx.guestos.kernel import Gen

_USAGE = (
    "`stress' imposes certain types of compute stress on your system\n\n"
    "Usage: stress [OPTION [ARG]] ...\n"
    " -t, --timeout N    timeout after N seconds\n"
    " -c, --cpu N        spawn N workers spinning on sqrt()\n"
    " -m, --vm N         spawn N workers spinning on malloc()/free()\n"
    "     --vm-bytes B   malloc B bytes per vm worker (default is 256MB)\n"
)
_LONG = {
    "-c": "--cpu",
    "-m": "--vm",
    "-t": "--timeout",
    "-i": "--io",
    "-d": "--hdd",
    "-v": "--verbose",
    "-q": "--quiet",
}


def _duration(text: str) -> float | None:
    scale = {"s": 1, "m": 60, "h": 3600, "d": 86400}.get(text[-1:], 0)
    number = text[:-1] if scale else text
    if not number.isdigit():
        return None
    return float(int(number) * (scale or 1))


def stress(ctx: Ctx, args: list[str]) -> Gen[int]:
    pid = ctx.pid
    options: dict[str, str] = {}
    rest = args[1:]
    while rest:
        arg = rest.pop(0)
        if arg.startswith("--") and "=" in arg:
            arg, value = arg.split("=", 1)
            rest.insert(0, value)
        arg = _LONG.get(arg, arg)
        if arg in ("--verbose", "--quiet"):
            continue
        if arg not in ("--cpu", "--vm", "--vm-bytes", "--timeout", "--io", "--hdd") or not rest:
            ctx.err(_USAGE)
            return 1
        options[arg] = rest.pop(0)
    cpus = options.get("--cpu", "0")
    vms = options.get("--vm", "1" if "--vm-bytes" in options else "0")
    vm_bytes = parse_size(options.get("--vm-bytes", "256M"))
    timeout = _duration(options["--timeout"]) if "--timeout" in options else 0.0
    if not cpus.isdigit() or not vms.isdigit() or vm_bytes is None or timeout is None:
        ctx.err(f"stress: FAIL: [{pid}] (-1) invalid argument\n")
        return 1
    hogs_cpu, hogs_vm = int(cpus), int(vms)
    io, hdd = options.get("--io", "0"), options.get("--hdd", "0")
    if not (hogs_cpu or hogs_vm or io != "0" or hdd != "0"):
        ctx.err(_USAGE)
        return 1
    total_bytes = hogs_vm * vm_bytes
    memory = ctx.kernel.machine.memory_info()
    ctx.out(f"stress: info: [{pid}] dispatching hogs: {hogs_cpu} cpu, {io} io, {hogs_vm} vm, {hdd} hdd\n")
    if total_bytes > memory.total_mb << 20:
        ctx.err(f"stress: FAIL: [{pid + 1}] (494) hogvm malloc failed: Cannot allocate memory\n")
        ctx.err(f"stress: FAIL: [{pid}] (394) <-- worker {pid + 1} returned error 1\n")
        return 1
    started = ctx.kernel.now
    ctx.kernel.add_load(pid, hogs_cpu, total_bytes)
    try:
        if timeout:
            yield from ctx.kernel.sleep(timeout)
        else:
            while True:
                yield from ctx.kernel.sleep(3600.0)
    finally:
        ctx.kernel.remove_load(pid)
    ctx.out(f"stress: info: [{pid}] successful run completed in {round(ctx.kernel.now - started)}s\n")
    return 0
