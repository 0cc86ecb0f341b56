"""JupyterLab extension for nbcollab: merge conflicts resolved in the notebook, diffs against git,
and live execution-order findings. The front end is the bundled labextension; the endpoints it
calls are the server extension in ``handlers``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

__version__ = "0.1.0"


def _jupyter_labextension_paths() -> list[dict[str, str]]:
    return [{"src": "labextension", "dest": "jupyterlab-nbcollab"}]


def _jupyter_server_extension_points() -> list[dict[str, str]]:
    return [{"module": "jupyterlab_nbcollab"}]


def _load_jupyter_server_extension(server_app: Any) -> None:
    """Add the endpoints, confined to the directory the contents manager serves."""
    import threading

    from jupyterlab_nbcollab.handlers import setup_handlers
    from jupyterlab_nbcollab.library import warm_up

    root = getattr(server_app.contents_manager, "root_dir", None) or server_app.root_dir
    setup_handlers(server_app.web_app, Path(root))
    # The first diff or lint would otherwise wait for nbcollab's modules to load.
    threading.Thread(target=warm_up, name="nbcollab-warm-up", daemon=True).start()
    server_app.log.info("jupyterlab_nbcollab: endpoints under /nbcollab/, root %s", root)
