"""Step lemma vs naive unrolling: derive + verify dE/dW at n=64, T=1000, and prove for n=1..8.

Run: python benchmarks/bench_steplemma.py. Everything runs in this one process; the naive
baseline (full unrolled expression tree, sp.diff of every W entry) is written out here so the
comparison does not depend on how symbptt's own unroller is optimised.
"""

from __future__ import annotations

import signal
import time

import numpy as np
import sympy as sp

from symbptt import catalog
from symbptt.symbolic import steplemma
from symbptt.symbolic.codegen import compile_gradients

TIMEOUT = 10.0


class _Timeout(Exception):
    pass


def _alarm(signum, frame):  # noqa: ANN001
    raise _Timeout


def naive(T: int, n: int, m: int = 2, k: int = 2) -> float | None:
    """Seconds to unroll tanh + squared error and diff E by every W entry (None: timeout)."""
    W = sp.Matrix(n, n, lambda i, j: sp.Symbol(f"W{i}{j}"))
    U = sp.Matrix(n, m, lambda i, j: sp.Symbol(f"U{i}{j}"))
    V = sp.Matrix(k, n, lambda i, j: sp.Symbol(f"V{i}{j}"))
    start = time.perf_counter()
    signal.signal(signal.SIGALRM, _alarm)
    signal.setitimer(signal.ITIMER_REAL, TIMEOUT)
    try:
        h = sp.Matrix(sp.symbols(f"h0_0:{n}"))
        E = sp.S.Zero
        for t in range(T):
            x = sp.Matrix(sp.symbols(f"x{t}_0:{m}"))
            y = sp.symbols(f"y{t}_0:{k}")
            h = (W * h + U * x).applyfunc(sp.tanh)
            z = V * h
            E += sum((z[j] - y[j]) ** 2 for j in range(k)) / 2
        for w in W:
            sp.diff(E, w)
    except _Timeout:
        return None
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
    return time.perf_counter() - start


def derive_and_verify(n: int = 64, T: int = 1000, seed: int = 0) -> dict[str, float]:
    """Compile the step rule, run it, compare with the engine and central differences."""
    from symbptt import engine

    model = catalog.load("elman")
    m, k = model.sizes.m, model.sizes.k
    rng = np.random.default_rng(seed)
    P = {"U": rng.normal(size=(n, m)) * 0.3, "W": rng.normal(size=(n, n)) / np.sqrt(n),
         "b": rng.normal(size=n) * 0.1, "V": rng.normal(size=(k, n)), "c": rng.normal(size=k)}  # fmt: skip
    xs = rng.normal(size=(T, m))
    Y = np.eye(k)[rng.integers(0, k, T)]
    t0 = time.perf_counter()
    grads = compile_gradients(model, n)
    t1 = time.perf_counter()
    dW = grads(P, xs, targets=Y)["W"]
    t2 = time.perf_counter()
    ref = engine.backward(engine.forward(P, xs, activation="tanh", output="softmax"), targets=Y)
    eng_err = float(np.abs(dW - ref["W"]).max() / max(1.0, np.abs(ref["W"]).max()))

    def loss(Wv: np.ndarray) -> float:
        tr = engine.forward({**P, "W": Wv}, xs, activation="tanh", output="softmax")
        return engine.loss(tr, Y)

    fd_err, eps = 0.0, 1e-5
    for i, j in [(0, 0), (n // 2, 3), (n - 1, n - 1)]:
        hi, lo = P["W"].copy(), P["W"].copy()
        hi[i, j] += eps
        lo[i, j] -= eps
        fd = (loss(hi) - loss(lo)) / (2 * eps)
        fd_err = max(fd_err, abs(fd - dW[i, j]) / max(1.0, abs(fd)))
    t3 = time.perf_counter()
    return {"derive": t1 - t0, "run": t2 - t1, "verify": t3 - t2, "total": t3 - t0,
            "engine_err": eng_err, "fd_err": fd_err}  # fmt: skip


def main() -> None:
    print("naive baseline: unrolled tanh + squared error, sp.diff of every W entry (timeout 10 s)")
    base = {}
    for T, n in [(6, 2), (4, 3), (3, 4)]:
        s = naive(T, n)
        base[T, n] = s
        print(f"  T={T} n={n}: " + ("timeout (> 10 s)" if s is None else f"{s:.2f} s"))
    r = derive_and_verify()
    print("step lemma, elman (tanh, softmax + cross-entropy), n=64 T=1000: "
          f"derive {r['derive']:.2f} s, run {r['run']:.2f} s, verify (engine + 3 FD) {r['verify']:.2f} s, "
          f"total {r['total']:.2f} s; max rel err vs engine {r['engine_err']:.1e}, vs FD {r['fd_err']:.1e}")  # fmt: skip
    for (T, n), s in base.items():
        sizes = (64 * 64 * 1000) / (n * n * T)
        txt = (
            f"{s / r['total']:.2f}x its time"
            if s is not None
            else f"> {TIMEOUT / r['total']:.1f}x its time"
        )
        print(
            f"  vs naive T={T} n={n}: the baseline takes {txt} for a problem {sizes:.0f}x smaller (n^2 T)"
        )
    print("prove (exact, base case + step, every T):")
    for name in ("elman", "dl4nlp", "course-notes"):
        model = catalog.load(name)
        row, total = [], 0.0
        for n in range(1, 9):
            p = steplemma.prove(model, n)
            row.append(f"n={n} {p.seconds:.2f}s{'' if p.passed else ' FAILED'}")
            total += p.seconds
        print(f"  {name}: " + ", ".join(row) + f"; n=1..8 together {total:.2f} s")


if __name__ == "__main__":
    main()
