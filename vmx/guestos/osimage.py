"""The OS image (what the installer ISO carries under /os) and the per-machine configuration files."""

from __future__ import annotations

from collections.abc import Mapping

from pyesx.guestfs.api import Filesystem
from vmx.guestos import layout
from vmx.guestos.kernel import KERNEL_RELEASE

STANDARD_DIRS = (
    "/bin",
    "/boot",
    "/dev",
    "/etc",
    "/home",
    "/mnt",
    "/proc",
    "/root",
    "/tmp",
    "/usr",
    "/usr/bin",
    "/var",
    "/var/log",
)
KERNEL_IMAGE_SIZE = 64 * 1024

MOTD = f"""
Welcome to {layout.OS_NAME} {layout.OS_VERSION} (GNU/Linux {KERNEL_RELEASE} x86_64)

This system runs on a PyESX virtual machine. Type 'help' for its commands.

"""

OS_RELEASE = f"""PRETTY_NAME="{layout.OS_NAME} {layout.OS_VERSION}"
NAME="{layout.OS_NAME}"
VERSION_ID="{layout.OS_VERSION}"
VERSION="{layout.OS_VERSION}"
ID=pyesx
HOME_URL="https://github.com/pyesx/pyesx"
"""

PROFILE = """# ~/.profile: read by login shells
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
"""


def _kernel_image() -> bytes:
    """A stand-in kernel image: deterministic bytes with a bzImage-like header."""
    header = b"MZ" + bytes(0x1FC) + b"\x55\xaa" + b"HdrS" + f"PyESX {KERNEL_RELEASE}\n".encode()
    pattern = bytes(range(256))
    body = (pattern * (KERNEL_IMAGE_SIZE // 256))[: KERNEL_IMAGE_SIZE - len(header)]
    return header + body


def os_image() -> dict[str, bytes]:
    """The installed system's files by absolute path (directories implied; see STANDARD_DIRS)."""
    from vmx.guestos.commands import COMMANDS

    files = {f"/bin/{name}": layout.BUILTIN_PREFIX + name.encode() + b"\n" for name in sorted(COMMANDS)}
    files[layout.KERNEL_PATH] = _kernel_image()
    files[layout.TOOLS_DAEMON_PATH] = layout.BUILTIN_PREFIX + b"vmtoolsd\n"
    files["/etc/motd"] = MOTD.encode()
    files["/etc/issue"] = f"{layout.OS_NAME} {layout.OS_VERSION} \\n \\l\n\n".encode()
    files["/etc/os-release"] = OS_RELEASE.encode()
    files["/etc/profile"] = PROFILE.encode()
    files["/root/.profile"] = PROFILE.encode()
    files["/var/log/README"] = b"Logs of the PyESX guest.\n"
    return dict(sorted(files.items()))


def populate(fs: Filesystem, files: Mapping[str, bytes]) -> None:
    """Write ``files`` (absolute paths) onto ``fs``, creating directories as needed."""
    for directory in STANDARD_DIRS:
        ensure_dir(fs, directory)
    for path, data in files.items():
        ensure_dir(fs, path.rsplit("/", 1)[0] or "/")
        fs.write_file(path, data, mode=0o755 if path.startswith(("/bin/", "/usr/bin/")) else 0o644)


def ensure_dir(fs: Filesystem, path: str) -> None:
    """``mkdir -p``."""
    parts = [p for p in path.split("/") if p]
    for index in range(1, len(parts) + 1):
        sub = "/" + "/".join(parts[:index])
        try:
            if fs.stat(sub).is_dir:
                continue
        except FileNotFoundError:
            pass
        fs.mkdir(sub, 0o1777 if sub == "/tmp" else 0o700 if sub == "/root" else 0o755)


def sanitize_hostname(name: str) -> str:
    """A valid host name from a VM name ("Web Server 01" → "web-server-01")."""
    cleaned = "".join(c if c.isalnum() else "-" for c in name.lower()).strip("-")
    while "--" in cleaned:
        cleaned = cleaned.replace("--", "-")
    return cleaned[:63] or "localhost"


def shadow_field(password: str | None) -> str:
    """The root password's /etc/shadow field: a PBKDF2 hash, or ``!`` (locked) without a password."""
    return layout.hash_password(password) if password else "!"


def configure(fs: Filesystem, hostname: str, root_password_field: str) -> None:
    """Write the machine's identity: hostname, hosts, accounts, os-release."""
    for directory in STANDARD_DIRS:
        ensure_dir(fs, directory)
    fs.write_file("/etc/hostname", f"{hostname}\n".encode())
    fs.write_file("/etc/hosts", f"127.0.0.1\tlocalhost\n127.0.1.1\t{hostname}\n".encode())
    fs.write_file(
        "/etc/passwd", b"root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n"
    )
    fs.write_file(
        "/etc/shadow",
        f"root:{root_password_field}:20419:0:99999:7:::\nnobody:*:20419:0:99999:7:::\n".encode(),
        mode=0o640,
    )
    fs.write_file("/etc/os-release", OS_RELEASE.encode())
