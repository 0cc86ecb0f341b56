"""What the filter process calls: record on clean, restore on smudge, and never fail either.

One ``CacheSession`` lives as long as one filter process (one git command). It finds the cache
(``git rev-parse --git-common-dir``, once) on first use, and loads its options then with the
function the filter hands over (``[tool.nbcollab.cache]`` at the top of the working tree). Any
problem at all (no repository, a broken ``[tool.nbcollab.cache]``, a corrupt or unreadable cache
file, a full disk) turns into one warning for the whole process, and the file goes through as it
would without the cache: the blob as it is on smudge, the cleaned file on clean.

Trust (see ``output_cache.signing``): a working file with rich output is recorded with whether
the user's Jupyter trusts it; a file restored cell by cell from trusted records is signed when
the proof of docs/trust.md allows, all in one write to the signature store when the process
ends (``close``), and the user is told, once a notebook, when it is not.
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from nbcollab.errors import NbcollabError, NotARepository
from nbcollab.gitcmd import start_git, wait_git

if TYPE_CHECKING:
    from nbcollab.notebook.lines import Notebook
    from nbcollab.options import CleanOptions
    from nbcollab.output_cache.keys import RestoreRule
    from nbcollab.output_cache.options import CacheOptions
    from nbcollab.output_cache.others import OtherRecords
    from nbcollab.output_cache.restore import FilledCells
    from nbcollab.output_cache.signing import Verdict
    from nbcollab.output_cache.store import OutputStore
    from nbcollab.trust.signatures import UserStore

ENABLED_KEY = "nbcollab.outputcache"
# Finds the records from other sources (outputs others published) of the repository at a folder.
OtherRecordsFinder = Callable[[Path], "Sequence[OtherRecords]"]


def _start_git(*args: str, cwd: Path | None) -> subprocess.Popen[str]:
    return start_git(args, cwd, text=True)


def _is_enabled(query: subprocess.Popen[str]) -> bool:
    return str(wait_git(query)[1]).strip() != "false"


def _store_at(query: subprocess.Popen[str], cwd: Path | None) -> OutputStore:
    from nbcollab.output_cache.store import OutputStore, cache_root

    code, out = wait_git(query)
    if code != 0:
        raise NotARepository(f"{cwd or Path.cwd()}: not inside a git repository")
    common = Path(str(out).rstrip("\n"))
    return OutputStore(cache_root(common if common.is_absolute() else (cwd or Path.cwd()) / common))


def read_enabled(cwd: Path | None = None) -> bool:
    """Whether git config turns the cache on (it is on unless set to false)."""
    return _is_enabled(_start_git("config", "--bool", "--get", ENABLED_KEY, cwd=cwd))


def find_store(cwd: Path | None = None) -> OutputStore:
    """The cache store of the repository at ``cwd``; NotARepository outside one, GitError
    when git cannot answer."""
    return _store_at(_start_git("rev-parse", "--git-common-dir", cwd=cwd), cwd)


def _default_options() -> CacheOptions:
    from nbcollab.output_cache.options import CacheOptions

    return CacheOptions()


class CacheSession:
    """The output cache as seen by one filter process."""

    def __init__(
        self,
        err: TextIO,
        cwd: Path | None = None,
        *,
        load_options: Callable[[], CacheOptions] | None = None,
        others: OtherRecordsFinder | None = None,
        store: OutputStore | None = None,
        options: CacheOptions | None = None,
    ) -> None:
        """``store``: use this cache with ``options`` (the defaults when None), whatever git
        says; without it the cache is the repository's at ``cwd``, found on first use."""
        self._err = err
        self._cwd = cwd or Path.cwd()
        self._load_options = load_options or _default_options
        self._find_others = others  # asked once, when a blob has no whole recorded file
        self._others: Sequence[OtherRecords] | None = None
        self._ready = store is not None
        self._store: OutputStore | None = store
        if store is not None and options is None:
            from nbcollab.output_cache.options import CacheOptions

            options = CacheOptions()
        self._options: CacheOptions | None = options
        self._size: int | None = None  # bytes stored, once measured
        self._warned = False
        self._user: UserStore | None = None  # the user's signature store, once looked for
        self._user_looked_for = False
        self._signatures: dict[str, str] = {}  # digest -> path, added to the store on close
        self._unsigned: set[str] = set()  # paths already said to be not re-signed
        self._skipped: set[str] = set()  # the published refs found damaged, said once

    def restore(self, blob: bytes, path: str, load_options: Callable[[str], CleanOptions]) -> bytes:
        """The file to write for ``blob``: with cached outputs when recognised, else ``blob``."""
        try:
            started = self._start()
            if started is None:
                return blob
            from nbcollab.output_cache.lookup import recorded_working

            store, cache_options = started
            options = load_options(path)
            restored = recorded_working(blob, path, store=store, options=options)
            others = self._other_records(path) if restored is None else ()
            if restored is None and (
                store.records_for(path) or any(other.has_records(path) for other in others)
            ):
                # Cells one by one: only now is what parses notebooks imported.
                from nbcollab.output_cache.restore import fill_cells

                filled = fill_cells(
                    blob,
                    path,
                    store=store,
                    options=options,
                    rule=cache_options.restore,
                    others=others,
                )
                verdict = (
                    self._judge(filled, path, store, cache_options.restore)
                    if filled is not None
                    else None
                )
                # A restore the filter's clean does not give back is only written when it is
                # recorded as cleaning to the blob (see stores_as_blob): not beyond the cap.
                recordable = filled is not None and len(filled.text) <= cache_options.max_size
                if filled is not None and (
                    filled.stores_as_blob(options) if recordable else filled.cleans_to_blob(options)
                ):
                    restored = filled.text
                    signed = self._settle(verdict, path)
                    self._remember(restored, blob, path, options, trusted=signed)
        except Exception as exc:  # noqa: BLE001 - a checkout must never fail for the cache
            self._warn(path, exc)
            return blob
        finally:
            self._say_skipped(path)
        return blob if restored is None else restored

    def _say_skipped(self, path: str) -> None:
        """Say what a restore skipped as damaged: one warning for each source (each ref: a
        problem begins with its name), whatever the number of its records damaged."""
        for other in self._others or ():
            for problem in other.take_problems():
                where = problem.split(": ", 1)[0]
                if where not in self._skipped:
                    self._skipped.add(where)
                    self._say(f"warning: {path}: published outputs skipped ({problem})")

    def _other_records(self, path: str) -> Sequence[OtherRecords]:
        """The other sources of records, found on first use; none when finding them fails."""
        if self._others is None:
            self._others = ()
            if self._find_others is not None:
                try:
                    self._others = tuple(self._find_others(self._cwd))
                except Exception as exc:  # noqa: BLE001 - own records still restore
                    self._warn_only(path, exc)
        return self._others

    def _judge(
        self, filled: FilledCells, path: str, store: OutputStore, rule: RestoreRule | None = None
    ) -> Verdict | None:
        """Whether to sign what ``filled`` holds (before its check cleans the notebook);
        ``rule``: the restore rule it was filled under (the default one when not given)."""
        from nbcollab.output_cache.signing import NOTHING_TO_SIGN, needs_judging, refused

        if filled.from_others:  # someone else's outputs: trusting them is the user's decision
            import shlex

            from nbcollab.trust.policy import SigningProblem

            problem = SigningProblem("it holds outputs someone else published")
            return refused(filled, problem.advice(shlex.quote(path)))
        if not needs_judging(filled):
            return NOTHING_TO_SIGN
        user = self._user_store()
        if user is None:
            return refused(filled, "your Jupyter signature store cannot be written from here")
        from nbcollab.output_cache.signing import judge_restore

        try:
            if rule is None:
                return judge_restore(filled, path, store=store, user=user)
            return judge_restore(filled, path, store=store, user=user, rule=rule)
        except Exception as exc:  # noqa: BLE001 - the outputs come back, unsigned
            return refused(filled, f"signing failed ({type(exc).__name__}: {exc})")

    def _settle(self, verdict: Verdict | None, path: str) -> bool:
        """Queue the signature or say why there is none; whether it will be signed."""
        if verdict is not None and verdict.digest:
            self._signatures[verdict.digest] = path
            return True
        if verdict is not None and verdict.problem and path not in self._unsigned:
            self._unsigned.add(path)  # once: a rebase writes a notebook once a commit
            self._say(f"{path}: not re-signed: {verdict.problem}")
        return False

    def close(self) -> None:
        """Add the signatures of this process's restores to the user's store, in one write."""
        user, signatures = self._user, self._signatures
        self._signatures = {}
        if user is None:
            return
        user.close()
        if not signatures:
            return
        try:
            user.add(signatures)
        except Exception as exc:  # noqa: BLE001 - the files are written; only trust is missing
            paths = sorted(set(signatures.values()))
            self._say(f"{', '.join(paths)}: not re-signed: {exc}")

    def _user_store(self) -> UserStore | None:
        """The user's Jupyter signature store, looked for once; None when not usable here."""
        if not self._user_looked_for:
            self._user_looked_for = True
            try:
                from nbcollab.trust.signatures import open_user_store

                self._user = open_user_store()
            except Exception:  # noqa: BLE001 - no Jupyter, odd config: nothing is trusted
                self._user = None
        return self._user

    def _trusts(self, working: bytes, path: str, rule: RestoreRule) -> tuple[bool, bytes | None]:
        """Whether the user's Jupyter trusts ``working`` (only looked up for rich output), and
        then its signed stream (``output_cache.signed``)."""
        from nbcollab.trust.signatures import may_hold_rich_output

        if not may_hold_rich_output(working):
            return False, None
        user = self._user_store()
        if user is None:
            return False, None
        from nbcollab.output_cache.signed import judge_recorded

        try:
            return judge_recorded(working, path, user=user, rule=rule)
        except Exception:  # noqa: BLE001 - unreadable store: recorded as not trusted
            return False, None

    def clean(self, working: bytes, path: str, options: CleanOptions) -> bytes | None:
        """The blob ``working`` was recorded as cleaning to under ``options``; None when it was
        not (then clean it); never raises."""
        try:
            started = self._start()
            if started is None:
                return None
            from nbcollab.output_cache.lookup import recorded_clean

            return recorded_clean(working, path, store=started[0], options=options)
        except Exception as exc:  # noqa: BLE001 - the file is cleaned as without the cache
            self._warn(path, exc)
            return None

    def record(
        self,
        working: bytes,
        blob: bytes,
        path: str,
        options: CleanOptions,
        *,
        index: bool = True,
        written: Notebook | None = None,
    ) -> None:
        """Remember what cleaning ``working`` stripped to give ``blob`` (``index``: with its cell
        index, else made when first needed; ``written``: what ``blob`` reads as, when the
        caller has it, so that the index does not parse it again); never raises."""
        try:
            self._record(working, blob, path, options, index=index, written=written)
        except Exception as exc:  # noqa: BLE001 - recording is a convenience; the add stands
            self._warn(path, exc)

    def _remember(
        self, restored: bytes, blob: bytes, path: str, options: CleanOptions, *, trusted: bool
    ) -> None:
        """Record a file restored cell by cell (checked to clean to ``blob``), so that git's
        re-reading it right after the checkout (racy git) is a look-up, not a parse, clean and
        record; never raises, and says nothing when the cache cannot be written: a checkout
        only needs to read it."""
        try:
            self._record(restored, blob, path, options, index=False, trusted=trusted)
        except OSError:
            pass
        except Exception as exc:  # noqa: BLE001 - the restored file is written all the same
            self._warn(path, exc)

    def _record(
        self,
        working: bytes,
        blob: bytes,
        path: str,
        options: CleanOptions,
        *,
        index: bool,
        trusted: bool | None = None,
        written: Notebook | None = None,
    ) -> None:
        """Record ``working`` (``trusted``: known to be signed; None: look it up)."""
        started = None if working == blob else self._start()
        if started is None or len(working) > started[1].max_size:
            return
        from nbcollab.output_cache.restore import record_working_file

        store, cache_options = started
        signed = None
        if trusted is None:
            trusted, signed = self._trusts(working, path, cache_options.restore)
        added = record_working_file(
            working,
            blob,
            path,
            store=store,
            options=options,
            rule=cache_options.restore,
            index=index,
            trusted=trusted,
            signed=signed,
            written=written,
        )
        if added:
            self._keep_under_cap(added, *started)

    def _start(self) -> tuple[OutputStore, CacheOptions] | None:
        """The store and its options, found on first use; None when the cache is off."""
        if not self._ready:
            self._ready = True
            # Both questions to git at once: each costs a process start.
            enabled = _start_git("config", "--bool", "--get", ENABLED_KEY, cwd=self._cwd)
            where = _start_git("rev-parse", "--git-common-dir", cwd=self._cwd)
            try:
                store: OutputStore | Exception = _store_at(where, self._cwd)
            except (OSError, NbcollabError) as exc:
                store = exc  # only a problem when the cache is on
            if _is_enabled(enabled):
                if isinstance(store, Exception):
                    raise store
                self._options = self._load_options()
                self._store = store
        if self._store is None or self._options is None:
            return None
        return self._store, self._options

    def _keep_under_cap(self, added: int, store: OutputStore, options: CacheOptions) -> None:
        self._size = store.usage().bytes if self._size is None else self._size + added
        if self._size > options.max_size:
            # Evict to 90% of the cap, so that eviction is not repeated on every new file.
            store.evict(options.max_size * 9 // 10)
            self._size = store.usage().bytes

    def _warn(self, path: str, exc: Exception) -> None:
        from nbcollab.output_cache.store import CacheDamaged

        if not isinstance(exc, CacheDamaged):
            self._store = None  # unexpected: the rest of this git command goes without the cache
        self._ready = True
        self._warn_only(path, exc)

    def _warn_only(self, path: str, exc: Exception) -> None:
        if self._warned:
            return
        self._warned = True
        reason = str(exc) or type(exc).__name__
        self._say(
            f"warning: {path}: output cache not used ({reason}); notebooks go through unchanged"
        )

    def _say(self, message: str) -> None:
        from nbcollab.safe_text import terminal_safe

        try:
            self._err.write(f"nbcollab: {terminal_safe(message, one_line=True)}\n")
            self._err.flush()
        except (OSError, ValueError):
            pass
