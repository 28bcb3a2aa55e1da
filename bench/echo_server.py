"""``python -m bench.echo_server``: a bare grpc.aio server on uvloop, the baseline for hostd's throughput.

It serves ``VirtualMachineService/GetVM`` with identity serializers, answering
each call with its request bytes: no interceptor, no servicer, no log line;
in plaintext, or with ``--tls-root ROOT`` over TLS with that host's certificate. It
binds 127.0.0.1 on a free port, prints ``ready HOST:PORT`` and runs until
SIGTERM, or until its parent dies.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import ctypes
import signal
from pathlib import Path
from typing import Any

import grpc
import uvloop

from pyesx import certs
from pyesx.api.v1 import vm_pb2

SERVICE = vm_pb2.DESCRIPTOR.services_by_name["VirtualMachineService"].full_name
_PR_SET_PDEATHSIG = 1


async def _echo(request: bytes, context: Any) -> bytes:
    return request


async def serve(host: str, tls_root: str = "") -> None:
    server = grpc.aio.server()
    handler = grpc.unary_unary_rpc_method_handler(_echo)  # no (de)serializers: bytes in, bytes out
    server.add_generic_rpc_handlers((grpc.method_handlers_generic_handler(SERVICE, {"GetVM": handler}),))
    if tls_root:  # the host's own key and certificate chain, as hostd serves them
        identity = certs.load(certs.host_paths(Path(tls_root)))
        credentials = grpc.ssl_server_credentials([(identity.key_pem, identity.chain_pem)])
        port = server.add_secure_port(f"{host}:0", credentials)
    else:
        port = server.add_insecure_port(f"{host}:0")
    await server.start()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    print(f"ready {host}:{port}", flush=True)
    await stop.wait()
    await server.stop(grace=None)


def main() -> None:
    parser = argparse.ArgumentParser(prog="bench.echo_server")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--tls-root", default="", help="serve TLS with this host root's certificate")
    args = parser.parse_args()
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    uvloop.run(serve(args.host, args.tls_root))


if __name__ == "__main__":
    main()
