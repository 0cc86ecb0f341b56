"""The server extension's endpoints, under ``<base_url>/nbcollab/``.

Every handler is a Jupyter ``APIHandler``: a request needs Jupyter's own authentication (token or
login cookie), its XSRF check for anything but GET, and the user's permission on ``contents``.
``?path=`` names a notebook relative to the server's root, confined there by ``paths.confine``.
A notebook being edited is sent as the request body (the editor's model, unsaved edits
included) and read by nbcollab's parser; the work runs off the event loop, in
``library``. No handler writes a notebook: the editor applies what it gets back to its model and
saves it itself. The one write is ``mark-resolved``, which runs ``git add`` on a saved file.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import tornado.web
from jupyter_server.auth.decorator import authorized
from jupyter_server.base.handlers import APIHandler
from jupyter_server.utils import url_path_join
from tornado.ioloop import IOLoop

from jupyterlab_nbcollab import library
from jupyterlab_nbcollab.paths import PathRefused, confine
from nbcollab.errors import NbcollabError

T = TypeVar("T")


class _Handler(APIHandler):
    auth_resource = "contents"

    def initialize(self, root: Path) -> None:
        self.root = root

    def _file(self) -> Path:
        manager = self.settings.get("contents_manager")
        allow_hidden = bool(getattr(manager, "allow_hidden", False))
        try:
            return confine(
                self.root, self.get_query_argument("path", ""), allow_hidden=allow_hidden
            )
        except PathRefused as exc:
            raise tornado.web.HTTPError(403, reason=str(exc)) from None

    async def _run(self, work: Callable[..., T], *args: Any) -> T:
        """``work(*args)`` on a worker thread: a big notebook must not stall the server."""
        return await IOLoop.current().run_in_executor(None, work, *args)

    async def _answer(self, work: Callable[..., Any], *args: Any) -> None:
        try:
            value = await self._run(work, *args)
        except NbcollabError as exc:
            self.set_status(409)
            value = {"message": str(exc)}
        except OSError as exc:  # the file went away, a folder is not readable: say which
            self.set_status(409)
            value = {"message": f"{Path(str(exc.filename or 'file')).name}: {exc.strerror or exc}"}
        self.finish(json.dumps(value))

    def _body(self) -> bytes:
        return self.request.body

    def _notebook(self, file: Path) -> library.Notebook:
        return library.read_notebook(self._body(), path=file.name)


class StateHandler(_Handler):
    """GET: whether git holds the notebook unmerged, and whether the file reads as a notebook."""

    @tornado.web.authenticated
    @authorized("read")
    async def get(self) -> None:
        await self._answer(_state, self._file())


def _state(file: Path) -> dict[str, Any]:
    from nbcollab.files import read_file_bytes

    state = library.git_state(file)
    try:
        library.read_notebook(read_file_bytes(file), path=file.name)
        state["notebook"] = True
    except NbcollabError as exc:
        state["notebook"], state["problem"] = False, str(exc)
    return state


class ConflictsHandler(_Handler):
    """POST the notebook: its unresolved conflicts with their sides, and git's state."""

    @tornado.web.authenticated
    @authorized("read")
    async def post(self) -> None:
        file = self._file()
        await self._answer(
            lambda: {
                **library.describe_conflicts(self._notebook(file)),
                "git": library.git_state(file),
            }
        )


class ResolveHandler(_Handler):
    """POST the notebook, ``?number=`` (a record entry) and ``?choice=``: what changes."""

    @tornado.web.authenticated
    @authorized("read")
    async def post(self) -> None:
        file = self._file()
        number = self.get_query_argument("number", "")
        choice = self.get_query_argument("choice", "")
        cell = self.get_query_argument("cell", "")
        kind = self.get_query_argument("kind", "") or None
        if not number.isdigit() or not (cell == "" or cell.isdigit()):
            raise tornado.web.HTTPError(400, reason="number and cell must be whole numbers")
        where = int(cell) if cell else None
        await self._answer(
            lambda: _resolved(
                library.resolve_one(
                    self._notebook(file), int(number), choice, cell=where, kind=kind
                )
            )
        )


class ClearHandler(_Handler):
    """POST the notebook: the records of conflicts resolved by hand cleared, and when none is
    left, the output cache's outputs back in its cells (before "Mark resolved" saves it)."""

    @tornado.web.authenticated
    @authorized("read")
    async def post(self) -> None:
        file = self._file()
        await self._answer(lambda: _resolved(library.clear_stale(self._notebook(file), file)))


def _resolved(done: library.Resolved) -> dict[str, Any]:
    return {
        "changed": [{"index": k, "cell": cell} for k, cell in sorted(done.changed.items())],
        "removed": done.removed,
        "metadata": done.metadata,
        "restored": done.restored,
        **library.describe_conflicts(done.notebook),
    }


class StagesHandler(_Handler):
    """POST: the notebook merged again, cell by cell, from git's stages (nothing is written)."""

    @tornado.web.authenticated
    @authorized("read")
    async def post(self) -> None:
        await self._answer(
            lambda file: {"notebook": library.merged_from_stages(file)}, self._file()
        )


class MarkResolvedHandler(_Handler):
    """POST: ``git add`` the saved notebook, refused while anything is left to resolve in it."""

    @tornado.web.authenticated
    @authorized("write")
    async def post(self) -> None:
        await self._answer(lambda file: {"message": library.stage_file(file)}, self._file())


class DiffHandler(_Handler):
    """POST ``?rev=`` (and the notebook, or nothing for the file): the review page."""

    @tornado.web.authenticated
    @authorized("read")
    async def post(self) -> None:
        file = self._file()
        revision = self.get_query_argument("rev", "HEAD")
        current = self._body() or None
        await self._answer(lambda: {"html": library.review_page(file, revision, current)})


class BranchesHandler(_Handler):
    """GET: the branches to diff against."""

    @tornado.web.authenticated
    @authorized("read")
    async def get(self) -> None:
        await self._answer(lambda file: {"branches": library.branches(file)}, self._file())


class LintHandler(_Handler):
    """POST the notebook: its static lint findings (nothing is executed)."""

    @tornado.web.authenticated
    @authorized("read")
    async def post(self) -> None:
        file = self._file()
        await self._answer(lambda: {"findings": library.lint(self._notebook(file), file)})


ROUTES: dict[str, type[_Handler]] = {
    "state": StateHandler,
    "conflicts": ConflictsHandler,
    "resolve": ResolveHandler,
    "clear": ClearHandler,
    "merge-stages": StagesHandler,
    "mark-resolved": MarkResolvedHandler,
    "diff": DiffHandler,
    "branches": BranchesHandler,
    "lint": LintHandler,
}


def setup_handlers(web_app: Any, root: Path) -> None:
    """Add the endpoints under ``<base_url>/nbcollab/`` to Jupyter's web application."""
    base = web_app.settings["base_url"]
    web_app.add_handlers(
        ".*$",
        [
            (url_path_join(base, "nbcollab", name), handler, {"root": root})
            for name, handler in ROUTES.items()
        ],
    )
