"""The guest's POSIX-shell subset: words, quotes, ``$VAR``, ``;``, ``&&``, ``||``, ``|``, redirections, ``&``.

Pipelines run their stages one after another, each stage's output feeding the
next (every stage is a process of its own). Programs are found on ``$PATH``:
a ``/bin/<name>`` holding ``#!pyesx-builtin <name>`` runs that built-in
program, any other text file runs as a shell script.
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from vmx.guestos import layout
from vmx.guestos.context import Ctx
from vmx.guestos.kernel import SIGINT_STATUS, Gen, Kernel, Process, Wait
from vmx.guestos.streams import BufferOutput, BytesInput, FileOutput, Input, Output, TtyInput
from vmx.guestos.tty import EOF, INTR
from vmx.guestos.vfs import strerror

if TYPE_CHECKING:
    from vmx.guestos.context import Command

DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
_OPERATORS = ("&&", "||", ";", "|", "&", "\n")

Token = tuple[str, Any]  # ("word", Word) | ("op", str) | ("redir", (fd, op))
Part = tuple[str, str]  # ("lit"|"raw"|"var"|"qvar", text)
Word = list[Part]


class ShellSyntaxError(Exception):
    pass


class ShellExit(Exception):
    def __init__(self, status: int) -> None:
        super().__init__(status)
        self.status = status


@dataclass
class Redirect:
    fd: int
    op: str  # ">", ">>", "<", ">&"
    target: Word


@dataclass
class Simple:
    assigns: list[tuple[str, Word]] = field(default_factory=list)
    words: list[Word] = field(default_factory=list)
    redirects: list[Redirect] = field(default_factory=list)


@dataclass
class Pipeline:
    commands: list[Simple]
    negate: bool = False
    background: bool = False


AndOr = list[tuple[str, Pipeline]]  # ("", first), ("&&"|"||", next)...


# lexing ------------------------------------------------------------------------------------------


def tokenize(text: str) -> list[Token]:
    """("word", Word) | ("op", str) | ("redir", (fd, op)) tokens."""
    tokens: list[Token] = []
    i, n = 0, len(text)
    word: Word = []
    started = False

    def end_word() -> None:
        nonlocal word, started
        if started:
            tokens.append(("word", word))
        word, started = [], False

    while i < n:
        c = text[i]
        if c in " \t\r":
            end_word()
            i += 1
        elif c == "#" and not started:
            while i < n and text[i] != "\n":
                i += 1
        elif c in "<>":
            fd = -1
            if started and len(word) == 1 and word[0][0] == "raw" and word[0][1].isdigit():
                fd, word, started = int(word[0][1]), [], False
            end_word()
            if text.startswith(">>", i):
                op, i = ">>", i + 2
            elif text.startswith(">&", i):
                op, i = ">&", i + 2
            else:
                op, i = c, i + 1
            if fd < 0:
                fd = 0 if op == "<" else 1
            tokens.append(("redir", (fd, op)))
        elif c in "&|;\n":
            end_word()
            two = text[i : i + 2]
            if two in ("&&", "||"):
                tokens.append(("op", two))
                i += 2
            else:
                tokens.append(("op", c))
                i += 1
        elif c == "'":
            end = text.find("'", i + 1)
            if end < 0:
                raise ShellSyntaxError("unexpected EOF while looking for matching `''")
            word.append(("lit", text[i + 1 : end]))
            started, i = True, end + 1
        elif c == '"':
            i = _double_quoted(text, i + 1, word)
            started = True
        elif c == "\\":
            if i + 1 < n and text[i + 1] != "\n":
                word.append(("lit", text[i + 1]))
            started, i = True, i + 2
        elif c == "$":
            i = _dollar(text, i, word, quoted=False)
            started = True
        elif c == "~" and not started and (i + 1 == n or text[i + 1] in "/ \t\n;|&"):
            word.append(("var", "HOME"))
            started, i = True, i + 1
        else:
            word.append(("raw", c))
            started, i = True, i + 1
    end_word()
    return tokens


def _double_quoted(text: str, i: int, word: Word) -> int:
    buf: list[str] = []
    while True:
        if i >= len(text):
            raise ShellSyntaxError("unexpected EOF while looking for matching `\"'")
        c = text[i]
        if c == '"':
            word.append(("lit", "".join(buf)))
            return i + 1
        if c == "\\" and i + 1 < len(text) and text[i + 1] in '$`"\\\n':
            buf.append(text[i + 1])
            i += 2
        elif c == "$":
            word.append(("lit", "".join(buf)))
            buf = []
            i = _dollar(text, i, word, quoted=True)
        else:
            buf.append(c)
            i += 1


def _dollar(text: str, i: int, word: Word, quoted: bool) -> int:
    kind = "qvar" if quoted else "var"
    nxt = text[i + 1 : i + 2]
    if nxt == "{":
        end = text.find("}", i + 2)
        if end < 0:
            raise ShellSyntaxError("unexpected EOF while looking for matching `}'")
        word.append((kind, text[i + 2 : end]))
        return end + 1
    if nxt and nxt in "?$#@*!0123456789":
        word.append((kind, nxt))
        return i + 2
    j = i + 1
    while j < len(text) and (text[j].isalnum() or text[j] == "_"):
        j += 1
    if j == i + 1:
        word.append(("lit", "$"))
        return i + 1
    word.append((kind, text[i + 1 : j]))
    return j


# parsing -----------------------------------------------------------------------------------------


def parse(text: str) -> list[AndOr]:
    """The command list in ``text`` (ShellSyntaxError on bad input)."""
    tokens = tokenize(text)
    pos = 0
    result: list[AndOr] = []

    def peek() -> Token | None:
        return tokens[pos] if pos < len(tokens) else None

    def unexpected(token: Token | None) -> ShellSyntaxError:
        if token is None:
            return ShellSyntaxError("syntax error: unexpected end of file")
        shown = "newline" if token[1] == "\n" else token[1] if token[0] == "op" else token[1][1]
        return ShellSyntaxError(f"syntax error near unexpected token `{shown}'")

    def simple() -> Simple:
        nonlocal pos
        cmd = Simple()
        while (token := peek()) is not None and token[0] != "op":
            pos += 1
            if token[0] == "redir":
                fd, op = token[1]
                assert isinstance(fd, int) and isinstance(op, str)
                target = peek()
                if target is None or target[0] != "word":
                    raise unexpected(target)
                pos += 1
                cmd.redirects.append(Redirect(fd, op, target[1]))
                continue
            word: Word = token[1]
            name = _assignment(word)
            if name is not None and not cmd.words:
                cmd.assigns.append(name)
            else:
                cmd.words.append(word)
        if not (cmd.words or cmd.assigns or cmd.redirects):
            raise unexpected(peek())
        return cmd

    def pipeline() -> Pipeline:
        nonlocal pos
        negate = False
        token = peek()
        if token is not None and token[0] == "word" and token[1] == [("raw", "!")]:
            negate, pos = True, pos + 1
        commands = [simple()]
        while (token := peek()) is not None and token == ("op", "|"):
            pos += 1
            commands.append(simple())
        return Pipeline(commands, negate)

    while pos < len(tokens):
        token = peek()
        if token is not None and token[0] == "op" and token[1] in (";", "\n"):
            if token[1] == ";":
                raise unexpected(token)
            pos += 1
            continue
        chain: AndOr = [("", pipeline())]
        while (token := peek()) is not None and token[0] == "op" and token[1] in ("&&", "||"):
            pos += 1
            while peek() == ("op", "\n"):
                pos += 1
            chain.append((str(token[1]), pipeline()))
        token = peek()
        if token is not None:
            if token[0] != "op" or token[1] not in (";", "&", "\n"):
                raise unexpected(token)
            pos += 1
            if token[1] == "&":
                chain[-1][1].background = True
        result.append(chain)
    return result


def _assignment(word: Word) -> tuple[str, Word] | None:
    if not word or word[0][0] != "raw":
        return None
    text = ""
    for index, (kind, value) in enumerate(word):
        if kind != "raw":
            return None
        if value == "=":
            name = text
            if name and (name[0].isalpha() or name[0] == "_") and all(c.isalnum() or c == "_" for c in name):
                return name, word[index + 1 :]
            return None
        text += value
    return None


# running -----------------------------------------------------------------------------------------


class Shell:
    """One shell: its variables, working directory and last status; runs text in its own process."""

    def __init__(self, ctx: Ctx, interactive: bool = False, args: list[str] | None = None) -> None:
        self.ctx = ctx
        self.interactive = interactive
        self.status = 0
        self.args = args or ["sh"]
        self.vars: dict[str, str] = dict(ctx.env)
        self.vars.setdefault("PATH", DEFAULT_PATH)
        self.vars["PWD"] = ctx.cwd
        self._interrupted = False

    @property
    def kernel(self) -> Kernel:
        return self.ctx.kernel

    def run_text(self, text: str) -> Gen[int]:
        """Parse and run ``text``; returns the last status (ShellExit propagates from ``exit``)."""
        try:
            program = parse(text)
        except ShellSyntaxError as exc:
            self.ctx.err(f"sh: {exc}\n")
            self.status = 2
            return 2
        self._interrupted = False
        for chain in program:
            yield from self._run_chain(chain)
            if self._interrupted:
                break
        return self.status

    def interactive_loop(self) -> Gen[int]:
        """Prompt, read a line from the console, run it; until ``exit`` or Ctrl-D."""
        tty = self.kernel.tty
        assert tty is not None
        while True:
            tty.write(self.prompt().encode())
            while not tty.has_line():
                yield Wait(tty.has_line)
            line = tty.take_line()
            if line == EOF:
                tty.write(b"logout\n")
                return self.status
            if line == INTR or not isinstance(line, bytes):
                self.status = SIGINT_STATUS
                continue
            try:
                yield from self.run_text(line.decode(errors="replace"))
            except ShellExit as exc:
                tty.write(b"logout\n")
                return exc.status

    def prompt(self) -> str:
        cwd, home = self.ctx.cwd, self.vars.get("HOME", "/")
        if home != "/" and (cwd == home or cwd.startswith(home + "/")):
            cwd = "~" + cwd[len(home) :]
        sign = "#" if self.ctx.user == "root" else "$"
        return f"{self.ctx.user}@{self.kernel.hostname}:{cwd}{sign} "

    def _run_chain(self, chain: AndOr) -> Gen[None]:
        for connector, pipeline in chain:
            if connector == "&&" and self.status != 0:
                continue
            if connector == "||" and self.status == 0:
                continue
            status = yield from self._run_pipeline(pipeline)
            self.status = (0 if status else 1) if pipeline.negate else status
            if self._interrupted:
                return

    def _run_pipeline(self, pipeline: Pipeline) -> Gen[int]:
        if pipeline.background:
            return self._background(pipeline)
        stdin: Input = self.ctx.stdin
        status = 0
        last = len(pipeline.commands) - 1
        for index, command in enumerate(pipeline.commands):
            out: Output = self.ctx.stdout if index == last else BufferOutput(cap=64 << 20)
            status = yield from self._run_simple(command, stdin, out, foreground=True)
            if self._interrupted:
                return status
            if isinstance(out, BufferOutput):
                stdin = BytesInput(bytes(out.data))
        return status

    def _background(self, pipeline: Pipeline) -> int:
        child_ctx = Ctx(
            self.kernel,
            BytesInput(),
            self.ctx.stdout,
            self.ctx.stderr,
            self.ctx.cwd,
            dict(self.vars),
            self.ctx.user,
        )
        sub = Shell(child_ctx)
        sub.vars = dict(self.vars)
        pipeline.background = False
        proc = self.kernel.spawn("sh", "sh", sub._run_pipeline(pipeline), owner=self.ctx.user)
        child_ctx.proc = proc
        self.vars["!"] = str(proc.pid)
        if self.interactive:
            self.ctx.err(f"[1] {proc.pid}\n")
        return 0

    def expand(self, word: Word) -> list[str]:
        """A word's fields after variable expansion and globbing."""
        text = ""
        pattern = False
        unquoted_var_only = all(kind == "var" for kind, _ in word)
        for kind, value in word:
            if kind in ("var", "qvar"):
                text += self._var(value)
            else:
                text += value
                pattern = pattern or (kind == "raw" and value in "*?[")
        if unquoted_var_only:
            return text.split()
        if pattern:
            matches = self._glob(text)
            if matches:
                return matches
        return [text]

    def _var(self, name: str) -> str:
        if name == "?":
            return str(self.status)
        if name == "$":
            return str(self.ctx.pid)
        if name == "#":
            return str(len(self.args) - 1)
        if name in ("@", "*"):
            return " ".join(self.args[1:])
        if name.isdigit():
            index = int(name)
            return self.args[index] if index < len(self.args) else ""
        return self.vars.get(name, "")

    def _glob(self, pattern: str) -> list[str]:
        head, _, tail = pattern.rpartition("/")
        if any(c in head for c in "*?["):
            return []
        directory = self.ctx.path(head or ("/" if pattern.startswith("/") else "."))
        try:
            names = self.ctx.vfs.listdir(directory)
        except OSError:
            return []
        hidden = tail.startswith(".")
        prefix = head + "/" if (head or pattern.startswith("/")) else ""
        return [
            prefix + n for n in names if fnmatch.fnmatchcase(n, tail) and (hidden or not n.startswith("."))
        ]

    def _run_simple(self, command: Simple, stdin: Input, stdout: Output, foreground: bool) -> Gen[int]:
        words: list[str] = []
        for word in command.words:
            words.extend(self.expand(word))
        assigns = {name: "".join(self.expand(value) or [""]) for name, value in command.assigns}
        stderr = self.ctx.stderr
        for redirect in command.redirects:
            target = " ".join(self.expand(redirect.target))
            try:
                if redirect.op == ">&":
                    if target not in ("1", "2"):
                        raise ValueError(target)
                    chosen = stdout if target == "1" else stderr
                    stdout, stderr = (chosen, stderr) if redirect.fd == 1 else (stdout, chosen)
                elif redirect.op == "<":
                    path = self.ctx.path(target)
                    if self.ctx.vfs.is_dir(path):
                        raise IsADirectoryError(21, "Is a directory")
                    stdin = BytesInput(self.ctx.vfs.read(path))
                else:
                    opened = FileOutput(self.ctx.vfs, self.ctx.path(target), append=redirect.op == ">>")
                    stdout, stderr = (opened, stderr) if redirect.fd == 1 else (stdout, opened)
            except OSError as exc:
                self.ctx.err(f"sh: {target}: {strerror(exc)}\n")
                return 1
            except ValueError:
                self.ctx.err(f"sh: {target}: ambiguous redirect\n")
                return 1
        if not words:
            self.vars.update(assigns)
            return 0
        name = words[0]
        builtin = _SHELL_BUILTINS.get(name)
        if builtin is not None:
            return builtin(self, words, stdout, stderr)
        env = {**self.vars, **assigns, "PWD": self.ctx.cwd}
        child_ctx = Ctx(self.kernel, stdin, stdout, stderr, self.ctx.cwd, env, self.ctx.user)
        body = self._program(child_ctx, words)
        if isinstance(body, int):
            return body
        proc: Process = self.kernel.spawn(name.rsplit("/", 1)[-1], " ".join(words), body, owner=self.ctx.user)
        child_ctx.proc = proc
        previous = self.kernel.foreground
        if foreground and self.interactive:
            self.kernel.foreground = proc
        try:
            yield from self.kernel.wait_child(proc)
        finally:
            if self.kernel.foreground is proc:
                self.kernel.foreground = previous
        if proc.signaled and proc.status == SIGINT_STATUS:
            self._interrupted = True
        return proc.status

    def _program(self, ctx: Ctx, words: list[str]) -> Gen[int] | int:
        """The body of the program ``words[0]`` names, or the status of failing to find it."""
        from vmx.guestos.commands import COMMANDS

        name = words[0]
        vfs = self.ctx.vfs
        if "/" in name:
            candidates = [self.ctx.path(name)]
        else:
            candidates = [
                f"{d.rstrip('/')}/{name}" for d in self.vars.get("PATH", DEFAULT_PATH).split(":") if d
            ]
        for path in candidates:
            try:
                info = vfs.stat(path)
            except OSError as exc:
                if "/" in name:
                    ctx.err(f"sh: {name}: {strerror(exc)}\n")
                    return 127
                continue
            if info.is_dir:
                if "/" in name:
                    ctx.err(f"sh: {name}: Is a directory\n")
                    return 126
                continue
            try:
                head = vfs.read(path, 0, 256)
            except OSError as exc:
                ctx.err(f"sh: {name}: {strerror(exc)}\n")
                return 126
            if head.startswith(layout.BUILTIN_PREFIX):
                program: Command | None = COMMANDS.get(
                    head[len(layout.BUILTIN_PREFIX) :].split(b"\n")[0].decode().strip()
                )
                if program is None:
                    ctx.err(f"sh: {name}: cannot execute: required file not found\n")
                    return 126
                return program(ctx, words)
            try:
                script = vfs.read(path).decode()
            except (OSError, UnicodeDecodeError):
                ctx.err(f"sh: {name}: cannot execute binary file\n")
                return 126
            return Shell(ctx, args=words).run_script(script)
        ctx.err(f"sh: {name}: command not found\n")
        return 127

    def run_script(self, text: str) -> Gen[int]:
        """Run ``text`` as this process's whole program (``exit`` ends it)."""
        try:
            return (yield from self.run_text(text))
        except ShellExit as exc:
            return exc.status


# built-ins that change the shell itself ----------------------------------------------------------


def _cd(shell: Shell, words: list[str], stdout: Output, stderr: Output) -> int:
    target = words[1] if len(words) > 1 else shell.vars.get("HOME", "/")
    if target == "-":
        target = shell.vars.get("OLDPWD", shell.ctx.cwd)
        stdout.write(f"{target}\n".encode())
    path = shell.ctx.path(target)
    try:
        info = shell.ctx.vfs.stat(path)
    except OSError as exc:
        stderr.write(f"sh: cd: {target}: {strerror(exc)}\n".encode())
        return 1
    if not info.is_dir:
        stderr.write(f"sh: cd: {target}: Not a directory\n".encode())
        return 1
    shell.vars["OLDPWD"] = shell.ctx.cwd
    shell.ctx.cwd = shell.vars["PWD"] = path
    return 0


def _export(shell: Shell, words: list[str], stdout: Output, stderr: Output) -> int:
    if len(words) == 1:
        for key in sorted(shell.vars):
            stdout.write(f'declare -x {key}="{shell.vars[key]}"\n'.encode())
        return 0
    for item in words[1:]:
        name, sep, value = item.partition("=")
        if not name or not all(c.isalnum() or c == "_" for c in name) or name[0].isdigit():
            stderr.write(f"sh: export: `{item}': not a valid identifier\n".encode())
            return 1
        if sep:
            shell.vars[name] = value
        else:
            shell.vars.setdefault(name, "")
    return 0


def _unset(shell: Shell, words: list[str], stdout: Output, stderr: Output) -> int:
    for name in words[1:]:
        shell.vars.pop(name, None)
    return 0


def _exit(shell: Shell, words: list[str], stdout: Output, stderr: Output) -> int:
    status = shell.status
    if len(words) > 1:
        try:
            status = int(words[1]) & 0xFF
        except ValueError:
            stderr.write(f"sh: exit: {words[1]}: numeric argument required\n".encode())
            status = 2
    raise ShellExit(status)


def _colon(shell: Shell, words: list[str], stdout: Output, stderr: Output) -> int:
    return 0


_SHELL_BUILTINS = {"cd": _cd, "export": _export, "unset": _unset, "exit": _exit, ":": _colon}


def shell_body(ctx: Ctx, command: str) -> Gen[int]:
    """``sh -c command`` as a process body."""
    return Shell(ctx).run_script(command)


def login_shell(ctx: Ctx) -> Gen[int]:
    """An interactive login shell on the console."""
    assert ctx.kernel.tty is not None
    ctx.stdin = TtyInput(ctx.kernel.tty)
    return Shell(ctx, interactive=True, args=["-sh"]).interactive_loop()


def sh_command(ctx: Ctx, args: list[str]) -> Gen[int]:
    """The ``sh`` program: ``sh -c 'text' [name args...]``, ``sh script [args...]``, or a script on stdin."""
    rest = args[1:]
    if rest and rest[0] == "-c":
        if len(rest) < 2:
            ctx.err("sh: -c: option requires an argument\n")
            return 2
        return (yield from Shell(ctx, args=rest[2:] or [args[0]]).run_script(rest[1]))
    if rest:
        path = ctx.path(rest[0])
        try:
            if ctx.vfs.is_dir(path):
                raise IsADirectoryError(21, "Is a directory")
            text = ctx.vfs.read(path).decode(errors="replace")
        except OSError as exc:
            ctx.err(f"sh: 0: cannot open {rest[0]}: {strerror(exc)}\n")
            return 2
        return (yield from Shell(ctx, args=rest).run_script(text))
    data = bytearray()
    while chunk := (yield from ctx.stdin.read()):
        data += chunk
    return (yield from Shell(ctx, args=[args[0]]).run_script(data.decode(errors="replace")))
