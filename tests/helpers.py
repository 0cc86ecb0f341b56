"""Helpers shared by the tests: notebooks to build, git and nbcollab to run, the corpus."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

PROJECT_ROOT = Path(__file__).resolve().parent.parent
CORPUS = PROJECT_ROOT.parent / "shared" / "corpus"
CORPUS_NOTEBOOKS = CORPUS / "notebooks"
CORPUS_MERGES = CORPUS / "merges"


# The merge driver as ``nbcollab install`` configures it, run with this checkout's code.
DRIVER = f"{sys.executable} -m nbcollab git-merge %O %A %B %L %P"


def git(repo: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    """Run real git in ``repo``; text output captured."""
    return subprocess.run(["git", *args], cwd=repo, check=check, capture_output=True, text=True)


def run_nbcollab(
    *args: str, cwd: Path | None = None, input: bytes | None = None
) -> subprocess.CompletedProcess[bytes]:
    """Run the CLI as a real subprocess (``python -m nbcollab``)."""
    return subprocess.run(
        [sys.executable, "-m", "nbcollab", *args],
        cwd=cwd,
        input=input,
        capture_output=True,
        check=False,
    )


def run_driver_in_child(
    args: list[str], heavy: tuple[str, ...] = ("nbformat", "nbdime", "jsonschema")
) -> tuple[str, subprocess.CompletedProcess[str]]:
    """Run the git merge driver in a fresh interpreter: ``"<exit code> <heavy modules loaded>"``."""
    script = (
        "import sys\n"
        "from nbcollab.git.merge_driver import run_git_merge\n"
        f"code = run_git_merge({args!r})\n"
        f"heavy = sorted(m for m in sys.modules if m.split('.')[0] in {heavy!r})\n"
        "print(code, heavy)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=False
    )
    return done.stdout.strip(), done


def make_notebook(*cells: dict[str, Any], minor: int = 5, metadata: dict | None = None) -> dict:
    """A v4 notebook dict (in-memory form) with the given cells."""
    return {
        "cells": list(cells),
        "metadata": metadata
        if metadata is not None
        else {
            "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
            "language_info": {"name": "python", "version": "3.11.7"},
        },
        "nbformat": 4,
        "nbformat_minor": minor,
    }


def code_cell(
    source: str,
    *,
    outputs: list | None = None,
    count: int | None = None,
    cell_id: str | None = None,
    **metadata: Any,
) -> dict[str, Any]:
    """A v4 code cell."""
    cell: dict[str, Any] = {
        "cell_type": "code",
        "execution_count": count,
        "metadata": dict(metadata),
        "outputs": outputs or [],
        "source": source,
    }
    if cell_id is not None:
        cell["id"] = cell_id
    return cell


def markdown_cell(source: str, *, cell_id: str | None = None) -> dict[str, Any]:
    """A v4 markdown cell."""
    cell: dict[str, Any] = {"cell_type": "markdown", "metadata": {}, "source": source}
    if cell_id is not None:
        cell["id"] = cell_id
    return cell


def write_notebook(path: Path, nb: dict) -> Path:
    """Write ``nb`` as Jupyter would."""
    from nbcollab.notebook.codec import serialize_notebook

    path.write_text(serialize_notebook(nb), encoding="utf-8")
    return path


def stream_output(text: str) -> dict[str, Any]:
    return {"name": "stdout", "output_type": "stream", "text": text}


def html_output(text: str) -> dict[str, Any]:
    """A display_data output holding HTML: what Jupyter shows only in a trusted notebook."""
    return {
        "data": {"text/html": text, "text/plain": "<HTML>"},
        "metadata": {},
        "output_type": "display_data",
    }


Notebook = str | bytes | Path | dict[str, Any]  # its text, its file, or the notebook itself


def _notebook_text(notebook: Notebook) -> str:
    if isinstance(notebook, Path):
        return notebook.read_text(encoding="utf-8")
    if isinstance(notebook, dict):
        return json.dumps(notebook)
    return notebook.decode("utf-8") if isinstance(notebook, bytes) else notebook


def jupyter_sign(notebook: Notebook) -> None:
    """Sign a notebook as the user's Jupyter does when saving it or on ``jupyter trust``."""
    from nbcollab.trust.notary import open_notary, read_as_jupyter

    with open_notary() as notary:
        notary.sign(read_as_jupyter(_notebook_text(notebook), path="notebook"))


def jupyter_trusts(notebook: Notebook) -> bool:
    """Whether the user's Jupyter (a fresh notary, reading it as Jupyter reads a file) trusts a
    notebook."""
    from nbcollab.trust.notary import open_notary, read_as_jupyter

    with open_notary() as notary:
        return bool(notary.check_signature(read_as_jupyter(_notebook_text(notebook), path="nb")))


def corpus_notebooks() -> list[Path]:
    """Every notebook of the corpus, or a skip when the corpus is absent."""
    if not CORPUS_NOTEBOOKS.is_dir():
        return []
    return sorted(CORPUS_NOTEBOOKS.glob("*.ipynb"))


requires_corpus = pytest.mark.skipif(
    not CORPUS_NOTEBOOKS.is_dir(),
    reason=f"corpus not found at {CORPUS} (it lives beside the project)",
)


def copy_to(tmp: Path, source: Path) -> Path:
    """A writable copy of a (read-only) corpus file."""
    target = tmp / source.name
    shutil.copyfile(source, target)
    os.chmod(target, 0o644)
    return target


def load_json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def version_1_line(record: Any, fields: int) -> str:
    """An output-cache ``Record`` as an nbcollab without a version field wrote its index line,
    with ``fields`` fields (7, 8, 10, 11, 14 or 15)."""
    line = [record.path_key, record.blob, record.working, record.fingerprint, record.pack]
    line += [str(record.offset), str(record.length)]
    if fields in (8, 11, 15):
        line.append(f"{record.crc:08x}")
    if fields >= 10 and record.blob_at:
        line += [record.blob_at.pack, str(record.blob_at.offset), str(record.blob_at.length)]
    if fields >= 14 and record.cells_at:
        at = record.cells_at
        line += [at.pack, str(at.offset), str(at.length), record.cells]
    assert len(line) == fields
    return " ".join(line)


# Debian's Chromium, driven by Playwright (its own browser download is not reachable here). The
# flags keep it off the network and out of a sandbox root cannot use.
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
