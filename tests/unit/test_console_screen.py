"""The vmx's terminal emulator: text, cursor moves, erase, scroll, attributes, repaint, garbage."""

from __future__ import annotations

import random

from vmx.console.screen import Attr, Screen


def _screen(*chunks: bytes) -> Screen:
    screen = Screen()
    for chunk in chunks:
        screen.feed(chunk)
    return screen


def test_text_crlf_and_utf8_split_across_chunks() -> None:
    euro = "€".encode()
    screen = _screen(b"hello\r\nw", euro[:1], euro[1:], b"rld")
    assert screen.text().rows[:2] == ["hello", "w€rld"]
    assert (screen.text().cursor_row, screen.text().cursor_col) == (1, 5)


def test_backspace_tab_and_wrap() -> None:
    screen = _screen(b"ab\bX\tY")
    assert screen.text().rows[0] == "aX      Y"
    screen = _screen(b"x" * 80 + b"y")
    assert screen.text().rows[:2] == ["x" * 80, "y"]


def test_cursor_moves() -> None:
    screen = _screen(b"\x1b[5;10Hx\x1b[2Ay\x1b[3Bz\x1b[4Dw\x1b[3Cv\x1b[20Gu\x1b[2dt")
    rows = screen.text().rows
    assert rows[4][9] == "x" and rows[2][10] == "y" and rows[5][11] == "z"
    assert rows[5][8] == "w" and rows[5][11] == "z" and rows[5][12] == "v"
    assert rows[5][19] == "u" and rows[1][20] == "t"
    screen.feed(b"\x1b[99;999H")  # clamped to the screen
    assert (screen.text().cursor_row, screen.text().cursor_col) == (24, 79)
    screen.feed(b"\x1b[H\x1b[2;3f")
    assert (screen.text().cursor_row, screen.text().cursor_col) == (1, 2)


def test_erase_display_and_line() -> None:
    full = b"".join(b"%d" % (i % 10) * 80 for i in range(25))
    screen = _screen(full, b"\x1b[3;5H\x1b[K")
    assert screen.text().rows[2] == "2222"
    screen.feed(b"\x1b[1K")
    assert screen.text().rows[2] == ""
    screen.feed(b"\x1b[J")
    assert screen.text().rows[3:] == [""] * 22 and screen.text().rows[1] == "1" * 80
    screen.feed(b"\x1b[2;10H\x1b[1J")
    assert screen.text().rows[0] == "" and screen.text().rows[1] == " " * 10 + "1" * 70
    screen.feed(b"\x1b[2J")
    assert screen.text().rows == [""] * 25


def test_scrolling_at_the_bottom_and_in_a_region() -> None:
    screen = _screen(b"".join(b"line%d\r\n" % i for i in range(30)))
    rows = screen.text().rows
    assert rows[0] == "line6" and rows[23] == "line29" and rows[24] == ""
    screen = _screen(b"top\x1b[2;4r\x1b[2;1Ha\r\nb\r\nc\r\nd", b"\x1b[10;1Hkeep")
    assert screen.text().rows[:5] == ["top", "b", "c", "d", ""]
    assert screen.text().rows[9] == "keep"
    screen = _screen(b"one\r\ntwo\x1b[H\x1bM")  # reverse index at the top scrolls down
    assert screen.text().rows[:3] == ["", "one", "two"]


def test_insert_delete_and_save_restore() -> None:
    screen = _screen(b"abcdef\x1b[1;3H\x1b[2@XY\x1b[1;1H\x1b[1P")
    assert screen.text().rows[0] == "bXYcdef"
    screen = _screen(b"a\r\nb\r\nc\x1b[2;1H\x1b[L")
    assert screen.text().rows[:4] == ["a", "", "b", "c"]
    screen.feed(b"\x1b[M")
    assert screen.text().rows[:3] == ["a", "b", "c"]
    screen = _screen(b"\x1b[3;4H\x1b7\x1b[Hx\x1b8y\x1b[s\x1b[10;10H\x1b[uz")
    assert screen.text().rows[2] == "   yz"


def test_sgr_attributes() -> None:
    screen = _screen(b"\x1b[1;31mR\x1b[7;44mB\x1b[0mN\x1b[92;4mG\x1b[24;39mD\x1b[38;5;200mE\x1b[22;27m")
    attrs = [attr for _, attr in screen.cells[0][:6]]
    assert attrs[0] == Attr(fg=1, bold=True)
    assert attrs[1] == Attr(fg=1, bg=4, bold=True, reverse=True)
    assert attrs[2] == Attr()
    assert attrs[3] == Attr(fg=10, underline=True)
    assert attrs[4] == Attr()
    assert attrs[5] == Attr()  # 256-colour forms are skipped with their arguments


def test_repaint_redraws_the_same_screen() -> None:
    source = _screen(
        b"\x1b[1;32mgreen\x1b[0m plain\r\n\x1b[7mreverse\x1b[0m\x1b[10;5Hthere\x1b[4;20r\x1b[12;7H\x1b[33m"
    )
    copy = _screen(b"garbage on the viewer's screen\x1b[31m", source.repaint())
    assert copy.cells == source.cells
    assert (copy.row, copy.col, copy.attr) == (source.row, source.col, source.attr)
    assert (copy.top, copy.bottom) == (source.top, source.bottom)


def test_garbage_never_raises() -> None:
    rng = random.Random(6)
    screen = Screen()
    for _ in range(300):
        screen.feed(bytes(rng.randrange(256) for _ in range(rng.randrange(1, 200))))
        screen.feed(b"\x1b[" + b";".join(b"%d" % rng.randrange(10**7) for _ in range(30)) + b"m")
        screen.feed(b"\x1b[" + b"9" * 500 + b"H\x1b]0;title\x07\x1b(B\x1b[?25l\x1b[?1049h")
    screen.feed(b"\x1bc\x1b[Hok")
    assert screen.text().rows[0] == "ok"
    assert len(screen.cells) == 25 and all(len(row) == 80 for row in screen.cells)


def test_byte_at_a_time_draws_the_same_screen() -> None:
    output = "".join(f"\x1b[3{i % 8}mrow {i} ünïcödé {'x' * (i * 7 % 90)}\r\n" for i in range(40)).encode()
    whole = _screen(output)
    one_by_one = Screen()
    for byte in output:
        one_by_one.feed(bytes([byte]))
    assert whole.cells == one_by_one.cells and (whole.row, whole.col) == (one_by_one.row, one_by_one.col)
