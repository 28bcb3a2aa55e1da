"""The campaign: N cases per method against a live host, every case judged, every finding kept.

A case is a finding when
    - the call ends INTERNAL or UNKNOWN, or with a fault of kind system_error (a task's too);
    - it is refused without a typed Fault detail (but gRPC's own message-size limit);
    - a unary call does not answer within its deadline (a hang);
    - a refused call (or a task that ended in error) changed the host's observable state;
    - vmkernel or hostd is no longer the process it was.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import grpc
from google.protobuf.message import Message

from pyesx.api.v1 import task_pb2, task_pb2_grpc, vm_pb2
from pyesx.rpc.metadata import REQUEST_ID_KEY
from tests.fuzz.calls import Outcome, invoke
from tests.fuzz.messages import Case, build, describe
from tests.fuzz.methods import Method
from tests.fuzz.state import StateReader

GRPC_MAX_RECEIVE = 4 * 1024 * 1024
SETTLE_S = 60.0
#: accepted calls after which the VM powers off on its own, a moment later
POWERS_OFF = frozenset({"ShutdownGuest"})
TASK_WAIT_S = 60.0
#: fields of an accepted call's answer that name something: the category they go to in ``Known``
HARVESTED = {"ticket": "ticket", "path": "path", "result": "path", "result_entity_id": "vm"}


#: request ids a caller may send (printable ASCII: gRPC refuses anything else before it leaves)
HOSTILE_REQUEST_IDS = ("", "../../etc/shadow", '"}{"event": "forged', "x" * 6000, "%s%n", " ", "vm-1")


def request_id(case: Case) -> tuple[tuple[str, str], ...]:
    """The x-request-id of a case: none, or (in random and huge cases) a hostile one."""
    if case.mode not in ("random", "huge"):
        return ()
    return ((REQUEST_ID_KEY, case.rng().choice(HOSTILE_REQUEST_IDS)),)


@dataclass
class Finding:
    case: Case
    kind: str
    detail: str
    request: str

    def __str__(self) -> str:
        c = self.case
        return (
            f"{c.method} case {c.index} ({c.mode}): {self.kind}: {self.detail}\n"
            f"    request: {self.request}\n"
            f"    repro: PYESX_FUZZ_SEED={c.seed} PYESX_FUZZ_METHOD={c.method.rsplit('/', 1)[-1]} "
            f"PYESX_FUZZ_CASES={c.index + 1}"
        )


@dataclass
class Report:
    seed: int
    cases: int = 0
    methods: set[str] = field(default_factory=set)
    outcomes: Counter[str] = field(default_factory=Counter)
    by_method: dict[str, Counter[str]] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)

    def table(self) -> str:
        """One line per method: how its cases ended."""
        return "\n".join(
            f"  {name:28} {', '.join(f'{k} {v}' for k, v in counts.most_common())}"
            for name, counts in sorted(self.by_method.items())
        )

    def summary(self) -> str:
        top = ", ".join(f"{k} {v}" for k, v in self.outcomes.most_common())
        return (
            f"fuzz seed {self.seed}: {self.cases} cases over {len(self.methods)} methods, "
            f"{len(self.findings)} findings; outcomes: {top}"
        )


class Campaign:
    """Runs cases one after another on one channel and session; ``alive()`` names a dead process."""

    def __init__(
        self,
        channel: grpc.Channel,
        metadata: Sequence[tuple[str, str]],
        reader: StateReader,
        seed: int,
        alive: Callable[[], str | None],
        timeout: float = 20.0,
        stream_window: float = 0.3,
        replenish: Callable[[], None] | None = None,
    ) -> None:
        """``replenish()`` runs after an accepted call changed the host: it puts back what valid-looking
        cases need (VMs, a running one) when a case destroyed it."""
        self.channel, self.metadata, self.reader = channel, tuple(metadata), reader
        self.replenish = replenish
        self.alive, self.timeout, self.stream_window = alive, timeout, stream_window
        self.tasks = task_pb2_grpc.TaskServiceStub(channel)
        self.report = Report(seed)
        self.refusal = ""  # how the current case was refused, for a finding
        self.judged: set[str] = set()  # tasks already judged (GetTask and WaitForTask answer old ones)
        self.baseline = reader.snapshot()
        self.known = reader.known()

    def run(self, methods: Sequence[Method], cases: int, first: int = 0) -> Report:
        for index in range(first, first + cases):
            for method in methods:
                try:
                    self.run_case(method, index)
                except grpc.RpcError as error:  # the campaign's own calls: its session or host is gone
                    case = Case(self.report.seed, method.path, index)
                    self._find(case, "the campaign lost its host or session", f"{error.code()}", "")
                    return self.report
                dead = self.alive()
                if dead:
                    self._find(Case(self.report.seed, method.path, index), "process died", dead, "")
                    return self.report
        return self.report

    def run_case(self, method: Method, index: int) -> None:
        case = Case(self.report.seed, method.path, index)
        requests = self._requests(case, method)
        metadata = (*self.metadata, *request_id(case))
        outcome = invoke(self.channel, method, requests, metadata, self.timeout, self.stream_window)
        self.report.cases += 1
        self.report.methods.add(method.path)
        label = outcome.code if outcome.fault is None else outcome.fault
        self.report.outcomes[label] += 1
        self.report.by_method.setdefault(method.name, Counter())[label] += 1
        shown = describe(requests[0])
        self.refusal = f"{label} {outcome.details[:160]}"
        rejected = self._judge(case, method, requests, outcome, shown)
        if rejected:
            after = self.reader.snapshot()
            changes = self.baseline.diff(after)
            if changes:
                why = f"{self.refusal}: " if self.refusal else ""
                self._find(case, "rejected call changed state", why + "; ".join(changes), shown)
            self.baseline = after
        elif outcome.ok:
            self._settle(method, requests[0])
            after = self.reader.snapshot()
            if after.diff(self.baseline):
                if self.replenish is not None:
                    self.replenish()
                    after = self.reader.snapshot()
                self.known = self.reader.known()
            self.baseline = after
            self._harvest(outcome.response)

    def _requests(self, case: Case, method: Method) -> list[Message | bytes]:
        cls = method.request_class
        requests = [build(case, method.request, self.known, cls)]
        if method.client_streaming:
            extra = case.rng().randrange(0, 3)
            for k in range(extra):
                more = Case(case.seed, f"{case.method}#{k}", case.index + k + 1)  # another mode
                requests.append(build(more, method.request, self.known, cls))
        return requests

    def _judge(
        self, case: Case, method: Method, requests: Sequence[Message | bytes], outcome: Outcome, shown: str
    ) -> bool:
        """Record what is wrong with the outcome; True when the call (or its task) was refused."""
        if outcome.code in ("INTERNAL", "UNKNOWN") or outcome.fault == "system_error":
            self._find(case, f"{outcome.code} {outcome.fault or ''}".strip(), outcome.details, shown)
            return True
        if outcome.ok:
            response = outcome.response
            if isinstance(response, task_pb2.Task) and response.id and response.id not in self.judged:
                self.judged.add(response.id)
                return self._judge_task(case, response, shown)
            return False
        if outcome.fault is None:
            size = sum(len(r) if isinstance(r, bytes) else r.ByteSize() for r in requests)
            if outcome.code == "RESOURCE_EXHAUSTED" and size > GRPC_MAX_RECEIVE:
                return True  # gRPC's own limit on a message's size: refused before hostd sees it
            kind = "hang" if outcome.code == "DEADLINE_EXCEEDED" else f"{outcome.code} without a fault detail"
            self._find(case, kind, outcome.details, shown)
        return True

    def _judge_task(self, case: Case, task: task_pb2.Task, shown: str) -> bool:
        self.known.add("task", task.id)
        deadline = time.monotonic() + TASK_WAIT_S
        while task.state in (task_pb2.QUEUED, task_pb2.RUNNING) and time.monotonic() < deadline:
            request = task_pb2.WaitForTaskRequest(id=task.id, timeout_seconds=5.0)
            task = self.tasks.WaitForTask(request, metadata=self.metadata, timeout=30)
        if task.state in (task_pb2.QUEUED, task_pb2.RUNNING):
            self._find(case, "task hang", f"{task.id} {task.description_id} still running", shown)
            return False
        if task.state == task_pb2.ERROR:
            kind = task.error.WhichOneof("kind")
            self.refusal = f"task {task.id} {kind} {task.error.message[:160]}"
            self.report.outcomes[f"task {kind}"] += 1
            if kind in (None, "system_error"):
                self._find(case, f"task {task.description_id} failed with {kind}", task.error.message, shown)
            return True
        return False

    def _settle(self, method: Method, request: Message | bytes) -> None:
        """Let what an accepted call set going finish before the next baseline: the tasks it started
        (StandbyGuest suspends the VM in a task) and a guest shutting down (ShutdownGuest)."""
        deadline = time.monotonic() + SETTLE_S
        while time.monotonic() < deadline:
            listed = self.tasks.ListTasks(task_pb2.ListTasksRequest(), metadata=self.metadata, timeout=30)
            if all(t.state in (task_pb2.SUCCESS, task_pb2.ERROR) for t in listed.tasks):
                break
            time.sleep(0.02)  # polling with a deadline: the task's end has no event to wait on here
        vm_id = getattr(request, "id", "")
        if method.name not in POWERS_OFF or not isinstance(vm_id, str):
            return
        while time.monotonic() < deadline:
            try:
                vm = self.reader.vms.GetVM(vm_pb2.GetVMRequest(id=vm_id), metadata=self.metadata, timeout=30)
            except grpc.RpcError:
                return
            if vm.power_state == vm_pb2.POWERED_OFF:
                return
            time.sleep(0.02)

    def _harvest(self, response: Message | None) -> None:
        """Ids, tickets and paths an accepted call answered with become valid-looking values."""
        if response is None:
            return
        for fd, value in response.ListFields():
            if fd.name in HARVESTED and isinstance(value, str) and len(value) < 300:
                self.known.add(HARVESTED[fd.name], value)

    def _find(self, case: Case, kind: str, detail: str, request: str) -> None:
        self.report.findings.append(Finding(case, kind, detail[:600], request))
