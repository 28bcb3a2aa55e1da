"""SDK round trip: ``vm.refresh()`` through the object layer (sync and asyncio) against a raw gRPC
GetVM of the same VM over the same channel, in the same run.

Each round times a batch of sequential calls of each kind, alternating, so drift hits all alike; the
figures are each kind's best round (other load can only slow a round down). The SDK's cost is its
own: building the plan, the request id, converting the reply to records, updating the object.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from bench.common import Figure, booted_host
from clients import aio, objects
from pyesx.api.v1 import vm_pb2, vm_pb2_grpc
from pyesx.rpc.metadata import REQUEST_ID_KEY, SESSION_KEY, new_request_id

GOAL_RATIO = 0.7  # the SDK's round trip rate ≥ 70% of the raw stub's


@dataclass
class SdkResult:
    title = "SDK round trip"
    timed = True
    calls: int
    rates: dict[str, list[float]] = field(default_factory=dict)  # kind → calls/s per round

    def best(self, kind: str) -> float:
        return max(self.rates.get(kind, [0.0]))

    def figures(self) -> list[Figure]:
        def figure(name: str, kind: str, raw: str, raw_name: str) -> Figure:
            value, baseline = self.best(kind), self.best(raw)
            ratio = value / baseline if baseline else 0.0
            return Figure(
                name, value, "calls/s", baseline, raw_name, f"ratio ≥ {GOAL_RATIO}", ratio >= GOAL_RATIO
            )

        return [
            figure("SDK vm.refresh() (sync)", "sdk", "raw", "raw GetVM, blocking stub"),
            figure("SDK await vm.refresh() (asyncio)", "aio_sdk", "aio_raw", "raw GetVM, grpc.aio stub"),
        ]

    def details(self) -> list[str]:
        lines = [
            f"One VM; each round makes {self.calls} sequential GetVM round trips of each kind over one "
            "channel per flavour, to a booted host on 127.0.0.1: the raw stub with the session key and "
            "a request id as metadata, then the SDK's `vm.refresh()` (plan, transport, fault mapping, "
            "conversion to records). The figures are each kind's best round.",
            "",
            "| Kind | "
            + " | ".join(f"round {n} calls/s" for n in range(1, len(self.rates["raw"]) + 1))
            + " |",
            "|---|" + "---:|" * len(self.rates["raw"]),
        ]
        for kind, rates in self.rates.items():
            lines.append(f"| {kind} | " + " | ".join(f"{r:,.0f}" for r in rates) + " |")
        return lines


def _rate(calls: int, one: Callable[[], object]) -> float:
    start = time.perf_counter()
    for _ in range(calls):
        one()
    return calls / (time.perf_counter() - start)


async def _arate(calls: int, one: Callable[[], Awaitable[object]]) -> float:
    start = time.perf_counter()
    for _ in range(calls):
        await one()
    return calls / (time.perf_counter() - start)


async def _aio_rounds(result: SdkResult, address: str, password: str, vm_id: str, rounds: int) -> None:
    async with await aio.connect(address, "root", password) as session:
        vm = await session.vm(vm_id)
        stub = vm_pb2_grpc.VirtualMachineServiceStub(session._t.channel)
        key = session._t.session_key

        async def raw() -> object:
            metadata = ((REQUEST_ID_KEY, new_request_id()), (SESSION_KEY, key))
            return await stub.GetVM(vm_pb2.GetVMRequest(id=vm_id), metadata=metadata, timeout=60)

        await _arate(50, raw)
        await _arate(50, vm.refresh)  # warm-up
        for _ in range(rounds):
            result.rates.setdefault("aio_raw", []).append(await _arate(result.calls, raw))
            result.rates.setdefault("aio_sdk", []).append(await _arate(result.calls, vm.refresh))


def run(calls: int = 500, rounds: int = 3) -> SdkResult:
    """Alternate timed batches of raw GetVM and ``vm.refresh()``, sync then asyncio."""
    result = SdkResult(calls)
    with booted_host() as host, objects.connect(host.address, "root", host.password) as session:
        vm = session.create_vm("bench-sdk", memory_mb=64).wait(60).result_vm()
        stub = vm_pb2_grpc.VirtualMachineServiceStub(session._t.channel)
        key = session._t.session_key

        def raw() -> vm_pb2.VirtualMachine:
            metadata = ((REQUEST_ID_KEY, new_request_id()), (SESSION_KEY, key))
            reply: vm_pb2.VirtualMachine = stub.GetVM(
                vm_pb2.GetVMRequest(id=vm.id), metadata=metadata, timeout=60
            )
            return reply

        if raw().name != vm.refresh().name:
            raise RuntimeError("the raw call and the SDK disagree on the VM")
        _rate(50, raw)
        _rate(50, vm.refresh)  # warm-up
        for _ in range(rounds):
            result.rates.setdefault("raw", []).append(_rate(calls, raw))
            result.rates.setdefault("sdk", []).append(_rate(calls, vm.refresh))
        asyncio.run(_aio_rounds(result, host.address, host.password, vm.id, rounds))
    return result
