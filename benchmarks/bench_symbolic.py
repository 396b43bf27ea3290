"""Unrolled forms: the exact identity (a) = (b) and derivation, structured vs naive, one process.

Run: python benchmarks/bench_symbolic.py [--quick] [--timeout SECONDS]

Ours: the named graph (net_t, h_t, z_t symbols), (a) the chain rule on that DAG, (b) BPTT,
and equality decided on sparse polynomials in the atoms (symbptt.symbolic.exact).
Naive: the fully substituted E, sympy.diff for every parameter entry, the result mapped back
to the same atoms (Subs resolved) and `sympy.expand(a - b) == 0` for every entry.
Both prove the same statement: every parameter of the elman model (biases, output layer),
generic activation f and generic per-step losses L_t(z_t). Naive runs are stopped at the
timeout (printed as "> timeout"), so their ratios are lower bounds.

Target (issue 3): the exact unrolled identity (a) = (b) for n=3, T=4 in under 10 s.
The step-lemma targets (n=64, T=1000; proofs for n <= 8) are in bench_steplemma.py.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import time

import sympy as sp

from symbptt.catalog import builtin_names, load
from symbptt.model import Role
from symbptt.symbolic import bptt, direct, unroll
from symbptt.symbolic.exact import same
from symbptt.symbolic.gradients import direct_naive
from symbptt.verify import run_checks


class _Timeout(Exception):
    pass


def _alarm(signum, frame):  # noqa: ANN001, ARG001
    raise _Timeout


def _limited(fn, timeout: float) -> float | None:  # noqa: ANN001
    """Seconds fn() took, or None when it was stopped at the timeout."""
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


def ours_identity(T: int, n: int) -> bool:
    u = unroll(load("elman"), T, n, generic=True)
    return all(not same(direct(u, r), bptt(u, r).total) for r in u.params)


def naive_identity(T: int, n: int) -> bool:
    u = unroll(load("elman"), T, n, generic=True)
    ok = True
    for r in u.params:
        a = u.to_named(direct_naive(u, r))
        b = bptt(u, r).total
        ok &= all(sp.expand(a[i] - b[i]) == 0 for i in range(len(a)))
    return ok


def ours_derive(T: int, n: int) -> None:
    u = unroll(load("elman"), T, n)
    direct(u, Role.RECURRENT)


def naive_derive(T: int, n: int) -> None:
    u = unroll(load("elman"), T, n)
    direct_naive(u, Role.RECURRENT)


def _fmt(s: float | None, timeout: float) -> str:
    return f"> {timeout:.0f} s" if s is None else f"{s:.2f} s"


def _ratio(naive: float | None, ours: float | None, timeout: float) -> str:
    if ours is None:
        return "-"
    if naive is None:
        return f"> {timeout / ours:.0f}x"
    return f"{naive / ours:.1f}x"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="fewer sizes, 10 s naive timeout")
    ap.add_argument("--timeout", type=float, default=None, help="naive timeout in seconds")
    args = ap.parse_args()
    timeout = args.timeout or (10.0 if args.quick else 60.0)
    sys.setrecursionlimit(100_000)
    print(
        f"bench_symbolic: SymPy {sp.__version__}, {os.cpu_count()} cores, "
        f"load average {os.getloadavg()[0]:.1f}, naive timeout {timeout:.0f} s"
    )

    ours_identity(2, 2)  # warm-up: imports and SymPy's caches, so the first row is not penalised
    ours_derive(2, 2)
    print("\nexact identity (a) = (b), every parameter of elman, generic f and L_t")
    print(f"{'n':>3} {'T':>3}  {'ours':>9}  {'naive':>9}  {'naive/ours':>10}")
    sizes = (
        [(2, 3), (3, 3), (3, 4)]
        if args.quick
        else [(2, 3), (3, 3), (3, 4), (2, 6), (4, 3), (5, 4), (3, 6), (8, 3), (2, 11)]
    )
    results = {}
    for n, T in sizes:
        ours = _limited(lambda: ours_identity(T, n), 600.0)  # noqa: B023
        naive = _limited(lambda: naive_identity(T, n), timeout)  # noqa: B023
        results[(n, T)] = ours
        print(
            f"{n:>3} {T:>3}  {_fmt(ours, 600):>9}  {_fmt(naive, timeout):>9}  {_ratio(naive, ours, timeout):>10}"
        )

    print("\nderive dE/dW (concrete tanh, softmax + cross-entropy), no proof")
    print(f"{'n':>3} {'T':>3}  {'ours':>9}  {'naive':>9}  {'naive/ours':>10}")
    for n, T in (
        [(2, 6), (3, 4), (4, 3)] if args.quick else [(2, 6), (2, 8), (3, 4), (3, 6), (4, 3), (4, 5)]
    ):
        ours = _limited(lambda: ours_derive(T, n), 600.0)  # noqa: B023
        naive = _limited(lambda: naive_derive(T, n), min(timeout, 10.0))  # noqa: B023
        print(
            f"{n:>3} {T:>3}  {_fmt(ours, 600):>9}  {_fmt(naive, min(timeout, 10)):>9}  {_ratio(naive, ours, min(timeout, 10)):>10}"
        )

    print("\nsymbptt verify at each shipped derivation's default sizes (every check)")
    for name in builtin_names():
        model = load(name)
        start = time.perf_counter()
        report = run_checks(model, model.sizes.T, model.sizes.n)
        secs = time.perf_counter() - start
        status = "all passed" if report.passed else "FAILED"
        print(f"  {name:<13} T={model.sizes.T} n={model.sizes.n}  {secs:6.2f} s  {status}")

    target = results.get((3, 4))
    ok = target is not None and target < 10.0
    print(
        f"\nTARGET exact (a) = (b) at n=3, T=4 under 10 s: {'met' if ok else 'NOT met'} ({_fmt(target, 600)})"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
