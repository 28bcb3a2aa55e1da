"""Network programs: ip (addr, link) and ping (ICMP echo over the vSwitch)."""

from __future__ import annotations

import math

from vmx.guestos.context import Ctx
from vmx.guestos.kernel import Gen, Wait

NIC_NAME = "ens192"  # vmxnet3 in PCI slot 192, as VMware guests name it
DEFAULT_LINGER_S = 10.0  # Linux ping's wait for late replies when none came (MAXWAIT)


def _valid_ipv4(text: str) -> bool:
    parts = text.split(".")
    return len(parts) == 4 and all(p.isdigit() and int(p) < 256 for p in parts)


def ip(ctx: Ctx, args: list[str]) -> Gen[int]:
    obj = args[1] if len(args) > 1 else ""
    if obj in ("-4", "-6") and len(args) > 2:
        obj = args[2]
    if obj not in ("a", "addr", "address", "l", "link", "r", "route"):
        if not obj:
            ctx.err(
                "Usage: ip [ OPTIONS ] OBJECT { COMMAND | help }\n"
                "       where  OBJECT := { address | link | route }\n"
            )
            return 255
        ctx.err(f'Object "{obj}" is unknown, try "ip help".\n')
        return 255
    nic = ctx.kernel.machine.nic()
    if obj in ("r", "route"):
        if nic is not None and nic.connected and nic.address:
            import ipaddress

            network = ipaddress.ip_interface(nic.address).network
            ctx.out(f"{network} dev {NIC_NAME} proto kernel scope link src {nic.address.split('/')[0]}\n")
        return 0
    addresses = obj not in ("l", "link")
    ctx.out("1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 qdisc noqueue state UNKNOWN group default qlen 1000\n")
    ctx.out("    link/loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00\n")
    if addresses:
        ctx.out("    inet 127.0.0.1/8 scope host lo\n       valid_lft forever preferred_lft forever\n")
    if nic is None:
        return 0
    if nic.connected:
        flags, state = "<BROADCAST,MULTICAST,UP,LOWER_UP>", "UP"
    else:
        flags, state = "<NO-CARRIER,BROADCAST,MULTICAST,UP>", "DOWN"
    ctx.out(f"2: {NIC_NAME}: {flags} mtu 1500 qdisc mq state {state} group default qlen 1000\n")
    ctx.out(f"    link/ether {nic.mac.lower()} brd ff:ff:ff:ff:ff:ff\n")
    if addresses and nic.address:
        import ipaddress

        interface = ipaddress.ip_interface(nic.address)
        ctx.out(f"    inet {nic.address} brd {interface.network.broadcast_address} scope global {NIC_NAME}\n")
        ctx.out("       valid_lft forever preferred_lft forever\n")
    return 0
    yield  # pragma: no cover


def _rtt(ms: float) -> str:
    micros = ms * 1000
    if micros >= 100000:
        return f"{ms:.0f}"
    if micros >= 10000:
        return f"{ms:.1f}"
    if micros >= 1000:
        return f"{ms:.2f}"
    return f"{ms:.3f}"


def ping(ctx: Ctx, args: list[str]) -> Gen[int]:
    count, interval, linger, quiet = -1, 1.0, -1.0, False
    target = ""
    rest = args[1:]
    while rest:
        arg = rest.pop(0)
        if arg in ("-c", "-i", "-W", "-w") and rest:
            value = rest.pop(0)
            try:
                number = float(value)
                if number < 0 or (arg == "-c" and (number < 1 or number != int(number))):
                    raise ValueError(value)
            except ValueError:
                ctx.err(f"ping: invalid argument: '{value}'\n")
                return 1
            if arg == "-c":
                count = int(number)
            elif arg == "-i":
                interval = number
            else:
                linger = number
        elif arg == "-q":
            quiet = True
        elif arg.startswith("-"):
            ctx.err(f"ping: invalid option -- '{arg[1:2]}'\n")
            return 2
        else:
            target = arg
    if not target:
        ctx.err("ping: usage error: Destination address required\n")
        return 1
    if target == "localhost":
        target = "127.0.0.1"
    if not _valid_ipv4(target):
        ctx.err(f"ping: {target}: Name or service not known\n")
        return 2
    kernel = ctx.kernel
    loopback = target.startswith("127.")
    nic = kernel.machine.nic()
    if not loopback and (nic is None or not nic.connected or not nic.address):
        ctx.err("ping: connect: Network is unreachable\n")
        return 2
    ident = ctx.pid & 0xFFFF
    replies = kernel.ping_open(ident)
    rtts: list[float] = []
    sent = 0
    started = kernel.now
    ctx.out(f"PING {target} ({target}) 56(84) bytes of data.\n")

    def report() -> None:
        elapsed = round((kernel.now - started) * 1000)
        loss_text = f"{(sent - len(rtts)) * 100 / sent:g}%" if sent else "0%"
        ctx.out(f"\n--- {target} ping statistics ---\n")
        ctx.out(
            f"{sent} packets transmitted, {len(rtts)} received, {loss_text} packet loss, time {elapsed}ms\n"
        )
        if rtts:
            mean = sum(rtts) / len(rtts)
            mdev = math.sqrt(max(0.0, sum(r * r for r in rtts) / len(rtts) - mean * mean))
            ctx.out(f"rtt min/avg/max/mdev = {min(rtts):.3f}/{mean:.3f}/{max(rtts):.3f}/{mdev:.3f} ms\n")

    seen = 0

    def drain() -> None:
        nonlocal seen
        while seen < len(replies):
            reply = replies[seen]
            seen += 1
            if 1 <= reply.seq <= sent:
                rtts.append(reply.rtt_ms)
                if not quiet:
                    ctx.out(
                        f"64 bytes from {target}: icmp_seq={reply.seq} ttl={reply.ttl} "
                        f"time={_rtt(reply.rtt_ms)} ms\n"
                    )

    try:
        while count < 0 or sent < count:
            sent += 1
            if loopback:
                from vmx.guestos.machine import PingReply

                replies.append(PingReply(ident, sent, 0.03, 64))
            else:
                kernel.machine.ping_send(target, ident, sent)
            next_send = started + sent * interval
            while kernel.now < next_send and (count < 0 or sent < count):
                yield Wait(lambda: seen < len(replies), next_send)
                drain()
            drain()
        wait_until = kernel.now + (linger if linger >= 0 else DEFAULT_LINGER_S)
        while len(rtts) < sent and kernel.now < wait_until:
            if rtts and linger < 0:
                wait_until = min(wait_until, kernel.now + 2 * max(rtts) / 1000 + 0.01)
            yield Wait(lambda: seen < len(replies), wait_until)
            drain()
    except GeneratorExit:
        report()
        kernel.ping_close(ident)
        raise
    report()
    kernel.ping_close(ident)
    return 0 if rtts else 1
