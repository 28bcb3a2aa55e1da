"""Terminal input bytes to key names ("up", "f2", "enter", "a", …)."""

from __future__ import annotations

SEQUENCES: dict[str, str] = {
    "\x1b[A": "up",
    "\x1b[B": "down",
    "\x1b[C": "right",
    "\x1b[D": "left",
    "\x1bOA": "up",
    "\x1bOB": "down",
    "\x1bOC": "right",
    "\x1bOD": "left",
    "\x1b[H": "home",
    "\x1b[F": "end",
    "\x1b[1~": "home",
    "\x1b[4~": "end",
    "\x1b[5~": "pgup",
    "\x1b[6~": "pgdn",
    "\x1bOP": "f1",
    "\x1bOQ": "f2",
    "\x1b[11~": "f1",
    "\x1b[12~": "f2",
    "\x1b[23~": "f11",
    "\x1b[24~": "f12",
    "\x1b[[B": "f2",  # the Linux console
}
SINGLE: dict[str, str] = {
    "\r": "enter",
    "\n": "enter",
    "\t": "tab",
    "\x7f": "backspace",
    "\x08": "backspace",
    "\x03": "ctrl-c",
    "\x1b": "esc",
}


def decode(text: str) -> list[str]:
    """The keys in ``text`` (one read's worth); an unknown escape sequence is dropped whole."""
    keys: list[str] = []
    i = 0
    while i < len(text):
        if text[i] == "\x1b" and i + 1 < len(text):
            match = next((s for s in sorted(SEQUENCES, key=len, reverse=True) if text.startswith(s, i)), None)
            if match:
                keys.append(SEQUENCES[match])
                i += len(match)
                continue
            if text[i + 1] == "O":  # an unknown SS3 key: ESC O and one more character
                i += 3
                continue
            if text[i + 1] == "[":  # an unknown CSI key: parameters, then a final byte @ to ~
                j = i + 2
                while j < len(text) and not "\x40" <= text[j] <= "\x7e":
                    j += 1
                i = j + 1
                continue
        char = text[i]
        keys.append(SINGLE.get(char, char))
        i += 1
    return keys
