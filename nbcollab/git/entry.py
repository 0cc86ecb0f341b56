"""git's entry points: the filter process, the one-file filter, textconv, the diff and merge drivers.

git runs them once per file (the filter process once per command), so they take exactly the
arguments git passes and run without the typer app (``nbcollab.cli.main`` dispatches to them);
the typer commands of the same names call these same functions.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from nbcollab.options import CleanOptions
    from nbcollab.output_cache.others import OtherRecords


def run_filter_process(argv: list[str]) -> int:
    """git's long-running clean filter: serve every file git sends until it closes the pipe."""
    from nbcollab.config.folders import ConfigByFolder, OptionsByFolder
    from nbcollab.git.filter import ProtocolError, serve, widen_pipe
    from nbcollab.output_cache.session import CacheSession

    # git runs the filter at the top of the working tree and names files from there; every
    # pyproject.toml is read once for the whole command.
    root = Path.cwd()
    configs = ConfigByFolder(root)

    # Only protocol may reach stdout: keep a private handle on it, then point fd 1 (and
    # sys.stdout) at stderr so that a stray print cannot corrupt the stream.
    protocol_out = os.fdopen(os.dup(1), "wb")
    widen_pipe(0)
    widen_pipe(protocol_out.fileno())
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    cache = CacheSession(
        sys.stderr,
        root,
        load_options=lambda: configs.cache_in(root),
        others=_published_records,
    )
    try:
        serve(
            sys.stdin.buffer,
            protocol_out,
            sys.stderr,
            OptionsByFolder(configs=configs),
            cache,
        )
    except (ProtocolError, EOFError) as exc:
        reason = str(exc) or "the input ended in the middle of a message"
        print(f"nbcollab filter-process: {reason}", file=sys.stderr)
        return 1
    finally:
        protocol_out.close()
        cache.close()  # signs what the checkout restored, once git has every file
    return 0


def _published_records(cwd: Path) -> Sequence[OtherRecords]:
    """Outputs others published, as the output cache's other source of records (imported only
    when a checkout first needs them)."""
    from nbcollab.git.outputs.restore import published_records

    return published_records(cwd)


def run_filter_clean(argv: list[str]) -> int:
    """One-file clean filter, stdin to stdout (git < 2.11 and clients without the process)."""
    from nbcollab.config.folders import OptionsByFolder
    from nbcollab.git.filter import FilterOptions, answer

    path = argv[0] if argv else "<stdin>"
    data = sys.stdin.buffer.read()
    options = FilterOptions(OptionsByFolder(Path.cwd()), sys.stderr)
    sys.stdout.buffer.write(answer("clean", data, path, options, sys.stderr, None))
    sys.stdout.buffer.flush()
    return 0


def run_textconv(argv: list[str]) -> int:
    """Print a notebook as readable text for git's textconv; never fails (exit 0)."""
    from nbcollab.errors import InvalidNotebook
    from nbcollab.files import read_file_bytes
    from nbcollab.git.textconv import textconv_bytes
    from nbcollab.safe_text import quote_path

    paths = _without_option(argv, "--format-version")
    if len(paths) != 1:
        _warn("textconv", "expected one file path")
        return 0
    try:
        # Bounded, regular files only: a FIFO or /dev/zero must not hang git log -p.
        data = read_file_bytes(paths[0])
    except InvalidNotebook as exc:
        reason = str(exc).removeprefix(f"{paths[0]}: ")
        _warn("textconv", f"{quote_path(paths[0])}: {reason}")
        return 0
    options = repo_clean_options(warn=lambda message: _warn("textconv", message))
    sys.stdout.buffer.write(textconv_bytes(data, path=paths[0], options=options))
    sys.stdout.buffer.flush()
    return 0


def run_git_diff(argv: list[str]) -> int:
    """git's external diff driver: print a notebook diff; always exit 0 (git aborts otherwise)."""
    from nbcollab.git.diff_driver import run_external_diff
    from nbcollab.git.textconv import clean_options_for, diff_options_for
    from nbcollab.options import DiffOptions

    # git pipes its own output through the pager (less -R by default), which shows colours.
    color = (sys.stdout.isatty() or os.environ.get("GIT_PAGER_IN_USE") == "true") and not (
        os.environ.get("NO_COLOR")
    )
    # git passes the notebook's real path first: both sides get that folder's clean rules and
    # its [tool.nbcollab.diff], as `nbcollab diff` reads them; one warning for a broken config.
    said: list[str] = []

    def warn_once(message: str) -> None:
        if not said:
            said.append(message)
            _warn("git-diff", message.replace("the default clean options", "the defaults"))

    from nbcollab.config.folders import ConfigByFolder

    configs = ConfigByFolder()  # the notebook's pyproject.toml, read once for both
    clean = clean_options_for(argv[0], warn=warn_once, configs=configs) if argv else None
    options = diff_options_for(argv[0], warn=warn_once, configs=configs) if argv else DiffOptions()
    text = run_external_diff(argv, clean=clean, color=color, options=options)
    # As UTF-8 whatever the locale says, and never failing on a lone surrogate from a notebook.
    sys.stdout.buffer.write(text.encode("utf-8", "replace"))
    sys.stdout.buffer.flush()
    return 0


def run_git_merge(argv: list[str]) -> int:
    """git's merge driver: ``%O %A %B %L %P [%S %X %Y]``; 0 merged, 1 conflicts."""
    from nbcollab.git.merge_driver import run_git_merge as merge

    return merge(argv)


def repo_clean_options(*, warn: Callable[[str], None]) -> CleanOptions:
    """The clean rules at the top of the repository (git runs textconv there; a blob's temporary
    copy has no folder of its own, so both sides of a textconv diff get the same rules); the
    defaults and one ``warn`` when the config cannot be used (a textconv never fails)."""
    from nbcollab.config.fallback import load_or_default
    from nbcollab.config.folders import OptionsByFolder
    from nbcollab.options import CleanOptions

    root = Path.cwd()
    return load_or_default(
        lambda: OptionsByFolder(root)("notebook.ipynb"),
        CleanOptions(),
        start=root,
        warn=warn,
        using="the default clean options",
    )


def _warn(entry: str, message: str) -> None:
    from nbcollab.safe_text import terminal_safe

    try:
        print(f"nbcollab {entry}: {terminal_safe(message, one_line=True)}", file=sys.stderr)
    except (OSError, ValueError):
        pass  # stderr closed: the output still goes to git


def _without_option(argv: list[str], name: str) -> list[str]:
    """``argv`` without ``name VALUE`` / ``name=VALUE`` (a version tag git's cache keys on)."""
    rest, skip = [], False
    for arg in argv:
        if skip:
            skip = False
        elif arg == name:
            skip = True
        elif not arg.startswith(f"{name}="):
            rest.append(arg)
    return rest


GIT_ENTRY_POINTS: dict[str, Callable[[list[str]], int]] = {
    "filter-process": run_filter_process,
    "filter-clean": run_filter_clean,
    "textconv": run_textconv,
    "git-diff": run_git_diff,
    "git-merge": run_git_merge,
}
