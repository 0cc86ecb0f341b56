"""The mergetool's side columns: highlighted like the review page, changes marked inside tokens."""

from __future__ import annotations

from nbcollab.mergetool.safe_html import source_diff_html


def test_sides_are_highlighted_with_changed_characters_marked() -> None:
    html = source_diff_html("a = 0\nprint(a)\n", "a = 1\nprint(a)\n", "python")
    assert '<table class="src hl">' in html
    assert '<span class="mi"><ins>1</ins></span>' in html  # the changed digit, inside its token
    assert '<span class="nb">print</span>' in html


def test_untrusted_text_stays_escaped_when_highlighted() -> None:
    html = source_diff_html("", "x = '<script>alert(1)</script>'\n", "python")
    assert "<script>" not in html and "&lt;script&gt;" in html


def test_unknown_languages_are_plain_text() -> None:
    html = source_diff_html("a\n", "b <b>\n", "no-such-language")
    assert "<span" not in html and "b &lt;b&gt;" in html
