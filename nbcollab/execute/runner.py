"""Run one notebook in a fresh kernel with nbclient, and leave no process of it behind.

nbclient, ipykernel and nbformat are imported here only, so a run that finds everything in the
cache never pays for them. The kernel runs in the notebook's folder, in a session of its own
(its process group holds it and whatever it forks): when the run ends, for whatever reason, the
whole group is killed, so a cell that started a server or a pool leaves nothing running.
"""

from __future__ import annotations

import asyncio
import json
import math
import os
import re
import signal
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nbcollab.execute.kernels import KernelUnavailable, missing_extra

_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


@dataclass(frozen=True)
class RunJob:
    """A notebook to run: its file's text, where it runs, which kernel, its limits."""

    path: Path
    text: str
    kernel: str
    cell_timeout: float
    timeout: float | None


@dataclass(frozen=True)
class Failure:
    """Why a run stopped before its end, and at which cell (0-based over all cells)."""

    kind: str  # "raises", "died", "timeout", "notebook-timeout"
    index: int
    ename: str = ""
    evalue: str = ""
    traceback: str = ""


@dataclass(frozen=True)
class RawRun:
    """What a run gave, per code cell in document order (plain JSON values)."""

    outputs: list[list[dict[str, Any]]]
    counts: list[int | None]
    language_info: dict[str, Any]
    failure: Failure | None
    seconds: float
    slowest_cell: float = 0.0  # the longest a cell ran, in seconds


class Kernels:
    """The runs under way (their nbclient clients), so that an interrupted runner kills them."""

    def __init__(self) -> None:
        self._clients: dict[int, tuple[Any, Any]] = {}  # id -> (client, its kernel manager)

    def add(self, client: Any) -> None:
        self._clients[id(client)] = (client, client.km)

    def reap(self, client: Any, *, forget: bool = True) -> None:
        """Kill whatever is left of ``client``'s kernel: its process group (what it forked),
        and drop the exit handler nbclient registered for it (it would wait on the kernel's
        channels while the interpreter exits)."""
        import atexit

        entry = self._clients.get(id(client), (client, None))
        if forget:
            self._clients.pop(id(client), None)
        manager = entry[1]
        atexit.unregister(client._cleanup_kernel)
        provisioner = getattr(manager, "provisioner", None)
        pgid = getattr(provisioner, "pgid", None)
        if pgid and hasattr(os, "killpg"):
            try:
                os.killpg(pgid, signal.SIGKILL)
            except OSError:
                pass  # the group is gone already
        process = getattr(provisioner, "process", None)
        if process is not None:
            try:
                process.kill()
                process.wait(timeout=5)
            except (OSError, subprocess.SubprocessError):
                pass

    def reap_all(self) -> None:
        """Kill every kernel still known (after an interruption)."""
        for client, _ in list(self._clients.values()):
            self.reap(client, forget=False)  # kept: a second pass catches a late exit handler


def import_nbclient() -> Any:
    """nbclient, or KernelUnavailable saying how to install it."""
    from nbcollab.nbformat_loader import load_nbformat

    try:
        load_nbformat()
        import nbclient
    except ImportError as exc:
        raise missing_extra(exc) from None
    return nbclient


async def run_notebook(job: RunJob, kernels: Kernels) -> RawRun:
    """Run ``job`` top to bottom in a fresh kernel (as Restart & Run All does)."""
    import warnings

    from nbcollab.nbformat_loader import load_nbformat

    nbformat = load_nbformat()
    from nbclient import NotebookClient

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # nbformat's warnings about ids in old notebooks
        nb = nbformat.reads(job.text, as_version=4)
    clock = _Clock(job)
    client = NotebookClient(
        nb,
        timeout=math.ceil(job.cell_timeout),  # an Integer trait; cell_limit is exact
        timeout_func=clock.cell_limit,
        kernel_name=job.kernel,
        shutdown_kernel="immediate",
        resources={"metadata": {"path": str(job.path.parent)}},
    )
    client.on_cell_start = clock.cell_starts
    client.on_cell_execute = clock.cell_executes
    client.create_kernel_manager()
    kernels.add(client)
    try:
        failure = await _execute(client, job, clock)
    finally:
        kernels.reap(client)
    clock.cell_executes(cell=None, cell_index=-1)  # the last cell's time
    return _raw_run(nb, failure, time.monotonic() - clock.started, clock.slowest_cell)


class _PastDeadline(Exception):
    """The notebook's total time ran out before a cell could start."""


class _Clock:
    """The limits of one run: each cell gets the per-cell timeout or what is left of the
    notebook's, whichever is less, and none starts after the notebook's deadline."""

    def __init__(self, job: RunJob) -> None:
        self.started = time.monotonic()
        self.cell_timeout = job.cell_timeout
        self.deadline = self.started + job.timeout if job.timeout else None
        self.running = 0  # the index of the cell under way
        self.by_total = False  # whether the total's deadline limits the cell under way
        self.slowest_cell = 0.0
        self._cell_started: float | None = None

    def cell_limit(self, cell: Any) -> float:
        if self.deadline is None:
            return self.cell_timeout
        left = self.deadline - time.monotonic()
        self.by_total = left < self.cell_timeout
        # nbclient reads 0 as "no limit": a deadline just reached still stops the cell.
        return max(min(self.cell_timeout, left), 0.001)

    def cell_starts(self, cell: Any, cell_index: int) -> None:
        self.running = cell_index

    def cell_executes(self, cell: Any, cell_index: int) -> None:
        now = time.monotonic()
        if self._cell_started is not None:
            self.slowest_cell = max(self.slowest_cell, now - self._cell_started)
        self._cell_started = now
        if cell is not None and self.deadline is not None and now >= self.deadline:
            raise _PastDeadline


async def _execute(client: Any, job: RunJob, clock: _Clock) -> Failure | None:
    from jupyter_client.kernelspec import NoSuchKernel
    from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

    try:
        # The kernel's own chatter (its start-up warnings) is not the notebook's output.
        await client.async_execute(cwd=str(job.path.parent), stderr=subprocess.DEVNULL)
    except _PastDeadline:
        return Failure("notebook-timeout", clock.running)
    except CellTimeoutError:
        return Failure("notebook-timeout" if clock.by_total else "timeout", clock.running)
    except CellExecutionError as exc:
        traceback = _error_traceback(client.nb.cells[clock.running]) or str(exc)
        ename, evalue = str(getattr(exc, "ename", "") or "Error"), str(exc.evalue or "")
        return Failure("raises", clock.running, ename, evalue, _ANSI.sub("", traceback))
    except DeadKernelError:
        return Failure("died", clock.running)
    except NoSuchKernel:
        raise KernelUnavailable(
            f"{job.path}: kernel {job.kernel!r} is not installed (--kernel NAME runs another)"
        ) from None
    except RuntimeError as exc:
        if "kernel" not in str(exc).lower():
            raise
        raise KernelUnavailable(f"{job.path}: the kernel failed to start ({exc})") from None
    return None


def _error_traceback(cell: Any) -> str:
    """The traceback the kernel gave for a failing cell (its last error output)."""
    errors = [o for o in cell.get("outputs", []) if o.get("output_type") == "error"]
    return "\n".join(errors[-1].get("traceback", [])) if errors else ""


def _raw_run(nb: Any, failure: Failure | None, seconds: float, slowest_cell: float) -> RawRun:
    outputs: list[list[dict[str, Any]]] = []
    counts: list[int | None] = []
    stop = failure.index if failure is not None else len(nb.cells)
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        ran = index <= stop
        # Cells after a failure did not run: what they hold is the stored outputs.
        outputs.append(json.loads(json.dumps(cell.get("outputs", []))) if ran else [])
        counts.append(cell.get("execution_count") if ran else None)
    language_info = json.loads(json.dumps(nb.metadata.get("language_info", {})))
    return RawRun(outputs, counts, language_info, failure, seconds, slowest_cell)


def run_all(
    jobs: list[RunJob],
    *,
    parallel: int,
    on_done: Callable[[int, RawRun | BaseException], None] | None = None,
) -> list[RawRun | BaseException]:
    """Run ``jobs``, at most ``parallel`` at once; each result, or the exception it raised.

    The event loop runs in a thread of its own, so that this (main) thread keeps the signals:
    Ctrl-C or SIGTERM cancels every run, kills every kernel and raises KeyboardInterrupt here.
    """
    from nbcollab.execute.interrupt import run_interruptibly

    kernels = Kernels()
    results: list[RawRun | BaseException] = [KeyboardInterrupt()] * len(jobs)

    async def main() -> None:
        gate = asyncio.Semaphore(max(parallel, 1))

        async def one(index: int, job: RunJob) -> None:
            async with gate:
                try:
                    results[index] = await run_notebook(job, kernels)
                except Exception as exc:  # noqa: BLE001 - reported for its notebook
                    results[index] = exc
            if on_done is not None:
                on_done(index, results[index])

        await asyncio.gather(*(one(i, job) for i, job in enumerate(jobs)))

    run_interruptibly(main, on_interrupt=kernels.reap_all)
    return results
