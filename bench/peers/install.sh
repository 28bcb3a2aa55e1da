#!/bin/sh
# Installs the peers the benchmark measures beside pyesx: Debian's QEMU (the per-VM
# process) and libvirt's daemon and client (the management daemon, test driver).
# Idempotent: does nothing when they are already there. Needs root (or sudo) and apt;
# exits non-zero when it cannot install, and the benchmark then reports "n/a: not installed".
set -eu

need=""
command -v qemu-system-x86_64 >/dev/null 2>&1 || need="$need qemu-system-x86"
command -v libvirtd >/dev/null 2>&1 || need="$need libvirt-daemon libvirt-daemon-driver-qemu"
command -v virsh >/dev/null 2>&1 || need="$need libvirt-clients"
[ -z "$need" ] && exit 0

command -v apt-get >/dev/null 2>&1 || { echo "peers: no apt-get here; install:$need" >&2; exit 1; }
sudo=""
if [ "$(id -u)" != 0 ]; then
    command -v sudo >/dev/null 2>&1 || { echo "peers: not root and no sudo; install:$need" >&2; exit 1; }
    sudo="sudo -n"
fi
export DEBIAN_FRONTEND=noninteractive
apt="$sudo apt-get -o DPkg::Lock::Timeout=300 -q -y"
# shellcheck disable=SC2086  # $need is a list of words
$apt install --no-install-recommends $need >/dev/null 2>&1 || {
    $apt update >/dev/null
    $apt install --no-install-recommends $need >/dev/null
}
