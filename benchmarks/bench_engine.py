"""Time the engine's forward + backward against PyTorch CPU autograd and JAX (jit + lax.scan).

Run on demand: `python benchmarks/bench_engine.py [--quick] [--clock cpu]`. Same model (tanh
hidden layer, softmax + cross-entropy at every step, all biases), same data, one process,
interleaved rounds, medians. Ratios < 1 mean the engine is faster; the bracket is the spread
(quartiles) of the per-round ratios. The engine's matmul FLOPs per forward + backward:
2 T B (3 m n + 3 n^2 + 3 n k) -- m n: U x, dU, dxs; n^2: W h (T steps), the W^T delta chain
(T - 1 steps, plus dh0), dW; n k: V h, dE/dh = dz V, dV. Elementwise work is not counted.
torch and JAX are asked for the parameter gradients only, so they skip dxs and dh0
(2 T B m n + 2 B n^2 fewer FLOPs): the comparison is conservative for the engine.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable

# Thread counts must be fixed before numpy / torch / jax load their thread pools; see main().
if __name__ == "__main__":
    _threads = "1"
    for _i, _a in enumerate(sys.argv):
        if _a == "--threads" and _i + 1 < len(sys.argv):
            _threads = sys.argv[_i + 1]
    for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[_var] = _threads
    os.environ["XLA_FLAGS"] = (
        os.environ.get("XLA_FLAGS", "")
        + f" --xla_cpu_multi_thread_eigen={'false' if _threads == '1' else 'true'}"
        + f" intra_op_parallelism_threads={_threads}"
    )

import numpy as np  # noqa: E402

from symbptt import engine  # noqa: E402

SIZES = {
    "tiny": dict(B=1, T=4, n=5, m=3, k=3),
    "medium": dict(B=32, T=50, n=128, m=64, k=64),
    "large": dict(B=64, T=200, n=512, m=256, k=256),
}


def flops(B: int, T: int, n: int, m: int, k: int) -> float:
    """Matmul FLOPs of one forward + backward pass (see the module docstring)."""
    return 2.0 * T * B * (3 * m * n + 3 * n * n + 3 * n * k)


def make_data(B: int, T: int, n: int, m: int, k: int, dtype: str) -> tuple[dict, np.ndarray, ...]:
    rs = np.random.RandomState(0)
    p = {
        "U": rs.randn(n, m) / np.sqrt(m),
        "W": rs.randn(n, n) / np.sqrt(n),
        "b": rs.randn(n) * 0.1,
        "V": rs.randn(k, n) / np.sqrt(n),
        "c": rs.randn(k) * 0.1,
    }
    p = {key: v.astype(dtype) for key, v in p.items()}
    xs = rs.randn(T, B, m).astype(dtype)
    h0 = np.zeros((B, n), dtype=dtype)
    ys = np.eye(k, dtype=dtype)[rs.randint(0, k, (T, B))]
    return p, xs, h0, ys


def engine_step(p, xs, h0, ys) -> Callable[[], dict]:
    dtype = xs.dtype.name  # the engine defaults to float64; ask for the data's dtype

    def run() -> dict:
        tr = engine.forward(p, xs, h0, activation="tanh", output="softmax", dtype=dtype)
        return engine.backward(tr, targets=ys)

    return run


def torch_step(torch, p, xs, h0, ys) -> Callable[[], dict]:
    tp = {key: torch.tensor(v, requires_grad=True) for key, v in p.items()}
    tx, th0, ty = (torch.tensor(a) for a in (xs, h0, ys))

    def run() -> dict:
        for v in tp.values():
            v.grad = None
        U, W, b, V, c = (tp[key] for key in "UWbVc")
        pre = (tx @ U.T) + b
        h = th0
        hs = []
        for t in range(tx.shape[0]):
            h = torch.tanh(pre[t] + h @ W.T)
            hs.append(h)
        z = torch.stack(hs) @ V.T + c
        loss = -(ty * torch.log_softmax(z, dim=-1)).sum()
        loss.backward()
        return {key: v.grad for key, v in tp.items()}

    return run


def jax_step(jax, p, xs, h0, ys) -> tuple[Callable[[], dict], float]:
    jnp = jax.numpy

    def loss_fn(q, xs, h0, ys):
        pre = xs @ q["U"].T + q["b"]

        def cell(h, pre_t):
            h = jnp.tanh(pre_t + h @ q["W"].T)
            return h, h

        _, hs = jax.lax.scan(cell, h0, pre)
        z = hs @ q["V"].T + q["c"]
        return -(ys * jax.nn.log_softmax(z, axis=-1)).sum()

    grad = jax.jit(jax.grad(loss_fn))
    jp = {key: jnp.asarray(v) for key, v in p.items()}
    jx, jh0, jy = (jnp.asarray(a) for a in (xs, h0, ys))
    t0 = time.perf_counter()
    jax.block_until_ready(grad(jp, jx, jh0, jy))
    compile_s = time.perf_counter() - t0

    def run() -> dict:
        return jax.block_until_ready(grad(jp, jx, jh0, jy))

    return run, compile_s


def max_rel_diff(ref: dict, other: dict) -> float:
    worst = 0.0
    for key in "UWbVc":
        a = np.asarray(ref[key], dtype=np.float64)
        b = np.asarray(other[key].detach().numpy() if hasattr(other[key], "detach") else other[key])
        worst = max(worst, float(np.abs(a - b).max() / max(np.abs(a).max(), 1e-30)))
    return worst


CLOCK = time.perf_counter  # --clock cpu switches to process CPU time (all threads)


def timed(fn: Callable[[], object], inner: int) -> float:
    t0 = CLOCK()
    for _ in range(inner):
        fn()
    return (CLOCK() - t0) / inner


PEAK_SIZE = 2048


def peak_step(dtype: str, size: int = PEAK_SIZE) -> Callable[[], object]:
    """One size^3 numpy matmul into a preallocated output: the machine's attainable GEMM rate."""
    rs = np.random.RandomState(1)
    a, b = rs.randn(size, size).astype(dtype), rs.randn(size, size).astype(dtype)
    out = np.empty_like(a)
    np.matmul(a, b, out=out)
    return lambda: np.matmul(a, b, out=out)


def matmul_peak(dtype: str, size: int, rounds: int) -> float:
    run = peak_step(dtype, size)
    t = statistics.median(timed(run, 1) for _ in range(rounds))
    return 2.0 * size**3 / t / 1e9


def load1() -> float:
    return os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")


def ratio(times: dict[str, list[float]], num: str, den: str) -> str:
    """Ratio of medians, with the quartiles of the per-round ratios (num and den ran together)."""
    per_round = sorted(a / b for a, b in zip(times[num], times[den], strict=True))
    q = statistics.quantiles(per_round, n=4) if len(per_round) > 1 else per_round * 3
    med = statistics.median(times[num]) / statistics.median(times[den])
    return f"{med:.2f} ({q[0]:.2f}-{q[2]:.2f})"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="fewer rounds, for a smoke run")
    ap.add_argument("--sizes", default="tiny,medium,large")
    ap.add_argument("--dtypes", default="float64,float32")
    ap.add_argument(
        "--threads", default="1", help="BLAS/OpenMP/XLA threads for all three (default 1)"
    )
    ap.add_argument(
        "--clock",
        choices=("wall", "cpu"),
        default="wall",
        help="wall: perf_counter; cpu: process CPU time, steadier on a loaded shared machine",
    )
    args = ap.parse_args()
    global CLOCK
    CLOCK = time.process_time if args.clock == "cpu" else time.perf_counter
    try:
        import torch
    except ImportError:
        print("torch is not installed: pip install torch==2.13.0 (CPU)", file=sys.stderr)
        return 1
    try:
        import jax
    except ImportError:
        print("jax is not installed: pip install jax jaxlib", file=sys.stderr)
        return 1
    jax.config.update("jax_enable_x64", True)
    jax.config.update("jax_platforms", "cpu")

    torch.set_num_threads(int(args.threads))
    print(
        f"numpy {np.__version__}, torch {torch.__version__}, jax {jax.__version__}; "
        f"threads {args.threads} each (torch {torch.get_num_threads()}); "
        f"cpus {os.cpu_count()}, load average {load1():.2f}; clock {args.clock}"
    )
    rounds = 5 if args.quick else 15
    for dt in args.dtypes.split(","):
        peak = matmul_peak(dt, PEAK_SIZE, 3 if args.quick else 7)
        print(f"numpy matmul {PEAK_SIZE}^3 {dt} at the start: {peak:.1f} GFLOP/s")
    print("(the peak column is the same matmul timed in each row's interleaved rounds)")
    print()
    head = (
        f"{'size':7} {'dtype':8} {'engine':>10} {'torch':>10} {'jax':>10} "
        f"{'eng/torch (quartiles)':>21} {'eng/jax (quartiles)':>19} {'GFLOP/s':>8} "
        f"{'peak':>6} {'%peak':>6} {'load':>5} {'jax compile':>11} {'grad diff torch/jax':>20}"
    )
    print(head)
    for size in args.sizes.split(","):
        dims = SIZES[size]
        # tiny: short samples and many rounds, so load spikes hit both sides of each ratio alike
        inner = {"tiny": 50, "medium": 5, "large": 1}[size]
        r = {"tiny": 3 * rounds, "medium": rounds, "large": max(3, rounds // 3)}[size]
        for dt in args.dtypes.split(","):
            p, xs, h0, ys = make_data(**dims, dtype=dt)
            fns = {"engine": engine_step(p, xs, h0, ys), "torch": torch_step(torch, p, xs, h0, ys)}
            fns["jax"], compile_s = jax_step(jax, p, xs, h0, ys)
            if size != "tiny":  # the matmul peak, measured in the same rounds as the three
                fns["peak"] = peak_step(dt)
            ref = fns["engine"]()
            dtorch = max_rel_diff(ref, fns["torch"]())
            djax = max_rel_diff(ref, fns["jax"]())
            for name, fn in fns.items():  # warm-up
                timed(fn, 1 if name == "peak" else inner)
            times: dict[str, list[float]] = {name: [] for name in fns}
            names = list(fns)
            for i in range(r):  # interleaved rounds; the order rotates so none always runs first
                for name in names[i % len(names) :] + names[: i % len(names)]:
                    times[name].append(timed(fns[name], 1 if name == "peak" else inner))
            med = {name: statistics.median(v) for name, v in times.items()}
            gf = flops(**dims) / med["engine"] / 1e9
            if "peak" in med:
                peak = 2.0 * PEAK_SIZE**3 / med["peak"] / 1e9
                peak_s = f"{peak:6.1f} {100 * gf / peak:5.0f}%"
            else:
                peak_s = f"{'-':>6} {'-':>6}"
            print(
                f"{size:7} {dt:8} {med['engine'] * 1e3:8.3f}ms {med['torch'] * 1e3:8.3f}ms "
                f"{med['jax'] * 1e3:8.3f}ms {ratio(times, 'engine', 'torch'):>21} "
                f"{ratio(times, 'engine', 'jax'):>19} {gf:8.2f} {peak_s} {load1():5.2f} "
                f"{compile_s:10.2f}s {dtorch:9.1e} /{djax:9.1e}",
                flush=True,
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
