"""Provider strings are data: control and bidi characters become visible escapes, never markup."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st
from rich.text import Text

from jobtui.textsafe import UNSAFE_CODEPOINTS, visible
from jobtui.tui.terminal.safe_text import join_parts, safe, safe_text


def test_escape_sequences_and_bidi_overrides_become_visible() -> None:
    assert visible("\x1b[31mred") == "\\x1b[31mred"
    assert visible("abc\u202edef") == "abc\\u202edef"
    assert visible("\u2066x\u2069") == "\\u2066x\\u2069"
    assert visible("a\x9b2Jb\x7f") == "a\\x9b2Jb\\x7f"
    assert visible("\x1b]52;c;eA==\x07") == "\\x1b]52;c;eA==\\x07"
    assert visible("line\nnext\t") == "line\\x0anext\\x09"


def test_bidi_marks_and_zero_width_characters_become_visible() -> None:
    assert visible("a\u200eb\u200fc\u061cd") == "a\\u200eb\\u200fc\\u061cd"
    assert visible("\u2066\u2067\u2068\u2069") == "\\u2066\\u2067\\u2068\\u2069"
    assert visible("\ufeffid") == "\\ufeffid"
    assert visible("x\u200by\u200cz\u200d") == "x\\u200by\\u200cz\\u200d"
    assert safe("ok\u200f") == "ok\\u200f"


def test_printable_text_is_unchanged() -> None:
    for text in ("golden retriever 0.95", "مرحبا", "日本語", "🐕 dog", "[bold]x[/]", "ü"):
        assert visible(text) == text


def test_keep_leaves_chosen_characters() -> None:
    assert visible("a\nb\x1b", keep="\n") == "a\nb\\x1b"


@given(st.text())
def test_no_unsafe_code_point_survives(text: str) -> None:
    assert not any(ord(char) in UNSAFE_CODEPOINTS for char in visible(text))


@given(st.text(alphabet=st.characters(blacklist_categories=("Cc", "Cf", "Zl", "Zp"))))
def test_text_without_controls_is_identity(text: str) -> None:
    assert visible(text) == text


def test_markup_in_provider_strings_is_not_interpreted() -> None:
    text = safe_text("[bold red]alarm[/] \x1b[2J", "italic")
    assert isinstance(text, Text)
    assert text.plain == "[bold red]alarm[/] \\x1b[2J"
    assert text.spans == []
    assert str(text.style) == "italic"


def test_safe_accepts_any_value() -> None:
    assert safe(None) == "None"
    assert safe(3.5) == "3.5"
    assert safe("\u202e") == "\\u202e"


def test_join_parts_styles_each_piece_literally() -> None:
    text = join_parts([("[b]", "bold"), ("\x1b", ""), ("ok", "green")], separator=" ")
    assert text.plain == "[b] \\x1b ok"
    styled = [(span.start, span.end, str(span.style)) for span in text.spans]
    assert styled == [(0, 3, "bold"), (9, 11, "green")]
