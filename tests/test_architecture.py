"""docs/architecture.md tells the truth: its layers are the import contracts' layers, it names
every part of the package, and the import graph has the one upward import it admits."""

from __future__ import annotations

import re
import sys
from typing import Any

import pytest
from helpers import PROJECT_ROOT

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

PAGE = PROJECT_ROOT / "docs" / "architecture.md"
PACKAGE = PROJECT_ROOT / "nbcollab"
_NAME_COLUMN = 13  # where the diagram's lines name their packages


def contracts() -> list[dict[str, Any]]:
    """The import contracts of pyproject.toml."""
    pyproject = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    found: list[dict[str, Any]] = pyproject["tool"]["importlinter"]["contracts"]
    return found


def contract_layers() -> list[set[str]]:
    """The "Layers" contract, top first: each layer's packages, without ``nbcollab.``."""
    (layers,) = [c for c in contracts() if c["type"] == "layers"]
    return [
        {name.strip().removeprefix("nbcollab.") for name in str(layer).split("|")}
        for layer in layers["layers"]
    ]


def diagram_lines(page: str) -> list[tuple[str, str]]:
    """The diagram's lines: (the names in the name column, or "", the description after them)."""
    diagram = re.search(r"^```\n(.*?)^```", page, re.DOTALL | re.MULTILINE)
    assert diagram, "the page has no diagram"
    lines = []
    for line in diagram.group(1).splitlines():
        names, _, description = line[_NAME_COLUMN:].partition("  ")
        lines.append((names.strip(), description.strip()))
    return lines


def diagram_layers(page: str) -> list[set[str]]:
    """The diagram's layers, top first: the names each line starts with in the name column."""
    return [
        {name.strip().rstrip("/") for name in names.split("|")}
        for names, _ in diagram_lines(page)
        if names and names != "|"
    ]


def described_modules(page: str, package: str) -> set[str]:
    """The modules the diagram lists for ``package``: the first word of each comma-separated
    item of its description, asides in parentheses left out."""
    text, taking = "", False
    for names, description in diagram_lines(page):
        if names:
            taking = names == f"{package}/"
        if taking:
            text += " " + description
    items = re.sub(r"\([^)]*\)", "", text).split(",")
    return {item.split()[0] for item in items if item.strip()}


def package_parts() -> set[str]:
    """nbcollab's sub-packages and top-level modules."""
    parts = {path.stem for path in PACKAGE.glob("*.py") if not path.name.startswith("__")}
    return parts | {path.name for path in PACKAGE.iterdir() if (path / "__init__.py").is_file()}


def test_the_diagram_is_the_layers_contract_in_its_order() -> None:
    shown = diagram_layers(PAGE.read_text(encoding="utf-8"))
    layers = contract_layers()
    assert shown[: len(layers)] == layers
    # Below the contract's layers: the modules that import nothing else of nbcollab.
    assert shown[len(layers) :] == [{"options", "errors", "safe_text"}]


def test_the_diagram_names_every_part_of_the_package() -> None:
    shown = set().union(*diagram_layers(PAGE.read_text(encoding="utf-8")))
    assert shown == package_parts()


@pytest.mark.parametrize("package", ["merge", "clean", "diff", "align", "notebook"])
def test_the_diagram_lists_every_module_of_the_core(package: str) -> None:
    folder = PACKAGE / package
    modules = {path.stem for path in folder.glob("*.py") if not path.name.startswith("__")}
    modules |= {path.name for path in folder.iterdir() if (path / "__init__.py").is_file()}
    assert described_modules(PAGE.read_text(encoding="utf-8"), package) == modules


def test_a_diagram_out_of_order_is_found() -> None:
    page = "```\ninterfaces   cli/        text\n                 |\n             git/ | importer\n```\n"
    assert diagram_layers(page) == [{"cli"}, {"git", "importer"}]
    swapped = page.replace("cli/", "CLI").replace("git/ | importer", "cli/").replace("CLI", "git/")
    assert diagram_layers(swapped)[:2] != contract_layers()[:2]


def _graph_without_ignored_imports() -> Any:
    grimp = pytest.importorskip("grimp", reason="import-linter (the dev extra) is not installed")
    graph = grimp.build_graph("nbcollab")
    for contract in contracts():
        for ignored in contract.get("ignore_imports", []):
            importer, imported = (side.strip() for side in ignored.split("->"))
            graph.remove_import(importer=importer, imported=imported)
    return graph


def test_no_part_imports_one_that_imports_it_back_but_the_one_named() -> None:
    graph = _graph_without_ignored_imports()
    parts = sorted(package_parts())
    cycles = [
        (a, b)
        for a in parts
        for b in parts
        if a < b
        and graph.chain_exists(f"nbcollab.{a}", f"nbcollab.{b}", as_packages=True)
        and graph.chain_exists(f"nbcollab.{b}", f"nbcollab.{a}", as_packages=True)
    ]
    assert cycles == []


def test_the_bottom_modules_import_no_other_part() -> None:
    graph = _graph_without_ignored_imports()
    for bottom in ("options", "errors", "safe_text"):
        imported = graph.find_modules_directly_imported_by(f"nbcollab.{bottom}")
        assert {m for m in imported if m.startswith("nbcollab")} == set(), bottom


def test_the_package_root_imports_nothing_of_nbcollab() -> None:
    """``nbcollab`` imports its names by name on first use: modules that read ``__version__``
    from it must not, through it, import every layer."""
    graph = _graph_without_ignored_imports()
    assert graph.find_modules_directly_imported_by("nbcollab") == set()
