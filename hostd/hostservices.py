"""The host's services (ESXi's HostServiceSystem): a policy each, persisted in
``etc/hostd/services.json``, and a running state kept in ``run/hostd/services.json`` so that a
restarted hostd (the watchdog's) restores what ran, while a host boot (run/ is rebuilt) applies
the policies.

Policies: ``on`` starts the service with the host; ``off`` does not; ``automatic`` starts it with
the host when it has something to do (ntpd: at least one NTP server configured; the state-only
services: never). A policy change does not start or stop anything, as in ESXi.

``ntpd`` is real (``hostd.timesync.daemon``); ``TSM-SSH`` and ``TSM`` are state only: pyesx runs
no SSH server or shell behind them.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

from pyesx.atomic import atomic_write
from pyesx.faults import InvalidArgument, NotFound
from pyesx.logs import get_logger

POLICIES = ("on", "off", "automatic")


@dataclass
class Runner:
    """What stands behind a service: how to start and stop it, and whether ``automatic`` starts it."""

    start: Callable[[], None]
    stop: Callable[[], Awaitable[None]]
    has_work: Callable[[], bool]


@dataclass
class HostService:
    key: str
    label: str
    policy: str = "off"
    running: bool = False
    required: bool = False
    uninstallable: bool = False
    runner: Runner | None = None  # None: state only

    @property
    def state_only(self) -> bool:
        return self.runner is None


def catalogue(ntpd: Runner) -> list[HostService]:
    """The services this host has, in ESXi's order and with its labels."""
    return [
        HostService("TSM", "ESXi Shell"),
        HostService("TSM-SSH", "SSH"),
        HostService("ntpd", "NTP Daemon", runner=ntpd),
    ]


class HostServiceTable:
    def __init__(self, services: list[HostService], policies: Path, states: Path) -> None:
        self.services = {s.key: s for s in services}
        self.policies_path, self.states_path = policies, states
        if policies.exists():
            for key, policy in json.loads(policies.read_text()).get("policies", {}).items():
                if key in self.services and policy in POLICIES:
                    self.services[key].policy = policy

    def get(self, key: str) -> HostService:
        for service in self.services.values():
            if service.key.lower() == key.lower():
                return service
        raise NotFound("HostService", key, f"The host has no service '{key}'.")

    def all(self) -> list[HostService]:
        return list(self.services.values())

    def boot(self) -> None:
        """Restore the running states a previous hostd recorded, else apply the policies."""
        recorded: dict[str, bool] | None = None
        if self.states_path.exists():
            recorded = json.loads(self.states_path.read_text()).get("running", {})
        for service in self.services.values():
            if recorded is not None:
                wanted = recorded.get(service.key, False)
            else:
                has_work = service.runner.has_work() if service.runner else False
                wanted = service.policy == "on" or (service.policy == "automatic" and has_work)
            if wanted:
                self._start(service)
        self._save_states()

    def _start(self, service: HostService) -> None:
        if service.runner is not None:
            service.runner.start()
        service.running = True

    def start(self, key: str) -> HostService:
        service = self.get(key)
        if not service.running:
            self._start(service)
            self._save_states()
            get_logger("hostd").info("host_service.started", service=service.key)
        return service

    async def stop(self, key: str) -> HostService:
        service = self.get(key)
        if service.running:
            if service.runner is not None:
                await service.runner.stop()
            service.running = False
            self._save_states()
            get_logger("hostd").info("host_service.stopped", service=service.key)
        return service

    async def restart(self, key: str) -> HostService:
        await self.stop(key)
        return self.start(key)

    def set_policy(self, key: str, policy: str) -> HostService:
        service = self.get(key)
        if policy not in POLICIES:
            raise InvalidArgument("policy", f"'{policy}' is not one of {', '.join(POLICIES)}")
        service.policy = policy
        self.policies_path.parent.mkdir(parents=True, exist_ok=True)
        body = {"policies": {s.key: s.policy for s in self.services.values()}}
        atomic_write(self.policies_path, json.dumps(body, indent=2) + "\n")
        get_logger("hostd").info("host_service.policy", service=service.key, policy=policy)
        return service

    async def shutdown(self) -> None:
        """Stop what runs without recording it (the next hostd restores it)."""
        for service in self.services.values():
            if service.running and service.runner is not None:
                await service.runner.stop()

    def _save_states(self) -> None:
        self.states_path.parent.mkdir(parents=True, exist_ok=True)
        body = {"running": {s.key: s.running for s in self.services.values()}}
        atomic_write(self.states_path, json.dumps(body, indent=2) + "\n")
