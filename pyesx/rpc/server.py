"""The one server interceptor every process installs.

It binds the caller's request id (or a new one) into the log context, writes one
canonical log line per RPC, and maps exceptions to statuses: a VimFault becomes
its code plus typed detail; anything else becomes INTERNAL SystemError and is
logged with its traceback, never lost.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from typing import Any

import grpc
import structlog

from pyesx import faults
from pyesx.logs import get_logger
from pyesx.rpc.faultwire import fault_to_status
from pyesx.rpc.metadata import REQUEST_ID_KEY, new_request_id, request_id_var

_log = get_logger("rpc")
QUIET_METHODS = ("/grpc.health.v1.Health/", "/grpc.reflection.")


async def _abort(context: grpc.aio.ServicerContext, fault: faults.VimFault) -> None:
    code, details, trailing = fault_to_status(fault)
    context.set_trailing_metadata(trailing)
    await context.abort(code, details)


def _as_fault(exc: Exception, method: str) -> faults.VimFault:
    if isinstance(exc, faults.VimFault):
        return exc
    _log.error("rpc.internal_error", method=method, exc_info=exc)
    return faults.SystemError(f"{type(exc).__name__}: {exc} (request {request_id_var.get()})")


Authenticate = Callable[[str, Mapping[str, Any]], None]


class ServerInterceptor(grpc.aio.ServerInterceptor):  # type: ignore[misc]
    """Request id binding, canonical log line and fault mapping for unary-unary and unary-stream RPCs.

    ``authenticate(method, metadata)``, when given, runs first inside every call;
    it raises a fault to refuse the call or binds the caller's identity.
    """

    def __init__(self, authenticate: Authenticate | None = None) -> None:
        self.authenticate = authenticate

    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[grpc.RpcMethodHandler]],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler:
        handler = await continuation(handler_call_details)
        method: str = handler_call_details.method
        if handler is None or method.startswith(QUIET_METHODS):
            return handler
        metadata = dict(handler_call_details.invocation_metadata or ())
        request_id = str(metadata.get(REQUEST_ID_KEY) or new_request_id())
        if handler.unary_unary:
            return grpc.unary_unary_rpc_method_handler(
                self._unary(handler.unary_unary, method, request_id, self._check(method, metadata)),
                request_deserializer=handler.request_deserializer,
                response_serializer=handler.response_serializer,
            )
        if handler.unary_stream:
            return grpc.unary_stream_rpc_method_handler(
                self._stream(handler.unary_stream, method, request_id, self._check(method, metadata)),
                request_deserializer=handler.request_deserializer,
                response_serializer=handler.response_serializer,
            )
        return handler

    def _check(self, method: str, metadata: Mapping[str, Any]) -> Callable[[], None]:
        authenticate = self.authenticate
        if authenticate is None:
            return lambda: None
        return lambda: authenticate(method, metadata)

    @staticmethod
    def _unary(
        behavior: Callable[..., Awaitable[Any]], method: str, request_id: str, check: Callable[[], None]
    ) -> Callable[..., Any]:
        async def wrapper(request: Any, context: grpc.aio.ServicerContext) -> Any:
            request_id_var.set(request_id)
            with structlog.contextvars.bound_contextvars(request_id=request_id):
                start = time.perf_counter()
                code = "OK"
                try:
                    check()
                    return await behavior(request, context)
                except Exception as exc:
                    if context.done() or isinstance(exc, grpc.aio.AbortError):
                        raise
                    fault = _as_fault(exc, method)
                    code = fault.fault_name
                    await _abort(context, fault)
                finally:
                    _log.info(
                        "rpc", method=method, code=code, ms=round((time.perf_counter() - start) * 1000, 2)
                    )

        return wrapper

    @staticmethod
    def _stream(
        behavior: Callable[..., AsyncIterator[Any]], method: str, request_id: str, check: Callable[[], None]
    ) -> Callable[..., Any]:
        async def wrapper(request: Any, context: grpc.aio.ServicerContext) -> AsyncIterator[Any]:
            request_id_var.set(request_id)
            with structlog.contextvars.bound_contextvars(request_id=request_id):
                _log.info("rpc.stream_open", method=method)
                try:
                    check()
                    async for item in behavior(request, context):
                        yield item
                except Exception as exc:
                    if context.done() or isinstance(exc, grpc.aio.AbortError):
                        raise
                    await _abort(context, _as_fault(exc, method))

        return wrapper
