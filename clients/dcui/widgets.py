"""The DCUI's building blocks: a list to pick from, a form of text fields, dialogs."""

from __future__ import annotations

from dataclasses import dataclass, field

from clients.dcui.canvas import Canvas, wrap

PRINTABLE_MAX = 0x10FFFF
FIELD_MAX = 255  # the longest value a field takes (a host name is at most 253 characters)


@dataclass
class Choice:
    """A list's row: its label and what the right-hand pane says about it."""

    label: str
    detail: str = ""


@dataclass
class ChoiceList:
    """Rows to move through with Up/Down; ``index`` is the highlighted one."""

    choices: list[Choice]
    index: int = 0

    def key(self, key: str) -> bool:
        """Handle Up/Down/Home/End; True when the key was one of them."""
        if key == "up":
            self.index = max(self.index - 1, 0)
        elif key == "down":
            self.index = min(self.index + 1, len(self.choices) - 1)
        elif key == "home":
            self.index = 0
        elif key == "end":
            self.index = len(self.choices) - 1
        else:
            return False
        return True

    @property
    def current(self) -> Choice:
        return self.choices[self.index]

    def draw(self, canvas: Canvas, top: int, left: int, width: int) -> None:
        for row, choice in enumerate(self.choices):
            style = "selected" if row == self.index else None
            canvas.put(top + row, left, f" {choice.label}".ljust(width)[:width], style)


@dataclass
class TextField:
    """A labelled one-line field; ``secret`` shows asterisks."""

    label: str
    value: str = ""
    secret: bool = False

    def key(self, key: str) -> bool:
        """Edit with printable keys and Backspace; True when the key edited the value."""
        if key == "backspace":
            self.value = self.value[:-1]
        elif len(key) == 1 and key.isprintable() and len(self.value) < FIELD_MAX:
            self.value += key
        else:
            return False
        return True

    def shown(self) -> str:
        return "*" * len(self.value) if self.secret else self.value


@dataclass
class Form:
    """Fields under each other; Up/Down/Tab move between them."""

    fields: list[TextField]
    focus: int = 0

    def key(self, key: str) -> bool:
        if key in ("down", "tab"):
            self.focus = (self.focus + 1) % len(self.fields)
        elif key == "up":
            self.focus = (self.focus - 1) % len(self.fields)
        else:
            return self.fields[self.focus].key(key)
        return True

    def values(self) -> list[str]:
        return [f.value for f in self.fields]

    def draw(self, canvas: Canvas, top: int, left: int, width: int) -> None:
        label_width = max(len(f.label) for f in self.fields) + 2
        box = max(width - label_width, 8)
        for row, text_field in enumerate(self.fields):
            canvas.put(top + row, left, f"{text_field.label}:".ljust(label_width))
            shown = text_field.shown()[-(box - 2) :]
            style = "focused" if row == self.focus else "field"
            canvas.put(top + row, left + label_width, f"[{shown.ljust(box - 2)}]", style)


@dataclass
class Dialog:
    """A box over the screen: a title, text, and the keys it takes (shown on its last line)."""

    title: str
    text: str
    keys: str = "<Enter> OK"
    form: Form | None = None
    error: bool = False
    lines: list[str] = field(default_factory=list)

    def draw(self, canvas: Canvas, width: int = 60) -> tuple[int, int]:
        """Draw centred on ``canvas``; returns the (row, col) where a form goes."""
        body = wrap(self.text, width - 4) + [part for line in self.lines for part in wrap(line, width - 4)]
        form_rows = len(self.form.fields) + 1 if self.form else 0
        height = len(body) + form_rows + 5
        top = max((canvas.height - height) // 2, 0)
        left = max((canvas.width - width) // 2, 0)
        canvas.fill(top, left, height, width, "dialog")
        canvas.center(top, f" {self.title} ", "title" if not self.error else "error", left, width)
        for row, line in enumerate(body):
            canvas.put(top + 2 + row, left + 2, line[: width - 4])
        form_top = top + 2 + len(body) + (1 if self.form else 0)
        if self.form:
            self.form.draw(canvas, form_top, left + 2, width - 4)
        canvas.put(top + height - 2, left + 2, self.keys[: width - 4])
        return form_top, left + 2
