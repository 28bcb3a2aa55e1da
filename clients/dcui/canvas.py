"""A screen's worth of styled text: what a DCUI screen draws and the terminal writes out."""

from __future__ import annotations

from dataclasses import dataclass

#: style name -> SGR parameters (ESXi's DCUI: a grey and yellow front screen, a grey menu)
STYLES: dict[str, str] = {
    "plain": "0;37;40",
    "banner": "0;30;47",
    "accent": "1;30;43",
    "title": "1;33;40",
    "selected": "0;30;43",
    "bar": "0;30;47",
    "field": "0;30;47",
    "focused": "1;30;43",
    "error": "1;31;40",
    "dialog": "0;30;47",
}


@dataclass
class Cell:
    char: str
    style: str


class Canvas:
    """``width`` × ``height`` cells; drawing outside it is clipped."""

    def __init__(self, width: int, height: int, style: str = "plain") -> None:
        self.width, self.height = width, height
        self.cells = [[Cell(" ", style) for _ in range(width)] for _ in range(height)]

    def fill(self, top: int, left: int, height: int, width: int, style: str) -> None:
        """Blank a rectangle in ``style``."""
        for row in range(max(top, 0), min(top + height, self.height)):
            for col in range(max(left, 0), min(left + width, self.width)):
                self.cells[row][col] = Cell(" ", style)

    def put(self, row: int, col: int, text: str, style: str | None = None) -> None:
        """Write ``text`` from (row, col); keeps each cell's style unless ``style`` is given."""
        if not 0 <= row < self.height:
            return
        for offset, char in enumerate(text):
            col_at = col + offset
            if 0 <= col_at < self.width:
                cell = self.cells[row][col_at]
                self.cells[row][col_at] = Cell(char, style or cell.style)

    def center(self, row: int, text: str, style: str | None = None, left: int = 0, width: int = 0) -> None:
        """``text`` centred in the columns [left, left + width) (the whole row by default)."""
        span = width or self.width - left
        self.put(row, left + max((span - len(text)) // 2, 0), text[:span], style)

    def text(self) -> list[str]:
        """The rows as plain text (trailing blanks removed)."""
        return ["".join(cell.char for cell in line).rstrip() for line in self.cells]

    def ansi(self) -> str:
        """ANSI that draws the whole canvas from the top-left corner."""
        out = ["\x1b[H"]
        current = ""
        for index, line in enumerate(self.cells):
            if index:
                out.append("\r\n")
            for cell in line:
                if cell.style != current:
                    current = cell.style
                    out.append(f"\x1b[{STYLES.get(current, '0')}m")
                out.append(cell.char)
        out.append("\x1b[0m")
        return "".join(out)


def wrap(text: str, width: int) -> list[str]:
    """``text`` broken into lines of at most ``width`` characters at spaces (paragraphs kept)."""
    lines: list[str] = []
    for paragraph in text.split("\n"):
        line = ""
        for word in paragraph.split(" "):
            while len(word) > width:
                if line:
                    lines.append(line)
                    line = ""
                lines.append(word[:width])
                word = word[width:]
            candidate = f"{line} {word}" if line else word
            if len(candidate) > width:
                lines.append(line)
                line = word
            else:
                line = candidate
        lines.append(line)
    return lines
