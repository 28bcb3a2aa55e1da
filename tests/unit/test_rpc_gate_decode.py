"""The gate parses requests itself: bytes that are no valid message are InvalidArgument with a typed
fault (gRPC's own parse failure answered UNKNOWN, and INTERNAL in the middle of a stream)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import grpc
import pytest

from pyesx import faults
from pyesx.api.v1 import (
    datastore_pb2,
    datastore_pb2_grpc,
    session_pb2,
    session_pb2_grpc,
)
from pyesx.rpc.faultwire import fault_from_rpc_error
from pyesx.rpc.server import RpcGate

pytestmark = pytest.mark.timeout(30)
CORRUPT = b"\x08\x80\x80"  # field 1 varint, truncated


class Sessions(session_pb2_grpc.SessionServiceServicer):
    async def Login(self, request: session_pb2.LoginRequest, context: object) -> session_pb2.Session:
        return session_pb2.Session(user=request.user)


class Datastores(datastore_pb2_grpc.DatastoreServiceServicer):
    async def UploadFile(
        self, request_iterator: AsyncIterator[datastore_pb2.UploadChunk], context: object
    ) -> datastore_pb2.FileOperationResponse:
        size = 0
        async for chunk in request_iterator:
            size += len(chunk.data)
        return datastore_pb2.FileOperationResponse(file=datastore_pb2.DatastoreFile(size_bytes=size))


@pytest.fixture
async def channel() -> AsyncIterator[grpc.aio.Channel]:
    server = grpc.aio.server()
    gate = RpcGate()
    gate.register(session_pb2_grpc.add_SessionServiceServicer_to_server, Sessions(), server)  # type: ignore[abstract]  # only Login is served
    gate.register(datastore_pb2_grpc.add_DatastoreServiceServicer_to_server, Datastores(), server)  # type: ignore[abstract]
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as opened:
        yield opened
    await server.stop(None)


async def test_a_valid_request_still_parses(channel: grpc.aio.Channel) -> None:
    session = await session_pb2_grpc.SessionServiceStub(channel).Login(session_pb2.LoginRequest(user="root"))
    assert session.user == "root"
    chunks = [datastore_pb2.UploadChunk(path="[datastore1] x"), datastore_pb2.UploadChunk(data=b"abc")]
    done = await datastore_pb2_grpc.DatastoreServiceStub(channel).UploadFile(iter(chunks))
    assert done.file.size_bytes == 3


async def test_corrupt_bytes_for_a_unary_method_are_invalid_argument(channel: grpc.aio.Channel) -> None:
    login = channel.unary_unary("/pyesx.api.v1.SessionService/Login")
    with pytest.raises(grpc.aio.AioRpcError) as raised:
        await login(CORRUPT)
    assert raised.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    fault = fault_from_rpc_error(raised.value)
    assert isinstance(fault, faults.InvalidArgument)
    assert fault.argument == "request" and "pyesx.api.v1.LoginRequest" in fault.reason


async def test_a_corrupt_message_in_a_client_stream_is_invalid_argument(channel: grpc.aio.Channel) -> None:
    upload = channel.stream_unary("/pyesx.api.v1.DatastoreService/UploadFile")
    good = datastore_pb2.UploadChunk(path="[datastore1] x").SerializeToString()
    with pytest.raises(grpc.aio.AioRpcError) as raised:
        await upload(iter([good, b"\x0a\x02\xff\xfe"]))  # a path that is not UTF-8
    assert raised.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert isinstance(fault_from_rpc_error(raised.value), faults.InvalidArgument)
