"""Run an event loop so that Ctrl-C or SIGTERM stops it cleanly, from the main thread.

nbclient answers SIGINT and SIGTERM itself when its loop runs in the main thread: it shuts the
kernel down while the cell is still being waited for, which then fails on the kernel it no
longer has (``AssertionError``) and swallows the interruption. So the loop runs in a thread of
its own (nbclient then leaves signals alone) and the main thread keeps them: an interruption
kills every kernel, cancels every task, waits a little for them to close their channels and
raises ``KeyboardInterrupt``, which the one error mapper turns into "interrupted" and 130.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import threading
from collections.abc import Callable, Coroutine, Iterator
from contextlib import contextmanager
from typing import Any

# How long the cancelled runs get to close their channels after an interruption.
GRACE_SECONDS = 5.0
_TERMINATION = tuple(
    getattr(signal, name) for name in ("SIGTERM", "SIGHUP") if hasattr(signal, name)
)


def run_interruptibly(
    main: Callable[[], Coroutine[Any, Any, None]], *, on_interrupt: Callable[[], None]
) -> None:
    """Run ``main()`` in a new event loop in another thread; its exception is raised here."""
    loop = asyncio.new_event_loop()
    errors: list[BaseException] = []

    def target() -> None:
        asyncio.set_event_loop(loop)
        try:
            loop.run_until_complete(main())
        except asyncio.CancelledError:
            pass  # interrupted: the main thread raises
        except BaseException as exc:  # noqa: BLE001 - handed to the main thread
            errors.append(exc)
        finally:
            loop.close()

    thread = threading.Thread(target=target, name="nbcollab-execute", daemon=True)
    with _termination_as_interrupt():
        thread.start()
        try:
            while thread.is_alive():
                thread.join(0.2)
        except KeyboardInterrupt:
            # Kill first: a run being cancelled may wait on its kernel's channels.
            on_interrupt()
            _cancel_everything(loop)
            _join_quietly(thread, GRACE_SECONDS)
            on_interrupt()  # anything that started meanwhile
            raise
    if errors:
        raise errors[0]


def _cancel_everything(loop: asyncio.AbstractEventLoop) -> None:
    """Cancel every task; what the kernels' channels say while they close is not reported (a
    poller may find its socket closed under it: the run is being stopped on purpose)."""
    logging.disable(logging.CRITICAL)

    def cancel() -> None:
        loop.set_exception_handler(lambda loop, context: None)
        for task in asyncio.all_tasks(loop):
            task.cancel()

    try:
        loop.call_soon_threadsafe(cancel)
    except RuntimeError:
        pass  # the loop has finished meanwhile


def _join_quietly(thread: threading.Thread, seconds: float) -> None:
    """Wait for ``thread``; another Ctrl-C stops waiting (the kernels are killed then)."""
    try:
        thread.join(seconds)
    except KeyboardInterrupt:
        pass


def _raise_interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


@contextmanager
def _termination_as_interrupt() -> Iterator[None]:
    """SIGTERM and SIGHUP end the runs as Ctrl-C does (main thread only, not when ignored)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous: dict[int, Any] = {}
    for signum in _TERMINATION:
        if signal.getsignal(signum) not in (signal.SIG_IGN, None):
            previous[signum] = signal.signal(signum, _raise_interrupt)
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
