"""Which kernel runs a notebook, and a fingerprint of the environment it runs in.

For a Python kernel the fingerprint is its interpreter's version and the name and version of
every distribution installed where it runs, asked of the interpreter itself once a process:
upgrading a package re-runs the notebooks even where no lockfile pins it. For other kernels it
is the kernel's command line and language; their lockfiles (``renv.lock``, ``Manifest.toml``)
and declared inputs say the rest.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from typing import Any

from nbcollab.errors import NbcollabError
from nbcollab.notebook.lines import Notebook

DEFAULT_KERNEL = "python3"
_PROBE = (
    "import sys, json, importlib.metadata as m\n"
    "names = sorted({f\"{d.metadata['Name']}=={d.version}\" for d in m.distributions()"
    " if d.metadata['Name']})\n"
    "print(json.dumps([sys.version, sys.implementation.name, names]))\n"
)
_PROBE_SECONDS = 60


class KernelUnavailable(NbcollabError):
    """The kernel a notebook names is not installed, or jupyter_client is missing."""


def missing_extra(exc: ImportError) -> KernelUnavailable:
    """The error for a missing ``execute`` extra."""
    return KernelUnavailable(
        f"running notebooks needs nbclient and ipykernel ({exc.name} is missing): "
        "pip install 'nbcollab[execute]'"
    )


def kernel_name(nb: Notebook, override: str | None) -> str:
    """The kernel to run ``nb`` with: ``override``, else the notebook's, else python3."""
    if override:
        return override
    metadata = nb.get("metadata")
    spec = metadata.get("kernelspec") if isinstance(metadata, dict) else None
    name = spec.get("name") if isinstance(spec, dict) else None
    return name if isinstance(name, str) and name.strip() else DEFAULT_KERNEL


class Kernels:
    """Fingerprints of the installed kernels, each worked out once."""

    def __init__(self) -> None:
        self._fingerprints: dict[str, str] = {}
        self._manager: Any = None

    def fingerprint(self, name: str) -> str:
        """The environment of kernel ``name``; KernelUnavailable when it is not installed."""
        if name not in self._fingerprints:
            self._fingerprints[name] = self._work_out(name)
        return self._fingerprints[name]

    def _spec(self, name: str) -> Any:
        try:
            from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel
        except ImportError as exc:
            raise missing_extra(exc) from None
        if self._manager is None:
            self._manager = KernelSpecManager()
        try:
            return self._manager.get_kernel_spec(name)
        except NoSuchKernel:
            raise KernelUnavailable(
                f"kernel {name!r} is not installed (--kernel NAME runs another)"
            ) from None

    def _work_out(self, name: str) -> str:
        spec = self._spec(name)
        argv = list(spec.argv)
        described = {"name": name, "language": spec.language, "argv": argv}
        interpreter = _python_of(argv) if str(spec.language).lower() == "python" else None
        if interpreter is not None:
            probed = _probe(interpreter, spec.env or {})
            if probed is not None:
                described = {"name": name, "language": spec.language, "python": probed}
        return json.dumps(described, sort_keys=True)


def _python_of(argv: list[str]) -> str | None:
    """The interpreter of an ipykernel command line, resolved as jupyter_client resolves it."""
    if len(argv) < 3 or "-m" not in argv:
        return None
    first = argv[0]
    if first in ("python", f"python{sys.version_info[0]}", "python{}.{}".format(*sys.version_info)):
        return sys.executable
    return shutil.which(first)


def _probe(interpreter: str, env: dict[str, str]) -> Any:
    try:
        done = subprocess.run(
            [interpreter, "-c", _PROBE],
            env={**os.environ, **env},
            capture_output=True,
            text=True,
            timeout=_PROBE_SECONDS,
            check=False,
        )
        return json.loads(done.stdout) if done.returncode == 0 else None
    except (OSError, subprocess.SubprocessError, ValueError):
        return None  # the kernel's command line is the fingerprint then
