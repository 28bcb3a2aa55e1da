"""Metadata keys that cross process boundaries, and the request id of the call being served."""

from __future__ import annotations

import contextvars
import uuid

REQUEST_ID_KEY = "x-request-id"
SESSION_KEY = "x-pyesx-session"

request_id_var: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="")


def new_request_id() -> str:
    return uuid.uuid4().hex[:16]


def current_request_id() -> str:
    """The request id bound to the current call ("" outside one)."""
    return request_id_var.get()
