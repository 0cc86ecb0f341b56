"""The documentation stays true: its configuration examples load, its commands exist."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest
from conftest import PROJECT_ROOT, run_nbcollab

from nbcollab.config import parse_config

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

PAGES = sorted([PROJECT_ROOT / "README.md", *(PROJECT_ROOT / "docs").glob("*.md")])


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_toml_examples_are_valid_config(page: Path) -> None:
    text = page.read_text(encoding="utf-8")
    for block in re.findall(r"```toml\n(.*?)```", text, re.DOTALL):
        table = tomllib.loads(block).get("tool", {}).get("nbcollab", {})
        parse_config(table, source=str(page))


def test_every_command_in_the_readme_table_exists() -> None:
    readme = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    commands = set(re.findall(r"^\| `nbcollab ([a-z-]+)", readme, re.MULTILINE))
    assert {"clean", "diff", "merge", "conflicts", "resolve", "trust", "install"} <= commands
    for command in commands:
        assert run_nbcollab(command, "--help").returncode == 0, command
