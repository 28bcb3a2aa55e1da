"""structlog set-up shared by every process: JSON lines with component, pid and request id.

Each process calls ``configure`` once, early. Context that crosses the process
boundary (the request id) and context of the world (vm, world) is bound with
``structlog.contextvars`` so every line logged while serving a request carries it.
"""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path
from typing import Any, TextIO

import structlog

_log_file: TextIO | None = None


def configure(component: str, log_path: Path | None, **bound: Any) -> None:
    """Send JSON lines to log_path (appending; stderr when None), binding component and pid."""
    global _log_file
    if log_path is not None:
        log_path.parent.mkdir(parents=True, exist_ok=True)
        _log_file = open(log_path, "a", buffering=1, encoding="utf-8")  # noqa: SIM115 - lives with the process
        stream: TextIO = _log_file
    else:
        stream = sys.stderr
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.format_exc_info,
            structlog.processors.JSONRenderer(sort_keys=False),
        ],
        wrapper_class=structlog.make_filtering_bound_logger(logging.INFO),
        logger_factory=structlog.PrintLoggerFactory(stream),
        cache_logger_on_first_use=True,
    )
    structlog.contextvars.clear_contextvars()
    structlog.contextvars.bind_contextvars(component=component, pid=os.getpid(), **bound)


def get_logger(name: str = "") -> Any:
    """The process's structlog logger (``name`` becomes the ``logger_name`` key)."""
    return structlog.get_logger(logger_name=name) if name else structlog.get_logger()
