"""Time the engine's forward + backward against torch.nn.RNN/LSTM/GRU and JAX (jit + lax.scan).

Run on demand: `python benchmarks/bench_engine.py [--quick] [--clock cpu] [--models rnn,lstm,gru]`.
Same model (the cell, then softmax + cross-entropy at every step, all biases), same weights,
same data, one process, interleaved rounds, medians. Ratios < 1 mean the engine is faster; the
bracket is the spread (quartiles) of the per-round ratios. torch runs what a torch user writes
(nn.RNN / nn.LSTM / nn.GRU, then a Linear head and log_softmax); JAX runs jit(grad) over
lax.scan with the gates stacked. Matmul FLOPs per forward + backward (G gates: rnn 1, gru 3,
lstm 4): 2 T B (3 G m n + 3 G n^2 + 3 n k) -- input projection, dU, dxs; the recurrent
product, its transpose in backward, dW; the head V h, dE/dh = dz V, dV. Elementwise work is not
counted. All three are asked for the parameter gradients only (the engine with
`backward(..., grad_xs=False)`), so the dxs term drops to 2 G m n; `--grad-xs` asks all three
for dxs too.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable


def _arg(name: str, default: str) -> str:
    for i, a in enumerate(sys.argv):
        if a == name and i + 1 < len(sys.argv):
            return sys.argv[i + 1]
    return default


# Thread counts (and OpenBLAS's kernel choice) must be fixed before numpy / torch / jax load
# their libraries; see main().
if __name__ == "__main__":
    _threads = _arg("--threads", "1")
    # OPENBLAS_CORETYPE picks numpy's OpenBLAS kernels. The shared machine's environment sets
    # Haswell (AVX2), about half the AVX-512 peak that torch and XLA use there; OpenBLAS's own
    # detection picks SkylakeX (2048^3 float64 60 -> 105 GFLOP/s). Left as the environment says
    # unless asked; the header prints the kernels in use.
    _core = _arg("--openblas-coretype", "")
    if _core:
        os.environ["OPENBLAS_CORETYPE"] = _core
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
# gate letters in the order torch packs them (weight_ih rows), and the engine's cell name
GATES = {"rnn": ("",), "lstm": ("i", "f", "g", "o"), "gru": ("r", "z", "n")}


def flops(model: str, B: int, T: int, n: int, m: int, k: int, grad_xs: bool = True) -> float:
    """Matmul FLOPs of one forward + backward pass (see the module docstring)."""
    G = len(GATES[model])
    return 2.0 * T * B * ((3 if grad_xs else 2) * G * m * n + 3 * G * n * n + 3 * n * k)


def _key(w: str, g: str) -> str:
    return w if not g else f"{w}_{g}"


def make_data(model: str, B: int, T: int, n: int, m: int, k: int, dtype: str):
    """Parameters keyed as the engine wants them, inputs, zero h0 (and c0), one-hot targets."""
    rs = np.random.RandomState(0)
    p = {}
    for g in GATES[model]:
        p[_key("U", g)] = rs.randn(n, m) / np.sqrt(m)
        p[_key("W", g)] = rs.randn(n, n) / np.sqrt(n)
        p[_key("b", g)] = rs.randn(n) * 0.1
    if model == "gru":
        p["b_hn"] = rs.randn(n) * 0.1
    p["V"] = rs.randn(k, n) / np.sqrt(n)
    p["c"] = rs.randn(k) * 0.1
    p = {key: v.astype(dtype) for key, v in p.items()}
    xs = rs.randn(T, B, m).astype(dtype)
    h0 = np.zeros((B, n), dtype=dtype)
    ys = np.eye(k, dtype=dtype)[rs.randint(0, k, (T, B))]
    return p, xs, h0, ys


def engine_step(model, p, xs, h0, ys, grad_xs: bool = False) -> Callable[[], dict]:
    dtype = xs.dtype.name  # the engine defaults to float64; ask for the data's dtype
    c0 = h0 if model == "lstm" else None

    def run() -> dict:
        tr = engine.forward(p, xs, h0, cell=model, c0=c0, output="softmax", dtype=dtype)
        return engine.backward(tr, targets=ys, grad_xs=grad_xs)

    return run


def torch_step(
    torch, model, p, xs, h0, ys, grad_xs: bool = False
) -> tuple[Callable[[], dict], Callable[[dict], dict]]:
    """nn.RNN / nn.LSTM / nn.GRU holding the same weights; returns run and an unpacker."""
    T, B, m = xs.shape
    n = h0.shape[1]
    dt = torch.float64 if xs.dtype == np.float64 else torch.float32
    cls = {"rnn": torch.nn.RNN, "lstm": torch.nn.LSTM, "gru": torch.nn.GRU}[model]
    net = cls(m, n, dtype=dt)
    head = torch.nn.Linear(n, p["V"].shape[0], dtype=dt)
    gates = GATES[model]
    with torch.no_grad():
        net.weight_ih_l0.copy_(torch.tensor(np.concatenate([p[_key("U", g)] for g in gates])))
        net.weight_hh_l0.copy_(torch.tensor(np.concatenate([p[_key("W", g)] for g in gates])))
        net.bias_ih_l0.copy_(torch.tensor(np.concatenate([p[_key("b", g)] for g in gates])))
        bhh = np.zeros(len(gates) * n, dtype=xs.dtype)
        if model == "gru":
            bhh[2 * n :] = p["b_hn"]
        net.bias_hh_l0.copy_(torch.tensor(bhh))
        head.weight.copy_(torch.tensor(p["V"]))
        head.bias.copy_(torch.tensor(p["c"]))
    tx, ty = torch.tensor(xs, requires_grad=grad_xs), torch.tensor(ys)
    th0 = torch.tensor(h0)[None]
    state = (th0, th0.clone()) if model == "lstm" else th0
    params = [*net.parameters(), *head.parameters()]

    def run() -> dict:
        for q in params:
            q.grad = None
        tx.grad = None
        hs, _ = net(tx, state)
        loss = -(ty * torch.log_softmax(head(hs), dim=-1)).sum()
        loss.backward()
        return {"ih": net.weight_ih_l0.grad, "hh": net.weight_hh_l0.grad, "V": head.weight.grad}

    def unpack(out: dict) -> dict:
        ih, hh = out["ih"].numpy(), out["hh"].numpy()
        res = {"V": out["V"].numpy()}
        for j, g in enumerate(gates):
            res[_key("U", g)] = ih[j * n : (j + 1) * n]
            res[_key("W", g)] = hh[j * n : (j + 1) * n]
        return res

    return run, unpack


def jax_step(jax, model, p, xs, h0, ys, grad_xs: bool = False) -> tuple[Callable[[], dict], float]:
    jnp = jax.numpy
    n = h0.shape[1]
    gates = GATES[model]

    def loss_fn(q, xs, h0, ys):
        U = jnp.concatenate([q[_key("U", g)] for g in gates])
        W = jnp.concatenate([q[_key("W", g)] for g in gates])
        b = jnp.concatenate([q[_key("b", g)] for g in gates])
        pre = xs @ U.T + b  # every input projection at once

        if model == "rnn":

            def cell(h, a):
                h = jnp.tanh(a + h @ W.T)
                return h, h

            carry = h0
        elif model == "lstm":

            def cell(hc, a):
                h, c = hc
                a = a + h @ W.T
                i, f = jax.nn.sigmoid(a[:, :n]), jax.nn.sigmoid(a[:, n : 2 * n])
                g, o = jnp.tanh(a[:, 2 * n : 3 * n]), jax.nn.sigmoid(a[:, 3 * n :])
                c = f * c + i * g
                h = o * jnp.tanh(c)
                return (h, c), h

            carry = (h0, h0)
        else:

            def cell(h, a):
                rz = jax.nn.sigmoid(a[:, : 2 * n] + h @ W[: 2 * n].T)
                r, z = rz[:, :n], rz[:, n:]
                nn = jnp.tanh(a[:, 2 * n :] + r * (h @ W[2 * n :].T + q["b_hn"]))
                h = z * h + (1 - z) * nn
                return h, h

            carry = h0
        _, hs = jax.lax.scan(cell, carry, pre)
        z = hs @ q["V"].T + q["c"]
        return -(ys * jax.nn.log_softmax(z, axis=-1)).sum()

    grad = jax.jit(jax.grad(loss_fn, argnums=(0, 1) if grad_xs else 0))
    jp = {key: jnp.asarray(v) for key, v in p.items()}
    jx, jh0, jy = (jnp.asarray(a) for a in (xs, h0, ys))
    t0 = time.perf_counter()
    jax.block_until_ready(grad(jp, jx, jh0, jy))
    compile_s = time.perf_counter() - t0

    def run() -> dict:
        out = jax.block_until_ready(grad(jp, jx, jh0, jy))
        return out[0] if grad_xs else out

    return run, compile_s


def max_rel_diff(ref: dict, other: dict) -> float:
    worst = 0.0
    for key, b in other.items():
        if key not in ref:
            continue
        a = np.asarray(ref[key], dtype=np.float64)
        b = np.asarray(b, dtype=np.float64)
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
    ap.add_argument("--models", default="rnn,lstm,gru")
    ap.add_argument("--sizes", default="tiny,medium,large")
    ap.add_argument("--dtypes", default="float64,float32")
    ap.add_argument(
        "--grad-xs",
        action="store_true",
        help="ask all three for dE/dxs too (default: parameter gradients only, as in training)",
    )
    ap.add_argument(
        "--threads", default="1", help="BLAS/OpenMP/XLA threads for all three (default 1)"
    )
    ap.add_argument(
        "--openblas-coretype",
        default="",
        help="set OPENBLAS_CORETYPE (numpy's BLAS kernels, e.g. SkylakeX, Haswell) for this run; "
        "default: as the environment says",
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
    try:
        from threadpoolctl import threadpool_info, threadpool_limits
    except ImportError:
        print("threadpoolctl is not installed: pip install threadpoolctl", file=sys.stderr)
        return 1
    jax.config.update("jax_enable_x64", True)
    jax.config.update("jax_platforms", "cpu")

    threads = int(args.threads)
    threadpool_limits(limits=threads)  # numpy's BLAS, whatever the environment said
    torch.set_num_threads(threads)
    blas = ", ".join(
        f"{i['internal_api']} {i['num_threads']}"
        + (f" {i['architecture']}" if i.get("architecture") else "")
        for i in threadpool_info()
    )
    print(
        f"numpy {np.__version__} ({blas}), torch {torch.__version__} "
        f"({torch.get_num_threads()} threads), jax {jax.__version__}; threads {threads} each; "
        f"cpus {os.cpu_count()}, load average {load1():.2f}; clock {args.clock}"
    )
    rounds = 5 if args.quick else 15
    for dt in args.dtypes.split(","):
        peak = matmul_peak(dt, PEAK_SIZE, 3 if args.quick else 7)
        print(f"numpy matmul {PEAK_SIZE}^3 {dt} at the start: {peak:.1f} GFLOP/s")
    print("(the peak column is the same matmul timed in each row's interleaved rounds)")
    print()
    head = (
        f"{'model':5} {'size':7} {'dtype':8} {'engine':>10} {'torch':>10} {'jax':>10} "
        f"{'eng/torch (quartiles)':>21} {'eng/jax (quartiles)':>19} {'GFLOP/s':>8} "
        f"{'peak':>6} {'%peak':>6} {'load':>5} {'jax compile':>11} {'grad diff torch/jax':>20}"
    )
    print(head)
    for model in args.models.split(","):
        for size in args.sizes.split(","):
            dims = SIZES[size]
            # tiny: short samples and many rounds, so load spikes hit both sides of each ratio
            inner = {"tiny": 50, "medium": 5, "large": 1}[size]
            r = {"tiny": 3 * rounds, "medium": rounds, "large": max(3, rounds // 3)}[size]
            for dt in args.dtypes.split(","):
                p, xs, h0, ys = make_data(model, **dims, dtype=dt)
                fns = {"engine": engine_step(model, p, xs, h0, ys, args.grad_xs)}
                fns["torch"], unpack = torch_step(torch, model, p, xs, h0, ys, args.grad_xs)
                fns["jax"], compile_s = jax_step(jax, model, p, xs, h0, ys, args.grad_xs)
                if size != "tiny":  # the matmul peak, measured in the same rounds
                    fns["peak"] = peak_step(dt)
                ref = fns["engine"]()
                dtorch = max_rel_diff(ref, unpack(fns["torch"]()))
                djax = max_rel_diff(ref, fns["jax"]())
                for name, fn in fns.items():  # warm-up
                    timed(fn, 1 if name == "peak" else inner)
                times: dict[str, list[float]] = {name: [] for name in fns}
                names = list(fns)
                for i in range(r):  # interleaved rounds; the order rotates
                    for name in names[i % len(names) :] + names[: i % len(names)]:
                        times[name].append(timed(fns[name], 1 if name == "peak" else inner))
                med = {name: statistics.median(v) for name, v in times.items()}
                gf = flops(model, **dims, grad_xs=args.grad_xs) / med["engine"] / 1e9
                if "peak" in med:
                    peak = 2.0 * PEAK_SIZE**3 / med["peak"] / 1e9
                    peak_s = f"{peak:6.1f} {100 * gf / peak:5.0f}%"
                else:
                    peak_s = f"{'-':>6} {'-':>6}"
                print(
                    f"{model:5} {size:7} {dt:8} {med['engine'] * 1e3:8.3f}ms "
                    f"{med['torch'] * 1e3:8.3f}ms {med['jax'] * 1e3:8.3f}ms "
                    f"{ratio(times, 'engine', 'torch'):>21} {ratio(times, 'engine', 'jax'):>19} "
                    f"{gf:8.2f} {peak_s} {load1():5.2f} {compile_s:10.2f}s "
                    f"{dtorch:9.1e} /{djax:9.1e}",
                    flush=True,
                )
                del fns, ref
    return 0


if __name__ == "__main__":
    sys.exit(main())
