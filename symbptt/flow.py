"""Gradient flow through a recurrent matrix W: vanishing or exploding, and why.

Three readings, kept apart because they answer different questions:

* Pascanu, Mikolov & Bengio (2013): with |f'| <= gamma, ||dh_t/dh_k|| <= (gamma sigma_max(W))^(t-k).
  sigma_max(W) < 1/gamma is *sufficient* for vanishing ("vanishing-guaranteed");
  sigma_max(W) > 1/gamma is only *necessary* for exploding ("exploding-possible").
  Boundary sigma_max(W) == 1/gamma (within `tol`): the bound is 1, so the gradient can neither be
  guaranteed to vanish nor explode; this is reported as "bounded" (a third value, on purpose).
* Long run of W^k (the linear part alone) from the spectral radius rho(W): "vanishing" if rho < 1,
  "exploding" if rho > 1, "neutral" if rho == 1 within `tol` (W^k may still grow polynomially if
  a unit eigenvalue sits in a Jordan block, e.g. [[1, 1], [0, 1]]).
* Measured: ||dh_t/dh_0||_2 for t = 1..K along one forward trajectory,
  dh_t/dh_0 = prod_{i=1}^{t} diag(f'(net_i)) W (latest factor on the left).

Eigenvalues are not singular values: for W = [[0.5, 2], [0, 0.5]], rho = 0.5 but sigma_max ~ 2.06.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from symbptt.cells.functions import FUNCTIONS
from symbptt.eigen import numeric_eigenvalues
from symbptt.errors import InputError
from symbptt.matrixtext import to_float_matrix

__all__ = [
    "ACTIVATIONS",
    "FlowReport",
    "GAMMA",
    "activation_derivative",
    "gradient_flow",
    "jacobian_norms",
    "long_run_reading",
    "pascanu_reading",
    "trajectory",
]

#: the activations a vanilla RNN's flow report takes, from the one function table
ACTIVATIONS: tuple[str, ...] = ("tanh", "identity", "sigmoid", "relu")
# gamma = sup |f'(x)|: the bound on every entry of diag(f'(net)) (FUNCTIONS[...].bound).
GAMMA: dict[str, float] = {a: float(FUNCTIONS[a].bound) for a in ACTIVATIONS}  # type: ignore[arg-type]
_F: dict[str, Callable[[np.ndarray], np.ndarray]] = {a: FUNCTIONS[a].numpy for a in ACTIVATIONS}
_DF: dict[str, Callable[[np.ndarray], np.ndarray]] = {a: FUNCTIONS[a].d_in for a in ACTIVATIONS}


def _check_activation(activation: str) -> str:
    """The activation name, or InputError listing the known ones."""
    if activation not in GAMMA:
        raise InputError(
            f"unknown activation {activation!r}; expected one of {', '.join(ACTIVATIONS)}",
            where="activation",
        )
    return activation


def activation_derivative(activation: str, net: np.ndarray) -> np.ndarray:
    """f'(net) elementwise for a named activation (relu'(0) = 0)."""
    return _DF[_check_activation(activation)](np.asarray(net, dtype=float))


def pascanu_reading(sigma_max: float, gamma: float, *, tol: float = 1e-9) -> str:
    """'vanishing-guaranteed' if sigma_max < 1/gamma, 'exploding-possible' if >, 'bounded' if ==."""
    product = gamma * sigma_max
    if abs(product - 1.0) <= tol:
        return "bounded"
    return "vanishing-guaranteed" if product < 1.0 else "exploding-possible"


def long_run_reading(spectral_radius: float, *, tol: float = 1e-9) -> str:
    """Behaviour of W^k as k grows: 'vanishing' (rho < 1), 'exploding' (rho > 1) or 'neutral'."""
    if abs(spectral_radius - 1.0) <= tol:
        return "neutral"
    return "vanishing" if spectral_radius < 1.0 else "exploding"


def _float_array(value: Any, *, where: str, ndim: int) -> np.ndarray:
    """A finite float64 array of the given rank, or InputError naming `where`."""
    try:
        arr = np.asarray(value, dtype=float)
    except (TypeError, ValueError) as exc:
        raise InputError(f"expected a numeric array ({exc})", where=where) from None
    if arr.ndim != ndim:
        raise InputError(f"expected a {ndim}-D array, got shape {arr.shape}", where=where)
    if not np.all(np.isfinite(arr)):
        raise InputError("contains NaN or infinite entries", where=where)
    return arr


def trajectory(
    W: np.ndarray,
    U: np.ndarray,
    xs: np.ndarray,
    h0: np.ndarray | None = None,
    b: np.ndarray | None = None,
    *,
    activation: str = "tanh",
) -> np.ndarray:
    """Pre-activations net_t = U x_t + W h_{t-1} + b for t = 1..T, shape (T, n); h_t = f(net_t)."""
    f = _F[_check_activation(activation)]
    h = np.zeros(W.shape[0]) if h0 is None else h0
    nets = np.empty((xs.shape[0], W.shape[0]))
    bias = 0.0 if b is None else b
    for t, x in enumerate(xs):
        nets[t] = U @ x + W @ h + bias
        h = f(nets[t])
    return nets


def jacobian_norms(W: np.ndarray, nets: np.ndarray, *, activation: str = "tanh") -> np.ndarray:
    """||dh_t/dh_0||_2 for t = 1..T, where dh_t/dh_0 = prod_{i=1}^{t} diag(f'(net_i)) W."""
    J = np.eye(W.shape[0])
    norms = np.empty(nets.shape[0])
    for t, net in enumerate(nets):
        J = activation_derivative(activation, net)[:, None] * (W @ J)
        norms[t] = np.linalg.norm(J, 2) if np.all(np.isfinite(J)) else np.inf
    return norms


@dataclass(frozen=True)
class FlowReport:
    """Gradient-flow readings for W and an activation; sequences are indexed by t - k = 1..K."""

    W: np.ndarray
    activation: str
    eigenvalues: tuple[complex | float, ...]
    singular_values: tuple[float, ...]
    spectral_radius: float
    largest_singular_value: float
    gamma: float
    pascanu: str  # "vanishing-guaranteed", "exploding-possible" or "bounded" (sigma_max == 1/gamma)
    long_run: str  # "vanishing", "exploding" or "neutral"
    jacobian_norms: tuple[float, ...]  # ||dh_t/dh_0||_2 along the trajectory, t = 1..K
    pascanu_bounds: tuple[float, ...]  # (gamma sigma_max)^(t-k), an upper bound on the above
    power_norms: tuple[float, ...]  # ||W^k||_2, k = 1..K
    nets: np.ndarray  # the trajectory's pre-activations, shape (K, n)
    seed: int | None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready summary (complex eigenvalues as {"re", "im"})."""
        return {
            "activation": self.activation,
            "spectral_radius": self.spectral_radius,
            "largest_singular_value": self.largest_singular_value,
            "gamma": self.gamma,
            "threshold": 1.0 / self.gamma,
            "pascanu": self.pascanu,
            "long_run": self.long_run,
            "eigenvalues": [
                {"re": v.real, "im": v.imag} if isinstance(v, complex) else v
                for v in self.eigenvalues
            ],
            "singular_values": list(self.singular_values),
            "jacobian_norms": list(self.jacobian_norms),
            "pascanu_bounds": list(self.pascanu_bounds),
            "power_norms": list(self.power_norms),
            "seed": self.seed,
        }

    def __str__(self) -> str:
        """The readings and the norms table, as `symbptt flow` prints them."""
        from symbptt.matrixreport import format_flow

        return format_flow(self)

    def _repr_markdown_(self) -> str:
        """Notebook display: the readings, then the norms along the trajectory."""
        from symbptt import display

        head = display.table(
            ("reading", "value"),
            [
                ("spectral radius $\\rho(W)$", display.number(self.spectral_radius, 4)),
                ("largest singular value $\\sigma_{\\max}(W)$",
                 display.number(self.largest_singular_value, 4)),
                (f"bound $\\gamma$ on {self.activation}'", display.number(self.gamma, 4)),
                ("Pascanu et al.'s reading", self.pascanu),
                ("long run of $W^k$", self.long_run),
            ],
        )  # fmt: skip
        rows = [
            (str(k), display.number(j), display.number(b), display.number(p))
            for k, (j, b, p) in enumerate(
                zip(self.jacobian_norms, self.pascanu_bounds, self.power_norms, strict=False), 1
            )
        ]
        norms = display.table(
            ("$t-k$", "$\\lVert \\partial h_t/\\partial h_k \\rVert$",
             "$(\\gamma\\sigma_{\\max})^{t-k}$", "$\\lVert W^{t-k} \\rVert$"),
            rows,
        )  # fmt: skip
        return head + "\n\n" + norms


def _check_finite(
    eigs: np.ndarray,
    svals: np.ndarray,
    nets: np.ndarray,
    powers: np.ndarray,
    norms: np.ndarray,
    bounds: np.ndarray,
) -> None:
    """A reading that overflows float64 is an InputError: the matrix (at once) or --steps (later)."""
    if not (np.all(np.isfinite(eigs)) and np.all(np.isfinite(svals))):
        raise InputError(
            "eigenvalues or singular values overflow float64; scale the matrix down", where="W"
        )
    per_step = np.vstack([nets, powers, norms, bounds])  # one column per t - k = 1..K
    bad = np.flatnonzero(~np.all(np.isfinite(per_step), axis=0))
    if bad.size:
        k = int(bad[0]) + 1
        if k == 1:
            raise InputError(
                "the trajectory or the products overflow float64 at the first step; "
                "scale the matrix down",
                where="W",
            )
        raise InputError(
            f"the products overflow float64 at t - k = {k}; use at most {k - 1} "
            + ("step" if k - 1 == 1 else "steps"),
            where="steps",
        )


#: ||dh_t/dh_k|| for t - k up to this many steps (one n x n product per step).
MAX_STEPS = 10_000


def gradient_flow(
    W: Any,
    activation: str = "tanh",
    *,
    steps: int = 10,
    U: Any = None,
    xs: Any = None,
    h0: Any = None,
    b: Any = None,
    seed: int | None = 0,
    tol: float = 1e-9,
) -> FlowReport:
    """All gradient-flow readings for W; U and xs default to seeded N(0, 1/m) and N(0, 1) draws."""
    _check_activation(activation)
    Wf = to_float_matrix(W, where="W")
    if np.iscomplexobj(Wf):
        raise InputError("expected a real matrix", where="W")
    n = Wf.shape[0]
    if (
        isinstance(steps, bool)
        or not isinstance(steps, int | np.integer)
        or not 1 <= steps <= MAX_STEPS
    ):
        raise InputError(
            f"expected a whole number of steps from 1 to {MAX_STEPS}, got {steps!r}",
            where="steps",
        )
    if seed is not None and (
        isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0
    ):
        raise InputError(f"expected a non-negative whole number, got {seed!r}", where="seed")
    rng = np.random.default_rng(seed)
    xs_arr = None if xs is None else _float_array(xs, where="xs", ndim=2)
    if U is None:
        m = n if xs_arr is None else xs_arr.shape[1]
        U_arr = rng.normal(0.0, 1.0 / np.sqrt(m), size=(n, m))
    else:
        U_arr = _float_array(U, where="U", ndim=2)
        if U_arr.shape[0] != n:
            raise InputError(
                f"expected {n} rows (the size of W), got shape {U_arr.shape}", where="U"
            )
    m = U_arr.shape[1]
    if xs_arr is None:
        xs_arr = rng.normal(0.0, 1.0, size=(steps, m))
    elif xs_arr.shape[1] != m or xs_arr.shape[0] < steps:
        raise InputError(f"expected shape (T >= {steps}, {m}), got {xs_arr.shape}", where="xs")
    h0_arr = None if h0 is None else _float_array(h0, where="h0", ndim=1)
    b_arr = None if b is None else _float_array(b, where="b", ndim=1)
    for name, arr in (("h0", h0_arr), ("b", b_arr)):
        if arr is not None and arr.shape != (n,):
            raise InputError(f"expected shape ({n},), got {arr.shape}", where=name)

    gamma = GAMMA[activation]
    ks = np.arange(1, steps + 1)
    with np.errstate(all="ignore"):  # overflow is found below and reported as an InputError
        try:
            nets = trajectory(Wf, U_arr, xs_arr[:steps], h0_arr, b_arr, activation=activation)
            eigs = np.linalg.eigvals(Wf)
            svals = np.linalg.svd(Wf, compute_uv=False)
            powers, P = [], np.eye(n)
            for _ in ks:
                P = Wf @ P
                powers.append(float(np.linalg.norm(P, 2)) if np.all(np.isfinite(P)) else np.inf)
            norms = jacobian_norms(Wf, nets, activation=activation)
        except np.linalg.LinAlgError as exc:
            raise InputError(
                f"the eigenvalue/SVD routines fail on this matrix ({exc}); its entries are too "
                "large for float64 arithmetic: scale it down",
                where="W",
            ) from None
        rho = float(np.max(np.abs(eigs)))
        smax = float(svals[0])
        bounds = (gamma * smax) ** ks
    _check_finite(np.abs(eigs), svals, np.abs(nets).max(axis=1), np.asarray(powers), norms, bounds)
    return FlowReport(
        W=Wf,
        activation=activation,
        eigenvalues=numeric_eigenvalues(eigs),
        singular_values=tuple(float(s) for s in svals),
        spectral_radius=rho,
        largest_singular_value=smax,
        gamma=gamma,
        pascanu=pascanu_reading(smax, gamma, tol=tol),
        long_run=long_run_reading(rho, tol=tol),
        jacobian_norms=tuple(float(v) for v in norms),
        pascanu_bounds=tuple(float(v) for v in bounds),
        power_norms=tuple(powers),
        nets=nets,
        seed=seed,
    )
