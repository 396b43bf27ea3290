"""A live elapsed-time line on a terminal for long work (exact eigen, the docs build).

Only when stderr is a terminal: in a log or a pipe it would be noise. The line is cleared when
the work ends, so the command's own output is unchanged.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TextIO


def on_terminal(stream: TextIO) -> bool:
    """True when `stream` is an interactive terminal."""
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):  # no isatty, or a closed stream
        return False


@contextmanager
def ticker(label: str, stream: TextIO | None = None, every: float = 0.5) -> Iterator[None]:
    """Show `label ... N s` on stderr, updated every `every` seconds, while the block runs."""
    err = stream if stream is not None else sys.stderr
    if not on_terminal(err):
        yield
        return
    done = threading.Event()
    t0 = time.perf_counter()

    def run() -> None:
        while not done.wait(every):  # the cursor goes back to column 0: other output overwrites
            err.write(f"{label} ... {time.perf_counter() - t0:.0f} s \r")
            err.flush()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    try:
        yield
    finally:
        done.set()
        thread.join()
        err.write(" " * (len(label) + 16) + "\r")
        err.flush()
