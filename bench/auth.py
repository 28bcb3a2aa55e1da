"""Security costs: login with scrypt against a call with no hashing, and the permission check on
every call against the same call with the check off, each pair in the same run.

Logins go over the wire to a booted host: sequential Login RPCs (scrypt verify in a thread)
against sequential GetCurrentSession RPCs (the same gate, session and logging, no hash), plus the
raw cost of one ``verify_password``. The permission check is measured in-process on hostd's own
gate (``RpcGate`` with ``SessionManager.authenticate``): a GetVM handler wrapped with
``CallAuthorizer`` against the same handler with no authorizer, called by a ReadOnly user whose
permission is on the host, four levels above the VM (VM > pool > pool > root pool > host).
Rounds alternate; each kind is judged by its best round (other load can only slow one down).
"""

from __future__ import annotations

import asyncio
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import grpc

from bench.common import Figure, booted_host
from clients import connect
from hostd.authorizer import CallAuthorizer
from hostd.authz import Authorization
from pyesx.api.v1 import session_pb2, vm_pb2
from pyesx.logs import configure
from pyesx.passwords import hash_password, verify_password
from pyesx.rpc.metadata import REQUEST_ID_KEY, SESSION_KEY
from pyesx.rpc.server import RpcGate
from tests.unit.auth_fakes import FakeInventory, make_auth

#: a login may cost at most this many plain calls (scrypt is meant to be slow, not unusable)
LOGIN_GOAL_MS = 250.0
#: the permission check may take at most this share of an in-process call's cost
CHECK_GOAL_RATIO = 0.8
GET_VM = "/pyesx.api.v1.VirtualMachineService/GetVM"


@dataclass
class AuthResult:
    title = "Login and permission checks"
    timed = True
    logins: int
    calls: int
    rates: dict[str, list[float]] = field(default_factory=dict)  # kind → per second, per round
    hash_ms: float = 0.0

    def best(self, kind: str) -> float:
        return max(self.rates.get(kind, [0.0]))

    def figures(self) -> list[Figure]:
        login, plain = self.best("login"), self.best("plain_rpc")
        checked, unchecked = self.best("checked"), self.best("unchecked")
        return [
            Figure(
                "Login RPC (scrypt N=2^14, r=8)",
                login,
                "logins/s",
                plain,
                "GetCurrentSession RPC, same gate, no hash",
                f"login ≤ {LOGIN_GOAL_MS:g} ms",
                bool(login) and 1000 / login <= LOGIN_GOAL_MS,
            ),
            Figure(
                "GetVM through the gate with the permission check (in-process)",
                checked,
                "calls/s",
                unchecked,
                "the same gate and handler, no permission check",
                f"ratio ≥ {CHECK_GOAL_RATIO}",
                bool(unchecked) and checked / unchecked >= CHECK_GOAL_RATIO,
            ),
        ]

    def details(self) -> list[str]:
        check_us = 1e6 / self.best("checked") - 1e6 / self.best("unchecked") if self.best("checked") else 0.0
        lines = [
            f"Each round makes {self.logins} sequential Login RPCs and {self.logins * 10} GetCurrentSession "
            f"RPCs over one channel to a booted host on 127.0.0.1, then {self.calls} in-process calls of "
            "hostd's gate wrapping a GetVM handler, with and without the permission check, as a ReadOnly "
            "user whose permission sits four levels above the VM. "
            f"One `verify_password` (scrypt) costs {self.hash_ms:.1f} ms; a login therefore costs "
            f"{1000 / self.best('login'):.1f} ms over the wire. "
            f"The permission check adds {check_us:.1f} µs per call.",
            "",
            "| Kind | " + " | ".join(f"round {n} /s" for n in range(1, len(self.rates["login"]) + 1)) + " |",
            "|---|" + "---:|" * len(self.rates["login"]),
        ]
        for kind, rates in self.rates.items():
            lines.append(f"| {kind} | " + " | ".join(f"{r:,.1f}" for r in rates) + " |")
        return lines


class _Context:
    """What the gate reads of a grpc.aio ServicerContext."""

    def __init__(self, session_key: str) -> None:
        self._metadata = ((SESSION_KEY, session_key), (REQUEST_ID_KEY, "bench"))

    def invocation_metadata(self) -> tuple[tuple[str, str], ...]:
        return self._metadata

    def done(self) -> bool:
        return False

    def set_trailing_metadata(self, metadata: Any) -> None:
        raise AssertionError(f"the call failed: {metadata}")

    async def abort(self, code: Any, details: str) -> None:
        raise AssertionError(f"the call failed: {code} {details}")


async def _arate(calls: int, one: Callable[[], Awaitable[object]]) -> float:
    start = time.perf_counter()
    for _ in range(calls):
        await one()
    return calls / (time.perf_counter() - start)


async def _gate_rates(tmp: Path, calls: int) -> tuple[float, float]:
    """(checked, unchecked) in-process calls per second of hostd's gate around a GetVM handler."""
    auth = make_auth(tmp, {"audit": ("Audit#2024", "ReadOnly")})
    inventory = FakeInventory()
    inventory.add_pool("pool1", "prod")
    inventory.add_pool("pool2", "web", parent="pool1")
    inventory.add_vm("vm-1", "web01", "pool2")
    authz = Authorization(tmp / "etc" / "authorization.json", auth.accounts, inventory.tree())
    session = await auth.sessions.login("audit", "Audit#2024")
    reply = vm_pb2.VirtualMachine(id="vm-1", name="web01", num_cpu=2, memory_mb=256)

    async def get_vm(request: vm_pb2.GetVMRequest, context: Any) -> vm_pb2.VirtualMachine:
        return reply

    handler = grpc.unary_unary_rpc_method_handler(get_vm)
    checked = RpcGate(auth.sessions.authenticate, CallAuthorizer(authz)).wrap(GET_VM, handler).unary_unary
    unchecked = RpcGate(auth.sessions.authenticate).wrap(GET_VM, handler).unary_unary
    request, context = vm_pb2.GetVMRequest(id="vm-1"), _Context(session.key)
    # each call in its own task, as grpc.aio runs it (the gate binds context variables); short
    # alternating batches, the best of each, so that other load on the machine hits both alike
    best_checked = best_unchecked = 0.0
    for _ in range(10):
        best_checked = max(
            best_checked, await _arate(calls // 10, lambda: asyncio.ensure_future(checked(request, context)))
        )
        best_unchecked = max(
            best_unchecked,
            await _arate(calls // 10, lambda: asyncio.ensure_future(unchecked(request, context))),
        )
    return best_checked, best_unchecked


def _rate(calls: int, one: Callable[[], object]) -> float:
    start = time.perf_counter()
    for _ in range(calls):
        one()
    return calls / (time.perf_counter() - start)


def run(logins: int = 20, calls: int = 20_000, rounds: int = 3) -> AuthResult:
    result = AuthResult(logins, calls)
    stored = hash_password("Bench#pass1")
    start = time.perf_counter()
    for _ in range(5):
        verify_password("Bench#pass1", stored)
    result.hash_ms = (time.perf_counter() - start) / 5 * 1000
    with tempfile.TemporaryDirectory(prefix="pyesx-bench-auth-") as tmp, booted_host() as host:
        configure("bench", Path(tmp) / "bench.log")  # log lines cost what they cost in hostd
        with connect(host.address, "root", host.password) as client:
            stub = client._sessions
            for n in range(rounds):

                def login() -> object:
                    request = session_pb2.LoginRequest(user="root", password=host.password)
                    return stub.Login(request, metadata=client._metadata())

                def plain() -> object:
                    return stub.GetCurrentSession(
                        session_pb2.GetCurrentSessionRequest(), metadata=client._metadata()
                    )

                result.rates.setdefault("login", []).append(_rate(logins, login))
                result.rates.setdefault("plain_rpc", []).append(_rate(logins * 10, plain))
                checked, unchecked = asyncio.run(_gate_rates(Path(tmp) / f"gate{n}", calls))
                result.rates.setdefault("checked", []).append(checked)
                result.rates.setdefault("unchecked", []).append(unchecked)
    return result


if __name__ == "__main__":
    outcome = run(logins=5, calls=5000, rounds=2)
    for figure in outcome.figures():
        print(
            f"{figure.name}: {figure.value:,.1f} {figure.unit} vs {figure.baseline:,.1f} ({figure.ratio:.3f})"
        )
    print("\n".join(outcome.details()))
