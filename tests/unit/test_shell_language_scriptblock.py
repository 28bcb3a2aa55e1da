"""The script-block API cmdlets use (``clients.shell.scriptblock``): values, ``$_``, scopes, errors."""

from __future__ import annotations

import io

import pytest

from clients.shell.console import Console
from clients.shell.evaluator import Interpreter
from clients.shell.flow import BreakSignal, ThrownError
from clients.shell.parser import parse
from clients.shell.psobject import PSObject
from clients.shell.scriptblock import SCRIPTBLOCK, ScriptBlock, invoke, invoke_value
from clients.shell.session import Credentials, Session
from clients.shell.values import to_string
from tests.unit.shell_fake import FakeConnector

pytestmark = pytest.mark.timeout(30)


@pytest.fixture
def shell() -> Interpreter:
    return Interpreter(Session(FakeConnector(), Credentials()), Console(io.StringIO(), io.StringIO()))


def run(shell: Interpreter, text: str) -> list[object]:
    return [obj for statement in parse(text).statements for obj in shell.execute(statement)]


def block(shell: Interpreter, text: str) -> ScriptBlock:
    (value,) = run(shell, text)
    assert isinstance(value, ScriptBlock)
    return value


def test_a_script_block_is_a_value_with_its_text(shell: Interpreter) -> None:
    sb = block(shell, "{ $_.Name }")
    assert to_string(sb) == " $_.Name "
    assert run(shell, "$b = { 1 }; $b -is [scriptblock]") == [True]


def test_dollar_underscore_and_psitem_are_the_input_object(shell: Interpreter) -> None:
    vm = PSObject("VM", [("Name", "web01"), ("NumCpu", 2)])
    assert invoke(block(shell, "{ $_.Name; $PSItem.NumCpu * 2 }"), None, dollar_underscore=vm) == ["web01", 4]
    assert invoke_value(block(shell, "{ $_ -gt 1 }"), dollar_underscore=5) is True
    assert invoke_value(block(shell, "{ }"), dollar_underscore=5) is None
    assert invoke_value(block(shell, "{ 1; 2 }")) == [1, 2]


def test_dollar_underscore_is_restored_afterwards(shell: Interpreter) -> None:
    run(shell, "$_ = 'outer'")
    sb = block(shell, "{ $_ }")
    assert sb.invoke(dollar_underscore="inner") == ["inner"]
    assert run(shell, "$_") == ["outer"]


def test_the_block_runs_in_its_defining_scope(shell: Interpreter) -> None:
    sb = block(shell, "$sum = 0; { $sum += $_ }")
    for n in (1, 2, 3):
        invoke(sb, dollar_underscore=n)
    assert run(shell, "$sum") == [6]


def test_arguments_bind_to_args_and_param(shell: Interpreter) -> None:
    assert invoke(block(shell, "{ $args.Count; $args[1] }"), args=["a", "b"]) == [2, "b"]
    assert invoke(block(shell, "{ param($x, [int]$y = 10) $x + $y }"), args=[1]) == [11]
    assert run(shell, "$x; $args") == [None, None]  # parameters stayed in the block's own scope


def test_closures_see_variables_of_their_scope(shell: Interpreter) -> None:
    sb = block(shell, "function Make { $factor = 3; { $_ * $factor } }; Make")
    assert invoke(sb, dollar_underscore=5) == [15]


def test_errors_and_break_propagate(shell: Interpreter) -> None:
    with pytest.raises(ThrownError) as caught:
        invoke(block(shell, "{ throw 'bad input' }"), dollar_underscore=1)
    assert caught.value.message == "bad input"
    with pytest.raises(BreakSignal):
        invoke(block(shell, "{ break }"))


def test_return_ends_only_the_block(shell: Interpreter) -> None:
    assert invoke(block(shell, "{ 1; return 2; 3 }")) == [1, 2]


def test_scriptblock_parameter_type(shell: Interpreter) -> None:
    sb = block(shell, "{ 1 }")
    assert SCRIPTBLOCK.convert(sb) is sb
    assert SCRIPTBLOCK.convert([sb]) is sb
    with pytest.raises(Exception, match="Cannot convert value 'x' to type ScriptBlock"):
        SCRIPTBLOCK.convert("x")
