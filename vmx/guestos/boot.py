"""The booted OS: the kernel's boot messages, init, the tools daemon, the console login (getty)."""

from __future__ import annotations

import contextlib

from pyesx.guestfs.api import Filesystem
from vmx.guestos import accounts, layout
from vmx.guestos.context import Ctx
from vmx.guestos.kernel import LINUX_BANNER, SIGINT_STATUS, Gen, Kernel, Wait
from vmx.guestos.shell import login_shell
from vmx.guestos.streams import ConsoleOutput, TtyInput
from vmx.guestos.tty import EOF, INTR, Tty
from vmx.guestos.vfs import Vfs

LOGIN_FAIL_DELAY_S = 2.0


def boot_os(kernel: Kernel, root: Filesystem, root_device: str) -> None:
    """Mount ``root`` and start init (the kernel's first process)."""
    kernel.vfs = Vfs(root, proc=kernel.proc_files)
    kernel.root_device = root_device
    kernel.spawn("init", "/sbin/init", init(kernel, root_device))


def _klog(kernel: Kernel, message: str) -> None:
    kernel.klog(message, console=True)


def init(kernel: Kernel, root_device: str) -> Gen[int]:
    """Boot messages, the host name, vmtoolsd, the console's getty; then wait forever."""
    machine = kernel.machine
    memory = machine.memory_info()
    _klog(kernel, LINUX_BANNER)
    _klog(kernel, f"Command line: BOOT_IMAGE={layout.KERNEL_PATH} root={root_device} ro quiet")
    _klog(kernel, "DMI: VMware, Inc. VMware Virtual Platform/440BX Desktop Reference Platform")
    _klog(kernel, f"Memory: {memory.total_mb * 1024}K available")
    _klog(kernel, f"smp: Brought up 1 node, {machine.num_cpus} CPU{'s' if machine.num_cpus != 1 else ''}")
    disk = machine.disk()
    if disk is not None:
        sectors = disk.size // 512
        _klog(kernel, f"sd 0:0:0:0: [sda] {sectors} 512-byte logical blocks: ({disk.size / 1e9:.1f} GB)")
    nic = machine.nic()
    if nic is not None:
        _klog(kernel, f"vmxnet3 0000:0b:00.0 ens192: renamed from eth0 ({nic.mac})")
    fs_name = "EXT2-fs" if root_device.startswith("/dev/") else "rootfs"
    _klog(kernel, f"{fs_name} ({root_device.rsplit('/', 1)[-1]}): mounted filesystem")
    yield None
    vfs = kernel.vfs
    assert vfs is not None
    try:
        name = vfs.read("/etc/hostname").decode().strip()
        if name:
            kernel.hostname = name
    except OSError:
        pass
    _klog(kernel, "Run /sbin/init as init process")
    assert kernel.tty is not None
    if vfs.exists(layout.TOOLS_DAEMON_PATH):
        from vmx.guestos.tools import vmtoolsd

        kernel.spawn("vmtoolsd", layout.TOOLS_DAEMON_PATH, vmtoolsd(kernel))
        kernel.tty.write(
            b"[  OK  ] Started vmtoolsd.service - Service for virtual machines hosted on VMware.\n"
        )
    kernel.tty.write(b"[  OK  ] Reached target multi-user.target - Multi-User System.\n")
    kernel.spawn("agetty", "/sbin/agetty -o -p -- \\u --noclear tty1 linux", getty(kernel), tty="tty1")
    while True:
        yield Wait(lambda: False)


def console_interrupt(kernel: Kernel) -> bool:
    """Ctrl-C: interrupt the console's foreground job (True) or leave it to the line reader (False)."""
    job = kernel.foreground
    if job is None or job.exited:
        return False
    kernel.kill(job.pid, SIGINT_STATUS)
    return True


def _read_line(tty: Tty) -> Gen[bytes | str]:
    while not tty.has_line():
        yield Wait(tty.has_line)
    return tty.take_line()


def getty(kernel: Kernel) -> Gen[int]:
    """``<hostname> login:``, ``Password:``, the motd and a login shell; again after each logout."""
    tty = kernel.tty
    vfs = kernel.vfs
    assert tty is not None and vfs is not None
    tty.interrupt = lambda: console_interrupt(kernel)
    banner = True
    while True:
        tty.echo = True
        if banner:
            tty.write(f"\n{layout.OS_NAME} {layout.OS_VERSION} {kernel.hostname} tty1\n\n".encode())
        banner = False
        tty.write(f"{kernel.hostname} login: ".encode())
        line = yield from _read_line(tty)
        if not isinstance(line, bytes):
            if line == EOF:
                tty.write(b"\n")
            continue
        user = line.decode(errors="replace").strip()
        if not user:
            continue
        tty.write(b"Password: ")
        tty.echo = False
        secret = yield from _read_line(tty)
        tty.echo = True
        tty.write(b"\n")
        if secret in (EOF, INTR) or not isinstance(secret, bytes):
            continue
        account = accounts.authenticate(vfs, user, secret.decode(errors="replace").rstrip("\n"))
        if account is None:
            yield from kernel.sleep(LOGIN_FAIL_DELAY_S)
            tty.write(b"\nLogin incorrect\n")
            continue
        with contextlib.suppress(OSError):
            tty.write(vfs.read("/etc/motd"))
        console = ConsoleOutput(tty)
        env = {
            "HOME": account.home,
            "USER": account.name,
            "LOGNAME": account.name,
            "SHELL": account.shell,
            "TERM": "linux",
            "HOSTNAME": kernel.hostname,
        }
        cwd = account.home if vfs.is_dir(account.home) else "/"
        ctx = Ctx(kernel, TtyInput(tty), console, console, cwd, env, account.name)
        shell = kernel.spawn("-sh", "-sh", login_shell(ctx), owner=account.name, tty="tty1")
        ctx.proc = shell
        yield from kernel.wait_child(shell)
        tty.write(b"\x1b[H\x1b[2J")
        banner = True
