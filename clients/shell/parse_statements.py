"""Parsing the keyword statements: if, foreach, for, while, do, break, continue, return, throw,
function, param, try, exit; and script-block bodies with their ``param( )`` blocks.

Each ``parse_*`` function starts at its keyword and is looked up in
``KEYWORDS`` by ``Parser.statement``; all of them work on the ``Parser``'s
position and token plumbing. The grammar is in ``parser``'s docstring.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from clients.shell import nodes
from clients.shell.lexer import Kind, Mode

if TYPE_CHECKING:
    from clients.shell.parser import Parser

STATEMENT_END = frozenset({Kind.NEWLINE, Kind.SEMI, Kind.EOF, Kind.RPAREN, Kind.RBRACE})
COMMAND_END = STATEMENT_END | {Kind.PIPE}
NAMED_BLOCKS = ("begin", "process", "end")
#: keywords that only continue a statement (``else`` after an ``if`` block ...): alone they are errors
CONTINUATIONS = frozenset({"else", "elseif", "catch", "finally", "until", *NAMED_BLOCKS})
#: PowerShell's keywords; those without a parse function are reported as not supported
RESERVED = frozenset(
    {"begin", "break", "catch", "class", "continue", "data", "do", "dynamicparam", "else", "elseif", "end",
     "enum", "filter", "finally", "for", "foreach", "function", "if", "param", "process", "return",
     "switch", "throw", "trap", "try", "until", "using", "while"}
)  # fmt: skip


def parse_exit(p: Parser) -> nodes.Statement:
    """``exit [expression]``."""
    start = p.take(Mode.COMMAND).start
    value = None if p.peek(Mode.COMMAND).kind in COMMAND_END else p.expression()
    return nodes.Exit(start, p.pos, value)


def block(p: Parser, message: str) -> nodes.StatementList:
    """``{ statements }``; blank lines may come before the ``{``."""
    p.skip_newlines()
    p.expect(Kind.LBRACE, message, Mode.COMMAND)
    body = p.statements()
    p.expect(Kind.RBRACE, "Missing closing '}' in statement block or type definition.", Mode.COMMAND)
    return body


def parenthesized(p: Parser, keyword: str) -> nodes.Statement:
    """``( statement )`` after ``if``, ``while`` ..."""
    p.skip_newlines()
    p.expect(Kind.LPAREN, f"Missing '(' after '{keyword}' in {keyword} statement.", Mode.COMMAND)
    p.skip_newlines()
    token = p.peek(Mode.COMMAND)
    if token.kind in STATEMENT_END:
        raise p.error(f"Missing condition in {keyword} statement after '{keyword} ('.", token)
    statement = p.statement()
    p.skip_newlines()
    p.expect(Kind.RPAREN, f"Missing closing ')' after expression in '{keyword}' statement.", Mode.COMMAND)
    return statement


def keyword_after(p: Parser, *words: str) -> str | None:
    """The next word if it is one of ``words`` (consumed, blank lines before it too), else None."""
    saved = p.pos
    p.skip_newlines()
    token = p.peek(Mode.COMMAND)
    if token.kind is Kind.GENERIC and token.value.lower() in words:
        p.take(Mode.COMMAND)
        return token.value.lower()
    p.pos = saved
    return None


def parse_if(p: Parser) -> nodes.Statement:
    """``if (..) { } elseif (..) { } else { }`` (blank lines may precede elseif/else)."""
    start = p.take(Mode.COMMAND).start
    clauses = [(parenthesized(p, "if"), block(p, "Missing statement block after if ( condition )."))]
    otherwise = None
    while True:
        word = keyword_after(p, "elseif", "else")
        if word == "elseif":
            test = parenthesized(p, "elseif")
            clauses.append((test, block(p, "Missing statement block after elseif ( condition ).")))
            continue
        if word == "else":
            otherwise = block(p, "Missing statement block after 'else' keyword.")
        return nodes.If(start, p.pos, tuple(clauses), otherwise)


def parse_foreach(p: Parser) -> nodes.Statement:
    """``foreach ($x in pipeline) { }``."""
    start = p.take(Mode.COMMAND).start
    p.skip_newlines()
    p.expect(Kind.LPAREN, "Missing opening '(' after keyword 'foreach'.", Mode.COMMAND)
    p.skip_newlines()
    variable = p.expect(Kind.VARIABLE, "Missing variable name after foreach.", Mode.COMMAND)
    p.skip_newlines()
    keyword = p.peek(Mode.COMMAND)
    if keyword.kind is not Kind.GENERIC or keyword.value.lower() != "in":
        raise p.error("Missing 'in' after variable in foreach loop.", keyword)
    p.take(Mode.COMMAND)
    p.skip_newlines()
    token = p.peek(Mode.COMMAND)
    if token.kind in STATEMENT_END:
        raise p.error("Missing foreach loop collection expression after 'in'.", token)
    items = p.pipeline()
    p.skip_newlines()
    p.expect(Kind.RPAREN, "Missing closing ')' after expression in 'foreach' statement.", Mode.COMMAND)
    body = block(p, "Missing statement body in foreach loop.")
    return nodes.ForEach(start, p.pos, variable.value, items, body)


def parse_for(p: Parser) -> nodes.Statement:
    """``for ([init]; [condition]; [step]) { }``."""
    start = p.take(Mode.COMMAND).start
    p.skip_newlines()
    p.expect(Kind.LPAREN, "Missing opening '(' after keyword 'for'.", Mode.COMMAND)
    parts: list[nodes.Statement | None] = []
    for closer in (Kind.SEMI, Kind.SEMI, Kind.RPAREN):
        p.skip_newlines()
        token = p.peek(Mode.COMMAND)
        parts.append(None if token.kind is closer else p.statement())
        p.skip_newlines()
        p.expect(closer, f"Missing '{closer.value}' in the for loop header.", Mode.COMMAND)
    body = block(p, "Missing statement body in for loop.")
    return nodes.For(start, p.pos, parts[0], parts[1], parts[2], body)


def parse_while(p: Parser) -> nodes.Statement:
    """``while (condition) { }``."""
    start = p.take(Mode.COMMAND).start
    condition = parenthesized(p, "while")
    body = block(p, "Missing statement body in while loop.")
    return nodes.While(start, p.pos, condition, body)


def parse_do(p: Parser) -> nodes.Statement:
    """``do { } while (..)`` or ``do { } until (..)``."""
    start = p.take(Mode.COMMAND).start
    body = block(p, "Missing statement body in do loop.")
    word = keyword_after(p, "while", "until")
    if word is None:
        raise p.error("Missing while or until keyword in do loop.", p.peek(Mode.COMMAND))
    condition = parenthesized(p, word)
    return nodes.DoLoop(start, p.pos, body, condition, until=word == "until")


_SWITCH_MODES = {"regex": "regex", "wildcard": "wildcard", "exact": "exact"}


def parse_switch(p: Parser) -> nodes.Statement:
    """``switch [-Regex|-Wildcard|-Exact] [-CaseSensitive] (value) { clauses }``."""
    start = p.take(Mode.COMMAND).start
    mode, case_sensitive = "exact", False
    while (option := p.peek(Mode.COMMAND)).kind is Kind.PARAMETER:
        name = option.value.lower()
        if name in _SWITCH_MODES:
            mode = _SWITCH_MODES[name]
        elif name == "casesensitive":
            case_sensitive = True
        else:
            raise p.error(f"The switch option '-{option.value}' is not supported by this shell yet.", option)
        p.take(Mode.COMMAND)
    value = parenthesized(p, "switch")
    p.skip_newlines()
    p.expect(Kind.LBRACE, "Missing '{' in switch statement.", Mode.COMMAND)
    clauses: list[tuple[nodes.Expression, nodes.StatementList]] = []
    default = None
    while True:
        p.skip_separators()
        token = p.peek(Mode.COMMAND)
        if token.kind is Kind.RBRACE:
            p.take(Mode.COMMAND)
            return nodes.Switch(start, p.pos, value, tuple(clauses), default, mode, case_sensitive)
        if token.kind is Kind.EOF:
            raise p.error("Missing closing '}' in statement block or type definition.", token)
        if token.kind is Kind.GENERIC and token.value.lower() == "default":
            p.take(Mode.COMMAND)
            if default is not None:
                raise p.error("A switch statement may have only one default clause.", token)
            default = block(p, "Missing statement block in switch statement clause.")
            continue
        pattern = p.command_argument()
        clauses.append((pattern, block(p, "Missing statement block in switch statement clause.")))


def parse_break(p: Parser) -> nodes.Statement:
    """``break [label]``."""
    start = p.take(Mode.COMMAND).start
    return nodes.Break(start, p.pos, _label(p))


def parse_continue(p: Parser) -> nodes.Statement:
    """``continue [label]``."""
    start = p.take(Mode.COMMAND).start
    return nodes.Continue(start, p.pos, _label(p))


def _label(p: Parser) -> str | None:
    """The loop label after ``break``/``continue``, if any."""
    token = p.peek(Mode.COMMAND)
    if token.kind in COMMAND_END:
        return None
    if token.kind is not Kind.GENERIC or not token.value.replace("_", "a").isalnum():
        raise p.error("A loop label is a name: break outer, continue outer.", token)
    p.take(Mode.COMMAND)
    return token.value


LOOPS = ("foreach", "for", "while", "do", "switch")


def parse_labeled(p: Parser) -> nodes.Statement:
    """``:name`` before a loop."""
    token = p.take(Mode.COMMAND)
    label = token.value[1:]
    loop = p.peek(Mode.COMMAND)
    if loop.kind is not Kind.GENERIC or loop.value.lower() not in LOOPS:
        raise p.error(
            f"A label (:{label}) must be followed by a foreach, for, while, do or switch loop.", loop
        )
    statement = KEYWORDS[loop.value.lower()](p)
    return nodes.Labeled(token.start, p.pos, label, statement)


def _optional_pipeline(p: Parser) -> nodes.Statement | None:
    return None if p.peek(Mode.COMMAND).kind in COMMAND_END else p.pipeline()


def parse_return(p: Parser) -> nodes.Statement:
    """``return [pipeline]``."""
    start = p.take(Mode.COMMAND).start
    value = _optional_pipeline(p)
    return nodes.Return(start, p.pos, value)


def parse_throw(p: Parser) -> nodes.Statement:
    """``throw [pipeline]``."""
    start = p.take(Mode.COMMAND).start
    value = _optional_pipeline(p)
    return nodes.Throw(start, p.pos, value)


def parse_function(p: Parser) -> nodes.Statement:
    """``function Name [(params)] { body }`` (or ``filter``: the body is the process block)."""
    keyword = p.take(Mode.COMMAND)
    start = keyword.start
    name = p.peek(Mode.COMMAND)
    if name.kind is not Kind.GENERIC or name.value.lower() in RESERVED:
        raise p.error("Missing name after function keyword.", name)
    p.take(Mode.COMMAND)
    parameters: tuple[nodes.ParameterDecl, ...] | None = None
    if p.peek(Mode.COMMAND).kind is Kind.LPAREN:
        p.take(Mode.COMMAND)
        parameters = parameter_list(p)
    p.skip_newlines()
    brace = p.expect(Kind.LBRACE, "Missing function body in function declaration.", Mode.COMMAND)
    body = script_body(p, brace.start)
    if keyword.value.lower() == "filter" and body.begin_block is body.process_block is None:
        body = nodes.ScriptBlockBody(body.start, body.end, body.parameters, None, body.end_block, None)
    if parameters is not None:
        if body.parameters is not None:
            raise p.error(
                "A function cannot use both a parameter list after its name and a param block.", name
            )
        body = nodes.ScriptBlockBody(
            body.start, body.end, parameters, body.begin_block, body.process_block, body.end_block
        )
    return nodes.FunctionDefinition(start, p.pos, name.value, body)


def parse_param(p: Parser) -> nodes.Statement:
    """``param( )`` as a statement (at the top of a script file)."""
    start = p.take(Mode.COMMAND).start
    p.skip_newlines()
    p.expect(Kind.LPAREN, "Missing '(' after 'param'.", Mode.COMMAND)
    return nodes.ParamStatement(start, p.pos, parameter_list(p))


def parse_try(p: Parser) -> nodes.Statement:
    """``try { }`` with ``catch [T], [T2] { }`` clauses and/or ``finally { }``."""
    start = p.take(Mode.COMMAND).start
    body = block(p, "Missing statement block after 'try'.")
    catches: list[nodes.CatchClause] = []
    final = None
    while keyword_after(p, "catch"):
        clause_start = p.pos
        types: list[str] = []
        while (token := p.peek(Mode.COMMAND)).kind is Kind.GENERIC and token.value.startswith("["):
            if not token.value.endswith("]") or len(token.value) < 3:
                raise p.error("Missing type name after '['.", token)
            types.append(token.value[1:-1].strip())
            p.take(Mode.COMMAND)
            if p.peek(Mode.COMMAND).kind is Kind.COMMA:
                p.take(Mode.COMMAND)
                p.skip_newlines()
        clause = block(p, "Missing statement block in catch block.")
        catches.append(nodes.CatchClause(clause_start, p.pos, tuple(types), clause))
    if keyword_after(p, "finally"):
        final = block(p, "Missing statement block after 'finally'.")
    if not catches and final is None:
        raise p.error("The Try statement is missing its Catch or Finally block.", p.peek(Mode.COMMAND))
    return nodes.Try(start, p.pos, body, tuple(catches), final)


def script_body(p: Parser, brace: int) -> nodes.ScriptBlockBody:
    """What follows a ``{`` up to and including its ``}``: optional ``param( )``, then statements."""
    p.skip_separators()
    skip_script_attributes(p)
    parameters = None
    token = p.peek(Mode.COMMAND)
    if token.kind is Kind.GENERIC and token.value.lower() == "param":
        p.take(Mode.COMMAND)
        p.skip_newlines()
        p.expect(Kind.LPAREN, "Missing '(' after 'param'.", Mode.COMMAND)
        parameters = parameter_list(p)
        p.skip_separators()
    named: dict[str, nodes.StatementList] = {}
    while (token := p.peek(Mode.COMMAND)).kind is Kind.GENERIC and token.value.lower() in NAMED_BLOCKS:
        saved = p.pos
        p.take(Mode.COMMAND)
        p.skip_newlines()
        if p.peek(Mode.COMMAND).kind is not Kind.LBRACE:
            p.pos = saved
            break
        named[token.value.lower()] = block(p, "Missing statement block.")
        p.skip_separators()
    end_block = None if named else p.statements()
    if named and p.peek(Mode.COMMAND).kind is not Kind.RBRACE:
        raise p.error(
            "Unexpected token in script block: only begin, process and end blocks may follow them.",
            p.peek(Mode.COMMAND),
        )
    close = p.peek(Mode.COMMAND)
    if close.kind is not Kind.RBRACE:
        raise p.error("Missing closing '}' in statement block or type definition.", close)
    p.take(Mode.COMMAND)
    if named:
        end_block = named.get("end")
    return nodes.ScriptBlockBody(
        brace, p.pos, parameters, named.get("begin"), named.get("process"), end_block
    )


#: attributes a script or function may carry before ``param( )``; accepted, without effect here
SCRIPT_ATTRIBUTES = ("cmdletbinding", "outputtype", "alias")


def skip_script_attributes(p: Parser) -> bool:
    """Skip ``[CmdletBinding()]``-style attributes (and blank lines after them); whether any was there."""
    skipped = False
    while True:
        start = p.lexer.skip_trivia(p.pos)
        if p.lexer.char(start) != "[":
            return skipped
        saved = p.pos
        text = p.bracket_text()
        if text.split("(", 1)[0].strip().lower() not in SCRIPT_ATTRIBUTES:
            p.pos = saved
            return skipped
        skipped = True
        p.skip_separators()


def parameter_list(p: Parser) -> tuple[nodes.ParameterDecl, ...]:
    """Parameters after ``(`` up to and including ``)``."""
    parameters: list[nodes.ParameterDecl] = []
    p.skip_newlines()
    if p.peek(Mode.COMMAND).kind is Kind.RPAREN:
        p.take(Mode.COMMAND)
        return ()
    while True:
        p.skip_newlines()
        parameters.append(parameter(p))
        p.skip_newlines()
        token = p.peek(Mode.COMMAND)
        if token.kind is Kind.COMMA:
            p.take(Mode.COMMAND)
            continue
        if token.kind is Kind.RPAREN:
            p.take(Mode.COMMAND)
            return tuple(parameters)
        raise p.error("Missing ')' in function parameter list.", token)


#: the validation attributes a parameter may carry (see ``validation``)
VALIDATORS = ("validateset", "validaterange", "validatenotnull", "validatenotnullorempty", "validatepattern",
              "validatecount", "validatelength", "validatescript", "alias", "allownull", "allowemptystring",
              "allowemptycollection")  # fmt: skip


def _attribute_name(p: Parser) -> str | None:
    """The name of a ``[Name(`` attribute at the next ``[``, or None when it is a type (``[int]``)."""
    i = p.lexer.skip_trivia(p.pos) + 1
    j = i
    while p.lexer.char(j).isalnum() or p.lexer.char(j) in "._":
        j += 1
    return p.lexer.source[i:j] if j > i and p.lexer.char(j) == "(" else None


def parameter(p: Parser) -> nodes.ParameterDecl:
    """One parameter: attributes and a type in brackets, ``$Name``, an optional ``= default``."""
    start = p.pos
    type_name = None
    mandatory = pipeline = False
    validators: list[tuple[str, tuple[nodes.Expression, ...]]] = []
    while p.peek().kind is Kind.LBRACKET:
        attribute = _attribute_name(p)
        if attribute is not None and attribute.lower() in VALIDATORS:
            p.pos = p.lexer.skip_trivia(p.pos) + 1 + len(attribute)
            validators.append((attribute.lower(), p.method_arguments()))
            p.expect(Kind.RBRACKET, f"Missing ']' after the {attribute} attribute.")
            p.skip_newlines()
            continue
        text = p.bracket_text()
        p.skip_newlines()
        name, _, arguments = text.partition("(")
        if not arguments:
            type_name = text
            continue
        if name.strip().lower() != "parameter":
            raise p.error(f"The attribute [{name.strip()}] is not supported by this shell yet.", p.peek())
        for item in arguments.rstrip(")").split(","):
            key, _, value = item.partition("=")
            on = value.strip().lower() not in ("$false", "0")
            if key.strip().lower() == "mandatory":
                mandatory = on
            elif key.strip().lower() in ("valuefrompipeline", "valuefrompipelinebypropertyname"):
                pipeline = on
    variable = p.peek()
    if variable.kind is not Kind.VARIABLE:
        raise p.error("Missing parameter name: a parameter is written as $Name.", variable)
    p.take()
    default = None
    assign = p.peek()
    if assign.kind is Kind.ASSIGN and assign.value == "=":
        p.take()
        p.skip_newlines()
        p.no_comma = True
        try:
            default = p.expression()
        finally:
            p.no_comma = False
    return nodes.ParameterDecl(
        start, p.pos, variable.value, type_name, default, mandatory, pipeline, tuple(validators)
    )


#: the statement keywords and their parse functions
KEYWORDS: dict[str, Callable[[Parser], nodes.Statement]] = {
    "exit": parse_exit, "if": parse_if, "foreach": parse_foreach, "for": parse_for, "while": parse_while,
    "do": parse_do, "break": parse_break, "continue": parse_continue, "return": parse_return,
    "throw": parse_throw, "function": parse_function, "filter": parse_function, "try": parse_try,
    "param": parse_param, "switch": parse_switch,
}  # fmt: skip
