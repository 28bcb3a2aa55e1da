"""Recursive-descent parser: source text to a ``nodes.StatementList``.

Grammar (a PowerShell subset; precedence from loose to tight)::

    script      := statements EOF
    statements  := { ';' | NEWLINE } [ statement { (';' | NEWLINE) statements } ]
    statement   := 'exit' [expression] | pipeline
    pipeline    := assignable '=' statement
                 | (command | expression) { '|' command }
    command     := WORD { PARAMETER [argument] | arguments }
    arguments   := argument { ',' argument }           (command mode)
    expression  := logical
    logical     := comparison { (-and | -or | -xor) comparison }
    comparison  := additive { (-eq | -like | ...) additive }
    additive    := multiplicative { ('+' | '-') multiplicative }
    multiplicative := array { ('*' | '/' | '%') array }
    array       := unary { ',' unary }
    unary       := ('-' | '+' | '!' | -not) unary | postfix
    postfix     := primary { '.' NAME | '[' expression ']' }     (no blank before '.' or '[')
    primary     := NUMBER | STRING | VARIABLE | '(' statement ')' | '$(' statements ')' | '@(' statements ')'
"""

from __future__ import annotations

from collections.abc import Callable

from clients.shell import nodes
from clients.shell.errors import ParseError
from clients.shell.lexer import Kind, Lexer, Mode, SubexpressionPart, Token, VariablePart

_COMPARISON = frozenset(
    {"eq", "ne", "gt", "ge", "lt", "le", "like", "notlike"}
    | {p + op for op in ("eq", "ne", "gt", "ge", "lt", "le", "like", "notlike") for p in ("c", "i")}
)
_LOGICAL = frozenset({"and", "or", "xor"})
_ADDITIVE = {Kind.PLUS: "+", Kind.MINUS: "-"}
_MULTIPLICATIVE = {Kind.STAR: "*", Kind.SLASH: "/", Kind.PERCENT: "%"}
_UNARY = {Kind.MINUS: "-", Kind.PLUS: "+", Kind.EXCLAIM: "!"}
_STATEMENT_END = frozenset({Kind.NEWLINE, Kind.SEMI, Kind.EOF, Kind.RPAREN, Kind.RBRACE})
_COMMAND_END = _STATEMENT_END | {Kind.PIPE}
#: keywords that start a statement; each is parsed by the method named here
_KEYWORDS = {"exit": "_exit"}
_RESERVED = frozenset(
    {"begin", "break", "catch", "class", "continue", "data", "do", "dynamicparam", "else", "elseif", "end",
     "enum", "filter", "finally", "for", "foreach", "function", "if", "param", "process", "return",
     "switch", "throw", "trap", "try", "until", "using", "while"}
)  # fmt: skip


def parse(source: str, source_name: str = "") -> nodes.StatementList:
    """Parse a whole script. Raises ``ParseError``."""
    return Parser(source, source_name=source_name).parse_script()


class Parser:
    """Parses ``source[start:end]``; offsets in nodes and errors are offsets into ``source``."""

    def __init__(self, source: str, start: int = 0, end: int | None = None, source_name: str = "") -> None:
        self.lexer = Lexer(source, end, source_name)
        self.pos = start

    # -- token plumbing -----------------------------------------------------------------------

    def peek(self, mode: Mode = Mode.EXPRESSION) -> Token:
        """The next token in ``mode``, not consumed."""
        return self.lexer.scan(self.pos, mode)

    def take(self, mode: Mode = Mode.EXPRESSION) -> Token:
        """Consume and return the next token in ``mode``."""
        token = self.peek(mode)
        self.pos = token.end
        return token

    def expect(self, kind: Kind, message: str, mode: Mode = Mode.EXPRESSION) -> Token:
        token = self.peek(mode)
        if token.kind is not kind:
            raise self.error(message, token)
        return self.take(mode)

    def skip_newlines(self) -> None:
        while self.peek(Mode.COMMAND).kind is Kind.NEWLINE:
            self.take(Mode.COMMAND)

    def error(self, message: str, token: Token) -> ParseError:
        return self.lexer.error(message, token.start, incomplete=token.kind is Kind.EOF)

    def unexpected(self, token: Token) -> ParseError:
        if token.kind is Kind.EOF:
            return self.error("Unexpected end of input.", token)
        if token.kind in (Kind.OPERATOR, Kind.DOTDOT):
            return self.error(f"The '{token.text}' operator is not supported by this shell yet.", token)
        return self.error(f"Unexpected token '{token.text}' in expression or statement.", token)

    # -- statements ---------------------------------------------------------------------------

    def parse_script(self) -> nodes.StatementList:
        """The whole input as statements; anything left over is an error."""
        body = self.statements()
        token = self.peek(Mode.COMMAND)
        if token.kind is not Kind.EOF:
            raise self.unexpected(token)
        return body

    def statements(self) -> nodes.StatementList:
        """Statements until ``)``, ``}`` or the end; the closing token is left unread."""
        start = self.pos
        items: list[nodes.Statement] = []
        while True:
            token = self.peek(Mode.COMMAND)
            if token.kind in (Kind.NEWLINE, Kind.SEMI):
                self.take(Mode.COMMAND)
                continue
            if token.kind in (Kind.EOF, Kind.RPAREN, Kind.RBRACE):
                return nodes.StatementList(start, self.pos, tuple(items))
            items.append(self.statement())
            after = self.peek(Mode.COMMAND)
            if after.kind not in _STATEMENT_END:
                raise self.unexpected(self._operator_or(after))

    def _operator_or(self, token: Token) -> Token:
        """The operator (``-match``, ``..``) that ``token`` is in expression mode, else ``token``."""
        try:
            operator = self.peek(Mode.EXPRESSION)
        except ParseError:
            return token
        return operator if operator.kind in (Kind.OPERATOR, Kind.DOTDOT) else token

    def statement(self) -> nodes.Statement:
        token = self.peek(Mode.COMMAND)
        if token.kind is Kind.GENERIC:
            word = token.value.lower()
            if word in _KEYWORDS:
                method: Callable[[], nodes.Statement] = getattr(self, _KEYWORDS[word])
                return method()
            if word in _RESERVED:
                raise self.error(f"The '{word}' keyword is not supported by this shell yet.", token)
        return self.pipeline()

    def _exit(self) -> nodes.Statement:
        start = self.take(Mode.COMMAND).start
        value = None if self.peek(Mode.COMMAND).kind in _COMMAND_END else self.expression()
        return nodes.Exit(start, self.pos, value)

    def pipeline(self) -> nodes.Statement:
        start = self.pos
        first = self.peek(Mode.COMMAND)
        head: nodes.Command | nodes.Expression
        if self._starts_command(first):
            head = self.command()
        else:
            head = self.expression()
            assign = self.peek()
            if assign.kind is Kind.ASSIGN:
                if not isinstance(head, nodes.Variable | nodes.Member | nodes.Index):
                    raise self.error("The assignment expression is not valid.", assign)
                self.take()
                self.skip_newlines()
                if self.peek(Mode.COMMAND).kind in _COMMAND_END:
                    raise self.error(f"Missing expression after '{assign.value}'.", self.peek(Mode.COMMAND))
                value = self.statement()
                return nodes.Assignment(start, self.pos, head, assign.value, value)
        elements: list[nodes.Command | nodes.Expression] = [head]
        while self.peek(Mode.COMMAND).kind is Kind.PIPE:
            self.take(Mode.COMMAND)
            self.skip_newlines()
            token = self.peek(Mode.COMMAND)
            if token.kind in _COMMAND_END:
                raise self.error("An empty pipe element is not allowed.", token)
            if not self._starts_command(token):
                raise self.error("Expressions are only allowed as the first element of a pipeline.", token)
            elements.append(self.command())
        return nodes.Pipeline(start, self.pos, tuple(elements))

    @staticmethod
    def _starts_command(token: Token) -> bool:
        """A bare word starts a command unless it starts like an expression: -(1), !$x, [type], 1..3."""
        first = token.text[:1]
        return (
            token.kind is Kind.GENERIC and first not in ("", "$", "-", "+", "!", "[") and not first.isdigit()
        )

    # -- commands -----------------------------------------------------------------------------

    def command(self) -> nodes.Command:
        name = self.take(Mode.COMMAND)
        elements: list[nodes.CommandElement] = []
        while True:
            token = self.peek(Mode.COMMAND)
            if token.kind in _COMMAND_END:
                break
            if token.kind is Kind.PARAMETER:
                self.take(Mode.COMMAND)
                argument = None
                if token.colon:
                    if self.peek(Mode.COMMAND).kind in _COMMAND_END:
                        raise self.error(
                            f"Missing an argument for parameter '{token.value}'.", self.peek(Mode.COMMAND)
                        )
                    argument = self.command_argument()
                elements.append(
                    nodes.CommandParameter(token.start, self.pos, token.value, argument, token.colon)
                )
            else:
                elements.append(self.command_arguments())
        return nodes.Command(name.start, self.pos, name.value, tuple(elements))

    def command_arguments(self) -> nodes.Expression:
        start = self.pos
        items = [self.command_argument()]
        while self.peek(Mode.COMMAND).kind is Kind.COMMA:
            self.take(Mode.COMMAND)
            self.skip_newlines()
            items.append(self.command_argument())
        return items[0] if len(items) == 1 else nodes.ArrayLiteral(start, self.pos, tuple(items))

    def command_argument(self) -> nodes.Expression:
        token = self.peek(Mode.COMMAND)
        if token.kind is Kind.GENERIC:
            self.take(Mode.COMMAND)
            return nodes.StringConstant(token.start, token.end, token.value, quoted=False)
        if token.kind is Kind.PARAMETER:
            # "-" words after a colon parameter, e.g. -Name:-x, are plain strings
            self.take(Mode.COMMAND)
            return nodes.StringConstant(token.start, token.end, token.text, quoted=False)
        if token.kind in (Kind.COMMA, Kind.AMP) or token.kind in _COMMAND_END:
            raise self.error("Missing argument in parameter list.", token)
        return self.postfix(self.primary(Mode.COMMAND))

    # -- expressions --------------------------------------------------------------------------

    def expression(self) -> nodes.Expression:
        return self.logical()

    def _binary_loop(
        self, operand: Callable[[], nodes.Expression], operator_of: Callable[[Token], str | None]
    ) -> nodes.Expression:
        start = self.pos
        left = operand()
        while True:
            token = self.peek()
            operator = operator_of(token)
            if operator is None:
                return left
            self.take()
            self.skip_newlines()
            right = operand()
            left = nodes.Binary(start, self.pos, operator, left, right)

    def logical(self) -> nodes.Expression:
        return self._binary_loop(self.comparison, lambda t: _dash_operator(t, _LOGICAL))

    def comparison(self) -> nodes.Expression:
        return self._binary_loop(self.additive, lambda t: _dash_operator(t, _COMPARISON))

    def additive(self) -> nodes.Expression:
        return self._binary_loop(self.multiplicative, lambda t: _ADDITIVE.get(t.kind))

    def multiplicative(self) -> nodes.Expression:
        return self._binary_loop(self.array, lambda t: _MULTIPLICATIVE.get(t.kind))

    def array(self) -> nodes.Expression:
        start = self.pos
        items = [self.unary()]
        while self.peek().kind is Kind.COMMA:
            self.take()
            self.skip_newlines()
            items.append(self.unary())
        return items[0] if len(items) == 1 else nodes.ArrayLiteral(start, self.pos, tuple(items))

    def unary(self) -> nodes.Expression:
        token = self.peek()
        operator = _UNARY.get(token.kind) or ("not" if _dash_operator(token, {"not"}) else None)
        if operator is None:
            return self.postfix(self.primary(Mode.EXPRESSION))
        self.take()
        operand = self.unary()
        return nodes.Unary(token.start, self.pos, operator, operand)

    def postfix(self, target: nodes.Expression) -> nodes.Expression:
        """Member access and indexing; they must follow the target without blanks."""
        while True:
            c = self.lexer.char(self.pos)
            if c == "." and self.lexer.char(self.pos + 1) != ".":
                name = self.lexer.scan_member(self.pos + 1)
                self.pos = name.end
                if self.lexer.char(self.pos) == "(":
                    raise self.error("Method calls are not supported by this shell yet.", self.peek())
                target = nodes.Member(target.start, self.pos, target, name.value)
            elif c == "[":
                self.take()
                self.skip_newlines()
                index = self.expression()
                self.skip_newlines()
                self.expect(Kind.RBRACKET, "Array index expression is missing or not valid.")
                target = nodes.Index(target.start, self.pos, target, index)
            else:
                return target

    def primary(self, mode: Mode) -> nodes.Expression:
        token = self.peek(mode)
        kind = token.kind
        if kind is Kind.NUMBER:
            self.take(mode)
            return nodes.Constant(token.start, token.end, token.number)
        if kind is Kind.STRING:
            self.take(mode)
            return nodes.StringConstant(token.start, token.end, token.value, quoted=True)
        if kind is Kind.EXPANDABLE:
            self.take(mode)
            return self._expandable(token)
        if kind is Kind.VARIABLE:
            self.take(mode)
            return nodes.Variable(token.start, token.end, token.value)
        if kind is Kind.LPAREN:
            self.take(mode)
            self.skip_newlines()
            if self.peek(Mode.COMMAND).kind is Kind.EOF:
                raise self.error("Missing closing ')' in expression.", self.peek(Mode.COMMAND))
            if self.peek(Mode.COMMAND).kind is Kind.RPAREN:
                raise self.error("An expression was expected after '('.", self.peek(Mode.COMMAND))
            statement = self.statement()
            self.skip_newlines()
            self.expect(Kind.RPAREN, "Missing closing ')' in expression.", Mode.COMMAND)
            return nodes.Paren(token.start, self.pos, statement)
        if kind in (Kind.DOLLAR_PAREN, Kind.AT_PAREN):
            self.take(mode)
            body = self.statements()
            self.expect(Kind.RPAREN, "Missing closing ')' in subexpression.", Mode.COMMAND)
            node = nodes.SubExpression if kind is Kind.DOLLAR_PAREN else nodes.ArrayExpression
            return node(token.start, self.pos, body)
        if kind is Kind.AT_BRACE:
            raise self.error("Hash literals (@{ }) are not supported by this shell yet.", token)
        if kind is Kind.LBRACE:
            raise self.error("Script blocks ({ }) are not supported by this shell yet.", token)
        if kind is Kind.LBRACKET:
            raise self.error("Type literals ([type]) are not supported by this shell yet.", token)
        if kind in _COMMAND_END or kind is Kind.COMMA:
            raise self.error("You must provide a value expression here.", token)
        raise self.unexpected(token)

    def _expandable(self, token: Token) -> nodes.Expression:
        parts: list[str | nodes.Expression] = []
        for part in token.parts:
            if isinstance(part, str):
                parts.append(part)
            elif isinstance(part, VariablePart):
                parts.append(nodes.Variable(part.start, part.end, part.name))
            elif isinstance(part, SubexpressionPart):
                inner = Parser(self.lexer.source, part.start, part.end, self.lexer.source_name)
                body = inner.parse_script()
                parts.append(nodes.SubExpression(part.start - 2, part.end + 1, body))
        if all(isinstance(p, str) for p in parts):
            return nodes.StringConstant(token.start, token.end, "".join(str(p) for p in parts), quoted=True)
        return nodes.ExpandableString(token.start, token.end, tuple(parts))


def _dash_operator(token: Token, names: frozenset[str] | set[str]) -> str | None:
    return token.value if token.kind is Kind.OPERATOR and token.value in names else None
