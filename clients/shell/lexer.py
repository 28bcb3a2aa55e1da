"""Tokens and the tokenizer.

PowerShell tokenizes in two modes: in *command* mode (a command's arguments)
``web*`` and ``-Name`` are a bare word and a parameter; in *expression* mode
``*`` and ``-eq`` are operators. The parser asks for the next token in the mode
it is in (``Lexer.scan(position, mode)``), as PowerShell's own parser does.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from clients.shell.errors import ParseError
from clients.shell.numeric import NUMBER_RE, number_value, parse_number


class Mode(enum.Enum):
    """What the parser expects next."""

    COMMAND = "command"
    EXPRESSION = "expression"


class Kind(enum.Enum):
    """Token kinds."""

    EOF = "end of input"
    NEWLINE = "newline"
    SEMI = ";"
    PIPE = "|"
    LPAREN = "("
    RPAREN = ")"
    LBRACE = "{"
    RBRACE = "}"
    LBRACKET = "["
    RBRACKET = "]"
    AT_PAREN = "@("
    AT_BRACE = "@{"
    DOLLAR_PAREN = "$("
    COMMA = ","
    DOT = "."
    DOTDOT = ".."
    COLONCOLON = "::"
    ASSIGN = "="  # also += -= *= /= %= (the operator is in ``value``)
    PLUS = "+"
    MINUS = "-"
    STAR = "*"
    SLASH = "/"
    PERCENT = "%"
    EXCLAIM = "!"
    AMP = "&"
    VARIABLE = "variable"  # value: the name without "$"
    NUMBER = "number"  # number: the value
    STRING = "string"  # '...'; value: the content
    EXPANDABLE = "expandable string"  # "..."; parts: literal text, variables, $( ) spans
    GENERIC = "word"  # a bare word: command name, argument, keyword, member name
    PARAMETER = "parameter"  # -Name or -Name: ; value: the name
    OPERATOR = "operator"  # -eq, -like, -and ... ; value: lower-case name without "-"
    SPLAT = "splatted variable"  # @params in command mode; value: the variable name


@dataclass(frozen=True)
class VariablePart:
    """``$name`` inside a double-quoted string."""

    name: str
    start: int
    end: int


@dataclass(frozen=True)
class SubexpressionPart:
    """``$( ... )`` inside a double-quoted string: the source span between the parentheses."""

    start: int
    end: int


StringPart = str | VariablePart | SubexpressionPart


@dataclass(frozen=True)
class Token:
    """One token; ``spaced`` tells whether blanks precede it (``$a.b`` versus ``$a .b``)."""

    kind: Kind
    start: int
    end: int
    text: str
    spaced: bool
    value: str = ""
    number: int | float = 0
    colon: bool = False
    parts: tuple[StringPart, ...] = ()


#: operators written with a dash in expression mode; c/i-prefixed forms are derived
BASE_OPERATORS = frozenset(
    {"eq", "ne", "gt", "ge", "lt", "le", "like", "notlike", "match", "notmatch", "contains",
     "notcontains", "in", "notin", "replace", "split", "join", "is", "isnot", "as", "f",
     "and", "or", "xor", "not", "band", "bor", "bxor", "bnot", "shl", "shr"}
)  # fmt: skip
_CASE_OPERATORS = frozenset(
    {"eq", "ne", "gt", "ge", "lt", "le", "like", "notlike", "match", "notmatch", "contains",
     "notcontains", "in", "notin", "replace", "split"}
)  # fmt: skip
OPERATORS = BASE_OPERATORS | {p + op for op in _CASE_OPERATORS for p in ("c", "i")}

_BLANKS = " \t\f\v\u00a0"
_NEWLINES = "\r\n"
#: characters that end a bare word in command mode
_COMMAND_STOP = frozenset(_BLANKS + _NEWLINES + ";|(){},&")
_ESCAPES = {
    "0": "\0",
    "a": "\a",
    "b": "\b",
    "e": "\x1b",
    "f": "\f",
    "n": "\n",
    "r": "\r",
    "t": "\t",
    "v": "\v",
}
_SINGLE = {
    ";": Kind.SEMI, "|": Kind.PIPE, "(": Kind.LPAREN, ")": Kind.RPAREN, "{": Kind.LBRACE,
    "}": Kind.RBRACE, ",": Kind.COMMA, "&": Kind.AMP,
}  # fmt: skip
_EXPRESSION_SINGLE = {"[": Kind.LBRACKET, "]": Kind.RBRACKET, "!": Kind.EXCLAIM}
_ARITHMETIC = {"+": Kind.PLUS, "*": Kind.STAR, "/": Kind.SLASH, "%": Kind.PERCENT}


def line_column(source: str, offset: int) -> tuple[int, int]:
    """1-based line and column of ``offset``."""
    line = source.count("\n", 0, offset) + 1
    return line, offset - (source.rfind("\n", 0, offset) + 1) + 1


def _is_name_char(c: str) -> bool:
    return c.isalnum() or c == "_"


class Lexer:
    """Scans ``source[:limit]`` on demand; ``scan`` is pure and cached by (position, mode)."""

    def __init__(self, source: str, limit: int | None = None, source_name: str = "") -> None:
        self.source = source
        self.limit = len(source) if limit is None else limit
        self.source_name = source_name
        self._cache: dict[tuple[int, Mode], Token] = {}

    # -- helpers ------------------------------------------------------------------------------

    def error(self, message: str, offset: int, *, incomplete: bool = False) -> ParseError:
        """A parse error located at ``offset``."""
        line, column = line_column(self.source, min(offset, len(self.source)))
        lines = self.source.splitlines()
        text = lines[line - 1] if line <= len(lines) else ""
        return ParseError(
            message, line, column, source_name=self.source_name, incomplete=incomplete, source_line=text
        )

    def char(self, i: int) -> str:
        """The character at ``i``, or "" past the end."""
        return self.source[i] if i < self.limit else ""

    def _token(
        self,
        kind: Kind,
        start: int,
        end: int,
        spaced: bool,
        *,
        value: str = "",
        number: int | float = 0,
        colon: bool = False,
        parts: tuple[StringPart, ...] = (),
    ) -> Token:
        text = self.source[start:end]
        return Token(kind, start, end, text, spaced, value=value, number=number, colon=colon, parts=parts)

    def skip_trivia(self, pos: int) -> int:
        """Skip blanks, comments and line continuations (a backtick before a newline)."""
        while pos < self.limit:
            c = self.source[pos]
            if c in _BLANKS:
                pos += 1
            elif c == "`" and self.char(pos + 1) in ("\n", "\r"):
                pos += 3 if self.source.startswith("\r\n", pos + 1) else 2
            elif c == "#":
                while pos < self.limit and self.source[pos] not in _NEWLINES:
                    pos += 1
            elif c == "<" and self.char(pos + 1) == "#":
                end = self.source.find("#>", pos + 2, self.limit)
                if end < 0:
                    raise self.error("Missing the end of the block comment ('#>').", pos, incomplete=True)
                pos = end + 2
            else:
                break
        return pos

    # -- entry points -------------------------------------------------------------------------

    def scan(self, pos: int, mode: Mode) -> Token:
        """The token that starts at or after ``pos`` in ``mode``."""
        key = (pos, mode)
        token = self._cache.get(key)
        if token is None:
            token = self._scan(pos, mode)
            self._cache[key] = token
        return token

    def scan_member(self, pos: int) -> Token:
        """A member name right after ``.`` (no blanks allowed): ``$vm.Name``."""
        end = pos
        while end < self.limit and _is_name_char(self.source[end]):
            end += 1
        if end == pos:
            raise self.error("Missing property name after reference operator.", pos)
        return self._token(Kind.GENERIC, pos, end, False, value=self.source[pos:end])

    # -- scanning -----------------------------------------------------------------------------

    def _scan(self, pos: int, mode: Mode) -> Token:
        start = self.skip_trivia(pos)
        spaced = start > pos
        if start >= self.limit:
            return self._token(Kind.EOF, start, start, spaced)
        c = self.source[start]
        nxt = self.char(start + 1)
        if c in _NEWLINES:
            end = start + 2 if self.source.startswith("\r\n", start) else start + 1
            return self._token(Kind.NEWLINE, start, end, spaced)
        if c in _SINGLE:
            return self._token(_SINGLE[c], start, start + 1, spaced)
        if c == "@" and nxt in ('"', "'"):
            return self._here_string(start, spaced, nxt)
        if c == "@" and mode is Mode.COMMAND and _is_name_char(nxt):
            end = start + 1
            while end < self.limit and _is_name_char(self.source[end]):
                end += 1
            return self._token(Kind.SPLAT, start, end, spaced, value=self.source[start + 1 : end])
        if c == "@" and nxt in ("(", "{"):
            return self._token(Kind.AT_PAREN if nxt == "(" else Kind.AT_BRACE, start, start + 2, spaced)
        if c == "$":
            return self._variable(start, spaced, mode)
        if c == "'":
            return self._single_quoted(start, spaced)
        if c == '"':
            return self._double_quoted(start, spaced)
        if mode is Mode.COMMAND:
            return self._command_word(start, spaced)
        return self._expression_token(start, spaced)

    def _variable(self, start: int, spaced: bool, mode: Mode) -> Token:
        nxt = self.char(start + 1)
        if nxt == "(":
            return self._token(Kind.DOLLAR_PAREN, start, start + 2, spaced)
        name, end = self.variable_name(start)
        if name is None:
            if mode is Mode.COMMAND:
                return self._command_word(start, spaced)
            return self._token(Kind.GENERIC, start, start + 1, spaced, value="$")
        return self._token(Kind.VARIABLE, start, end, spaced, value=name)

    def variable_name(self, start: int) -> tuple[str | None, int]:
        """The variable name after the ``$`` at ``start`` and where it ends; None if there is none."""
        i = start + 1
        c = self.char(i)
        if c == "{":
            end = self.source.find("}", i + 1, self.limit)
            if end < 0:
                raise self.error("Missing closing '}' in variable name.", start, incomplete=True)
            return self.source[i + 1 : end], end + 1
        if c in ("?", "^", "$"):
            return c, i + 1
        j = i
        while j < self.limit and _is_name_char(self.source[j]):
            j += 1
        if j == i:
            return None, start
        # scope or drive qualifier: $global:x, $env:PATH
        if self.char(j) == ":" and _is_name_char(self.char(j + 1)):
            j += 1
            while j < self.limit and _is_name_char(self.source[j]):
                j += 1
        return self.source[i:j], j

    def _single_quoted(self, start: int, spaced: bool) -> Token:
        out: list[str] = []
        i = start + 1
        while i < self.limit:
            c = self.source[i]
            if c == "'":
                if self.char(i + 1) == "'":
                    out.append("'")
                    i += 2
                    continue
                return self._token(Kind.STRING, start, i + 1, spaced, value="".join(out))
            out.append(c)
            i += 1
        raise self.error("The string is missing the terminator: '.", start, incomplete=True)

    def _here_string(self, start: int, spaced: bool, quote: str) -> Token:
        """``@"`` or ``@'`` then a newline, the text, and a newline followed by ``"@`` / ``'@``."""
        i = start + 2
        while self.char(i) in (" ", "\t"):
            i += 1
        if self.char(i) not in ("\r", "\n"):
            raise self.error(
                "No characters are allowed after a here-string header but before the end of the line.", i
            )
        content = i + (2 if self.source.startswith("\r\n", i) else 1)
        close = self.source.find("\n" + quote + "@", i, self.limit)
        if close < 0:
            raise self.error(f"The string is missing the terminator: {quote}@.", start, incomplete=True)
        end = close + 3
        text_end = max(content, close - 1 if self.source[close - 1 : close] == "\r" else close)
        if quote == "'":
            value = self.source[content:text_end]
            return self._token(Kind.STRING, start, end, spaced, value=value)
        parts, _ = self._expandable_parts(content, text_end, here=True)
        return self._token(Kind.EXPANDABLE, start, end, spaced, parts=parts)

    def _double_quoted(self, start: int, spaced: bool) -> Token:
        i = start + 1
        parts, end = self._expandable_parts(i, self.limit, here=False)
        return self._token(Kind.EXPANDABLE, start, end, spaced, parts=parts)

    def _expandable_parts(self, i: int, limit: int, *, here: bool) -> tuple[tuple[StringPart, ...], int]:
        """The parts of a double-quoted string's text from ``i`` up to its closing quote (a here-string's:
        up to ``limit``), and the offset past the quote."""
        start = i - 1
        parts: list[StringPart] = []
        text: list[str] = []
        while i < limit:
            c = self.source[i]
            if c == '"' and not here:
                if self.char(i + 1) == '"':
                    text.append('"')
                    i += 2
                    continue
                if text:
                    parts.append("".join(text))
                return tuple(parts), i + 1
            if c == "`" and i + 1 < self.limit:
                escaped = self.source[i + 1]
                text.append(_ESCAPES.get(escaped, escaped))
                i += 2
                continue
            if c == "$":
                if self.char(i + 1) == "(":
                    close = self._closing_paren(i + 2)
                    if text:
                        parts.append("".join(text))
                        text = []
                    parts.append(SubexpressionPart(i + 2, close))
                    i = close + 1
                    continue
                name, end = self.variable_name(i)
                if name is not None:
                    if text:
                        parts.append("".join(text))
                        text = []
                    parts.append(VariablePart(name, i, end))
                    i = end
                    continue
            text.append(c)
            i += 1
        if here:
            if text:
                parts.append("".join(text))
            return tuple(parts), limit
        raise self.error('The string is missing the terminator: ".', start, incomplete=True)

    def _closing_paren(self, pos: int) -> int:
        """The offset of the ``)`` that closes a ``$(`` whose content starts at ``pos``."""
        depth = 1
        while True:
            token = self.scan(pos, Mode.COMMAND)
            if token.kind is Kind.EOF:
                raise self.error("Missing closing ')' in subexpression.", pos, incomplete=True)
            if token.kind in (Kind.LPAREN, Kind.AT_PAREN, Kind.DOLLAR_PAREN):
                depth += 1
            elif token.kind is Kind.RPAREN:
                depth -= 1
                if depth == 0:
                    return token.start
            pos = token.end

    def _command_word(self, start: int, spaced: bool) -> Token:
        """A bare word, a parameter or a number, in command mode."""
        out: list[str] = []
        i = start
        while i < self.limit and self.source[i] not in _COMMAND_STOP:
            c = self.source[i]
            if c == "`" and i + 1 < self.limit and self.source[i + 1] not in _NEWLINES:
                out.append(_ESCAPES.get(self.source[i + 1], self.source[i + 1]))
                i += 2
                continue
            if c == ":" and start < i and self.source[start] == "-" and self._is_parameter(start, i):
                name = self.source[start + 1 : i]
                return self._token(Kind.PARAMETER, start, i + 1, spaced, value=name, colon=True)
            out.append(c)
            i += 1
        word = "".join(out)
        if word[:1] in ("-", "+", ".") or word[:1].isdigit():
            number = parse_number(word)
            if number is not None:
                return self._token(Kind.NUMBER, start, i, spaced, number=number)
        if self._is_parameter(start, i):
            return self._token(Kind.PARAMETER, start, i, spaced, value=word[1:])
        return self._token(Kind.GENERIC, start, i, spaced, value=word)

    def _is_parameter(self, start: int, end: int) -> bool:
        second = self.char(start + 1)
        return self.source[start] == "-" and end > start + 1 and (second.isalpha() or second in "_?")

    def _expression_token(self, start: int, spaced: bool) -> Token:
        source = self.source
        c = source[start]
        nxt = self.char(start + 1)
        if c in _EXPRESSION_SINGLE:
            return self._token(_EXPRESSION_SINGLE[c], start, start + 1, spaced)
        if c == "=":
            return self._token(Kind.ASSIGN, start, start + 1, spaced, value="=")
        if c in _ARITHMETIC or c == "-":
            if nxt == "=":
                return self._token(Kind.ASSIGN, start, start + 2, spaced, value=c + "=")
            if c == "-" and nxt.isalpha():
                end = start + 1
                while end < self.limit and source[end].isalpha():
                    end += 1
                name = source[start + 1 : end].lower()
                if name not in OPERATORS:
                    raise self.error(
                        f"Unexpected token '{source[start:end]}' in expression or statement.", start
                    )
                return self._token(Kind.OPERATOR, start, end, spaced, value=name)
            return self._token(_ARITHMETIC.get(c, Kind.MINUS), start, start + 1, spaced)
        if c == "." and nxt == ".":
            return self._token(Kind.DOTDOT, start, start + 2, spaced)
        if c == ":" and nxt == ":":
            return self._token(Kind.COLONCOLON, start, start + 2, spaced)
        if c.isdigit() or (c == "." and nxt.isdigit()):
            match = NUMBER_RE.match(source, start, self.limit)
            if match is not None:
                return self._token(Kind.NUMBER, start, match.end(), spaced, number=number_value(match))
        if c == ".":
            return self._token(Kind.DOT, start, start + 1, spaced)
        end = start + 1
        if _is_name_char(c):
            while end < self.limit and (_is_name_char(source[end]) or source[end] == "-"):
                end += 1
        return self._token(Kind.GENERIC, start, end, spaced, value=source[start:end])
