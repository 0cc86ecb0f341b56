"""One function over many notebooks on several processes, the results back in order.

``clean``, ``lint``, ``export``, ``trust check`` and the review page do the same per-notebook
work whatever the number of notebooks; for a folder of thousands that work is the whole run, and
one process uses one core. ``map_in_order`` spreads it over ``jobs`` processes and yields each
result in the order of the items, as soon as it and every earlier one are done: what a command
prints, and when it exits, is the same whatever ``jobs`` is; with ``jobs`` 1 (or one item) the
function runs here, in this process, as a plain loop.

The rules for the function: a module-level function whose items and results pickle (the
workers may be started afresh), which reports a notebook's problem as a value rather than
raising (an exception still comes back, at its item, but ends the loop as it would in-process).

Ctrl-C: the workers ignore SIGINT, so a notebook being written is finished
(``files.write_atomic`` writes whole files only); the parent gets KeyboardInterrupt and
terminates them (SIGTERM, which ``write_atomic`` turns into removing its temporary file).

``nbcollab execute -j`` runs kernels, which are processes already: it spreads its runs with
asyncio (``execute.runner``) and only takes ``default_jobs`` from here.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Callable, Iterator, Sequence
from typing import Generic, TypeVar

Item = TypeVar("Item")
Result = TypeVar("Result")

# Items sent to a worker at once: large enough that pickling is cheap next to the work, small
# enough that results stream and the last worker is not left alone with a long chunk.
_MAX_CHUNK = 16


def default_jobs() -> int:
    """The number of cores this process may use."""
    try:
        return max(len(os.sched_getaffinity(0)), 1)
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def map_in_order(
    function: Callable[[Item], Result], items: Sequence[Item], *, jobs: int
) -> Iterator[Result]:
    """``function(item)`` for each item, on up to ``jobs`` processes, yielded in ``items``' order."""
    jobs = min(jobs, len(items))
    if jobs <= 1:
        for item in items:
            yield function(item)
        return
    yield from _on_processes(function, items, jobs)


def _on_processes(
    function: Callable[[Item], Result], items: Sequence[Item], jobs: int
) -> Iterator[Result]:
    import multiprocessing

    context = multiprocessing.get_context(_start_method())
    chunk = max(1, min(_MAX_CHUNK, len(items) // (jobs * 4)))
    pool = context.Pool(jobs, initializer=_ignore_interrupts)
    try:
        for result, caught in pool.imap(_WarningsKept(function), items, chunksize=chunk):
            for text, category, filename, lineno in caught:
                # said here, at its item, as a run in this process says it
                warnings.warn_explicit(text, category, filename, lineno)
            yield result
    except BaseException:
        pool.terminate()
        raise
    else:
        pool.close()
    finally:
        pool.join()


class _WarningsKept(Generic[Item, Result]):
    """``function`` run on a worker, the warnings it gave kept with its result: a worker's
    stderr would print them when they happen, out of order with what the parent prints."""

    def __init__(self, function: Callable[[Item], Result]):
        self.function = function

    def __call__(self, item: Item) -> tuple[Result, list[tuple[str, type[Warning], str, int]]]:
        with warnings.catch_warnings(record=True) as caught:
            # Once per place and text, as in this process; the parent's filters then decide.
            warnings.simplefilter("default")
            result = self.function(item)
        return result, [(str(w.message), w.category, w.filename, w.lineno) for w in caught]


def _start_method() -> str:
    """``fork`` (the workers start at once, with every module already imported) from a process
    with one thread; otherwise a fresh interpreter per worker, as forking a threaded process
    can deadlock in a lock another thread held."""
    import multiprocessing
    import threading

    methods = multiprocessing.get_all_start_methods()
    if "fork" in methods and threading.active_count() == 1:
        return "fork"
    return "forkserver" if "forkserver" in methods else "spawn"


def _ignore_interrupts() -> None:
    """A worker ignores Ctrl-C and dies of SIGTERM and SIGHUP (a forked worker would otherwise
    inherit a handler its parent holds around a loop of writes); ``write_atomic`` sets its own
    handler around each write."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    for name in ("SIGTERM", "SIGHUP"):
        if hasattr(signal, name):
            signal.signal(getattr(signal, name), signal.SIG_DFL)
