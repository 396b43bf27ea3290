"""The site's figures: matplotlib (Agg) PNGs made at build time from the engine, flow and eigen.

Every figure is deterministic (fixed seeds, no timestamps in the PNG) and returned as bytes with
a caption saying what to see; nothing here writes files.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from symbptt import engine  # noqa: E402
from symbptt.cells.functions import numeric_name  # noqa: E402
from symbptt.cells.heads import numeric_head  # noqa: E402
from symbptt.flow import GAMMA, gradient_flow  # noqa: E402
from symbptt.model import Model, Role  # noqa: E402

#: Spectral radii the derivation's W is scaled to in the gradient-flow figures.
RADII = (0.5, 1.0, 1.5)
_COLORS = ("#1f77b4", "#2ca02c", "#d62728")


@dataclass(frozen=True)
class Figure:
    """A PNG and the caption that says what it shows and what to look for."""

    name: str
    png: bytes
    alt: str
    caption: str


def numeric_activation(model: Model) -> str:
    """The activation used for numbers: a generic f stands in as tanh (docs/architecture.md)."""
    return numeric_name(model.activation)


def recurrent_matrix(model: Model, radius: float, *, seed: int = 0) -> np.ndarray:
    """A seeded random n x n recurrent matrix of the model's size, scaled to spectral radius."""
    n = model.sizes.n
    W = np.random.default_rng(seed).normal(0.0, 1.0, size=(n, n))
    return W * (radius / float(np.max(np.abs(np.linalg.eigvals(W)))))


def _png(fig: plt.Figure) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100, metadata={"Software": None})
    plt.close(fig)
    return buf.getvalue()


def jacobian_figure(model: Model, *, steps: int = 40, seed: int = 0) -> Figure:
    """||dh_t/dh_k||_2 against t - k for W scaled to spectral radius 0.5, 1 and 1.5 (log scale)."""
    act = numeric_activation(model)
    state = model.notation.state.latex
    fig, ax = plt.subplots(figsize=(7, 4.2))
    lags = np.arange(1, steps + 1)
    readings = []
    measured: list[float] = []
    for radius, color in zip(RADII, _COLORS, strict=True):
        report = gradient_flow(
            recurrent_matrix(model, radius, seed=seed), act, steps=steps, seed=seed
        )
        norms = np.array(report.jacobian_norms)
        measured += [float(v) for v in norms if v > 0]
        ax.plot(lags, np.where(norms > 0, norms, np.nan), "o-", ms=3, color=color,
                label=rf"$\rho(W)={radius:g}$, $\sigma_{{max}}={report.largest_singular_value:.2f}$")  # fmt: skip
        bound = np.array(report.pascanu_bounds)
        ax.plot(lags, np.where(bound > 0, bound, np.nan), "--", lw=1, color=color, alpha=0.6)
        readings.append(f"rho {radius:g}: {report.pascanu}")
    ax.set_yscale("log")
    if measured:  # keep the measured curves readable; the bounds may run far off the top
        ax.set_ylim(min(measured) / 10, max(max(measured) * 10, 10.0))
    ax.set_xlabel("t - k (steps back in time)")
    ax.set_ylabel(rf"$\|\partial {state}_t / \partial {state}_k\|_2$")
    ax.set_title(f"{model.name}: Jacobian products through {act} (n = {model.sizes.n})")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8, loc="best")
    fig.tight_layout()
    gamma = GAMMA[act]
    caption = (
        f"Norm of the Jacobian product from step k to step t for one seeded trajectory, with the "
        f"same random {model.sizes.n}x{model.sizes.n} W scaled to spectral radius 0.5, 1 and 1.5 "
        f"({act}, so |f'| <= {gamma:g}). Solid: measured; dashed: the Pascanu-Mikolov-Bengio bound "
        f"(gamma sigma_max)^(t-k). What to see: on a log scale a straight falling line is "
        f"exponential vanishing; the larger the radius the slower the fall, and growth needs "
        f"gamma sigma_max > 1 (necessary, not sufficient: saturation of {act} can still shrink "
        f"the product). Readings: {'; '.join(readings)}."
    )
    alt = f"Jacobian norm against t-k for {model.name}, three spectral radii, log scale"
    return Figure(f"{model.name}-jacobian.png", _png(fig), alt, caption)


def _engine_gradients(model: Model, W: np.ndarray, T: int, seed: int) -> engine.Gradients:
    """One engine forward/backward of the model's kind with recurrent matrix W."""
    rng = np.random.default_rng(seed + 1)
    s = model.sizes
    params: dict[str, np.ndarray] = {
        "U": rng.normal(0.0, 1.0 / np.sqrt(s.m), size=(s.n, s.m)),
        "W": W,
        "b": np.zeros(s.n),
    }
    xs = rng.normal(0.0, 1.0, size=(T, s.m))
    act = numeric_activation(model)
    if not model.has_output_layer:
        trace = engine.forward(params, xs, activation=act, output=None)
        dh = rng.normal(0.0, 1.0, size=(T, s.n))
        if model.loss_at == "last":
            dh[:-1] = 0.0
        return engine.backward(trace, dh=dh)
    output = "identity" if model.loss == "generic" else model.output
    params["V"] = rng.normal(0.0, 1.0 / np.sqrt(s.n), size=(s.k, s.n))
    trace = engine.forward(params, xs, activation=act, output=output)
    targets = numeric_head(model.output, model.loss).sample_targets(rng, T, s.k)
    return engine.backward(trace, targets=targets, loss_at=model.loss_at)


def step_terms_figure(model: Model, *, T: int = 30, seed: int = 0) -> Figure:
    """||delta_t h_{t-1}^T||_F for each t, the per-step terms whose sum is dE/dW (engine)."""
    p = model.notation
    W_tex = p.param(Role.RECURRENT).latex
    d, h = p.delta.latex, p.state.latex
    fig, ax = plt.subplots(figsize=(7, 4.2))
    steps = np.arange(1, T + 1)
    ratios = []
    for radius, color in zip(RADII, _COLORS, strict=True):
        grads = _engine_gradients(model, recurrent_matrix(model, radius, seed=seed), T, seed)
        sizes = np.linalg.norm(grads.dW_terms, axis=(1, 2))
        early, late = float(np.mean(sizes[1:6])), float(np.mean(sizes[-5:]))
        ratios.append(f"rho {radius:g}: {early / late:.2g}" if late > 0 else f"rho {radius:g}: -")
        ax.plot(steps, np.where(sizes > 0, sizes, np.nan), "o-", ms=3, color=color,
                label=rf"$\rho({W_tex})={radius:g}$")  # fmt: skip
    ax.set_yscale("log")
    ax.set_xlabel("time step t")
    ax.set_ylabel(rf"$\|{d}_t\, {h}_{{t-1}}^\top\|_F$")
    where = "at the last step only" if model.loss_at == "last" else "at every step"
    ax.set_title(f"{model.name}: size of each step's term in dE/d{p.param(Role.RECURRENT).ascii}")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8, loc="best")
    fig.tight_layout()
    caption = (
        f"The engine's per-step terms delta_t h_(t-1)^T (delta_t = dE/dnet_t, the total error "
        f"term) over T = {T} steps, loss {where}, for the same random W scaled to spectral "
        f"radius 0.5, 1 and 1.5. Their sum is the gradient for the recurrent matrix (the t = 1 term "
        f"is zero and not drawn, because h_0 = 0). What to "
        f"see: "
        + (
            "with the loss only at the last step, terms far from T are the gradient arriving "
            "through long Jacobian products, so they shrink exponentially (or grow) going back "
            "in time; truncating BPTT drops exactly these terms."
            if model.loss_at == "last"
            else "with a loss at every step each term collects the losses at steps t..T, and "
            "the short paths keep the terms of similar size even where long paths vanish."
        )
        + f" Mean size of terms 2-6 over the last five, measured here: {'; '.join(ratios)}."
    )
    alt = f"Per-step gradient term size against t for {model.name}, three spectral radii"
    return Figure(f"{model.name}-step-terms.png", _png(fig), alt, caption)


def eigenvalue_powers_figure(eigenvalues: tuple[float, ...], n_max: int = 30) -> Figure:
    """|lambda|^n against n on a log scale for the exercise's eigenvalues, with 1 for reference."""
    fig, ax = plt.subplots(figsize=(7, 4.2))
    ns = np.arange(0, n_max + 1)
    for lam, color in zip(eigenvalues, _COLORS, strict=False):
        mag = abs(complex(lam))
        vals = mag ** ns.astype(float)
        ax.plot(ns, vals, "o-", ms=3, color=color, label=rf"$|\lambda|={mag:g}$")
        ax.annotate(f"{mag:g}^{n_max} = {vals[-1]:.4g}", (ns[-1], vals[-1]),
                    textcoords="offset points", xytext=(-110, 8), fontsize=8, color=color)  # fmt: skip
    ax.axhline(1.0, color="grey", lw=1, ls=":", label=r"$|\lambda| = 1$")
    ax.set_yscale("log")
    ax.set_xlabel("n (power)")
    ax.set_ylabel(r"$|\lambda|^n$")
    ax.set_title("Powers of the eigenvalues of W (homework 3, Ex 2c)")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    caption = (
        "|lambda|^n for the eigenvalues of W = Q Lambda Q^-1, n = 0..30. On a log scale each is a "
        "straight line with slope log|lambda|: every eigenvalue below 1 in size decays "
        "exponentially, so W^n -> 0 (vanishing); one above 1 would grow exponentially "
        "(exploding). The 0.4 direction is gone long before n = 30; W^30 is almost entirely "
        "0.9^30 times the first eigenvector's projector."
    )
    return Figure("eigenvalue-powers.png", _png(fig), "Eigenvalue powers, log scale", caption)
