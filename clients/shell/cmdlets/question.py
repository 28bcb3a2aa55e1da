"""Get-VMQuestion, Set-VMQuestion: what a stunned VM waits to be told (out of disk space), PowerCLI's way."""

from __future__ import annotations

from collections.abc import Iterator

from clients.model import VM, VmQuestion
from clients.shell.binding import BoundArguments, Parameter
from clients.shell.cmdlets.base import Cmdlet
from clients.shell.cmdlets.vm import VMS, resolve_vms
from clients.shell.conversions import STRING, SWITCH, ArrayType, ParamType, shown
from clients.shell.errors import ConversionError
from clients.shell.psobject import PSObject
from pyesx.faults import InvalidArgument

QUESTION_TYPE = "VMware.VimAutomation.ViCore.Impl.V1.VM.VMQuestionImpl"


def question_object(vm: VM, question: VmQuestion) -> PSObject:
    return PSObject(
        QUESTION_TYPE,
        [
            ("VM", vm.name),
            ("VMId", vm.id),
            ("Id", question.id),
            ("Text", question.text),
            ("Options", [{"Label": choice, "Summary": choice} for choice in question.choices]),
        ],
        base=(vm, question),
        label=question.id,
    )


def _question_reference(value: object) -> tuple[VM, VmQuestion]:
    if isinstance(value, PSObject) and value.type_name == QUESTION_TYPE and isinstance(value.base, tuple):
        vm, question = value.base
        assert isinstance(vm, VM) and isinstance(question, VmQuestion)
        return vm, question
    raise ConversionError(shown(value), "VMQuestion")


class GetVMQuestion(Cmdlet):
    """Get-VMQuestion [[-VM] <VirtualMachine[]>]: the questions VMs wait on."""

    name = "Get-VMQuestion"
    synopsis = "Gets the questions VMs are waiting on."
    examples = (("Get-VMQuestion", "Every pending question."),)
    parameters = (Parameter("VM", VMS, position=0, pipeline=True),)

    def process(self, args: BoundArguments) -> Iterator[object]:
        client = self.ctx.client()
        vms = resolve_vms(client, args.items("VM")) if args.items("VM") else client.list_vms()
        for vm in vms:
            current = client.get_vm(vm.id)
            if current.question is not None:
                yield question_object(current, current.question)


class SetVMQuestion(Cmdlet):
    """Set-VMQuestion [-VMQuestion] <VMQuestion[]> -Option <String> [-Confirm]: answer it (Retry or
    Cancel for a VM out of disk space)."""

    name = "Set-VMQuestion"
    confirm_impact = "High"  # PowerCLI asks before this change
    synopsis = "Answers a VM's question."
    examples = (
        (
            "Get-VMQuestion -VM web01 | Set-VMQuestion -Option Retry -Confirm:$false",
            "Retries after freeing disk space.",
        ),
    )
    parameters = (
        Parameter(
            "VMQuestion",
            ArrayType(ParamType("VMQuestion", _question_reference)),
            position=0,
            mandatory=True,
            pipeline=True,
        ),
        Parameter("Option", STRING, mandatory=True),
        Parameter("Confirm", SWITCH),
    )

    def process(self, args: BoundArguments) -> Iterator[object]:
        client = self.ctx.client()
        for item in args.items("VMQuestion"):
            assert isinstance(item, tuple)
            vm, question = item
            option = next((c for c in question.choices if c.lower() == args.string("Option").lower()), None)
            if option is None:
                raise InvalidArgument(
                    "Option", f"'{args.string('Option')}' is not one of {', '.join(question.choices)}"
                )
            client.answer_vm(vm.id, question.id, option)
        return iter(())


CMDLETS: tuple[type[Cmdlet], ...] = (GetVMQuestion, SetVMQuestion)
