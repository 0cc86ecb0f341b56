"""The JupyterLab extension's endpoints on a real ``jupyter lab``: Jupyter's auth and XSRF,
paths confined to the root, and each endpoint answering through nbcollab's library."""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from http.cookiejar import CookieJar
from pathlib import Path
from typing import Any

import pytest
from helpers import code_cell, git, make_notebook, run_nbcollab, write_notebook
from jupyterlab_helpers import Lab, requires_server_extension, running_lab
from mergetool_helpers import conflicted_repo, notebook

pytestmark = [pytest.mark.slow, pytest.mark.git, requires_server_extension]


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    root = tmp_path_factory.mktemp("lab-root")
    with running_lab(root, tmp_path_factory.mktemp("lab-state")) as running:
        yield running


def _repo(lab: Lab, name: str) -> Path:
    repo = lab.root / name
    repo.mkdir()
    git(repo, "init", "-q")
    return repo


def _body(path: Path) -> bytes:
    return path.read_bytes()


def test_every_endpoint_needs_jupyters_auth(lab: Lab) -> None:
    for route, body in [("state", None), ("branches", None), ("conflicts", b"{}"), ("lint", b"{}")]:
        status, _ = lab.api(route, query={"path": "nb.ipynb"}, body=body, token=False)
        assert status == 403, route
    status, _ = lab.api(
        "state", query={"path": "nb.ipynb"}, headers={"Authorization": "token x"}, token=False
    )
    assert status == 403


def _logged_in(lab: Lab) -> tuple[Any, str]:
    """A browser's session: Jupyter's login cookie and its XSRF cookie, as the page has them."""
    jar = CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    opener.open(lab.url("lab"), timeout=60).read()
    xsrf = next(cookie.value for cookie in jar if cookie.name == "_xsrf")
    return opener, xsrf


def test_a_post_from_the_browser_needs_the_xsrf_token(lab: Lab) -> None:
    repo = _repo(lab, "xsrf")
    write_notebook(repo / "nb.ipynb", make_notebook(code_cell("a = 1")))
    opener, xsrf = _logged_in(lab)
    url = f"{lab.base}/nbcollab/lint?path=xsrf/nb.ipynb"
    data = _body(repo / "nb.ipynb")
    with pytest.raises(urllib.error.HTTPError) as refused:
        opener.open(urllib.request.Request(url, data=data, method="POST"), timeout=60)
    assert refused.value.code == 403
    forged = urllib.request.Request(
        url, data=data, method="POST", headers={"X-XSRFToken": "forged"}
    )
    with pytest.raises(urllib.error.HTTPError) as refused:
        opener.open(forged, timeout=60)
    assert refused.value.code == 403
    good = urllib.request.Request(url, data=data, method="POST", headers={"X-XSRFToken": xsrf})
    with opener.open(good, timeout=60) as answer:
        assert answer.status == 200 and json.loads(answer.read())["findings"] == []
    # GET carries no XSRF token, but still needs the login cookie.
    with opener.open(f"{lab.base}/nbcollab/state?path=xsrf/nb.ipynb", timeout=60) as answer:
        assert json.loads(answer.read())["repository"] is True


@pytest.mark.parametrize(
    "name",
    [
        "../outside.ipynb",
        "confine/../../outside.ipynb",
        "confine/link.ipynb",
        "confine/away/x.ipynb",
        ".secret/nb.ipynb",
        "confine/notes.txt",
        "confine/nb.ipynb\\..\\..\\outside.ipynb",
    ],
)
def test_paths_stay_inside_the_root(lab: Lab, name: str) -> None:
    folder = lab.root / "confine"
    if not folder.exists():
        folder.mkdir()
        outside = lab.root.parent / "outside.ipynb"
        write_notebook(outside, make_notebook(code_cell("secret = 1")))
        (folder / "link.ipynb").symlink_to(outside)
        (folder / "away").symlink_to(lab.root.parent)
        (lab.root / ".secret").mkdir()
    for route, body in [("state", None), ("lint", b"{}"), ("diff", b""), ("mark-resolved", b"")]:
        status, answer = lab.api(route, query={"path": name}, body=body)
        assert status == 403, (route, answer)
        assert "secret" not in json.dumps(answer)


def test_conflicts_resolve_and_mark_resolved(lab: Lab) -> None:
    repo = _repo(lab, "merge")
    path = conflicted_repo(repo, base=notebook("a = 0", "c = 0", "0\n"))
    status, report = lab.api("conflicts", query={"path": "merge/nb.ipynb"}, body=_body(path))
    assert status == 200, report
    assert report["git"]["unmerged"] is True and report["labels"] == {
        "ours": "main",
        "theirs": "feature",
    }
    assert [c["cell"] for c in report["conflicts"]] == [1, 3]
    status, refused = lab.api("mark-resolved", query={"path": "merge/nb.ipynb"}, body=b"")
    assert status == 409 and "not marked resolved" in refused["message"]
    nb = json.loads(path.read_text())
    before = path.read_bytes()
    for conflict in report["conflicts"]:
        query = {"number": str(conflict["number"]), "cell": str(conflict["cell"])}
        status, answer = lab.api(
            "resolve",
            query={"path": "merge/nb.ipynb", "choice": "theirs", **query},
            body=json.dumps(nb).encode(),
        )
        assert status == 200, answer
        for change in answer["changed"]:
            nb["cells"][change["index"]] = change["cell"]
        nb["metadata"] = answer["metadata"]
    assert answer["conflicts"] == [] and answer["stale"] == 2
    status, answer = lab.api(
        "clear", query={"path": "merge/nb.ipynb"}, body=json.dumps(nb).encode()
    )
    assert status == 200 and "nbcollab" not in answer["metadata"]
    # Resolved to theirs, made in this clone: the output cache gives the cell its output back.
    assert answer["restored"] is True
    assert [(c["index"], c["cell"]["outputs"]) for c in answer["changed"]] == [
        (1, [{"name": "stdout", "output_type": "stream", "text": "2\n"}])
    ]
    nb["cells"][1] = answer["changed"][0]["cell"]
    nb["metadata"] = answer["metadata"]
    # The editor saves; the server only runs git add (nothing written behind the editor's back).
    assert path.read_bytes() == before
    path.write_text(json.dumps(nb))
    status, done = lab.api("mark-resolved", query={"path": "merge/nb.ipynb"}, body=b"")
    assert status == 200 and done["message"] == "ran git add nb.ipynb"
    assert git(repo, "ls-files", "-u").stdout == ""
    assert run_nbcollab("conflicts", str(path)).returncode == 0


def test_merge_again_from_gits_stages_writes_nothing(lab: Lab) -> None:
    repo = _repo(lab, "text")
    path = conflicted_repo(repo, driver=False)
    before = path.read_bytes()
    status, state = lab.api("state", query={"path": "text/nb.ipynb"})
    assert status == 200 and state["unmerged"] and state["notebook"] is False
    status, answer = lab.api("merge-stages", query={"path": "text/nb.ipynb"}, body=b"")
    assert status == 200 and answer["notebook"]["metadata"]["nbcollab"]["conflicts"]
    assert path.read_bytes() == before


def test_diff_is_nbcollabs_review_page(lab: Lab) -> None:
    repo = _repo(lab, "diff")
    write_notebook(repo / "nb.ipynb", notebook("a = 1", "c = 1"))
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "one")
    git(repo, "branch", "other")
    edited = notebook("a = 1", "c = 'changed in the editor'")
    status, answer = lab.api(
        "diff", query={"path": "diff/nb.ipynb", "rev": "HEAD"}, body=json.dumps(edited).encode()
    )
    assert status == 200
    page = answer["html"]
    assert "changed in the editor" in page and "Content-Security-Policy" in page
    assert "default-src 'none'" in page and "HEAD → editor" in page
    status, branches = lab.api("branches", query={"path": "diff/nb.ipynb"})
    assert status == 200 and set(branches["branches"]) >= {"main", "other"}
    for revision in ("--output=/tmp/nbcollab-pwned", "no-such-branch", ""):
        status, answer = lab.api("diff", query={"path": "diff/nb.ipynb", "rev": revision}, body=b"")
        assert status == 409 and "not a revision" in answer["message"]
    assert not Path("/tmp/nbcollab-pwned").exists()


def test_bad_notebooks_get_a_message_not_a_traceback(lab: Lab) -> None:
    (lab.root / "bad").mkdir()
    for body in (b"", b"not json", b'{"cells": 3}', json.dumps({"nbformat": 4}).encode()):
        status, answer = lab.api("lint", query={"path": "bad/nb.ipynb"}, body=body)
        assert status == 409 and answer["message"].startswith("nb.ipynb"), answer
    status, answer = lab.api("resolve", query={"path": "bad/nb.ipynb", "number": "x"}, body=b"{}")
    assert status == 400


def test_the_server_extension_is_enabled_by_the_install(tmp_path: Path) -> None:
    listed = subprocess.run(
        [sys.executable, "-m", "jupyter", "server", "extension", "list"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert "jupyterlab_nbcollab" in listed.stdout + listed.stderr
