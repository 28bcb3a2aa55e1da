"""``python -m bench.load``: GetVM from N concurrent grpc.aio callers over one channel, for a fixed time.

The same client drives hostd and the echo server: the same stub, request and
metadata (the session key from ``PYESX_BENCH_SESSION`` and a fresh request id
per call, as the SDK sends). Calls finishing in the warm-up are not counted.
It prints one JSON line: calls, seconds, errors, latency p50/p99 and the name
and id in the first reply (proof of what answered).
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
from pyesx.api.v1 import vm_pb2, vm_pb2_grpc
from pyesx.rpc.metadata import REQUEST_ID_KEY, SESSION_KEY, new_request_id


def _channel(target: str, ca_file: str) -> grpc.aio.Channel:
    """TLS trusting the host CA when ``ca_file`` is given (hostd, the TLS echo server), else plaintext."""
    if not ca_file:
        return grpc.aio.insecure_channel(target)
    return grpc.aio.secure_channel(target, grpc.ssl_channel_credentials(Path(ca_file).read_bytes()))


async def load(
    target: str, vm_id: str, session: str, concurrency: int, duration: float, warmup: float, ca_file: str = ""
) -> Any:
    async with _channel(target, ca_file) as channel:
        await asyncio.wait_for(channel.channel_ready(), 10)
        stub = vm_pb2_grpc.VirtualMachineServiceStub(channel)
        request = vm_pb2.GetVMRequest(id=vm_id)

        def metadata() -> tuple[tuple[str, str], ...]:
            return ((SESSION_KEY, session), (REQUEST_ID_KEY, new_request_id()))

        first = await stub.GetVM(request, metadata=metadata(), timeout=10)
        latencies: list[float] = []
        errors: list[str] = []
        begin = time.perf_counter() + warmup
        end = begin + duration

        async def caller() -> None:
            while (start := time.perf_counter()) < end:
                try:
                    await stub.GetVM(request, metadata=metadata(), timeout=10)
                except grpc.aio.AioRpcError as error:
                    errors.append(f"{error.code().name}: {error.details()}")
                    continue
                done = time.perf_counter()
                if begin <= done <= end:
                    latencies.append(done - start)

        await asyncio.gather(*(caller() for _ in range(concurrency)))
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
    parser.add_argument("--vm-id", required=True)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--duration", type=float, default=4.0)
    parser.add_argument("--warmup", type=float, default=0.5)
    parser.add_argument("--ca-file", default="", help="connect over TLS, trusting this CA")
    args = parser.parse_args()
    session = os.environ.get("PYESX_BENCH_SESSION", "")
    result = uvloop.run(
        load(args.target, args.vm_id, session, args.concurrency, args.duration, args.warmup, args.ca_file)
    )
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
