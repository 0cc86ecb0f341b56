"""Wire nbcollab's git drivers into git: one table of drivers, one installer, one uninstaller.

Every driver (the clean filter, the diff driver, the merge driver) is one ``Driver`` entry: the git
attribute it answers to and the config keys it needs. ``install``, ``uninstall`` and ``status``
(``nbcollab.git.status``) all walk the same table, so adding a driver is adding an entry.

``install`` is declarative: it makes the scope's set-up equal to what was asked (a part left out
with ``--no-merge`` is removed if it was there). ``uninstall`` removes only values that nbcollab
writes, so a key or an attributes line a user wrote stays. The attributes files are edited by
``nbcollab.git.attributes``; the filter runs through the launcher of ``nbcollab.git.launcher``.
"""

from __future__ import annotations

import shlex
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from nbcollab.git import config as gitconfig
from nbcollab.git.attributes import (
    DRIVER_ATTRIBUTES,
    DRIVER_NAME,
    apply_change,
    attributes_files,
    attributes_line,
    describe_change,
    plan_change,
)
from nbcollab.git.config import Scope
from nbcollab.git.launcher import launcher_path, process_command, remove_launcher, write_launcher

AttributesPlace = Literal["gitattributes", "info"]
# git passes the merge labels %S %X %Y to merge drivers from 2.44 on.
MERGE_LABELS_SINCE = (2, 44)


@dataclass(frozen=True)
class InstallContext:
    """Facts the config values depend on."""

    command: str
    git_version: tuple[int, ...]
    external_diff: bool = False
    # The filter launcher to write and run (see nbcollab.git.launcher); None runs ``command``.
    launcher: Path | None = None


@dataclass(frozen=True)
class Driver:
    """One git driver: its attribute (also its config section) and the config it needs."""

    attribute: str
    settings: Callable[[InstallContext], dict[str, str]]
    # Every key install may ever write in the section, with the subcommand for command keys.
    owned: dict[str, str | None] = field(default_factory=dict)
    without_it: str = ""
    # Config installed and removed with this attribute's driver, with no attributes line of its
    # own (``git mergetool --tool nbcollab`` names the tool itself).
    part_of: str | None = None


def _filter_settings(ctx: InstallContext) -> dict[str, str]:
    process = f"{ctx.command} filter-process"
    return {
        # git starts the process for checkouts too: the launcher makes sure it always answers.
        "process": process_command(ctx.launcher) if ctx.launcher else process,
        # Read only by git < 2.11 and by clients without the process protocol (e.g. JGit): git
        # never uses `clean` while `process` is set, so it costs nothing elsewhere.
        "clean": f"{ctx.command} filter-clean %f",
        # The process never fails on a bad notebook (it passes it through with a warning), and
        # the launcher's stand-in never fails a checkout; `required` only makes a refused clean
        # (nbcollab gone) fail `git add` rather than silently store outputs.
        "required": "true",
    }


def textconv_command(command: str) -> str:
    """The textconv value: the format version is part of it so that git's cache is renewed."""
    from nbcollab.git.textconv import TEXTCONV_FORMAT_VERSION

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


def _mergetool_settings(ctx: InstallContext) -> dict[str, str]:
    # git runs the command through the shell with $MERGED set; exit 0 means resolved.
    return {"cmd": f'{ctx.command} mergetool "$MERGED"', "trustExitCode": "true"}


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
    Driver(
        "mergetool",
        _mergetool_settings,
        {"cmd": "mergetool", "trustExitCode": None},
        "git mergetool --tool nbcollab is unknown",
        part_of="merge",
    ),
)


def default_command() -> str:
    """This interpreter running nbcollab, by absolute path: works whatever PATH git runs with."""
    return f"{shlex.quote(sys.executable)} -m nbcollab"


def make_context(
    command: str | None = None, *, external_diff: bool = False, launcher: Path | None = None
) -> InstallContext:
    """The install context for this machine; the launcher is used for the default command only."""
    return InstallContext(
        command or default_command(),
        gitconfig.git_version(),
        external_diff,
        None if command else launcher,
    )


def config_key(driver: Driver, key: str) -> str:
    """The full config key, e.g. ``filter.nbcollab.process`` (git reads back its name part
    lowercased: ``trustexitcode``)."""
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
    return rf"^({'|'.join(driver.attribute for driver in DRIVERS)})\.{DRIVER_NAME}\."


# -- install / uninstall ------------------------------------------------------------------------


def install(
    scope: Scope,
    repo: gitconfig.Repository | None,
    ctx: InstallContext,
    *,
    attributes: tuple[str, ...] = DRIVER_ATTRIBUTES,
    place: AttributesPlace = "gitattributes",
    output_cache: bool = True,
    share_outputs: bool = False,
) -> list[str]:
    """Configure the drivers named in ``attributes`` (and only those), and with
    ``share_outputs`` published outputs on fetch and push (``git.outputs.setup``; this
    repository only); what was done, as lines."""
    target = "global" if scope == "global" else place
    # Every file is checked before anything is written: a refusal leaves the set-up as it was.
    changes = [
        plan_change(file, attributes_line(attributes) if name == target and attributes else None)
        for name, file in attributes_files(scope, repo).items()
    ]
    cwd = repo.root if repo else None
    current = gitconfig.read_section_keys(scope, config_pattern(), cwd)
    with_launcher = ctx.launcher is not None and "filter" in attributes
    # The launcher exists before the config names it, and goes only once nothing names it.
    done = _write_launcher(ctx.launcher) if with_launcher else []
    for driver in DRIVERS:
        wanted = driver.settings(ctx) if (driver.part_of or driver.attribute) in attributes else {}
        for key, value in wanted.items():
            full = config_key(driver, key)
            if current.get(full.lower()) != value:
                gitconfig.set_value(scope, full, value, cwd)
                done.append(f"set {full} = {value}")
        done += _unset_owned(scope, driver, ctx, current, keep=set(wanted), cwd=cwd)
    done += _set_output_cache(scope, cwd, output_cache if "filter" in attributes else None)
    if not with_launcher:
        done += _remove_launcher(scope, repo)
    for change in filter(None, changes):
        apply_change(change)
        done.append(describe_change(change))
    if repo is not None and scope == "local":
        from nbcollab.git.outputs.setup import set_sharing

        done += set_sharing(repo.root, enabled=share_outputs)
    return done


def untracked_attributes(repo: gitconfig.Repository) -> str | None:
    """What to do when nbcollab's line is in a ``.gitattributes`` git does not track yet, in a
    repository with a remote: no other clone uses nbcollab until it is committed, and a pull
    that brings a teammate's ``.gitattributes`` stops on it (git does not overwrite an
    untracked file)."""
    from nbcollab.git.attributes import parse_owned_line
    from nbcollab.gitcmd import run_git

    path = repo.root / ".gitattributes"
    try:
        owned = (
            path.is_file()
            and not path.is_symlink()
            and any(
                parse_owned_line(line) for line in path.read_text("utf-8", "replace").splitlines()
            )
        )
    except OSError:
        return None
    if not owned or run_git(["ls-files", "--", ".gitattributes"], repo.root).strip():
        return None
    if not run_git(["remote"], repo.root).strip():
        return None  # no remote: no other clone to share it with yet
    return (
        ".gitattributes is not committed: commit it (git add .gitattributes && git commit) so "
        "that every clone uses nbcollab; if a pull stops on it because a teammate committed "
        "theirs first, delete yours, pull, and run `nbcollab install` again"
    )


def uninstall(scope: Scope, repo: gitconfig.Repository | None, ctx: InstallContext) -> list[str]:
    """Remove what install writes in ``scope``; what was done, as lines."""
    changes = [plan_change(file, None) for file in attributes_files(scope, repo).values()]
    cwd = repo.root if repo else None
    current = gitconfig.read_section_keys(scope, config_pattern(), cwd)
    done = []
    for driver in DRIVERS:
        done += _unset_owned(scope, driver, ctx, current, keep=set(), cwd=cwd)
    done += _set_output_cache(scope, cwd, None)
    done += _remove_launcher(scope, repo)
    for change in filter(None, changes):
        apply_change(change)
        done.append(describe_change(change))
    if repo is not None and scope == "local":
        from nbcollab.git.outputs.setup import set_sharing

        done += set_sharing(repo.root, enabled=False)
    return done


def _set_output_cache(scope: Scope, cwd: Path | None, enabled: bool | None) -> list[str]:
    """Turn the filter's output cache (nbcollab.output_cache) on or off; None unsets the key."""
    from nbcollab.output_cache.session import ENABLED_KEY

    current = gitconfig.read_section_keys(scope, rf"^{ENABLED_KEY.replace('.', '[.]')}$", cwd)
    have = current.get(ENABLED_KEY)
    if enabled is None:
        if have is None:
            return []
        gitconfig.unset_value(scope, ENABLED_KEY, cwd)
        return [f"unset {ENABLED_KEY}"]
    want = "true" if enabled else "false"
    if have == want:
        return []
    gitconfig.set_value(scope, ENABLED_KEY, want, cwd)
    return [f"set {ENABLED_KEY} = {want}"]


def _write_launcher(path: Path | None) -> list[str]:
    if path is None or not write_launcher(path, sys.executable):
        return []
    return [f"wrote the filter launcher {path} (runs {sys.executable})"]


def _remove_launcher(scope: Scope, repo: gitconfig.Repository | None) -> list[str]:
    path = launcher_path(scope, repo)
    return [f"removed the filter launcher {path}"] if remove_launcher(path) else []


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
        value = current.get(full.lower())
        if key in keep or value is None or not is_owned_value(driver, key, value, ctx):
            continue
        gitconfig.unset_value(scope, full, cwd)
        done.append(f"unset {full}")
    return done
