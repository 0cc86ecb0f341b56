"""The documentation stays true: its configuration examples load, its commands exist."""

from __future__ import annotations

import dataclasses
import re
import sys
from enum import Enum
from pathlib import Path
from typing import Any

import pytest
from helpers import PROJECT_ROOT, run_nbcollab

from nbcollab.config.load import load_config
from nbcollab.config.model import Config
from nbcollab.errors import ConfigError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

PAGES = sorted([PROJECT_ROOT / "README.md", *(PROJECT_ROOT / "docs").glob("*.md")])
_TOML_BLOCK = re.compile(r"^```toml\n(.*?)^```", re.DOTALL | re.MULTILINE)


def toml_examples(markdown: str) -> list[str]:
    """The ```toml blocks of a page."""
    return _TOML_BLOCK.findall(markdown)


EXAMPLES = [
    (page, number, block)
    for page in PAGES
    for number, block in enumerate(toml_examples(page.read_text(encoding="utf-8")))
]


def _plain(value: Any) -> Any:
    """An option's value as TOML spells it (enums by value, tuples as lists)."""
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, tuple):
        return [_plain(item) for item in value]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {key.replace("_", "-"): _plain(item) for key, item in vars(value).items()}
    return value


def check_example(block: str, folder: Path) -> None:
    """Load ``block`` as a project's pyproject.toml with the loader every command uses, and check
    that each value it sets is the value the options hold (ConfigError when it is invalid)."""
    (folder / "pyproject.toml").write_text(block, encoding="utf-8")
    config = load_config(folder)
    table = tomllib.loads(block).get("tool", {}).get("nbcollab", {})
    assert table, "the example sets nothing under [tool.nbcollab]"
    for section, values in table.items():
        options = getattr(config, section.replace("-", "_"))
        for key, value in values.items():
            assert _plain(getattr(options, key.replace("-", "_"))) == value, f"{section}.{key}"


@pytest.mark.parametrize(
    "page, number, block", EXAMPLES, ids=[f"{page.name}-{number}" for page, number, _ in EXAMPLES]
)
def test_toml_examples_are_valid_config(
    page: Path, number: int, block: str, tmp_path: Path
) -> None:
    check_example(block, tmp_path)


def test_every_option_section_has_an_example() -> None:
    shown = {
        section
        for _, _, block in EXAMPLES
        for section in tomllib.loads(block).get("tool", {}).get("nbcollab", {})
    }
    assert {field.name for field in dataclasses.fields(Config)} <= shown


BROKEN = {
    "misspelt-key": (
        "[tool.nbcollab.clean]\nkeep-outptus = true\n",
        ConfigError,
        r"\[tool\.nbcollab\.clean\] keep-outptus: unknown key \(did you mean keep-outputs\?\)",
    ),
    "unknown-section": ("[tool.nbcollab.lnit]\nstrict = true\n", ConfigError, "lnit: unknown key"),
    "bad-choice": (
        '[tool.nbcollab.merge]\noutputs = "mine"\n',
        ConfigError,
        r"\[tool\.nbcollab\.merge\] outputs: must be one of 'auto'",
    ),
    "bad-type": ("[tool.nbcollab.diff]\nignore-outputs = 3\n", ConfigError, "ignore-outputs"),
    "negative-size": ("[tool.nbcollab.clean]\nmax-output-bytes = -1\n", ConfigError, "0 or more"),
    "not-toml": ("[tool.nbcollab.merge\nsign = true\n", ConfigError, "not valid TOML"),
    # Loads without complaint, but configures nothing: the example would mislead its reader.
    "misspelt-tool": (
        "[tool.nbcolab.clean]\nkeep-outputs = true\n",
        AssertionError,
        "sets nothing",
    ),
}


@pytest.mark.parametrize("block, error, message", BROKEN.values(), ids=BROKEN.keys())
def test_a_broken_example_fails_the_check(
    block: str, error: type[Exception], message: str, tmp_path: Path
) -> None:
    page = f"# Options\n\n```toml\n{block}```\n\nText after.\n"
    (found,) = toml_examples(page)
    with pytest.raises(error, match=message):
        check_example(found, tmp_path)


@pytest.mark.slow
def test_every_command_in_the_readme_table_exists() -> None:
    readme = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    commands = set(re.findall(r"^\| `nbcollab ([a-z-]+)", readme, re.MULTILINE))
    assert {"clean", "diff", "merge", "conflicts", "resolve", "trust", "install"} <= commands
    for command in commands:
        assert run_nbcollab(command, "--help").returncode == 0, command
