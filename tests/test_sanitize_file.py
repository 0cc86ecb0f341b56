"""nbval's own sanitize files work as they are: read exactly as nbval reads them."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nbcollab.clean.normalize import read_sanitize_file
from nbcollab.options import Replacement

# nbval's own files, byte for byte: its test suite's defaults, its documentation's example, and
# the file of its test of several rules per section (a pattern given again takes the last
# replacement, as nbval's table of patterns does).
NBVAL_FILES = {
    "tests/sanitize_defaults.cfg": (
        "[Dates and times]\nregex: \\d\\d\\d\\d-\\d\\d-\\d\\d\nreplace: DATESTAMP\n\n"
        "regex: \\d\\d-\\d\\d-\\d\\d\\d\\d\nreplace: DATESTAMP\n\n"
        "regex: \\d\\d:\\d\\d:\\d\\d\nreplace: TIMESTAMP\n\n"
        "regex: \\d\\d:\\d\\d\nreplace: TIMESTAMP\n\n"
        "[Memory addresses]\nregex: (<[a-zA-Z_][0-9a-zA-Z_.]* at )(0x[0-9a-fA-F]+)(>)\n"
        "replace: \\1MEMORY_ADDRESS\\3\n\n"
        "[Matplotlib figure size]\nregex: (Figure size )\\d+x\\d+( with \\d+ Axes)\n"
        "replace: \\1WIDTHxHEIGHT\\2\n"
    ),
    "docs/source/doc_sanitize": (
        "[regex1]\nregex: \\d{1,2}/\\d{1,2}/\\d{2,4}\nreplace: DATE-STAMP\n\n"
        "[regex2]\nregex: \\d{2}:\\d{2}:\\d{2}\nreplace: TIME-STAMP"
    ),
    "test_get_sanitize_patterns": (
        "\n[Section1]\nregex: foo\nreplace: bar1\n\nregex: quux\nreplace: 42\n\n"
        "[Section2 (overwrites regex 'foo')]\nregex: foo\nreplace: bar2\n"
    ),
}


def nbval_rules(text: str) -> list[tuple[str, str]]:
    """What nbval applies for a sanitize file: the pairs its one regular expression finds, in
    a table keyed by pattern (a later pair replaces an earlier one's replacement in place)."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")  # nbval opens it in text mode
    pairs = re.findall(r"^regex: (.*)$\n^replace: (.*)$", text, flags=re.MULTILINE)
    return list(dict(pairs).items())


@pytest.mark.parametrize("name", sorted(NBVAL_FILES))
def test_nbvals_own_sanitize_files_are_read_as_nbval_reads_them(name: str) -> None:
    text = NBVAL_FILES[name]
    rules = read_sanitize_file(text, path=name)
    assert [(r.regex, r.replace) for r in rules] == nbval_rules(text)


def test_several_rules_per_section_and_a_pattern_given_again() -> None:
    rules = read_sanitize_file(NBVAL_FILES["test_get_sanitize_patterns"], path="s.cfg")
    assert rules == (
        Replacement(regex="foo", replace="bar2"),
        Replacement(regex="quux", replace="42"),
    )


_LINE = st.one_of(
    st.builds(lambda v: f"regex: {v}\nreplace: {v.upper()}", st.sampled_from(["a", "b+", "c\\d"])),
    st.sampled_from(["", "[section]", "[another one]", "# a comment", "; also a comment"]),
)


@settings(max_examples=200, deadline=None)
@given(lines=st.lists(_LINE, max_size=12), newline=st.sampled_from(["\n", "\r\n"]))
def test_any_file_nbval_reads_gives_nbvals_rules(lines: list[str], newline: str) -> None:
    text = "\n".join(lines).replace("\n", newline)
    rules = read_sanitize_file(text, path="s.cfg")
    assert [(r.regex, r.replace) for r in rules] == nbval_rules(text)


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        (
            "[a]\nregex = x\nreplace = y\n",
            "line 2: write 'regex' at the start of the line, then ': '",
        ),
        ("[a]\nregex: x\n\nreplace: y\n", "line 2: its 'replace: ' line must come right after it"),
        ("[a]\nreplace: y\n", "line 2: no 'regex: ' line right before it"),
        ("[a]\n  regex: x\n  replace: y\n", "line 2: write 'regex' at the start of the line"),
        ("[a]\nthe dates\n", "line 2: not a rule"),
        ("regex: \nreplace: y\n", "line 1: empty regex"),
        ("regex: (\nreplace: y\n", "bad regular expression '('"),
    ],
)
def test_lines_nbval_would_pass_over_silently_are_errors(text: str, problem: str) -> None:
    with pytest.raises(ValueError, match=re.escape(problem)):
        read_sanitize_file(text, path="s.cfg")
