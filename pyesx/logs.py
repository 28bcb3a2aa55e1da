"""structlog set-up shared by every process: JSON lines with component, pid and request id.

Each process calls ``configure`` once, early. Context that crosses the process
boundary (the request id) and context of the world (vm, world) is bound with
``structlog.contextvars`` so every line logged while serving a request carries it.

Lines go to the process's log file through ``LineFile``: warnings and errors are
written through at once; info lines are buffered and written by
``flush_periodically`` (every 0.2 s) and at exit, so a busy hostd does not pay a
write system call per RPC. A process killed with SIGKILL can lose at most its
last 0.2 s of info lines, never an error.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import logging
import os
import sys
from collections.abc import MutableMapping
from pathlib import Path
from typing import Any, TextIO

import structlog

FLUSH_INTERVAL = 0.2


class LineFile:
    """A structlog logger writing JSON lines to a file; urgent levels bypass the buffer."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream

    def _buffered(self, message: str) -> None:
        self.stream.write(message + "\n")

    def _urgent(self, message: str) -> None:
        self.stream.write(message + "\n")
        self.stream.flush()

    debug = info = msg = log = _buffered
    warn = warning = err = error = critical = exception = fatal = failure = _urgent


_stream: TextIO = sys.stderr

#: ESXi's log level names (``Config.HostAgent.log.level``) → the least severe level written
LEVELS = {
    "none": logging.CRITICAL + 1,
    "quiet": logging.CRITICAL,
    "panic": logging.CRITICAL,
    "error": logging.ERROR,
    "warning": logging.WARNING,
    "info": logging.INFO,
    "verbose": logging.DEBUG,
    "trivia": logging.DEBUG,
}
_SEVERITY = {
    "debug": logging.DEBUG,
    "info": logging.INFO,
    "msg": logging.INFO,
    "warning": logging.WARNING,
    "warn": logging.WARNING,
    "error": logging.ERROR,
    "exception": logging.ERROR,
    "critical": logging.CRITICAL,
    "fatal": logging.CRITICAL,
}
_threshold = logging.INFO


def set_level(name: str) -> None:
    """Write only lines at least as severe as ESXi's level ``name`` (one of LEVELS) from now on."""
    global _threshold
    _threshold = LEVELS[name]


def _drop_below_threshold(
    logger: Any, method: str, event: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    if _SEVERITY.get(method, logging.INFO) < _threshold:
        raise structlog.DropEvent
    return event


def configure(component: str, log_path: Path | None, **bound: Any) -> None:
    """Send JSON lines to log_path (appending; stderr when None), binding component and pid."""
    global _stream
    if log_path is not None:
        log_path.parent.mkdir(parents=True, exist_ok=True)
        _stream = open(log_path, "a", buffering=64 * 1024, encoding="utf-8")  # noqa: SIM115 - lives with the process
        atexit.register(flush)
    line_file = LineFile(_stream)
    structlog.configure(
        processors=[
            _drop_below_threshold,
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.format_exc_info,
            structlog.processors.JSONRenderer(sort_keys=False),
        ],
        wrapper_class=structlog.make_filtering_bound_logger(logging.DEBUG),  # set_level filters
        logger_factory=lambda *args: line_file,
        cache_logger_on_first_use=True,
    )
    structlog.contextvars.clear_contextvars()
    structlog.contextvars.bind_contextvars(component=component, pid=os.getpid(), **bound)


def flush() -> None:
    """Write out buffered lines (call before os._exit)."""
    with contextlib.suppress(OSError, ValueError):
        _stream.flush()


async def flush_periodically(interval: float = FLUSH_INTERVAL) -> None:
    """Run for the life of the process's event loop, writing buffered lines out."""
    while True:
        await asyncio.sleep(interval)  # a flush period, not a wait for readiness
        flush()


def get_logger(name: str = "") -> Any:
    """The process's structlog logger (``name`` becomes the ``logger_name`` key)."""
    return structlog.get_logger(logger_name=name) if name else structlog.get_logger()
