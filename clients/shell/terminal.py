"""The shell at a terminal: prompt_toolkit line editing, persistent history, Tab completion, colours.

Enter runs the statement, or starts a new line (``>> ``) while a block, a
pipeline or a quote is still open; Tab completes cmdlets, parameters and the
host's VM / datastore / port group names (``clients.shell.completion``);
Up/Down and Ctrl-R search the history, kept in ``history_path()`` (mode
0600: commands may hold passwords). Ctrl-C drops the line being typed or
ends the running pipeline; Ctrl-D on an empty line exits.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from prompt_toolkit import PromptSession
from prompt_toolkit.completion import CompleteEvent, Completer, Completion
from prompt_toolkit.document import Document
from prompt_toolkit.formatted_text import FormattedText
from prompt_toolkit.history import FileHistory
from prompt_toolkit.key_binding import KeyBindings, KeyPressEvent
from prompt_toolkit.styles import Style

from clients.shell.completion import NameSource, ServerNames, complete
from clients.shell.repl import CONTINUATION, needs_more, prompt_text, run_input
from clients.shell.runner import Runner

STYLE = Style.from_dict({"prompt": "ansigreen bold", "server": "ansicyan", "continuation": "ansibrightblack"})


def history_path() -> Path:
    """``$XDG_STATE_HOME/pyesx/history`` when XDG_STATE_HOME is set, else ``~/.pyesx_history``."""
    state = os.environ.get("XDG_STATE_HOME")
    if state:
        return Path(state) / "pyesx" / "history"
    return Path(os.path.expanduser("~")) / ".pyesx_history"


def _private_file(path: Path) -> Path:
    """Create ``path`` (and its directory) readable by its owner only, if missing."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.close(os.open(path, os.O_CREAT | os.O_APPEND | os.O_WRONLY, 0o600))
    return path


class ShellCompleter(Completer):
    """prompt_toolkit's side of ``complete``."""

    def __init__(self, names: NameSource) -> None:
        self.names = names

    def get_completions(self, document: Document, complete_event: CompleteEvent) -> Iterable[Completion]:
        found = complete(document.text_before_cursor, self.names)
        for candidate in found.candidates:
            yield Completion(candidate, start_position=-found.length)


def _message(runner: Runner) -> FormattedText:
    """The prompt of ``prompt_text`` in colour: ``PS pyesx`` green, the server cyan."""
    _, _, server = prompt_text(runner).removesuffix("> ").partition(" pyesx ")
    parts = [("class:prompt", "PS pyesx")]
    if server:
        parts += [("", " "), ("class:server", server)]
    return FormattedText([*parts, ("class:prompt", "> ")])


def _bindings() -> KeyBindings:
    bindings = KeyBindings()

    @bindings.add("enter")
    def _enter(event: KeyPressEvent) -> None:
        buffer = event.current_buffer
        if buffer.complete_state is not None and buffer.complete_state.current_completion is not None:
            buffer.apply_completion(buffer.complete_state.current_completion)
        elif needs_more(buffer.text):
            buffer.insert_text("\n")
        else:
            buffer.validate_and_handle()

    return bindings


def interactive(runner: Runner, history: Path | None = None) -> int:
    """Run the terminal shell until Ctrl-D or ``exit N``; the exit code."""
    runner.console.reader = input  # -Confirm and High-impact cmdlets ask here (the editor is idle then)
    session: PromptSession[str] = PromptSession(
        history=FileHistory(str(_private_file(history or history_path()))),
        completer=ShellCompleter(ServerNames(runner.interpreter.session)),
        complete_while_typing=False,
        key_bindings=_bindings(),
        multiline=True,
        prompt_continuation=lambda width, line, soft: FormattedText(
            [("class:continuation", CONTINUATION.rjust(width))]
        ),
        style=STYLE,
    )
    while True:
        try:
            text = session.prompt(lambda: _message(runner))
        except KeyboardInterrupt:
            continue
        except EOFError:
            return 0
        if not text.strip():
            continue
        code = run_input(runner, text)
        if code is not None:
            return code
