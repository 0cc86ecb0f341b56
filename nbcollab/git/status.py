"""``nbcollab status``: what is installed, in which scope and file, and what is broken.

It walks the same driver table as the installer and checks what git will really do: attributes
through ``git check-attr``, config through ``git config``, and every configured command by running
it (``<command> --version``), because GUI git clients often run with a PATH the shell never sees.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from nbcollab.git import config as gitconfig
from nbcollab.git.attributes import parse_owned_line
from nbcollab.git.config import Scope
from nbcollab.git.install import (
    DRIVER_ATTRIBUTES,
    DRIVER_NAME,
    DRIVERS,
    Driver,
    InstallContext,
    attributes_files,
    config_key,
    config_pattern,
    nbcollab_subcommand,
)
from nbcollab.git.launcher import launcher_in, recorded_python
from nbcollab.safe_text import quote_path

_PROBE = "nbcollab-status-probe.ipynb"


@dataclass
class StatusReport:
    """Lines to show, and the problems among them (``status`` exits 1 when there are any)."""

    lines: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    installed: bool = False


@dataclass
class _Facts:
    config: dict[Scope, dict[str, str]]  # scope -> full key -> value
    enabled: dict[str, bool]  # attribute -> routed to nbcollab
    places: dict[str, list[str]]  # attribute -> attributes files naming it
    runnable: dict[tuple[str, ...], str | None] = field(default_factory=dict)


def collect_status(repo: gitconfig.Repository | None, ctx: InstallContext) -> StatusReport:
    """Inspect the global scope, and the repository's when there is one."""
    facts = _gather(repo)
    report = StatusReport()
    for driver in DRIVERS:
        _check_driver(driver, facts, ctx, report)
    if repo is not None:
        report.lines.append(trust_line(repo.root))
    if not report.installed:
        report.problems.append("nbcollab is not installed here (run `nbcollab install`)")
    if repo is not None:
        _check_hooks(repo.root, report)
        _check_sharing(repo.root, report)
        from nbcollab.git.install import untracked_attributes

        untracked = untracked_attributes(repo)
        report.lines += [f"attributes: {untracked}"] if untracked else []
    return report


def _check_sharing(root: Path, report: StatusReport) -> None:
    """Published outputs on fetch and push (``install --share-outputs``): set up, and whole?"""
    from nbcollab.git.hook_files import call_line
    from nbcollab.git.outputs.setup import HOOK, read_sharing

    state = read_sharing(root)
    if not state.active:
        return  # not asked for: nothing to say
    hook = state.hook
    pushing = f"published on push by {hook.path}" if state.publishing else "not published on push"
    fetched = ", ".join(state.fetching) or "no remote"
    report.lines.append(f"share-outputs: fetched from {fetched}; {pushing}")
    again = "(run `nbcollab install --share-outputs`)"
    for remote in state.not_fetching:
        _problem(report, f"share-outputs: git fetch {remote} does not bring its outputs {again}")
    if hook.state == "stale":
        _problem(
            report, f"{hook.path} is an older nbcollab's: run `nbcollab install --share-outputs`"
        )
    elif hook.state == "own" and hook.chained is not None and not hook.calls_chained:
        _problem(
            report,
            f"share-outputs: your own {HOOK} hook {hook.path} does not publish outputs "
            f"({hook.chained}): add this line to it: {call_line(HOOK)}",
        )
    elif not state.publishing:
        _problem(report, f"share-outputs: no {HOOK} hook, so git push publishes nothing {again}")


def _check_hooks(root: Path, report: StatusReport) -> None:
    from nbcollab.git.hook_files import HOOKS, SCRIPTS, call_line, find_hook, hooks_dir

    folder = hooks_dir(root)
    for name in HOOKS:
        hook = find_hook(folder, name)
        if hook.state == "nbcollab":
            report.lines.append(f"hooks: {name} {hook.path}")
        elif hook.state == "missing":
            report.lines.append(
                f"hooks: no {name} hook (`nbcollab install --hooks` writes one that refuses "
                "commits of notebooks that are not clean or still hold merge conflicts)"
            )
        elif hook.state == "stale":
            _problem(report, f"{hook.path} is an older nbcollab's: run `nbcollab install`")
        elif hook.state == "edited":
            report.lines.append(f"hooks: {name} {hook.path} (nbcollab's, changed since)")
        elif hook.calls_chained:
            report.lines.append(f"hooks: your own {name} hook {hook.path} runs {hook.chained}")
        elif hook.chained is not None:
            _problem(
                report,
                f"your own {name} hook {hook.path} does not run nbcollab's checks "
                f"({hook.chained}): add this line to it: {call_line(name)}",
            )
        else:
            report.lines.append(f"hooks: your own {name} hook {hook.path}")
    report.lines.append(
        f"hook scripts: {SCRIPTS} (pre-commit-lint, export-check and post-merge: copy them, or "
        "call them from your hooks)"
    )


def trust_line(root: Path, most: int = 5) -> str:
    """How many notebooks of the work tree have rich output Jupyter does not trust (their
    plots, widgets and HTML show blank or sanitized), without loading nbformat."""
    from nbcollab.trust.signatures import find_untrusted, open_user_store, uses_default_notary

    try:
        if not uses_default_notary():
            return (
                "trust: not checked: your Jupyter config sets NotebookNotary options "
                "(`nbcollab trust check .` checks with Jupyter's own notary)"
            )
        names = _work_tree_notebooks(root)
        untrusted = find_untrusted(open_user_store(), _read_regular(root, names))
    except Exception as exc:  # noqa: BLE001 - a report line, never a reason for status to fail
        return f"trust: not checked ({type(exc).__name__}: {exc})"
    if not untrusted:
        return "trust: every notebook with rich output is trusted by your Jupyter"
    shown = ", ".join(quote_path(name) for name in untrusted[:most])
    more = f" and {len(untrusted) - most} more" if len(untrusted) > most else ""
    count = f"{len(untrusted)} notebook{'s' if len(untrusted) > 1 else ''}"
    return (
        f"trust: {count} with rich output Jupyter does not trust: {shown}{more} "
        "(`nbcollab trust check` names the cells; `nbcollab trust sign` signs what you checked)"
    )


def _work_tree_notebooks(root: Path) -> list[str]:
    """The notebooks git tracks or would add (not ignored), relative to ``root``."""
    from nbcollab.gitcmd import run_git

    listed = run_git(
        ["ls-files", "-z", "--cached", "--others", "--exclude-standard", "--", "*.ipynb"], root
    )
    names = listed.decode("utf-8", "surrogateescape").split("\0")
    return sorted({name for name in names if name})


def _read_regular(root: Path, names: list[str]) -> Iterator[tuple[str, bytes]]:
    """``(name, bytes)`` of each regular file among ``names`` (not a symlink out of the tree)."""
    from nbcollab.errors import InvalidNotebook
    from nbcollab.files import read_file_bytes

    for name in names:
        path = root / name
        if path.is_symlink():
            continue
        try:
            yield name, read_file_bytes(path)
        except InvalidNotebook:
            continue  # gone, a FIFO, too large: not a notebook Jupyter opens


def _gather(repo: gitconfig.Repository | None) -> _Facts:
    cwd = repo.root if repo else None
    scopes: tuple[Scope, ...] = ("local", "global") if repo else ("global",)
    config = {scope: gitconfig.read_section_keys(scope, config_pattern(), cwd) for scope in scopes}
    places: dict[str, list[str]] = {name: [] for name in DRIVER_ATTRIBUTES}
    for scope in scopes:
        for file in attributes_files(scope, repo).values():
            for attribute in _owned_attributes(file.path):
                places[attribute].append(str(file.path))
    if repo:
        values = gitconfig.check_attributes(repo.root, _PROBE, DRIVER_ATTRIBUTES)
        enabled = {name: values.get(name) == DRIVER_NAME for name in DRIVER_ATTRIBUTES}
    else:
        enabled = {name: bool(places[name]) for name in DRIVER_ATTRIBUTES}
    return _Facts(config, enabled, places)


def _owned_attributes(path: os.PathLike[str]) -> tuple[str, ...]:
    try:
        # As install reads it: a byte that is not UTF-8 elsewhere in the file must not hide our line.
        lines = Path(path).read_bytes().decode("utf-8", "surrogateescape").splitlines()
    except OSError:
        return ()
    return tuple(name for line in lines for name in (parse_owned_line(line) or ()))


def _effective(driver: Driver, facts: _Facts) -> tuple[dict[str, str], list[str]]:
    """The driver's keys as git sees them (local over global), and the scopes setting any."""
    values: dict[str, str] = {}
    scopes = []
    for scope in ("global", "local"):
        found = {
            key: facts.config[scope][config_key(driver, key).lower()]
            for key in driver.owned
            if config_key(driver, key).lower() in facts.config.get(scope, {})
        }
        if found:
            scopes.append(scope)
        values.update(found)
    return values, scopes


def _check_driver(driver: Driver, facts: _Facts, ctx: InstallContext, report: StatusReport) -> None:
    name = driver.attribute
    values, scopes = _effective(driver, facts)
    if driver.part_of is not None:  # no attributes line of its own
        report.lines.append(
            f"{name}: " + (f"config in {' and '.join(scopes)}" if scopes else "not installed")
        )
        if scopes:
            _check_values(driver, values, facts, ctx, report)
        return
    enabled = facts.enabled[name]
    if not enabled and not scopes:
        report.lines.append(f"{name}: not installed")
        return
    report.installed = True
    where = ", ".join(facts.places[name]) or "an attributes line nbcollab did not write"
    report.lines.append(f"{name}: config in {' and '.join(scopes) or 'no scope'}; {where}")
    if enabled and not scopes:
        _problem(
            report,
            f"{name}: *.ipynb uses {name}={DRIVER_NAME} but {name}.{DRIVER_NAME} is "
            f"not configured, so {driver.without_it} (run `nbcollab install`)",
        )
    elif scopes and not enabled:
        _problem(
            report,
            f"{name}: configured, but no attributes line sends *.ipynb to it, so "
            f"{driver.without_it} (run `nbcollab install`)",
        )
    if scopes:
        _check_values(driver, values, facts, ctx, report)


def _check_values(
    driver: Driver,
    values: dict[str, str],
    facts: _Facts,
    ctx: InstallContext,
    report: StatusReport,
) -> None:
    wanted = driver.settings(
        InstallContext(ctx.command, ctx.git_version, external_diff="command" in values)
    )
    for key, want in wanted.items():
        full, have = config_key(driver, key), values.get(key)
        if have is None:
            _problem(report, f"{full} is not set (run `nbcollab install`)")
        elif _args(have) != _args(want):
            stale = key == "textconv"
            text = (
                f"{full} = {have}\n    nbcollab {'now writes' if stale else 'would write'}: {want}"
            )
            if stale:
                _problem(report, f"{text}\n    stale: run `nbcollab install` to update it")
            else:
                report.lines.append(f"  note: {text}")
    for key, value in values.items():
        if driver.owned.get(key) is None:
            continue
        launcher = launcher_in(value)
        if launcher:
            reason = _launcher_problem(launcher, facts.runnable)
        else:
            cause = _cannot_run(value, facts.runnable)
            reason = f"cannot run: {cause}" if cause else None
        if reason:
            _problem(report, f"{config_key(driver, key)} = {value}\n    {reason}")
        elif key == "process" and launcher is None:
            report.lines.append(
                f"  note: {config_key(driver, key)} runs nbcollab directly: should that command "
                "go away, git fails every checkout of a notebook (`nbcollab install` writes a "
                "launcher that cannot fail)"
            )


def _launcher_problem(path: Path, cache: dict[tuple[str, ...], str | None]) -> str | None:
    """What is wrong with the filter launcher at ``path``, or None."""
    if not path.is_file():
        return (
            f"cannot run: {path} is missing, so git fails every checkout of a notebook "
            "(run `nbcollab install`)"
        )
    python = recorded_python(path)
    if python is None:
        return f"cannot run: {path} is not nbcollab's launcher (run `nbcollab install`)"
    prefix = (python, "-m", DRIVER_NAME)
    if prefix not in cache:
        cache[prefix] = _probe_command(list(prefix))
    reason = cache[prefix]
    if reason:
        return (
            f"the launcher's Python cannot run nbcollab: {reason}\n    checkouts still work, "
            "but `git add` refuses notebooks until you run `nbcollab install` again"
        )
    return None


def _problem(report: StatusReport, text: str) -> None:
    report.problems.append(text)


def _args(value: str) -> list[str] | None:
    """What follows the nbcollab subcommand (the interpreter's path may differ harmlessly)."""
    try:
        tokens = shlex.split(value)
    except ValueError:
        return None
    sub = nbcollab_subcommand(value)
    return tokens[tokens.index(sub) :] if sub in tokens else tokens


def _cannot_run(value: str, cache: dict[tuple[str, ...], str | None]) -> str | None:
    """Why the command in ``value`` cannot run nbcollab, or None when it can."""
    try:
        tokens = shlex.split(value)
    except ValueError:
        return "not valid shell syntax"
    sub = nbcollab_subcommand(value)
    if sub is None:
        return "it does not run nbcollab"
    prefix = tuple(tokens[: tokens.index(sub)])
    if prefix not in cache:
        cache[prefix] = _probe_command(list(prefix))
    return cache[prefix]


def _probe_command(prefix: list[str]) -> str | None:
    program = prefix[0]
    if os.sep in program or (os.altsep and os.altsep in program):
        if not os.access(program, os.X_OK):
            return f"{program} does not exist or is not executable"
    elif shutil.which(program) is None:
        return (
            f"{program} is not on PATH (git clients started from a desktop often have a "
            "shorter PATH: `nbcollab install` writes an absolute path)"
        )
    try:
        done = subprocess.run(
            [*prefix, "--version"], check=False, capture_output=True, text=True, timeout=60
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"{' '.join(prefix)} --version failed ({exc})"
    if done.returncode != 0 or not done.stdout.startswith(DRIVER_NAME):
        detail = (done.stderr.strip().splitlines() or ["no output"])[-1]
        return f"{' '.join(prefix)} --version failed: {detail}"
    return None
