"""The documentation names only code and pages that exist.

Every ``nbcollab.x.y`` path, every module-relative name such as ``merge.resolve`` or
``folders.ConfigByFolder``, and every link between pages in README.md, CONTRIBUTING.md,
CHANGELOG.md and docs/ must resolve.
"""

from __future__ import annotations

import importlib
import pkgutil
import re
from pathlib import Path

import pytest
from helpers import PROJECT_ROOT

import nbcollab

PAGES = sorted(
    [
        *(PROJECT_ROOT / name for name in ("README.md", "CONTRIBUTING.md", "CHANGELOG.md")),
        *(PROJECT_ROOT / "docs").glob("*.md"),
    ]
)
# Dotted names at the start of a code span: ``merge.resolve``, ``nbcollab.files.is_inside``.
_DOTTED = re.compile(r"`([a-z_][a-z0-9_]*(?:\.\w+)+)")
_LINK = re.compile(r"\]\(([^)\s]+)\)")
_DOCS_PATH = re.compile(r"(?<![\w/.-])docs/[\w.-]+\.md")
# A path in the repository, in a code span (other projects' tests/ folders are named too: only
# this one's Python files and folders are checked there).
_REPO_PATH = re.compile(r"`((?:nbcollab|\.ci|jupyterlab-nbcollab|docs|tests)/[\w./-]*)`")
# First parts of dotted names that are not nbcollab's code: git config sections, notebook JSON,
# variables of examples, other libraries. A name starting with anything else must be nbcollab's
# (git config keys in sections named like nbcollab's packages are told apart by their spelling).
NOT_CODE = {
    "core", "filter", "gc",
    # notebook JSON and the examples' variables
    "metadata", "cell", "language_info", "jupyter", "nb", "result", "data", "outcome",
    # other libraries and the standard library
    "nbformat", "numpy", "np", "requests", "sys", "os", "json", "inspect", "http",
}  # fmt: skip
# nbcollab's own git configuration keys.
GIT_KEYS = {"nbcollab.outputcache"}
_FILE_SUFFIXES = (".toml", ".lock", ".ipynb", ".py", ".db", ".cfg", ".yml", ".yaml", ".md")


def _modules() -> dict[str, list[str]]:
    """Each module's last name -> the dotted paths of nbcollab's modules with that name."""
    found: dict[str, list[str]] = {}
    for info in pkgutil.walk_packages(nbcollab.__path__, "nbcollab."):
        found.setdefault(info.name.rsplit(".", 1)[1], []).append(info.name)
    return found


MODULES = _modules()


def resolves(dotted: str) -> bool:
    """Whether ``dotted`` names a module of nbcollab, or an attribute of one."""
    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        module = ".".join(parts[:cut])
        try:
            value: object = importlib.import_module(module)
        except ModuleNotFoundError as exc:
            if exc.name is None or not f"{module}.".startswith(f"{exc.name}."):
                raise  # the module exists but needs something that is not installed
            continue
        try:
            for name in parts[cut:]:
                value = getattr(value, name)
        except AttributeError:
            return False
        return True
    return False


def is_code_name(dotted: str) -> bool:
    """Whether a dotted name in a page claims to be nbcollab's code (and must then exist)."""
    first, second = dotted.split(".")[:2]
    if dotted.endswith(_FILE_SUFFIXES) or ".nbcollab." in dotted or dotted in GIT_KEYS:
        return False  # a file name; a git config key or a metadata path
    if re.fullmatch(r"[a-z]+[A-Z]\w*", second):
        return False  # git configuration spells keys in camelCase: merge.conflictStyle
    return first not in NOT_CODE


def code_problem(dotted: str) -> str | None:
    """Why ``dotted`` does not name nbcollab's code, or None when it does."""
    first, rest = dotted.split(".", 1)
    if first == "nbcollab":
        return None if resolves(dotted) else f"{dotted}: no such module or attribute"
    homes = MODULES.get(first)
    if not homes:
        return f"{dotted}: nbcollab has no module {first!r} (or add {first!r} to NOT_CODE)"
    if any(resolves(f"{home}.{rest}") for home in homes):
        return None
    return f"{dotted}: not found in {', '.join(homes)}"


def link_problem(folder: Path, target: str) -> str | None:
    """Why a relative link of a page in ``folder`` leads nowhere, or None."""
    if re.match(r"[a-z]+:", target) or target.startswith("#"):
        return None  # a web address or an anchor in the page
    path, _, anchor = target.partition("#")
    linked = (folder / path).resolve()
    if not linked.exists():
        return f"{target}: no such file"
    if anchor and linked.suffix == ".md" and anchor not in anchors(linked):
        return f"{target}: no heading #{anchor} in {linked.name}"
    return None


def anchors(page: Path) -> set[str]:
    """The anchors GitHub makes of a page's headings."""
    headings = re.findall(r"^#+ (.*)$", page.read_text(encoding="utf-8"), re.MULTILINE)
    return {re.sub(r"[^\w\- ]", "", h.strip().lower()).replace(" ", "-") for h in headings}


def page_problems(text: str, folder: Path) -> list[str]:
    """Every name of code and every link in a page of ``folder`` that leads nowhere."""
    names = sorted({name for name in _DOTTED.findall(text) if is_code_name(name)})
    problems = [code_problem(name) for name in names]
    problems += [link_problem(folder, target) for target in sorted(set(_LINK.findall(text)))]
    problems += [
        f"{path}: no such page"
        for path in sorted(set(_DOCS_PATH.findall(text)))
        if not (PROJECT_ROOT / path).is_file()
    ]
    problems += [
        f"{path}: no such file or folder"
        for path in sorted(set(_REPO_PATH.findall(text)))
        if not (PROJECT_ROOT / path).exists()
        and (not path.startswith("tests/") or path.endswith((".py", "/")))
    ]
    return [problem for problem in problems if problem]


@pytest.mark.parametrize("page", PAGES, ids=[page.name for page in PAGES])
def test_every_code_name_and_link_in_the_docs_exists(page: Path) -> None:
    assert page_problems(page.read_text(encoding="utf-8"), page.parent) == []


STALE = {
    "moved-module": ("`conflict_record.parse_record` validates", "nbcollab has no module"),
    "moved-function": ("`merge.resolve.choose_side` does it", "not found in"),
    "full-path": ("see `nbcollab.merge.conflict_record`", "no such module or attribute"),
    "missing-page": ("see [the guide](nowhere.md)", "no such file"),
    "missing-heading": ("see [merge](merge.md#no-such-heading)", "no heading"),
    "missing-docs-path": ("described in docs/nowhere.md.", "no such page"),
    "missing-file": ("the stand-in (`nbcollab/git/fallback.py`)", "no such file or folder"),
    "missing-test": ("see `tests/test_nowhere.py`", "no such file or folder"),
}


@pytest.mark.parametrize("text, problem", STALE.values(), ids=STALE.keys())
def test_a_stale_reference_is_found(text: str, problem: str) -> None:
    (found,) = page_problems(f"# Page\n\n{text}\n", PROJECT_ROOT / "docs")
    assert problem in found


@pytest.mark.parametrize(
    "name",
    ["merge.conflictStyle", "diff.nbcollab.textconv", "metadata.nbcollab.conflicts", "uv.lock"],
)
def test_what_is_not_code_is_not_checked(name: str) -> None:
    assert not is_code_name(name)
