"""The browser is started on a private redirect file: the token is never on a command line."""

from __future__ import annotations

import stat

import pytest


def test_the_browser_is_given_a_private_file_never_the_token(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from nbcollab.mergetool import launch

    url = "http://127.0.0.1:1234/SECRET-token/"
    opened: list[str] = []
    monkeypatch.setattr(launch.webbrowser, "open", lambda target: opened.append(target) or True)
    with launch.redirect_file(url) as page:
        assert launch.open_in_browser(page)
        assert stat.S_IMODE(page.stat().st_mode) == 0o600
        assert stat.S_IMODE(page.parent.stat().st_mode) == 0o700
        assert f'url={url}"' in page.read_text()
    assert opened == [page.as_uri()] and "SECRET" not in opened[0]
    assert not page.exists() and not page.parent.exists()
