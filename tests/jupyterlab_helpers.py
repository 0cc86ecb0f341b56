"""Helpers for the JupyterLab extension's tests and benchmark: a real ``jupyter lab`` on
127.0.0.1 behind a token, with its own config, data, runtime, settings and workspace folders."""

from __future__ import annotations

import importlib.util
import json
import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest


def _labextension_installed() -> bool:
    try:
        from jupyter_core.paths import jupyter_path
    except ImportError:
        return False
    return any(
        Path(folder, "jupyterlab-nbcollab", "package.json").is_file()
        for folder in jupyter_path("labextensions")
    )


def _lab_missing() -> str | None:
    """Why the extension's end-to-end tests cannot run here, or None."""
    if importlib.util.find_spec("jupyterlab") is None:
        return "jupyterlab is not installed (pip install ./jupyterlab-nbcollab)"
    if importlib.util.find_spec("jupyterlab_nbcollab") is None:
        return "jupyterlab-nbcollab is not installed (pip install ./jupyterlab-nbcollab)"
    if not _labextension_installed():
        return "the jupyterlab-nbcollab labextension is not built and installed"
    return None


LAB_MISSING = _lab_missing()
requires_lab = pytest.mark.skipif(LAB_MISSING is not None, reason=LAB_MISSING or "")
requires_server_extension = pytest.mark.skipif(
    importlib.util.find_spec("jupyterlab_nbcollab") is None
    or importlib.util.find_spec("jupyter_server") is None,
    reason="jupyterlab-nbcollab is not installed (pip install ./jupyterlab-nbcollab)",
)


@dataclass
class Lab:
    """A running ``jupyter lab``: where it listens and its token."""

    port: int
    token: str
    root: Path
    log: Path

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def url(self, path: str = "lab") -> str:
        """A URL that logs in with the token (the browser then keeps Jupyter's cookie)."""
        return f"{self.base}/{path}?token={self.token}"

    def api(
        self,
        route: str,
        *,
        query: dict[str, str] | None = None,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
        token: bool = True,
    ) -> tuple[int, Any]:
        """Call ``/nbcollab/<route>``: status and decoded JSON (or text)."""
        from urllib.parse import urlencode

        url = f"{self.base}/nbcollab/{route}" + (f"?{urlencode(query)}" if query else "")
        request = urllib.request.Request(
            url, data=body, method="POST" if body is not None else "GET"
        )
        if token:
            request.add_header("Authorization", f"token {self.token}")
        for name, value in (headers or {}).items():
            request.add_header(name, value)
        try:
            with urllib.request.urlopen(request, timeout=60) as answer:
                return answer.status, _decode(answer.read())
        except urllib.error.HTTPError as error:
            return error.code, _decode(error.read())


def _decode(data: bytes) -> Any:
    try:
        return json.loads(data)
    except ValueError:
        return data.decode("utf-8", "replace")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def lab_settings(folder: Path) -> None:
    """User settings for a quiet test run: no news and no update check (no network)."""
    target = folder / "@jupyterlab" / "apputils-extension" / "notification.jupyterlab-settings"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps({"fetchNews": "false", "checkForUpdates": False}))


@contextmanager
def running_lab(root: Path, state: Path, *, extra: tuple[str, ...] = ()) -> Iterator[Lab]:
    """``jupyter lab --no-browser`` serving ``root`` on 127.0.0.1, its folders under ``state``."""
    folders = {
        name: state / name
        for name in ("config", "data", "runtime", "settings", "workspaces", "home")
    }
    for folder in folders.values():
        folder.mkdir(parents=True, exist_ok=True)
    lab_settings(folders["settings"])
    env = {
        **os.environ,
        "JUPYTER_CONFIG_DIR": str(folders["config"]),
        "JUPYTER_DATA_DIR": str(folders["data"]),
        "JUPYTER_RUNTIME_DIR": str(folders["runtime"]),
        "JUPYTERLAB_SETTINGS_DIR": str(folders["settings"]),
        "JUPYTERLAB_WORKSPACES_DIR": str(folders["workspaces"]),
        "IPYTHONDIR": str(folders["home"] / ".ipython"),
    }
    lab = Lab(_free_port(), secrets.token_hex(24), root, state / "lab.log")
    command = [
        sys.executable,
        "-m",
        "jupyterlab",
        "--no-browser",
        "--ip=127.0.0.1",
        f"--port={lab.port}",
        f"--IdentityProvider.token={lab.token}",
        f"--ServerApp.root_dir={root}",
        "--ServerApp.port_retries=0",
        "--LabApp.expose_app_in_browser=True",
        "--allow-root",
        *extra,
    ]
    with lab.log.open("wb") as log:
        process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            _wait_until_up(lab, process)
            yield lab
        finally:
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _wait_until_up(lab: Lab, process: subprocess.Popen[bytes], timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"jupyter lab exited:\n{lab.log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(f"{lab.base}/api/status?token={lab.token}", timeout=5):
                return
        except (urllib.error.URLError, OSError):
            time.sleep(0.2)
    raise RuntimeError(f"jupyter lab did not answer:\n{lab.log.read_text()[-3000:]}")


def model_source(page: Any, path: str, index: int) -> str:
    """The source of cell ``index`` in the open notebook ``path``, as its model holds it."""
    return str(
        page.evaluate(
            """([path, index]) => {
                const panel = [...jupyterapp.shell.widgets('main')]
                    .find(w => w.context && w.context.path === path);
                return panel.content.model.sharedModel.cells[index].getSource();
            }""",
            [path, index],
        )
    )
