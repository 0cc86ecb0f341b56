"""Wire nbcollab's git drivers into git: one table of drivers, one installer, one uninstaller.

Every driver (the clean filter, the diff driver, the merge driver) is one ``Driver`` entry: the git
attribute it answers to and the config keys it needs. ``install``, ``uninstall`` and ``status``
(``nbcollab.install_status``) all walk the same table, so adding a driver is adding an entry.

``install`` is declarative: it makes the scope's set-up equal to what was asked (a part left out
with ``--no-merge`` is removed if it was there). ``uninstall`` removes only values that nbcollab
writes, so a key or an attributes line a user wrote stays.
"""

from __future__ import annotations

import os
import shlex
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from nbcollab import gitconfig
from nbcollab.errors import NbcollabError, NotARepository
from nbcollab.gitconfig import Scope

DRIVER_NAME = "nbcollab"
PATTERN = "*.ipynb"
AttributesPlace = Literal["gitattributes", "info"]
# git passes the merge labels %S %X %Y to merge drivers from 2.44 on.
MERGE_LABELS_SINCE = (2, 44)


@dataclass(frozen=True)
class InstallContext:
    """Facts the config values depend on."""

    command: str
    git_version: tuple[int, ...]
    external_diff: bool = False


@dataclass(frozen=True)
class Driver:
    """One git driver: its attribute (also its config section) and the config it needs."""

    attribute: str
    settings: Callable[[InstallContext], dict[str, str]]
    # Every key install may ever write in the section, with the subcommand for command keys.
    owned: dict[str, str | None] = field(default_factory=dict)
    without_it: str = ""


def _filter_settings(ctx: InstallContext) -> dict[str, str]:
    return {
        "process": f"{ctx.command} filter-process",
        # Read only by git < 2.11 and by clients without the process protocol (e.g. JGit): git
        # never uses `clean` while `process` is set, so it costs nothing elsewhere.
        "clean": f"{ctx.command} filter-clean %f",
        # The process never fails on a bad notebook (it passes it through with a warning), so
        # `required` only bites when the command cannot run: then git refuses rather than
        # silently storing outputs.
        "required": "true",
    }


def textconv_command(command: str) -> str:
    """The textconv value: the format version is part of it so that git's cache is renewed."""
    from nbcollab.textconv import TEXTCONV_FORMAT_VERSION

    return f"{command} textconv --format-version {TEXTCONV_FORMAT_VERSION}"


def _diff_settings(ctx: InstallContext) -> dict[str, str]:
    settings = {"textconv": textconv_command(ctx.command), "cachetextconv": "true"}
    if ctx.external_diff:
        settings["command"] = f"{ctx.command} git-diff"
    return settings


def _merge_settings(ctx: InstallContext) -> dict[str, str]:
    args = "%O %A %B %L %P"
    if ctx.git_version >= MERGE_LABELS_SINCE:
        args += " %S %X %Y"
    return {"name": "nbcollab notebook merge", "driver": f"{ctx.command} git-merge {args}"}


DRIVERS = (
    Driver(
        "filter",
        _filter_settings,
        {"process": "filter-process", "clean": "filter-clean", "required": None},
        "git stores notebooks with their outputs",
    ),
    Driver(
        "diff",
        _diff_settings,
        {"textconv": "textconv", "cachetextconv": None, "command": "git-diff"},
        "git diff shows raw JSON",
    ),
    Driver(
        "merge",
        _merge_settings,
        {"name": None, "driver": "git-merge"},
        "git merges notebooks line by line",
    ),
)
DRIVER_ATTRIBUTES = tuple(driver.attribute for driver in DRIVERS)


def default_command() -> str:
    """This interpreter running nbcollab, by absolute path: works whatever PATH git runs with."""
    return f"{shlex.quote(sys.executable)} -m nbcollab"


def make_context(command: str | None = None, *, external_diff: bool = False) -> InstallContext:
    """The install context for this machine."""
    return InstallContext(command or default_command(), gitconfig.git_version(), external_diff)


def config_key(driver: Driver, key: str) -> str:
    """The full config key, e.g. ``filter.nbcollab.process``."""
    return f"{driver.attribute}.{DRIVER_NAME}.{key}"


def nbcollab_subcommand(value: str) -> str | None:
    """The nbcollab subcommand a configured command runs, or None if it does not run nbcollab."""
    try:
        tokens = shlex.split(value)
    except ValueError:
        return None
    for index, token in enumerate(tokens[:-1]):
        if token == DRIVER_NAME or Path(token).name == DRIVER_NAME:
            return tokens[index + 1]
    return None


def is_owned_value(driver: Driver, key: str, value: str, ctx: InstallContext) -> bool:
    """Whether ``value`` under ``key`` is one nbcollab writes (any version, any interpreter)."""
    if key not in driver.owned:
        return False
    subcommand = driver.owned[key]
    if subcommand is None:
        return value == driver.settings(InstallContext(ctx.command, ctx.git_version, True))[key]
    return nbcollab_subcommand(value) == subcommand


def config_pattern() -> str:
    """The regular expression matching every config key of every driver."""
    return rf"^({'|'.join(DRIVER_ATTRIBUTES)})\.{DRIVER_NAME}\."


# -- attributes files ---------------------------------------------------------------------------


def attributes_line(attributes: tuple[str, ...]) -> str:
    """The line routing notebooks to the given drivers."""
    return " ".join([PATTERN, *(f"{name}={DRIVER_NAME}" for name in attributes)])


def parse_owned_line(line: str) -> tuple[str, ...] | None:
    """The drivers an attributes line written by nbcollab enables, or None for any other line."""
    tokens = line.split()
    allowed = {f"{name}={DRIVER_NAME}": name for name in DRIVER_ATTRIBUTES}
    if len(tokens) < 2 or tokens[0] != PATTERN or not all(tok in allowed for tok in tokens[1:]):
        return None
    return tuple(allowed[tok] for tok in tokens[1:])


def rewrite_attributes(text: str, line: str | None) -> str:
    """``text`` with nbcollab's line replaced by ``line`` (kept in place), or removed if None."""
    newline = "\r\n" if "\r\n" in text else "\n"
    lines = text.splitlines()
    owned = [existing for existing in lines if parse_owned_line(existing) is not None]
    if owned == ([] if line is None else [line]):
        return text  # already as wanted: the file keeps its bytes
    kept: list[str] = []
    placed = line is None
    for existing in lines:
        if parse_owned_line(existing) is None:
            kept.append(existing)
        elif not placed:
            kept.append(line)  # type: ignore[arg-type]
            placed = True
    if not placed:
        kept.append(line)  # type: ignore[arg-type]
    return newline.join(kept) + newline if kept else ""


def attributes_files(scope: Scope, repo: gitconfig.Repository | None) -> dict[str, AttributesFile]:
    """The attributes files nbcollab may write in ``scope``, by name."""
    if scope == "global":
        return {"global": AttributesFile(gitconfig.global_attributes_file())}
    if repo is None:
        raise NotARepository("not inside a git repository (run `git init`, or use --global)")
    return {
        "gitattributes": AttributesFile(repo.root / ".gitattributes", repo.root, repo),
        "info": AttributesFile(repo.common_dir / "info" / "attributes", repo.common_dir),
    }


@dataclass(frozen=True)
class AttributesFile:
    """An attributes file, and the folder it must not lead out of (None: the user's own file)."""

    path: Path
    inside: Path | None = None
    # The repository that may track the file: a tracked file is never deleted, only edited.
    repo: gitconfig.Repository | None = None


@dataclass(frozen=True)
class _FileChange:
    file: AttributesFile
    line: str | None  # nbcollab's line as it now is in the file (None: removed)
    text: str  # the new content; "" with delete=False keeps an empty file
    delete: bool


def _plan_file(file: AttributesFile, line: str | None) -> _FileChange | None:
    """What putting or removing nbcollab's line in ``file`` takes; None when nothing does."""
    path = file.path
    text = path.read_bytes().decode("utf-8", "surrogateescape") if path.is_file() else ""
    new_text = rewrite_attributes(text, line)
    if new_text == text:
        return None
    _refuse_leaving(file, line)
    # A symlink (to a dotfiles repository, say) stays, as does a file the repository tracks.
    delete = not new_text and path.is_file() and not path.is_symlink() and not _tracked(file)
    return _FileChange(file, line, new_text, delete)


def _refuse_leaving(file: AttributesFile, line: str | None) -> None:
    """Never write through a symlink that leads out of the repository (a tracked link could
    point anywhere on the machine of whoever clones it)."""
    if file.inside is None:
        return
    target = Path(os.path.realpath(file.path))
    if target.is_relative_to(Path(os.path.realpath(file.inside))):
        return
    what = f"add the line '{line}' there yourself" if line else "edit it yourself"
    alternative = ", or use --attributes info" if line and file.repo is not None else ""
    raise NbcollabError(
        f"{file.path}: leads out of the repository (to {target}): nbcollab does not write "
        f"there; {what}{alternative}"
    )


def _tracked(file: AttributesFile) -> bool:
    if file.repo is None:
        return False
    return gitconfig.is_tracked(file.repo.root, file.path.relative_to(file.repo.root))


def _apply(change: _FileChange) -> None:
    from nbcollab.notebook_io import write_atomic

    path = change.file.path
    if change.delete:
        path.unlink()  # an untracked file that held nothing but nbcollab's line
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(path, change.text.encode("utf-8", "surrogateescape"))


# -- install / uninstall ------------------------------------------------------------------------


def install(
    scope: Scope,
    repo: gitconfig.Repository | None,
    ctx: InstallContext,
    *,
    attributes: tuple[str, ...] = DRIVER_ATTRIBUTES,
    place: AttributesPlace = "gitattributes",
) -> list[str]:
    """Configure the drivers named in ``attributes`` (and only those); what was done, as lines."""
    target = "global" if scope == "global" else place
    # Every file is checked before anything is written: a refusal leaves the set-up as it was.
    changes = [
        _plan_file(file, attributes_line(attributes) if name == target and attributes else None)
        for name, file in attributes_files(scope, repo).items()
    ]
    cwd = repo.root if repo else None
    current = gitconfig.read_section_keys(scope, config_pattern(), cwd)
    done = []
    for driver in DRIVERS:
        wanted = driver.settings(ctx) if driver.attribute in attributes else {}
        for key, value in wanted.items():
            full = config_key(driver, key)
            if current.get(full) != value:
                gitconfig.set_value(scope, full, value, cwd)
                done.append(f"set {full} = {value}")
        done += _unset_owned(scope, driver, ctx, current, keep=set(wanted), cwd=cwd)
    for change in filter(None, changes):
        _apply(change)
        done.append(_describe(change))
    return done


def uninstall(scope: Scope, repo: gitconfig.Repository | None, ctx: InstallContext) -> list[str]:
    """Remove what install writes in ``scope``; what was done, as lines."""
    changes = [_plan_file(file, None) for file in attributes_files(scope, repo).values()]
    cwd = repo.root if repo else None
    current = gitconfig.read_section_keys(scope, config_pattern(), cwd)
    done = []
    for driver in DRIVERS:
        done += _unset_owned(scope, driver, ctx, current, keep=set(), cwd=cwd)
    for change in filter(None, changes):
        _apply(change)
        done.append(_describe(change))
    return done


def _describe(change: _FileChange) -> str:
    path = change.file.path
    if change.line:
        return f"wrote '{change.line}' in {path}"
    if change.delete:
        return f"removed nbcollab's '{PATTERN}' line from {path} (and the file, now empty)"
    return f"removed nbcollab's '{PATTERN}' line from {path}"


def _unset_owned(
    scope: Scope,
    driver: Driver,
    ctx: InstallContext,
    current: dict[str, str],
    *,
    keep: set[str],
    cwd: Path | None,
) -> list[str]:
    done = []
    for key in driver.owned:
        full = config_key(driver, key)
        value = current.get(full)
        if key in keep or value is None or not is_owned_value(driver, key, value, ctx):
            continue
        gitconfig.unset_value(scope, full, cwd)
        done.append(f"unset {full}")
    return done
