"""Derive and verify at n = 64, T = 1000 (elman, lstm) against naive unrolling, one process.

Run: python benchmarks/bench_large.py [--repeats 3] [--timeout 10]

Every timed run starts with SymPy's cache cleared (both sides derive from scratch).
Ours is `symbptt.run_checks(model, 1000, 64)`, the same call as `symbptt verify MODEL --T 1000
--n 64`: the step lemma proved exactly at n = 2 (every T), the code generated from the step
rule run at n = 64, T = 1000 and compared with the engine (or the hand-written gated fast path)
on every gradient and with float64 central differences on sampled entries.

The naive baseline is written out here: unroll the whole network in SymPy (elman: tanh, identity
output, squared error; lstm: PyTorch's equations, loss sum_t <g_t, h_t>), sp.diff the loss by
every parameter entry, lambdify the gradient and compare it with the engine at a random point.
It is timed at growing sizes until one takes longer than the timeout; the largest size that
finished is then run interleaved with ours (ours, naive, ours, naive, ...).
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import time
from collections.abc import Callable

import numpy as np
import sympy as sp
from sympy.core.cache import clear_cache

import symbptt
from symbptt import engine
from symbptt.cells.reverse import step_adjoints

N, T_BIG = 64, 1000


class _Timeout(Exception):
    pass


def _alarm(signum, frame):  # noqa: ANN001
    raise _Timeout


def _limited(fn: Callable[[], float], timeout: float) -> float | None:
    """fn's seconds, or None when it ran past timeout."""
    signal.signal(signal.SIGALRM, _alarm)
    signal.setitimer(signal.ITIMER_REAL, timeout)
    start = time.perf_counter()
    try:
        fn()
    except _Timeout:
        return None
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
    return time.perf_counter() - start


def _mat(name: str, r: int, c: int) -> sp.Matrix:
    return sp.Matrix(r, c, lambda i, j: sp.Symbol(f"{name}_{i}_{j}"))


def _check(grads: list[sp.Expr], syms: list[sp.Symbol], values: list[float], want: np.ndarray):
    f = sp.lambdify(syms, grads, modules="numpy")
    got = np.array(f(*values), dtype=float)
    err = float(np.max(np.abs(got - want) / np.maximum(np.abs(got) + np.abs(want), 1e-8)))
    assert err < 1e-8, err


def naive_elman(T: int, n: int, m: int = 2, k: int = 2) -> None:
    """Unroll tanh + identity output + squared error, diff by every entry, check vs engine."""
    rng = np.random.default_rng(0)
    P = {"U": _mat("U", n, m), "W": _mat("W", n, n), "b": _mat("b", n, 1),
         "V": _mat("V", k, n), "c": _mat("c", k, 1)}  # fmt: skip
    xs, ys = rng.normal(size=(T, m)), rng.normal(size=(T, k))
    h = sp.zeros(n, 1)
    E = sp.S.Zero
    for t in range(T):
        h = (P["W"] * h + P["U"] * sp.Matrix(xs[t]) + P["b"]).applyfunc(sp.tanh)
        z = P["V"] * h + P["c"]
        E += sum((z[j] - ys[t, j]) ** 2 for j in range(k)) / 2
    syms = [s for M in P.values() for s in M]
    grads = [sp.diff(E, s) for s in syms]
    vals = {key: rng.normal(0, 0.6 / np.sqrt(M.shape[1]), size=M.shape) for key, M in P.items()}
    num = {key: v.reshape(-1) if key in ("b", "c") else v for key, v in vals.items()}
    tr = engine.forward(num, xs, None, activation="tanh", output="identity")
    eg = engine.backward(tr, targets=ys)
    want = np.concatenate([np.ravel(eg[key]) for key in P])
    _check(grads, syms, [float(x) for v in vals.values() for x in np.ravel(v)], want)


def naive_lstm(T: int, n: int) -> None:
    """Unroll PyTorch's LSTM, L = sum_t <g_t, h_t>, diff by every entry, check vs the engine."""
    rng = np.random.default_rng(0)
    m = n
    P = {}
    for g in "ifgo":
        P[f"U_{g}"], P[f"W_{g}"], P[f"b_{g}"] = (
            _mat(f"U{g}", n, m),
            _mat(f"W{g}", n, n),
            _mat(f"b{g}", n, 1),
        )
    xs, gs = rng.normal(size=(T, m)), rng.normal(size=(T, n))
    sig = lambda a: 1 / (1 + sp.exp(-a))  # noqa: E731
    h, c = sp.zeros(n, 1), sp.zeros(n, 1)
    L = sp.S.Zero
    for t in range(T):
        x = sp.Matrix(xs[t])
        a = {g: P[f"W_{g}"] * h + P[f"U_{g}"] * x + P[f"b_{g}"] for g in "ifgo"}
        i, f, o = (a[q].applyfunc(sig) for q in "ifo")
        gg = a["g"].applyfunc(sp.tanh)
        c = f.multiply_elementwise(c) + i.multiply_elementwise(gg)
        h = o.multiply_elementwise(c.applyfunc(sp.tanh))
        L += sum(gs[t, j] * h[j] for j in range(n))
    syms = [s for M in P.values() for s in M]
    grads = [sp.diff(L, s) for s in syms]
    vals = {key: rng.normal(0, 0.6 / np.sqrt(M.shape[1]), size=M.shape) for key, M in P.items()}
    num = {key: v.reshape(-1) if key.startswith("b") else v for key, v in vals.items()}
    tr = engine.forward(num, xs, None, cell="lstm", output=None)
    eg = engine.backward(tr, dh=gs)
    want = np.concatenate([np.ravel(eg[key]) for key in P])
    _check(grads, syms, [float(x) for v in vals.values() for x in np.ravel(v)], want)


NAIVE = {"elman": naive_elman, "lstm": naive_lstm}


def largest(name: str, timeout: float) -> tuple[tuple[int, int] | None, list[str]]:
    """Grow T at n = 1, 2, 3, ...; the size that finished closest to the timeout, and a log."""
    best, best_secs, log = None, 0.0, []
    for n in (1, 2, 3, 4):
        done_any = False
        for T in (1, 2, 3, 4, 6, 8, 12, 16, 24, 32):
            _cold()
            s = _limited(lambda: NAIVE[name](T, n), timeout)  # noqa: B023
            log.append(f"n={n} T={T}: " + ("> timeout" if s is None else f"{s:.2f} s"))
            if s is None:
                break
            done_any = True
            if s > best_secs:
                best, best_secs = (T, n), s
        if not done_any:
            break
    return best, log


def _cold() -> None:
    """Forget SymPy's global cache and the cells' cached reverse steps: every run derives anew."""
    clear_cache()
    step_adjoints.cache_clear()


def ours(name: str) -> float:
    _cold()
    start = time.perf_counter()
    report = symbptt.run_checks(name, T_BIG, N)
    secs = time.perf_counter() - start
    assert report.passed, str(report)
    return secs


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--timeout", type=float, default=10.0, help="naive timeout in seconds")
    ap.add_argument("--models", default="elman,lstm")
    args = ap.parse_args()
    print(f"load average {os.getloadavg()[0]:.1f}; naive timeout {args.timeout:.0f} s; "
          f"repeats {args.repeats}, ours and naive interleaved")  # fmt: skip
    for name in args.models.split(","):
        size, log = largest(name, args.timeout)
        print(f"\n{name}: naive baseline sizes ({'; '.join(log)})")
        first = ours(name)  # the first call in the process also imports and compiles modules
        mine, base = [], []
        for _ in range(args.repeats):
            mine.append(ours(name))
            if size is not None:
                _cold()
                s = _limited(lambda: NAIVE[name](*size), 6 * args.timeout)  # noqa: B023
                base.append(float("inf") if s is None else s)
        report = symbptt.run_checks(name, T_BIG, N)
        rows = ", ".join(f"{c.name.split(' (')[0]} {c.seconds:.2f} s"
                         for c in report.checks if not c.skipped)  # fmt: skip
        ours_med = statistics.median(mine)
        print(f"  ours, n={N} T={T_BIG} (run_checks = symbptt verify): median {ours_med:.2f} s "
              f"of {', '.join(f'{s:.2f}' for s in mine)}; "
              f"first call {first:.2f} s; "
              f"{'target < 10 s met' if max(mine) < 10 else 'target < 10 s MISSED'}")  # fmt: skip
        print(f"    rows: {rows}")
        if size is None:
            print("  naive: no size finished within the timeout")
            continue
        T, n = size
        med = statistics.median(base)
        print(f"  naive, the size it finished nearest {args.timeout:.0f} s: n={n} T={T}, median "
              f"{med:.2f} s of {', '.join(f'{s:.2f}' for s in base)}; a problem "
              f"{N * N * T_BIG / (n * n * T):.0f}x smaller (n^2 T) than ours, in "
              f"{med / ours_med:.2f}x our time")  # fmt: skip


if __name__ == "__main__":
    main()
