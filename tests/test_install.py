"""install / uninstall / status: what they write to git config and attributes files, and remove."""

from __future__ import annotations

import os
import shlex
import shutil
import sys
from pathlib import Path

import pytest
from helpers import git
from typer.testing import CliRunner
from venv_helpers import install_from_venv

from nbcollab.cli.app import app
from nbcollab.git import install as installer
from nbcollab.git.attributes import parse_owned_line
from nbcollab.git.textconv import TEXTCONV_FORMAT_VERSION

pytestmark = pytest.mark.git
runner = CliRunner()
CMD = f"{shlex.quote(sys.executable)} -m nbcollab"
ALL_LOCAL = {
    "filter.nbcollab.clean": f"{CMD} filter-clean %f",
    "filter.nbcollab.required": "true",
    "diff.nbcollab.textconv": f"{CMD} textconv --format-version {TEXTCONV_FORMAT_VERSION}",
    "diff.nbcollab.cachetextconv": "true",
    "merge.nbcollab.name": "nbcollab notebook merge",
}


def nbcollab(repo: Path, *args: str) -> tuple[int, str]:
    old = Path.cwd()
    os.chdir(repo)
    try:
        result = runner.invoke(app, list(args))
    finally:
        os.chdir(old)
    return result.exit_code, result.output


def config(repo: Path, scope: str = "--local") -> dict[str, str]:
    out = git(repo, "config", scope, "--list", check=False).stdout
    return dict(line.split("=", 1) for line in out.splitlines())


def nbcollab_keys(repo: Path, scope: str = "--local") -> dict[str, str]:
    return {k: v for k, v in config(repo, scope).items() if ".nbcollab." in k}


def test_install_writes_every_driver_and_the_attributes_line(git_repo: Path) -> None:
    code, output = nbcollab(git_repo, "install")
    assert code == 0, output
    keys = nbcollab_keys(git_repo)
    assert {k: keys[k] for k in ALL_LOCAL} == ALL_LOCAL
    launcher = git_repo / ".git" / "nbcollab" / "nbcollab"
    assert keys["filter.nbcollab.process"] == f"sh {launcher} filter-process"
    assert launcher.is_file()
    assert keys["merge.nbcollab.driver"] == f"{CMD} git-merge %O %A %B %L %P"
    assert "diff.nbcollab.command" not in keys
    assert (git_repo / ".gitattributes").read_text() == (
        "*.ipynb filter=nbcollab diff=nbcollab merge=nbcollab\n"
    )
    attrs = git(git_repo, "check-attr", "-a", "sub/x.ipynb").stdout
    assert "filter: nbcollab" in attrs and "diff: nbcollab" in attrs and "merge: nbcollab" in attrs


def test_merge_labels_are_passed_from_git_2_44(monkeypatch: pytest.MonkeyPatch) -> None:
    def driver(version: tuple[int, ...]) -> str:
        ctx = installer.InstallContext("nbcollab", version)
        return installer.DRIVERS[2].settings(ctx)["driver"]

    assert driver((2, 43, 9)) == "nbcollab git-merge %O %A %B %L %P"
    assert driver((2, 44, 0)) == "nbcollab git-merge %O %A %B %L %P %S %X %Y"


def test_install_is_idempotent_and_declarative(git_repo: Path) -> None:
    nbcollab(git_repo, "install")
    before = (git_repo / ".git" / "config").read_bytes()
    code, output = nbcollab(git_repo, "install")
    assert code == 0 and "already installed" in output
    assert (git_repo / ".git" / "config").read_bytes() == before
    nbcollab(git_repo, "install", "--no-merge", "--external-diff")
    keys = nbcollab_keys(git_repo)
    assert not any(k.startswith("merge.") for k in keys)
    assert keys["diff.nbcollab.command"] == f"{CMD} git-diff"
    assert (git_repo / ".gitattributes").read_text() == "*.ipynb filter=nbcollab diff=nbcollab\n"
    nbcollab(git_repo, "install", "--no-diff", "--no-merge")
    assert set(nbcollab_keys(git_repo)) == {
        "filter.nbcollab.process",
        "filter.nbcollab.clean",
        "filter.nbcollab.required",
    }


def test_info_attributes_moves_the_line_out_of_gitattributes(git_repo: Path) -> None:
    nbcollab(git_repo, "install")
    nbcollab(git_repo, "install", "--attributes", "info")
    assert not (git_repo / ".gitattributes").exists()
    assert (
        (git_repo / ".git" / "info" / "attributes")
        .read_text()
        .endswith("*.ipynb filter=nbcollab diff=nbcollab merge=nbcollab\n")
    )


def test_uninstall_removes_exactly_what_install_wrote(git_repo: Path) -> None:
    (git_repo / ".gitattributes").write_text("*.png binary\r\n*.ipynb linguist-generated\r\n")
    git(git_repo, "config", "user.name", "Someone")
    git(git_repo, "config", "diff.nbcollab.wordRegex", "[a-z]+")  # the user's own key
    before_attributes = (git_repo / ".gitattributes").read_bytes()
    before_config = config(git_repo)
    nbcollab(git_repo, "install", "--external-diff")
    assert (git_repo / ".gitattributes").read_bytes() == before_attributes + (
        b"*.ipynb filter=nbcollab diff=nbcollab merge=nbcollab\r\n"
    )
    code, output = nbcollab(git_repo, "uninstall")
    assert code == 0 and "unset diff.nbcollab.command" in output
    assert (git_repo / ".gitattributes").read_bytes() == before_attributes
    assert config(git_repo) == before_config
    code, output = nbcollab(git_repo, "uninstall")
    assert code == 0 and "nothing" in output


def test_uninstall_keeps_values_a_user_changed(git_repo: Path) -> None:
    nbcollab(git_repo, "install")
    git(git_repo, "config", "filter.nbcollab.required", "false")
    git(git_repo, "config", "merge.nbcollab.driver", "my-own-merge %O %A %B")
    nbcollab(git_repo, "uninstall")
    assert nbcollab_keys(git_repo) == {
        "filter.nbcollab.required": "false",
        "merge.nbcollab.driver": "my-own-merge %O %A %B",
    }


def test_an_attributes_line_a_user_extended_is_left_alone(git_repo: Path) -> None:
    line = "*.ipynb filter=nbcollab diff=nbcollab eol=lf\n"
    (git_repo / ".gitattributes").write_text(line)
    nbcollab(git_repo, "install")
    nbcollab(git_repo, "uninstall")
    assert (git_repo / ".gitattributes").read_text() == line


LINE = "*.ipynb filter=nbcollab diff=nbcollab merge=nbcollab\n"


def test_install_refuses_a_gitattributes_link_out_of_the_repository(
    git_repo: Path, tmp_path: Path
) -> None:
    outside = tmp_path / "elsewhere" / "attributes"
    outside.parent.mkdir()
    outside.write_text("*.png binary\n")
    (git_repo / ".gitattributes").symlink_to(outside)
    git(git_repo, "add", ".gitattributes")
    code, output = nbcollab(git_repo, "install")
    assert code == 2 and "leads out of the repository" in output and "--attributes info" in output
    assert outside.read_text() == "*.png binary\n"
    assert nbcollab_keys(git_repo) == {}  # refused before anything was written
    code, output = nbcollab(git_repo, "install", "--attributes", "info")
    assert code == 0, output
    code, output = nbcollab(git_repo, "uninstall")
    assert code == 0, output
    assert (git_repo / ".gitattributes").is_symlink() and outside.read_text() == "*.png binary\n"


def test_install_refuses_an_info_folder_that_leads_out_of_the_repository(
    git_repo: Path, tmp_path: Path
) -> None:
    outside = tmp_path / "shared-info"
    outside.mkdir()
    info = git_repo / ".git" / "info"
    shutil.rmtree(info)
    info.symlink_to(outside)
    code, output = nbcollab(git_repo, "install", "--attributes", "info")
    assert code == 2 and "leads out of the repository" in output
    assert list(outside.iterdir()) == [] and nbcollab_keys(git_repo) == {}


def test_uninstall_never_deletes_or_writes_through_a_link_out_of_the_repository(
    git_repo: Path, tmp_path: Path
) -> None:
    outside = tmp_path / "attributes"
    outside.write_text(LINE)  # as an older nbcollab wrote it
    (git_repo / ".gitattributes").symlink_to(outside)
    git(git_repo, "add", ".gitattributes")
    code, output = nbcollab(git_repo, "uninstall")
    assert code == 2 and "leads out of the repository" in output
    assert (git_repo / ".gitattributes").is_symlink() and outside.read_text() == LINE


def test_a_link_inside_the_repository_is_written_through_and_kept(git_repo: Path) -> None:
    (git_repo / "config").mkdir()
    (git_repo / "config" / "attributes").write_text("*.png binary\n")
    (git_repo / ".gitattributes").symlink_to(Path("config") / "attributes")
    nbcollab(git_repo, "install")
    assert (git_repo / "config" / "attributes").read_text() == "*.png binary\n" + LINE
    (git_repo / "config" / "attributes").write_text(LINE)
    nbcollab(git_repo, "uninstall")
    assert (git_repo / ".gitattributes").is_symlink()
    assert (git_repo / "config" / "attributes").read_text() == ""


def test_uninstall_keeps_a_gitattributes_that_was_committed(git_repo: Path) -> None:
    nbcollab(git_repo, "install")
    git(git_repo, "add", ".gitattributes")
    git(git_repo, "commit", "-qm", "attributes")
    code, output = nbcollab(git_repo, "uninstall")
    assert code == 0, output
    assert (git_repo / ".gitattributes").read_text() == ""
    assert git(git_repo, "status", "--short").stdout == " M .gitattributes\n"


def test_moving_the_line_to_info_keeps_a_tracked_gitattributes(git_repo: Path) -> None:
    nbcollab(git_repo, "install")
    git(git_repo, "add", ".gitattributes")  # staged, not yet committed: tracked all the same
    nbcollab(git_repo, "install", "--attributes", "info")
    assert (git_repo / ".gitattributes").read_text() == ""


def test_global_install_writes_through_a_dotfiles_link(git_repo: Path, isolated_home: Path) -> None:
    dotfiles = isolated_home / "dotfiles" / "gitattributes"
    dotfiles.parent.mkdir()
    dotfiles.write_text("*.png binary\n")
    link = isolated_home / ".config" / "git" / "attributes"
    link.parent.mkdir(parents=True)
    link.symlink_to(dotfiles)
    nbcollab(git_repo, "install", "--global")
    assert link.is_symlink() and dotfiles.read_text() == "*.png binary\n" + LINE
    nbcollab(git_repo, "uninstall", "--global")
    assert link.is_symlink() and dotfiles.read_text() == "*.png binary\n"


def test_global_install_uses_the_users_config_and_attributes_file(
    git_repo: Path, isolated_home: Path
) -> None:
    code, output = nbcollab(git_repo, "install", "--global")
    assert code == 0, output
    launcher = isolated_home / ".config" / "nbcollab" / "nbcollab"
    assert nbcollab_keys(git_repo, "--global")["filter.nbcollab.process"] == (
        f"sh {launcher} filter-process"
    )
    assert nbcollab_keys(git_repo) == {}
    attributes = isolated_home / ".config" / "git" / "attributes"
    assert attributes.read_text() == "*.ipynb filter=nbcollab diff=nbcollab merge=nbcollab\n"
    assert not (git_repo / ".gitattributes").exists()
    assert "filter: nbcollab" in git(git_repo, "check-attr", "filter", "a.ipynb").stdout
    nbcollab(git_repo, "uninstall", "--global")
    assert nbcollab_keys(git_repo, "--global") == {} and not attributes.exists()
    assert not launcher.parent.exists()


def test_global_install_honours_core_attributes_file(git_repo: Path, isolated_home: Path) -> None:
    git(git_repo, "config", "--global", "core.attributesFile", "~/my-attributes")
    nbcollab(git_repo, "install", "--global", "--no-merge")
    assert (
        isolated_home / "my-attributes"
    ).read_text() == "*.ipynb filter=nbcollab diff=nbcollab\n"


def test_install_outside_a_repository_is_a_clear_error(tmp_path: Path) -> None:
    code, output = nbcollab(tmp_path, "install")
    assert code == 2 and "not inside a git repository" in output


def test_install_refuses_to_install_nothing(git_repo: Path) -> None:
    code, _ = nbcollab(git_repo, "install", "--no-filter", "--no-diff", "--no-merge")
    assert code == 2 and not (git_repo / ".gitattributes").exists()


@pytest.mark.slow
def test_the_command_survives_a_path_with_spaces(tmp_path: Path) -> None:
    """git runs commands through its shell: paths with a space must be quoted."""

    python, repo = install_from_venv(tmp_path)
    assert nbcollab_keys(repo)["filter.nbcollab.clean"].startswith(f"'{python}' ")
    (repo / "nb.ipynb").write_text(
        '{"cells": [{"cell_type": "code", "execution_count": 1, "metadata": {}, "outputs": '
        '[{"name": "stdout", "output_type": "stream", "text": "x"}], "source": "1"}], '
        '"metadata": {}, "nbformat": 4, "nbformat_minor": 4}'
    )
    git(repo, "add", "nb.ipynb")
    assert '"outputs": []' in git(repo, "cat-file", "blob", ":nb.ipynb").stdout


# -- status -------------------------------------------------------------------------------------


def test_status_of_a_healthy_install(git_repo: Path) -> None:
    nbcollab(git_repo, "install")
    code, output = nbcollab(git_repo, "status")
    assert code == 0, output
    assert "filter: config in local; " in output and ".gitattributes" in output
    assert "problem" not in output


def test_status_reads_an_attributes_file_that_is_not_utf8(git_repo: Path) -> None:
    # A user's line in Latin-1 must not hide nbcollab's line from status.
    (git_repo / ".gitattributes").write_bytes(b"caf\xe9.txt text\n")
    nbcollab(git_repo, "install")
    code, output = nbcollab(git_repo, "status")
    assert code == 0, output
    assert f"filter: config in local; {git_repo / '.gitattributes'}" in output
    assert (git_repo / ".gitattributes").read_bytes().startswith(b"caf\xe9.txt text\n")


def test_status_says_when_nothing_is_installed(git_repo: Path) -> None:
    code, output = nbcollab(git_repo, "status")
    assert code == 1 and "filter: not installed" in output and "not installed here" in output


def test_status_outside_a_repository_shows_the_global_set_up(tmp_path: Path) -> None:
    nbcollab(tmp_path, "install", "--global")
    code, output = nbcollab(tmp_path, "status")
    assert code == 0, output
    assert "global set-up only" in output and "config in global" in output


def test_status_reports_a_stale_textconv(git_repo: Path) -> None:
    nbcollab(git_repo, "install")
    old = f"{CMD} textconv --format-version {TEXTCONV_FORMAT_VERSION - 1}"
    git(git_repo, "config", "diff.nbcollab.textconv", old)
    code, output = nbcollab(git_repo, "status")
    stale = f"--format-version {TEXTCONV_FORMAT_VERSION - 1}"
    assert code == 1 and "stale" in output and stale in output
    nbcollab(git_repo, "install")
    assert nbcollab(git_repo, "status")[0] == 0


@pytest.mark.parametrize(
    ("command", "reason"),
    [
        ("/nonexistent/python -m nbcollab", "does not exist"),
        ("nbcollab-missing-tool -m nbcollab", "not on PATH"),
        (f"{shlex.quote(sys.executable)} -m nbcollab_not_a_module", "does not run nbcollab"),
        ("/bin/false nbcollab", "--version failed"),
    ],
)
def test_status_reports_a_command_that_cannot_run(
    git_repo: Path, command: str, reason: str
) -> None:
    nbcollab(git_repo, "install", "--no-diff", "--no-merge")
    git(git_repo, "config", "filter.nbcollab.process", f"{command} filter-process")
    code, output = nbcollab(git_repo, "status")
    assert code == 1 and "filter.nbcollab.process" in output and reason in output


def test_status_reports_attributes_without_config_and_the_reverse(git_repo: Path) -> None:
    (git_repo / ".gitattributes").write_text("*.ipynb filter=nbcollab\n")
    code, output = nbcollab(git_repo, "status")
    assert code == 1 and "filter.nbcollab is not configured" in output
    assert "outputs" in output
    nbcollab(git_repo, "install", "--no-diff", "--no-merge")
    (git_repo / ".gitattributes").unlink()
    code, output = nbcollab(git_repo, "status")
    assert code == 1 and "no attributes line sends *.ipynb to it" in output


def test_parse_owned_line_accepts_only_nbcollabs_own_lines() -> None:
    assert parse_owned_line("*.ipynb diff=nbcollab") == ("diff",)
    assert parse_owned_line("  *.ipynb  filter=nbcollab   merge=nbcollab ") == (
        "filter",
        "merge",
    )
    for line in (
        "*.ipynb",
        "*.ipynb filter=other",
        "*.py diff=nbcollab",
        "# *.ipynb diff=nbcollab",
        "*.ipynb diff=nbcollab -text",
    ):
        assert parse_owned_line(line) is None


@pytest.mark.parametrize(
    ("value", "subcommand"),
    [
        ("'/opt/my env/python' -m nbcollab filter-process", "filter-process"),
        ("nbcollab git-merge %O %A %B %L %P", "git-merge"),
        ("/usr/local/bin/nbcollab textconv --format-version 3", "textconv"),
        ("nbstripout", None),
        ("'unbalanced", None),
    ],
)
def test_nbcollab_subcommand(value: str, subcommand: str | None) -> None:
    assert installer.nbcollab_subcommand(value) == subcommand
