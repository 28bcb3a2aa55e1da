"""``python -m bench.load``: N concurrent grpc.aio callers over one channel, for a fixed time.

``--op getvm`` (default): each caller repeats GetVM of one VM. The same client
drives hostd and the echo server: the same stub, request and metadata (the
session key from ``PYESX_BENCH_SESSION`` and a fresh request id per call, as
the SDK sends). ``--op power``: one caller per VM of ``--vm-id`` (comma
separated), each repeating PowerOnVM, WaitForTask, PowerOffVM, WaitForTask; a
call is one such on/off pair. Calls finishing in the warm-up are not counted.
It prints one JSON line: calls, seconds, errors, latency p50/p99 and the name
and id in the first GetVM reply (proof of what answered).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import time
from pathlib import Path
from typing import Any

import grpc
import uvloop

from bench.stats import percentile
from pyesx.api.v1 import task_pb2, task_pb2_grpc, vm_pb2, vm_pb2_grpc
from pyesx.rpc.metadata import REQUEST_ID_KEY, SESSION_KEY, new_request_id


def _channel(target: str, ca_file: str) -> grpc.aio.Channel:
    """TLS trusting the host CA when ``ca_file`` is given (hostd, the TLS echo server), else plaintext."""
    if not ca_file:
        return grpc.aio.insecure_channel(target)
    return grpc.aio.secure_channel(target, grpc.ssl_channel_credentials(Path(ca_file).read_bytes()))


async def load(
    target: str,
    vm_ids: list[str],
    session: str,
    concurrency: int,
    duration: float,
    warmup: float,
    op: str,
    ca_file: str = "",
) -> Any:
    async with _channel(target, ca_file) as channel:
        await asyncio.wait_for(channel.channel_ready(), 10)
        stub = vm_pb2_grpc.VirtualMachineServiceStub(channel)
        tasks = task_pb2_grpc.TaskServiceStub(channel)
        request = vm_pb2.GetVMRequest(id=vm_ids[0])

        def metadata() -> tuple[tuple[str, str], ...]:
            return ((SESSION_KEY, session), (REQUEST_ID_KEY, new_request_id()))

        first = await stub.GetVM(request, metadata=metadata(), timeout=10)
        latencies: list[float] = []
        errors: list[str] = []
        begin = time.perf_counter() + warmup
        end = begin + duration

        async def power_pair(vm_id: str) -> None:
            for call in (stub.PowerOnVM, stub.PowerOffVM):
                task = await call(vm_pb2.VMRequest(id=vm_id), metadata=metadata(), timeout=30)
                wait = task_pb2.WaitForTaskRequest(id=task.id, timeout_seconds=30)
                done = await tasks.WaitForTask(wait, metadata=metadata(), timeout=40)
                if done.state != task_pb2.SUCCESS:
                    raise RuntimeError(f"{done.description_id} {done.state}: {done.error}")

        async def caller(vm_id: str) -> None:
            while (start := time.perf_counter()) < end:
                try:
                    if op == "power":
                        await power_pair(vm_id)
                    else:
                        await stub.GetVM(request, metadata=metadata(), timeout=10)
                except (grpc.aio.AioRpcError, RuntimeError) as error:
                    text = str(error) if isinstance(error, RuntimeError) else error.details()
                    errors.append(f"{type(error).__name__}: {text}")
                    continue
                done = time.perf_counter()
                if begin <= done <= end:
                    latencies.append(done - start)

        callers = vm_ids if op == "power" else vm_ids[:1] * concurrency
        await asyncio.gather(*(caller(vm_id) for vm_id in callers))
    return {
        "calls": len(latencies),
        "seconds": duration,
        "errors": len(errors),
        "first_error": errors[0] if errors else "",
        "p50_ms": percentile(latencies, 50) * 1000,
        "p99_ms": percentile(latencies, 99) * 1000,
        "reply_id": first.id,
        "reply_name": first.name,
    }


def main() -> None:
    parser = argparse.ArgumentParser(prog="bench.load")
    parser.add_argument("--target", required=True)
    parser.add_argument("--vm-id", required=True, help="a VM id; --op power: one or more, comma separated")
    parser.add_argument("--op", choices=("getvm", "power"), default="getvm")
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--duration", type=float, default=4.0)
    parser.add_argument("--warmup", type=float, default=0.5)
    parser.add_argument("--ca-file", default="", help="connect over TLS, trusting this CA (hostd)")
    args = parser.parse_args()
    session = os.environ.get("PYESX_BENCH_SESSION", "")
    vm_ids = args.vm_id.split(",")
    result = uvloop.run(
        load(
            args.target, vm_ids, session, args.concurrency, args.duration, args.warmup, args.op, args.ca_file
        )
    )
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
