"""Recursive-descent parser: source text to a ``nodes.StatementList``.

Grammar (a PowerShell subset; precedence from loose to tight)::

    script      := statements EOF
    statements  := { ';' | NEWLINE } [ statement { (';' | NEWLINE) statements } ]
    statement   := 'exit' [expression] | ('break' | 'continue') [LABEL] | ('return' | 'throw') [pipeline]
                 | ':'LABEL ('foreach' | 'for' | 'while' | 'do' | 'switch') ...
                 | 'if' '(' statement ')' block { 'elseif' '(' statement ')' block } [ 'else' block ]
                 | 'foreach' '(' VARIABLE 'in' pipeline ')' block
                 | 'for' '(' [statement] ';' [statement] ';' [statement] ')' block
                 | 'while' '(' statement ')' block | 'do' block ('while' | 'until') '(' statement ')'
                 | 'function' NAME [ '(' parameters ')' ] '{' scriptbody '}'
                 | 'try' block { 'catch' { '[' TYPE ']' [','] } block } [ 'finally' block ]
                 | 'switch' { -Regex | -Wildcard | -Exact | -CaseSensitive } '(' statement ')'
                   '{' { (argument | 'default') block } '}'
                 | 'param' '(' parameters ')'
                 | pipeline
    block       := '{' statements '}'
    scriptbody  := [ 'param' '(' parameters ')' ] ( { ('begin'|'process'|'end') block } | statements )
    parameters  := [ parameter { ',' parameter } ]
    parameter   := { '[' TYPE-OR-ATTRIBUTE ']' } VARIABLE [ '=' expression ]
    pipeline    := assignable ('=' | '+=' | ...) statement
                 | (command | call | expression) { '|' (command | call) }
    call        := ('&' | '.') primary { PARAMETER [argument] | arguments }
    command     := WORD { PARAMETER [argument] | '@'NAME | arguments }       (@NAME: splatting)
    arguments   := argument { ',' argument }           (command mode)
    expression  := logical
    logical     := comparison { (-and | -or | -xor) comparison }
    comparison  := bitwise { (-eq | -like | -match | -contains | -in | -replace | -split | -join
                               | -is | -as ...) bitwise }
    bitwise     := additive { (-band | -bor | -bxor | -shl | -shr) additive }
    additive    := multiplicative { ('+' | '-') multiplicative }
    multiplicative := format { ('*' | '/' | '%') format }
    format      := range { -f range }
    range       := array [ '..' array ]
    array       := unary { ',' unary }
    unary       := ('-' | '+' | '!' | -not | -bnot | -split | -join | ',') unary | ('++' | '--') unary
                 | '[' TYPE ']' unary | '[' TYPE ']' '::' NAME [ '(' arguments ')' ] | postfix
    postfix     := primary { '.' NAME [ '(' arguments ')' ] | '[' expression ']' } [ '++' | '--' ]
                   (no blank before '.' '[' '(')
    primary     := NUMBER | STRING | VARIABLE | '(' statement ')' | '$(' statements ')' | '@(' statements ')'
                 | '{' scriptbody '}' | '@{' { key '=' statement (';' | NEWLINE) } '}' | '[' TYPE ']'
"""

from __future__ import annotations

from collections.abc import Callable

from clients.shell import nodes
from clients.shell import parse_statements as statements_parser
from clients.shell.errors import ParseError
from clients.shell.lexer import Kind, Lexer, Mode, SubexpressionPart, Token, VariablePart

_CASED = ("eq", "ne", "gt", "ge", "lt", "le", "like", "notlike", "match", "notmatch", "contains",
          "notcontains", "in", "notin", "replace", "split")  # fmt: skip
_COMPARISON = frozenset(
    {*_CASED, "join", "is", "isnot", "as"} | {p + op for op in _CASED for p in ("c", "i")}
)
_LOGICAL = frozenset({"and", "or", "xor"})
_BITWISE = frozenset({"band", "bor", "bxor", "shl", "shr"})
_ADDITIVE = {Kind.PLUS: "+", Kind.MINUS: "-"}
_MULTIPLICATIVE = {Kind.STAR: "*", Kind.SLASH: "/", Kind.PERCENT: "%"}
_UNARY = {Kind.MINUS: "-", Kind.PLUS: "+", Kind.EXCLAIM: "!"}
_STATEMENT_END = statements_parser.STATEMENT_END
_COMMAND_END = statements_parser.COMMAND_END
#: tokens that may follow a type literal to make it a cast: ``[int]"5"``, ``[int]$x``
_CAST_OPERAND = frozenset(
    {Kind.NUMBER, Kind.STRING, Kind.EXPANDABLE, Kind.VARIABLE, Kind.LPAREN, Kind.DOLLAR_PAREN,
     Kind.AT_PAREN, Kind.AT_BRACE, Kind.LBRACKET}
)  # fmt: skip


def parse(source: str, source_name: str = "") -> nodes.StatementList:
    """Parse a whole script. Raises ``ParseError``."""
    return Parser(source, source_name=source_name).parse_script()


class Parser:
    """Parses ``source[start:end]``; offsets in nodes and errors are offsets into ``source``."""

    def __init__(self, source: str, start: int = 0, end: int | None = None, source_name: str = "") -> None:
        self.lexer = Lexer(source, end, source_name)
        self.pos = start
        #: inside a parameter default: a comma ends the expression (it separates parameters)
        self.no_comma = False

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

    def skip_separators(self) -> None:
        """Skip newlines and semicolons."""
        while self.peek(Mode.COMMAND).kind in (Kind.NEWLINE, Kind.SEMI):
            self.take(Mode.COMMAND)

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
        saved, self.no_comma = self.no_comma, False
        try:
            return self._statement()
        finally:
            self.no_comma = saved

    def _statement(self) -> nodes.Statement:
        if statements_parser.skip_script_attributes(self):  # [CmdletBinding()] param(...)
            token = self.peek(Mode.COMMAND)
            if token.kind in _STATEMENT_END:
                raise self.error("Unexpected attribute: it must be followed by param( ).", token)
            return self._statement()
        token = self.peek(Mode.COMMAND)
        if token.kind is Kind.GENERIC:
            word = token.value.lower()
            if word.startswith(":") and len(word) > 1:
                return statements_parser.parse_labeled(self)
            parse_keyword = statements_parser.KEYWORDS.get(word)
            if parse_keyword is not None:
                return parse_keyword(self)
            if word in statements_parser.CONTINUATIONS:
                raise self.error(f"Unexpected token '{token.value}' in expression or statement.", token)
            if word in statements_parser.RESERVED:
                raise self.error(f"The '{word}' keyword is not supported by this shell yet.", token)
        return self.pipeline()

    def bracket_text(self) -> str:
        """The text inside ``[ ... ]`` starting at the next ``[`` (nested brackets and parentheses kept)."""
        start = self.lexer.skip_trivia(self.pos)
        depth = 0
        i = start
        while True:
            c = self.lexer.char(i)
            if c == "" or c in "\r\n":
                raise self.error("Missing ']' after type name.", self.lexer.scan(i, Mode.EXPRESSION))
            if c in "[(":
                depth += 1
            elif c in "])":
                depth -= 1
                if depth == 0:
                    break
            i += 1
        text = self.lexer.source[start + 1 : i].strip()
        if not text:
            raise self.error("Missing type name after '['.", self.peek())
        self.pos = i + 1
        return text

    def pipeline(self) -> nodes.Statement:
        start = self.pos
        first = self.peek(Mode.COMMAND)
        head: nodes.Command | nodes.ScriptCall | nodes.Expression
        if self._starts_call(first):
            head = self.call()
        elif self._starts_command(first):
            head = self.command()
        else:
            head = self.expression()
            assign = self.peek()
            if assign.kind is Kind.ASSIGN:
                if not _assignable_target(head, assign.value):
                    raise self.error("The assignment expression is not valid.", assign)
                self.take()
                self.skip_newlines()
                if self.peek(Mode.COMMAND).kind in _COMMAND_END:
                    raise self.error(f"Missing expression after '{assign.value}'.", self.peek(Mode.COMMAND))
                value = self.statement()
                return nodes.Assignment(start, self.pos, head, assign.value, value)
        elements: list[nodes.Command | nodes.ScriptCall | nodes.Expression] = [head]
        while self.peek(Mode.COMMAND).kind is Kind.PIPE:
            self.take(Mode.COMMAND)
            self.skip_newlines()
            token = self.peek(Mode.COMMAND)
            if token.kind in _COMMAND_END:
                raise self.error("An empty pipe element is not allowed.", token)
            if self._starts_call(token):
                elements.append(self.call())
                continue
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

    @staticmethod
    def _starts_call(token: Token) -> bool:
        """``& target`` or ``. target`` (dot-sourcing: a lone dot followed by a blank)."""
        return token.kind is Kind.AMP or (token.kind is Kind.GENERIC and token.value == ".")

    # -- commands -----------------------------------------------------------------------------

    def command(self) -> nodes.Command:
        name = self.take(Mode.COMMAND)
        return nodes.Command(name.start, self.pos, name.value, self.command_elements())

    def call(self) -> nodes.ScriptCall:
        operator = self.take(Mode.COMMAND)
        token = self.peek(Mode.COMMAND)
        if token.kind in _COMMAND_END:
            raise self.error(f"Missing expression after '{operator.text}'.", token)
        target = self.command_argument()
        return nodes.ScriptCall(
            operator.start, self.pos, target, self.command_elements(), operator.text == "."
        )

    def command_elements(self) -> tuple[nodes.CommandElement, ...]:
        elements: list[nodes.CommandElement] = []
        while True:
            token = self.peek(Mode.COMMAND)
            if token.kind in _COMMAND_END:
                break
            if token.kind is Kind.SPLAT:
                self.take(Mode.COMMAND)
                elements.append(nodes.Splat(token.start, token.end, token.value))
                continue
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
        return tuple(elements)

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
        return self._binary_loop(self.bitwise, lambda t: _dash_operator(t, _COMPARISON))

    def bitwise(self) -> nodes.Expression:
        return self._binary_loop(self.additive, lambda t: _dash_operator(t, _BITWISE))

    def additive(self) -> nodes.Expression:
        return self._binary_loop(self.multiplicative, lambda t: _ADDITIVE.get(t.kind))

    def multiplicative(self) -> nodes.Expression:
        return self._binary_loop(self.format, lambda t: _MULTIPLICATIVE.get(t.kind))

    def format(self) -> nodes.Expression:
        return self._binary_loop(self.range, lambda t: _dash_operator(t, {"f"}))

    def range(self) -> nodes.Expression:
        start = self.pos
        left = self.array()
        if self.peek().kind is not Kind.DOTDOT:
            return left
        self.take()
        self.skip_newlines()
        return nodes.Binary(start, self.pos, "..", left, self.array())

    def array(self) -> nodes.Expression:
        start = self.pos
        items = [self.unary()]
        while self.peek().kind is Kind.COMMA and not self.no_comma:
            self.take()
            self.skip_newlines()
            items.append(self.unary())
        return items[0] if len(items) == 1 else nodes.ArrayLiteral(start, self.pos, tuple(items))

    def unary(self) -> nodes.Expression:
        token = self.peek()
        if token.kind in (Kind.PLUS, Kind.MINUS) and self.lexer.char(token.end) == token.text:
            self.pos = token.end + 1
            operand = self.unary()
            if not isinstance(operand, nodes.Variable | nodes.Member | nodes.Index):
                raise self.error(
                    f"The '{token.text * 2}' operator works only on variables or on properties.", token
                )
            return nodes.IncDec(token.start, self.pos, token.text * 2, operand, prefix=True)
        if token.kind is Kind.COMMA:  # unary comma: ,$x is a one-item array
            self.take()
            operand = self.unary()
            return nodes.ArrayLiteral(token.start, self.pos, (operand,))
        operator = _UNARY.get(token.kind) or _dash_operator(token, {"not", "split", "join", "bnot"})
        if operator is None:
            if token.kind is Kind.LBRACKET:
                return self.postfix(self.type_expression())
            return self.postfix(self.primary(Mode.EXPRESSION))
        self.take()
        operand = self.unary()
        return nodes.Unary(token.start, self.pos, operator, operand)

    def type_expression(self) -> nodes.Expression:
        """``[type]``: a cast when an operand follows (``[int]"5"``), else a type literal."""
        start = self.pos
        text = self.bracket_text()
        if self.lexer.source.startswith("::", self.pos):
            name = self.lexer.scan_member(self.pos + 2)
            self.pos = name.end
            arguments = self.method_arguments() if self.lexer.char(self.pos) == "(" else None
            return nodes.StaticMember(start, self.pos, text, name.value, arguments)
        following = self.peek()
        if following.kind in _CAST_OPERAND or (not following.spaced and _unary_start(following)):
            operand = self.unary()
            return nodes.Cast(start, self.pos, text, operand)
        return nodes.TypeLiteral(start, self.pos, text)

    def postfix(self, target: nodes.Expression) -> nodes.Expression:
        """Member access and indexing; they must follow the target without blanks."""
        while True:
            c = self.lexer.char(self.pos)
            if c == "." and self.lexer.char(self.pos + 1) in ("'", '"'):
                quoted = self.lexer.scan(self.pos + 1, Mode.EXPRESSION)
                if quoted.kind is Kind.EXPANDABLE and any(not isinstance(p, str) for p in quoted.parts):
                    raise self.error(
                        "Member names with variables are not supported by this shell yet.", quoted
                    )
                self.pos = quoted.end
                text = quoted.value if quoted.kind is Kind.STRING else "".join(str(p) for p in quoted.parts)
                target = nodes.Member(target.start, self.pos, target, text)
            elif c == "." and self.lexer.char(self.pos + 1) != ".":
                name = self.lexer.scan_member(self.pos + 1)
                self.pos = name.end
                if self.lexer.char(self.pos) == "(":
                    arguments = self.method_arguments()
                    target = nodes.MethodCall(target.start, self.pos, target, name.value, arguments)
                else:
                    target = nodes.Member(target.start, self.pos, target, name.value)
            elif c == "[":
                self.take()
                self.skip_newlines()
                index = self.expression()
                self.skip_newlines()
                self.expect(Kind.RBRACKET, "Array index expression is missing or not valid.")
                target = nodes.Index(target.start, self.pos, target, index)
            elif c in "+-" and c and self.lexer.char(self.pos + 1) == c and self._assignable(target):
                self.pos += 2
                return nodes.IncDec(target.start, self.pos, c * 2, target, prefix=False)
            else:
                return target

    def method_arguments(self) -> tuple[nodes.Expression, ...]:
        """``( a, b )`` right after a method name: each argument is an expression without commas."""
        self.take()
        arguments: list[nodes.Expression] = []
        self.skip_newlines()
        if self.peek().kind is Kind.RPAREN:
            self.take()
            return ()
        while True:
            self.skip_newlines()
            saved, self.no_comma = self.no_comma, True
            try:
                arguments.append(self.expression())
            finally:
                self.no_comma = saved
            self.skip_newlines()
            token = self.peek()
            if token.kind is Kind.COMMA:
                self.take()
                continue
            if token.kind is Kind.RPAREN:
                self.take()
                return tuple(arguments)
            raise self.error("Missing ')' in method call.", token)

    @staticmethod
    def _assignable(target: nodes.Expression) -> bool:
        return isinstance(target, nodes.Variable | nodes.Member | nodes.Index)

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
            self.take(mode)
            return self.hashtable(token.start)
        if kind is Kind.LBRACE:
            self.take(mode)
            block = statements_parser.script_body(self, token.start)
            text = self.lexer.source[token.end : self.pos - 1]
            return nodes.ScriptBlockExpression(token.start, self.pos, block, text)
        if kind is Kind.LBRACKET:
            return self.type_expression()
        if kind in _COMMAND_END or kind is Kind.COMMA:
            raise self.error("You must provide a value expression here.", token)
        raise self.unexpected(token)

    def hashtable(self, start: int) -> nodes.HashtableLiteral:
        """The entries after ``@{`` up to and including ``}``."""
        entries: list[tuple[nodes.Expression, nodes.Statement]] = []
        while True:
            self.skip_separators()
            token = self.peek()
            if token.kind is Kind.RBRACE:
                self.take()
                return nodes.HashtableLiteral(start, self.pos, tuple(entries))
            if token.kind is Kind.EOF:
                raise self.error("Missing closing '}' in statement block or type definition.", token)
            key: nodes.Expression
            if token.kind is Kind.GENERIC and (token.value[:1].isalpha() or token.value[:1] == "_"):
                self.take()
                key = nodes.StringConstant(token.start, token.end, token.value, quoted=False)
            else:
                key = self.unary()
            assign = self.peek()
            if assign.kind is not Kind.ASSIGN or assign.value != "=":
                raise self.error("Missing '=' operator after key in hash literal.", assign)
            self.take()
            self.skip_newlines()
            value_token = self.peek(Mode.COMMAND)
            if value_token.kind in _STATEMENT_END:
                raise self.error("Missing statement after '=' in hash literal.", value_token)
            entries.append((key, self.statement()))
            after = self.peek(Mode.COMMAND)
            if after.kind not in (Kind.SEMI, Kind.NEWLINE, Kind.RBRACE):
                raise self.error("Missing '}' or ';' after a hash literal entry.", after)

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


def _unary_start(token: Token) -> bool:
    """Whether ``token`` starts a unary expression: ``[int]-1``, ``[bool]!$x``, ``[int]-not $x``."""
    if token.kind in (Kind.LBRACE, Kind.EXCLAIM, Kind.MINUS, Kind.PLUS, Kind.COMMA):
        return True
    return token.kind is Kind.OPERATOR and token.value in ("not", "bnot", "split", "join")


def _assignable_target(target: nodes.Expression, operator: str) -> bool:
    """``$x``, ``$a.b``, ``$a[0]``, ``[int]$x``; with ``=`` also ``$first, $rest``."""
    if isinstance(target, nodes.ArrayLiteral) and operator == "=":
        return all(isinstance(item, nodes.Variable | nodes.Member | nodes.Index) for item in target.items)
    return isinstance(target, nodes.Variable | nodes.Member | nodes.Index | nodes.Cast)


def _dash_operator(token: Token, names: frozenset[str] | set[str]) -> str | None:
    return token.value if token.kind is Kind.OPERATOR and token.value in names else None
