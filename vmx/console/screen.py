"""The VM's screen: an 80×25 terminal emulator (a VT100/ANSI subset) fed with the guest's output.

It understands printable UTF-8, CR LF BS TAB, ESC 7/8/D/M/E/c, CSI cursor moves (H f A B C D E F G d),
erase (J K X), insert/delete (@ P L M), scroll (S T, the scroll region r), save/restore (s u) and SGR
(bold, underline, reverse, the 16 colours and the defaults), and notes the cursor's visibility and
whether the guest wants mouse reports. Anything else is ignored: no byte sequence makes it raise.
``repaint`` draws the whole screen for a fresh viewer as ANSI.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass
from typing import NamedTuple

COLS, ROWS = 80, 25
TAB = 8
MAX_PARAMS = 16
MAX_PARAM = 9999
MAX_SEQUENCE = 256  # longer escape sequences are abandoned
_PLAIN = re.compile("[^\x00-\x1f\x7f]+")  # printable characters


class Attr(NamedTuple):
    """How a cell is drawn: colours 0–15 (−1: the default), bold, underline, reverse."""

    fg: int = -1
    bg: int = -1
    bold: bool = False
    underline: bool = False
    reverse: bool = False

    def sgr(self) -> str:
        """The SGR sequence that sets exactly this attribute from any state."""
        codes = ["0"]
        if self.bold:
            codes.append("1")
        if self.underline:
            codes.append("4")
        if self.reverse:
            codes.append("7")
        if self.fg >= 0:
            codes.append(str(30 + self.fg if self.fg < 8 else 90 + self.fg - 8))
        if self.bg >= 0:
            codes.append(str(40 + self.bg if self.bg < 8 else 100 + self.bg - 8))
        return f"\x1b[{';'.join(codes)}m"


DEFAULT = Attr()
BLANK = (" ", DEFAULT)
Cell = tuple[str, Attr]


@dataclass(frozen=True)
class ScreenText:
    """What the screen shows: its rows as text (trailing blanks removed) and the cursor (0-based)."""

    rows: list[str]
    cursor_row: int
    cursor_col: int


class Screen:
    """A terminal emulator; ``feed`` it bytes, read ``cells``, ``text()`` or ``repaint()``."""

    def __init__(self, cols: int = COLS, rows: int = ROWS) -> None:
        self.cols, self.rows = cols, rows
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self.reset()

    def reset(self) -> None:
        self.cells: list[list[Cell]] = [[BLANK] * self.cols for _ in range(self.rows)]
        self.row = self.col = 0
        self.attr = DEFAULT
        self.top, self.bottom = 0, self.rows - 1  # the scroll region
        self.cursor_visible = True
        self.mouse_reports = False  # the guest asked for mouse reports (DECSET 1000, 1002 or 1003)
        self.mouse_sgr = False  # in the SGR encoding (DECSET 1006)
        self._wrap_pending = False
        self._saved: tuple[int, int, Attr] = (0, 0, DEFAULT)
        self._state = "ground"
        self._seq = ""

    # -- input ----------------------------------------------------------------------------------

    def feed(self, data: bytes) -> None:
        """Interpret the guest's output."""
        text = self._decoder.decode(data)
        i, end = 0, len(text)
        while i < end:
            if self._state == "ground":
                run = _PLAIN.match(text, i)
                if run is not None:  # printable text, the bulk of any output: drawn a row at a time
                    self._print_run(run.group())
                    i = run.end()
                    continue
            self._char(text[i])
            i += 1

    def _char(self, ch: str) -> None:
        state = self._state
        if state == "ground":
            if ch >= " " and ch != "\x7f":
                self._print(ch)
            elif ch == "\x1b":
                self._state, self._seq = "escape", ""
            else:
                self._control(ch)
        elif state == "escape":
            self._escape(ch)
        elif state == "csi":
            if "\x40" <= ch <= "\x7e":
                self._state = "ground"
                self._csi(self._seq, ch)
            elif ch == "\x1b":
                self._state, self._seq = "escape", ""
            elif ch < " ":
                self._control(ch)  # C0 controls act inside a sequence too
            else:
                self._seq += ch
                if len(self._seq) > MAX_SEQUENCE:
                    self._state = "ground"
        elif state == "osc":  # operating system command: skipped up to BEL or ST
            if ch == "\x07" or len(self._seq) > MAX_SEQUENCE:
                self._state = "ground"
            elif ch == "\x1b":
                self._state = "osc_esc"
            else:
                self._seq += ch
        elif state in ("osc_esc", "charset"):  # ESC ( X: the character set is not emulated
            self._state = "ground"

    def _control(self, ch: str) -> None:
        if ch == "\r":
            self.col, self._wrap_pending = 0, False
        elif ch in "\n\x0b\x0c":
            self._linefeed()
        elif ch == "\b":
            self.col, self._wrap_pending = max(0, self.col - 1), False
        elif ch == "\t":
            self.col, self._wrap_pending = min(self.cols - 1, (self.col // TAB + 1) * TAB), False

    def _escape(self, ch: str) -> None:
        self._state = "ground"
        if ch == "[":
            self._state, self._seq = "csi", ""
        elif ch == "]":
            self._state, self._seq = "osc", ""
        elif ch in "()*+":
            self._state = "charset"
        elif ch == "7":
            self._save()
        elif ch == "8":
            self._restore()
        elif ch == "D":
            self._linefeed()
        elif ch == "E":
            self.col = 0
            self._linefeed()
        elif ch == "M":
            self._reverse_index()
        elif ch == "c":
            self.reset()
        elif ch == "\x1b":
            self._state, self._seq = "escape", ""

    # -- drawing --------------------------------------------------------------------------------

    def _print(self, ch: str) -> None:
        if self._wrap_pending:
            self.col = 0
            self._linefeed()
        self.cells[self.row][self.col] = (ch, self.attr)
        if self.col == self.cols - 1:
            self._wrap_pending = True
        else:
            self.col += 1

    def _print_run(self, text: str) -> None:
        while text:
            if self._wrap_pending:
                self.col = 0
                self._linefeed()
            part, text = text[: self.cols - self.col], text[self.cols - self.col :]
            attr = self.attr
            self.cells[self.row][self.col : self.col + len(part)] = [(ch, attr) for ch in part]
            if self.col + len(part) == self.cols:
                self.col, self._wrap_pending = self.cols - 1, True
            else:
                self.col += len(part)

    def _linefeed(self) -> None:
        self._wrap_pending = False
        if self.row == self.bottom:
            self._scroll_up(1)
        elif self.row < self.rows - 1:
            self.row += 1

    def _reverse_index(self) -> None:
        self._wrap_pending = False
        if self.row == self.top:
            self._scroll_down(1)
        elif self.row > 0:
            self.row -= 1

    def _blank_row(self) -> list[Cell]:
        return [(" ", self._erase_attr())] * self.cols

    def _erase_attr(self) -> Attr:
        return Attr(bg=self.attr.bg) if self.attr.bg >= 0 else DEFAULT

    def _scroll_up(self, n: int, top: int | None = None) -> None:
        top = self.top if top is None else top
        n = min(n, self.bottom - top + 1)
        del self.cells[top : top + n]
        for _ in range(n):
            self.cells.insert(self.bottom - n + 1, self._blank_row())

    def _scroll_down(self, n: int, top: int | None = None) -> None:
        top = self.top if top is None else top
        n = min(n, self.bottom - top + 1)
        del self.cells[self.bottom - n + 1 : self.bottom + 1]
        for _ in range(n):
            self.cells.insert(top, self._blank_row())

    def _erase(self, row: int, start: int, end: int) -> None:
        blank = (" ", self._erase_attr())
        line = self.cells[row]
        for col in range(max(0, start), min(self.cols, end)):
            line[col] = blank

    def _save(self) -> None:
        self._saved = (self.row, self.col, self.attr)

    def _restore(self) -> None:
        self.row, self.col, self.attr = self._saved
        self._wrap_pending = False

    def _move(self, row: int, col: int) -> None:
        self.row = max(0, min(self.rows - 1, row))
        self.col = max(0, min(self.cols - 1, col))
        self._wrap_pending = False

    # -- CSI ------------------------------------------------------------------------------------

    def _csi(self, seq: str, final: str) -> None:
        private = seq[:1] in ("?", ">", "<", "=")
        body = seq[1:] if private else seq
        params: list[int] = []
        for part in body.split(";")[:MAX_PARAMS]:
            digits = part.strip()
            params.append(min(MAX_PARAM, int(digits)) if digits.isdigit() else 0)
        if private:
            if final in "hl":
                on = final == "h"
                if 25 in params:
                    self.cursor_visible = on
                if {1000, 1002, 1003} & set(params):
                    self.mouse_reports = on
                if 1006 in params:
                    self.mouse_sgr = on
            return

        def arg(i: int = 0, default: int = 1) -> int:
            value = params[i] if i < len(params) else 0
            return value or default

        if final in "Hf":
            self._move(arg(0) - 1, arg(1) - 1)
        elif final == "A":
            self._move(max(self.top if self.row >= self.top else 0, self.row - arg()), self.col)
        elif final == "B":
            floor = self.bottom if self.row <= self.bottom else self.rows - 1
            self._move(min(floor, self.row + arg()), self.col)
        elif final == "C":
            self._move(self.row, self.col + arg())
        elif final == "D":
            self._move(self.row, self.col - arg())
        elif final == "E":
            self._move(self.row + arg(), 0)
        elif final == "F":
            self._move(self.row - arg(), 0)
        elif final == "G":
            self._move(self.row, arg() - 1)
        elif final == "d":
            self._move(arg() - 1, self.col)
        elif final == "J":
            self._erase_display(arg(0, 0))
        elif final == "K":
            self._erase_line(arg(0, 0))
        elif final == "X":
            self._erase(self.row, self.col, self.col + arg())
        elif final == "@":
            self._insert_chars(arg())
        elif final == "P":
            self._delete_chars(arg())
        elif final == "L":
            if self.top <= self.row <= self.bottom:
                self._scroll_down(arg(), self.row)
        elif final == "M":
            if self.top <= self.row <= self.bottom:
                self._scroll_up(arg(), self.row)
        elif final == "S":
            self._scroll_up(arg())
        elif final == "T":
            self._scroll_down(arg())
        elif final == "r":
            top, bottom = arg(0) - 1, arg(1, self.rows) - 1
            if 0 <= top < bottom < self.rows:
                self.top, self.bottom = top, bottom
                self._move(0, 0)
        elif final == "s":
            self._save()
        elif final == "u":
            self._restore()
        elif final == "m":
            self._sgr(params or [0])

    def _erase_display(self, mode: int) -> None:
        if mode == 0:
            self._erase(self.row, self.col, self.cols)
            for row in range(self.row + 1, self.rows):
                self._erase(row, 0, self.cols)
        elif mode == 1:
            self._erase(self.row, 0, self.col + 1)
            for row in range(self.row):
                self._erase(row, 0, self.cols)
        elif mode in (2, 3):
            for row in range(self.rows):
                self._erase(row, 0, self.cols)

    def _erase_line(self, mode: int) -> None:
        if mode == 0:
            self._erase(self.row, self.col, self.cols)
        elif mode == 1:
            self._erase(self.row, 0, self.col + 1)
        elif mode == 2:
            self._erase(self.row, 0, self.cols)

    def _insert_chars(self, n: int) -> None:
        line = self.cells[self.row]
        n = min(n, self.cols - self.col)
        line[self.col : self.col] = [(" ", self._erase_attr())] * n
        del line[self.cols :]

    def _delete_chars(self, n: int) -> None:
        line = self.cells[self.row]
        n = min(n, self.cols - self.col)
        del line[self.col : self.col + n]
        line.extend([(" ", self._erase_attr())] * n)

    def _sgr(self, params: list[int]) -> None:
        fg, bg, bold, underline, reverse = self.attr
        i = 0
        while i < len(params):
            p = params[i]
            if p == 0:
                fg, bg, bold, underline, reverse = DEFAULT
            elif p == 1:
                bold = True
            elif p == 4:
                underline = True
            elif p == 7:
                reverse = True
            elif p == 22:
                bold = False
            elif p == 24:
                underline = False
            elif p == 27:
                reverse = False
            elif 30 <= p <= 37:
                fg = p - 30
            elif 90 <= p <= 97:
                fg = p - 90 + 8
            elif p == 39:
                fg = -1
            elif 40 <= p <= 47:
                bg = p - 40
            elif 100 <= p <= 107:
                bg = p - 100 + 8
            elif p == 49:
                bg = -1
            elif p in (38, 48):  # 256-colour and RGB forms: skipped with their arguments
                i += 2 if i + 1 < len(params) and params[i + 1] == 5 else 4
            i += 1
        self.attr = Attr(fg, bg, bold, underline, reverse)

    # -- output ---------------------------------------------------------------------------------

    def text(self) -> ScreenText:
        rows = ["".join(ch for ch, _ in line).rstrip() for line in self.cells]
        return ScreenText(rows, self.row, self.col)

    def snapshot(self) -> list[list[Cell]]:
        """A copy of the cells (for a screenshot drawn outside the event loop)."""
        return [list(line) for line in self.cells]

    def repaint(self) -> bytes:
        """ANSI that draws this screen on a fresh terminal: clear, the rows with their attributes,
        the scroll region, the cursor and the current attribute."""
        out = ["\x1b[0m\x1b[r\x1b[H\x1b[2J"]
        for number, line in enumerate(self.cells):
            end = self.cols
            while end and line[end - 1] == BLANK:
                end -= 1
            if not end:
                continue
            out.append(f"\x1b[{number + 1};1H")
            current: Attr | None = None
            for ch, attr in line[:end]:
                if attr != current:
                    out.append(attr.sgr())
                    current = attr
                out.append(ch)
        if (self.top, self.bottom) != (0, self.rows - 1):
            out.append(f"\x1b[{self.top + 1};{self.bottom + 1}r")
        out.append(f"\x1b[{self.row + 1};{self.col + 1}H{self.attr.sgr()}")
        out.append("\x1b[?25h" if self.cursor_visible else "\x1b[?25l")
        if self.mouse_reports:
            out.append("\x1b[?1000h\x1b[?1006h" if self.mouse_sgr else "\x1b[?1000h")
        return "".join(out).encode()
