"""Run many notebooks: each one's key, the cache, N kernels at once, one result per notebook.

``lint --execute``, ``nbcollab execute`` and the pytest plugin all call ``execute_notebooks``.
A notebook whose key is cached is judged from the cached run (nothing imported that runs
kernels); the others run ``jobs`` at a time, and each run that went to its end is cached.
Failures are never cached: a flaky network or a slow machine must not stick.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from nbcollab.errors import NbcollabError
from nbcollab.execute.compare import OutputComparer
from nbcollab.execute.inputs import InputHasher
from nbcollab.execute.judge import judge_run
from nbcollab.execute.kernels import Kernels, kernel_name
from nbcollab.execute.key import KeyParts, code_cells, normalized_code, run_key
from nbcollab.execute.options import ExecuteOptions
from nbcollab.execute.result import Executed, NotebookRun, Outcome
from nbcollab.execute.runner import RawRun, RunJob
from nbcollab.execute.store import CachedRun, RunStore
from nbcollab.notebook.lines import Notebook
from nbcollab.options import NormalizeOptions


@dataclass(frozen=True)
class Request:
    """One notebook to run, with its folder's options and the project that declares inputs."""

    path: Path
    options: ExecuteOptions = field(default_factory=ExecuteOptions)
    normalize: NormalizeOptions = field(default_factory=NormalizeOptions)
    project: Path | None = None  # the folder of the pyproject.toml the options came from


class Fingerprints:
    """The kernels' environments and the inputs' hashes of one project, each worked out once
    (a pytest session runs one notebook at a time: it keeps one of these)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.inputs = InputHasher(root)
        self.kernels = Kernels()


@dataclass(frozen=True, kw_only=True)
class EngineOptions:
    """How to run a set of notebooks."""

    root: Path  # the project's root: inputs and folders are named relative to it
    jobs: int = 1
    store: RunStore | None = None  # None: no cache at all
    reuse: bool = True  # False: run everything (the runs are still cached)
    keep_executed: bool = False  # keep each complete run's outputs (to write them)
    max_cache_size: int | None = ExecuteOptions().max_cache_size  # None: the caller evicts
    on_done: Callable[[NotebookRun], None] | None = None
    fingerprints: Fingerprints | None = None  # shared between calls; made anew when None


@dataclass
class _Planned:
    request: Request
    nb: Notebook
    text: str
    kernel: str
    key: str


def execute_notebooks(requests: list[Request], options: EngineOptions) -> list[NotebookRun]:
    """One result per request, in order."""
    known = options.fingerprints or Fingerprints(options.root)
    results: list[NotebookRun | None] = [None] * len(requests)
    pending: list[tuple[int, _Planned]] = []
    for index, request in enumerate(requests):
        try:
            planned = _plan(request, known)
        except NbcollabError as exc:
            results[index] = _done(
                options, NotebookRun(str(request.path), Outcome.ERROR, error=str(exc))
            )
            continue
        cached = _cached(planned, options)
        if cached is not None:
            results[index] = _done(options, _judged(planned, cached, Outcome.CACHED))
        else:
            pending.append((index, planned))
    if pending:
        _run_pending(pending, results, options)
    if options.store is not None and options.max_cache_size is not None:
        options.store.evict(options.max_cache_size)
    return [r for r in results if r is not None]


def _done(options: EngineOptions, run: NotebookRun) -> NotebookRun:
    if options.on_done is not None:
        options.on_done(run)
    return run


def _plan(request: Request, known: Fingerprints) -> _Planned:
    from nbcollab.files import read_file_bytes
    from nbcollab.notebook.codec import parse_notebook

    path = request.path
    data = read_file_bytes(path)
    nb = parse_notebook(data, path=str(path))
    name = kernel_name(nb, request.options.kernel)
    try:
        environment = known.kernels.fingerprint(name)
    except NbcollabError as exc:
        raise NbcollabError(f"{path}: {exc}") from None
    parts = KeyParts(
        kernel=name,
        environment=environment,
        folder=known.inputs.relative(path.parent),
        inputs=known.inputs.inputs_for(path, request.options, request.project),
    )
    text = data.decode("utf-8-sig", "surrogateescape")
    return _Planned(request, nb, text, name, run_key(nb, parts))


def _cached(planned: _Planned, options: EngineOptions) -> RawRun | None:
    if options.store is None or not options.reuse:
        return None
    found = options.store.read(planned.key, len(code_cells(planned.nb)))
    limits = planned.request.options
    if found is None or not found.within(limits.cell_timeout, limits.timeout):
        return None  # a run that took longer than now allowed is run again, under the limits
    return RawRun(found.outputs, found.counts, found.language_info, None, found.seconds)


def _judged(planned: _Planned, run: RawRun, outcome: Outcome) -> NotebookRun:
    opts = planned.request.options
    comparer = OutputComparer(planned.request.normalize) if opts.compare_outputs else None
    problems = judge_run(
        planned.nb, run, comparer=comparer, cell_timeout=opts.cell_timeout, timeout=opts.timeout
    )
    return NotebookRun(str(planned.request.path), outcome, problems, seconds=run.seconds)


def _run_pending(
    pending: list[tuple[int, _Planned]], results: list[NotebookRun | None], options: EngineOptions
) -> None:
    from nbcollab.execute.runner import import_nbclient, run_all

    try:
        import_nbclient()
    except NbcollabError as exc:
        for index, planned in pending:
            path = planned.request.path
            results[index] = _done(options, NotebookRun(str(path), Outcome.ERROR, error=str(exc)))
        return
    jobs = [
        RunJob(
            planned.request.path,
            planned.text,
            planned.kernel,
            planned.request.options.cell_timeout,
            planned.request.options.timeout,
        )
        for _, planned in pending
    ]

    def finished(position: int, raw: RawRun | BaseException) -> None:
        index, planned = pending[position]
        results[index] = _done(options, _after_run(planned, raw, options))

    run_all(jobs, parallel=options.jobs, on_done=finished)


def _after_run(
    planned: _Planned, raw: RawRun | BaseException, options: EngineOptions
) -> NotebookRun:
    path = str(planned.request.path)
    if isinstance(raw, NbcollabError):
        return NotebookRun(path, Outcome.ERROR, error=str(raw))
    if isinstance(raw, BaseException):
        problem = f"{type(raw).__name__}: {raw}"
        return NotebookRun(path, Outcome.ERROR, error=f"{path}: the run failed ({problem})")
    if raw.failure is None and options.store is not None:
        cached = CachedRun(
            raw.outputs, raw.counts, raw.language_info, raw.seconds, raw.slowest_cell
        )
        options.store.write(planned.key, cached)
    run = _judged(planned, raw, Outcome.EXECUTED)
    if options.keep_executed and raw.failure is None:
        run.executed = Executed(
            raw.outputs, raw.counts, raw.language_info, normalized_code(planned.nb)
        )
    return run
