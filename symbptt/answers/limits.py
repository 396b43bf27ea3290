"""Bounds on untrusted answers: value checks during evaluation, and a pool of worker processes
with a wall-clock and memory limit per answer (the text checks before parsing: `mathtext.limits`).

A pathological answer never stops the class: it becomes `undecided` naming the limit it hit.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import resource
import time
import traceback
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from multiprocessing.connection import wait
from typing import Any

from symbptt.mathtext.limits import LimitExceeded  # the text bounds: checked by the parser

MAX_EXPONENT = 1000
MAX_BITS = 100_000  # size of an exact rational during evaluation
MAX_DIM = 12  # largest matrix dimension produced while evaluating
WALL_SECONDS = 5.0
MEMORY_BYTES = 2 * 1024**3


def check_exponent(p: int) -> None:
    """Exponents of powers are bounded before the power is taken."""
    if abs(p) > MAX_EXPONENT:
        raise LimitExceeded(f"exponent {p} is beyond the limit of {MAX_EXPONENT}")


# --------------------------------------------------------------------------- worker pool


@dataclass(frozen=True)
class Outcome:
    """What one task produced: its result, or the limit or crash that stopped it."""

    key: Any
    result: Any = None
    limit: str | None = None


def _limit_self(memory: int) -> None:
    try:
        soft, hard = resource.getrlimit(resource.RLIMIT_AS)
        cap = memory if hard == resource.RLIM_INFINITY else min(memory, hard)
        resource.setrlimit(resource.RLIMIT_AS, (cap, hard))
    except (ValueError, OSError):  # pragma: no cover - platform refuses; wall clock still applies
        pass


def _worker(conn: Any, fn: Callable[[Any], Any], memory: int) -> None:
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    _limit_self(memory)
    while True:
        try:
            msg = conn.recv()
        except EOFError:
            return
        if msg is None:
            return
        key, payload = msg
        try:
            conn.send(Outcome(key, result=fn(payload)))
        except MemoryError:
            conn.send(Outcome(key, limit=f"memory limit ({memory // 1024**2} MB)"))
        except RecursionError:
            conn.send(Outcome(key, limit="recursion limit"))
        except LimitExceeded as exc:
            conn.send(Outcome(key, limit=str(exc)))
        except Exception as exc:  # noqa: BLE001 - report, never crash the class
            last = traceback.extract_tb(exc.__traceback__)[-1]
            conn.send(
                Outcome(key, limit=f"internal error {type(exc).__name__}: {exc} ({last.name})")
            )


class _Slot:
    def __init__(self, ctx: Any, fn: Callable[[Any], Any], memory: int) -> None:
        self.conn, child = ctx.Pipe()
        self.proc = ctx.Process(target=_worker, args=(child, fn, memory), daemon=True)
        self.proc.start()
        child.close()
        self.key: Any = None
        self.started = 0.0

    def stop(self, kill: bool = False) -> None:
        if kill:
            self.proc.kill()
        else:
            try:
                self.conn.send(None)
            except OSError:
                self.proc.kill()
        self.proc.join(timeout=2)
        if self.proc.is_alive():
            self.proc.kill()
            self.proc.join()
        self.conn.close()


def run_limited(
    fn: Callable[[Any], Any],
    tasks: Iterable[tuple[Any, Any]],
    *,
    jobs: int = 1,
    seconds: float = WALL_SECONDS,
    memory: int = MEMORY_BYTES,
) -> Iterator[Outcome]:
    """Run fn(payload) for each (key, payload) in `jobs` forked workers; yield Outcomes as done.

    A task that runs past `seconds` has its worker killed (by pid) and replaced; a task that runs
    out of memory (RLIMIT_AS in the worker) or dies becomes an Outcome with `limit` set.
    """
    ctx = mp.get_context("fork")
    pending = list(tasks)
    pending.reverse()
    slots = [_Slot(ctx, fn, memory) for _ in range(max(1, min(jobs, len(pending))))]
    try:
        while pending or any(s.key is not None for s in slots):
            for s in slots:
                if s.key is None and pending:
                    s.key, payload = pending.pop()
                    s.started = time.monotonic()
                    try:
                        s.conn.send((s.key, payload))
                    except OSError:
                        yield Outcome(s.key, limit="worker failed to start")
                        s.key = None
            busy = [s for s in slots if s.key is not None]
            if not busy:
                continue
            now = time.monotonic()
            timeout = max(0.0, min(s.started + seconds for s in busy) - now)
            ready = wait([s.conn for s in busy], timeout=timeout + 0.01)
            for i, s in enumerate(slots):
                if s.key is None:
                    continue
                if s.conn in ready:
                    try:
                        out = s.conn.recv()
                    except (EOFError, OSError):
                        yield Outcome(
                            s.key, limit=f"worker died (memory limit {memory // 1024**2} MB?)"
                        )
                        s.stop(kill=True)
                        slots[i] = _Slot(ctx, fn, memory)
                        continue
                    s.key = None
                    yield out
                elif time.monotonic() - s.started > seconds:
                    key = s.key
                    s.stop(kill=True)
                    slots[i] = _Slot(ctx, fn, memory)
                    yield Outcome(key, limit=f"time limit ({seconds:g} s wall clock)")
    finally:
        for s in slots:
            s.stop(kill=s.key is not None)
