"""The filter launcher: the small ``sh`` script that ``filter.nbcollab.process`` runs.

git starts the filter process for checkouts too, and dies mid-checkout when it cannot start
(``filter.nbcollab.required``), leaving notebooks deleted. Pointing git straight at a Python
makes every checkout depend on that Python staying where it was; the launcher instead lives in
the git directory (or, for ``--global``, in the user's config folder) and always answers: with
the Python that ran ``install``, else any ``python3`` (running ``nbcollab.git.filter_fallback``), else
an ``nbcollab`` on PATH, else a stand-in written in ``sh`` itself. See docs/git-setup.md.

It is run as ``sh '<path>'`` so that neither an executable bit nor a ``noexec`` mount matters,
and it is named ``nbcollab``, so a configured ``sh '<path>/nbcollab' filter-process`` reads (and
is recognised by ``install``, ``uninstall`` and ``status``) as nbcollab's own command.
"""

from __future__ import annotations

import os
import shlex
from pathlib import Path

from nbcollab.git import config as gitconfig
from nbcollab.git.config import Scope

LAUNCHER_NAME = "nbcollab"
_MARK = "# nbcollab filter launcher"
_PYTHON_LINE = "python="

# No Python 3.6 at all: speak the protocol in sh, as filter_fallback does. A packet must be read
# exactly, and `dd bs=N count=1` may come up short on a pipe: GNU dd's iflag=fullblock reads it
# whole, any other dd reads it one byte at a time (several seconds a megabyte). Smudge relays git's
# packets as they come; clean keeps them in temporary files to compare with the staged blob, and
# (with sha256sum, cut, grep and wc) with what the output cache recorded; a regular file gives
# dd whole blocks.
_SH_STAND_IN = r"""
if dd if=/dev/null iflag=fullblock 2>/dev/null; then
    packet() { dd bs="$1" count=1 iflag=fullblock 2>/dev/null; }
else
    packet() { dd bs=1 count="$1" 2>/dev/null; }
fi
length() {
    hex=$(packet 4)
    [ -n "$hex" ] || exit 0 # git closed the pipe
    len=$((0x$hex))
}
skip_list() { while length && [ "$len" -ne 0 ]; do packet $((len - 4)) >/dev/null; done; }
# git writes a file's whole content before it reads the answer: read all of it first, or both
# sides wait on a full pipe. The packets are kept as they came (the answer for smudge and for a
# file that is the staged blob) and the content joined (to hash it).
read_content() {
    tmp=$(mktemp -d 2>/dev/null) || return 1
    : >"$tmp/packets"
    : >"$tmp/data"
    while length && [ "$len" -ne 0 ]; do
        packet $((len - 4)) >"$tmp/chunk"
        printf '%04x' "$len" >>"$tmp/packets"
        cat "$tmp/chunk" >>"$tmp/packets"
        cat "$tmp/chunk" >>"$tmp/data"
    done
}
staged_as_is() {
    staged=$(git rev-parse -q --verify ":0:$pathname" 2>/dev/null)
    [ -n "$staged" ] || return 1
    [ "$(git hash-object --no-filters "$tmp/data")" = "$staged" ] && return 0
    recorded_blob
}
# A working file the output cache recorded as cleaning to the staged blob (a notebook whose outputs
# came back on checkout, which git re-reads): answered with that blob, as filter_fallback does.
sha256() { sha256sum 2>/dev/null | cut -c1-64; }
recorded_blob() {
    command -v sha256sum >/dev/null 2>&1 || return 1
    common=$(git rev-parse --git-common-dir 2>/dev/null) || return 1
    key=$(printf '%s' "$pathname" | sha256 | cut -c1-32)
    working=$(sha256 <"$tmp/data")
    git cat-file blob "$staged" >"$tmp/blob" 2>/dev/null || return 1
    blob=$(sha256 <"$tmp/blob")
    for idx in "$common"/nbcollab/output-cache/packs/*.idx; do
        [ -f "$idx" ] && cat "$idx" # regular files only: a FIFO would block
    done 2>/dev/null | grep -q -E "^([0-9]+ )?$key $blob $working " || return 1
    size=$(wc -c <"$tmp/blob")
    size=$((size)) # some wc pad the number with blanks
    : >"$tmp/packets"
    chunk=0
    while [ $((chunk * 65516)) -lt "$size" ]; do
        left=$((size - chunk * 65516))
        [ "$left" -gt 65516 ] && left=65516
        printf '%04x' $((left + 4)) >>"$tmp/packets"
        dd if="$tmp/blob" bs=65516 skip="$chunk" count=1 2>/dev/null >>"$tmp/packets"
        chunk=$((chunk + 1))
    done
}
problem="nbcollab cannot run: no Python 3.6 found, and $python is gone"
echo "nbcollab: warning: $problem; notebooks are checked out unchanged," \
    "and \`git add\` refuses them until you run \`nbcollab install\` again" >&2
trap '[ -z "${tmp:-}" ] || rm -rf "$tmp"' EXIT
skip_list
printf '0016git-filter-server\n000eversion=2\n0000'
skip_list
printf '0015capability=clean\n0016capability=smudge\n0000'
while :; do
    command= pathname=
    while length && [ "$len" -ne 0 ]; do
        line=$(packet $((len - 4)))
        case $line in
            command=*) command=${line#command=} ;;
            pathname=*) pathname=${line#pathname=} ;;
        esac
    done
    if ! read_content; then # no temporary folder: relay smudge as it comes (small files)
        if [ "$command" = smudge ]; then
            printf '0013status=success\n0000'
            while length && [ "$len" -ne 0 ]; do printf '%04x' "$len"; packet $((len - 4)); done
            printf '00000000'
        else
            skip_list
            echo "nbcollab: error: $pathname: $problem; the notebook was not added" >&2
            printf '0011status=error\n0000'
        fi
    elif [ "$command" = smudge ] || staged_as_is; then
        printf '0013status=success\n0000'
        cat "$tmp/packets"
        printf '00000000'
    else
        echo "nbcollab: error: $pathname: $problem; the notebook was not added" >&2
        printf '0011status=error\n0000'
    fi
    [ -z "${tmp:-}" ] || rm -rf "$tmp"
    tmp=
done
"""


def launcher_path(scope: Scope, repo: gitconfig.Repository | None) -> Path:
    """Where the launcher of ``scope`` lives: outside any virtual environment that may go."""
    if scope == "global" or repo is None:
        config_home = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
        return Path(config_home) / "nbcollab" / LAUNCHER_NAME
    return repo.common_dir / "nbcollab" / LAUNCHER_NAME


def process_command(path: Path) -> str:
    """The ``filter.nbcollab.process`` value that runs the launcher at ``path``."""
    return f"sh {shlex.quote(str(path))} filter-process"


def launcher_in(value: str) -> Path | None:
    """The launcher a configured command runs, or None when it runs something else."""
    try:
        tokens = shlex.split(value)
    except ValueError:
        return None
    if len(tokens) == 3 and tokens[0] == "sh" and Path(tokens[1]).name == LAUNCHER_NAME:
        return Path(tokens[1])
    return None


def launcher_script(python: str) -> str:
    """The launcher's text, for the Python that runs ``install``."""
    code = (
        Path(__file__).with_name("filter_fallback.py").read_text(encoding="utf-8")
        + "\nlaunch(sys.argv[1], sys.argv[2:])\n"
    )
    return f"""#!/bin/sh
{_MARK}, written by `nbcollab install` (`nbcollab uninstall` removes it).
# git runs it for checkouts too, so it never fails to answer: nbcollab with the Python that
# installed it, else with a python3 on PATH, else a stand-in that checks notebooks out unchanged
# and refuses to add them until `nbcollab install` is run again.
{_PYTHON_LINE}{shlex.quote(python)}
code={shlex.quote(code)}
if [ -x "$python" ]; then
    exec "$python" -c "$code" "$python" "$@"
fi
for candidate in python3 python; do
    if command -v "$candidate" >/dev/null 2>&1 &&
        "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 6))' 2>/dev/null; then
        exec "$candidate" -c "$code" "$python" "$@"
    fi
done
if nbcollab --version >/dev/null 2>&1; then
    exec nbcollab "$@"
fi
if [ "$1" != filter-process ]; then
    echo "nbcollab: nbcollab cannot run: $python is gone; run \\`nbcollab install\\` again" >&2
    exit 2
fi
{_SH_STAND_IN.strip()}
"""


def recorded_python(path: Path) -> str | None:
    """The Python a launcher runs first, or None when ``path`` is not a launcher."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return None
    if len(lines) < 2 or not lines[1].startswith(_MARK):
        return None
    for line in lines:
        if line.startswith(_PYTHON_LINE):
            words = shlex.split(line[len(_PYTHON_LINE) :])
            return words[0] if words else None
    return None


def write_launcher(path: Path, python: str) -> bool:
    """Write the launcher at ``path``; True when its bytes changed."""
    from nbcollab.files import write_atomic

    text = launcher_script(python).encode("utf-8")
    if path.is_file() and path.read_bytes() == text:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(path, text)
    return True


def remove_launcher(path: Path) -> bool:
    """Delete the launcher at ``path`` (only nbcollab's own), and its folder once empty."""
    if recorded_python(path) is None:
        return False
    path.unlink()
    try:
        path.parent.rmdir()
    except OSError:
        pass  # something else lives there too
    return True
