"""The engine's hand-written fast path is held equal to the one tables (issue 10).

`symbptt.engine_core` keeps in-place, overflow-free versions of the activations (ACTIVATIONS)
and of the output heads with their losses (OUTPUTS). Every entry is compared with its entry in
`cells.functions.FUNCTIONS` (numpy f, f') and `cells.heads.HEADS` (numpy_output, numpy_loss,
numpy_grad) at random and extreme inputs (|z| up to 1e300, softmax rows spanning more than the
exponent range, cross-entropy targets that do not sum to 1), and both with formulas written
here from the definitions: Python's `math` element by element (a per-row max shift and `fsum`
for softmax and log-sum-exp) and central differences of the losses.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import pytest

from symbptt.cells.functions import FUNCTIONS, NUMERIC_STAND_IN, numeric_name
from symbptt.cells.heads import HEADS, Head
from symbptt.engine_core import ACTIVATIONS, OUTPUTS

Array = np.ndarray

#: Inputs where stable and naive forms part ways: signed zeros, tiny, the exp range edges, huge.
EXTREME = [0.0, -0.0, 1e-300, -1e-300, 0.5, -0.5, 20.0, -20.0, 40.0, -40.0, 80.0, -80.0,
           88.0, -88.0, 710.0, -710.0, 745.0, -745.0, 1e4, -1e4, 1e300, -1e300]  # fmt: skip
#: Tolerances per dtype: (rtol, atol) against float64 references of values in [-1, 1] or so.
TOL = {np.float64: (1e-12, 1e-15), np.float32: (2e-6, 2e-7)}


def _points(dtype: type, seed: int = 0) -> Array:
    """Random normals at three scales and the extreme values (within the dtype's range)."""
    rng = np.random.default_rng(seed)
    x = np.concatenate([rng.normal(size=40), 10 * rng.normal(size=40), 300 * rng.normal(size=40),
                        EXTREME])  # fmt: skip
    if dtype is np.float32:
        x = np.clip(x, -1e30, 1e30)
    return x.astype(dtype).reshape(-1, 2)  # rows of a (B, n) block, as the engine holds them


def _engine_f(name: str, x: Array) -> Array:
    out = np.empty_like(x)
    res = ACTIVATIONS[name].f(x, out)
    return np.asarray(res)


# ------------------------------------------------------------------ independent scalar formulas


def _sigmoid(x: float) -> float:
    """1 / (1 + e^-x), written so that e^(.) never overflows."""
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return e / (1.0 + e)


INDEPENDENT: dict[str, tuple[Callable[[float], float], Callable[[float], float]]] = {
    "tanh": (math.tanh, lambda x: 1.0 - math.tanh(x) ** 2),
    "sigmoid": (_sigmoid, lambda x: _sigmoid(x) * (1.0 - _sigmoid(x))),
    "relu": (lambda x: x if x > 0 else 0.0, lambda x: 1.0 if x > 0 else 0.0),
    "identity": (lambda x: x, lambda x: 1.0),
}


def _elementwise(fn: Callable[[float], float], x: Array) -> Array:
    return np.array([fn(float(v)) for v in x.ravel()]).reshape(x.shape)


# ------------------------------------------------------------------ activations


def test_the_engine_has_an_activation_for_every_table_function() -> None:
    """Every table function runs in the engine (a generic f as its stand-in), and no other."""
    numeric = {numeric_name(k) for k in FUNCTIONS}
    assert set(ACTIVATIONS) == numeric
    assert NUMERIC_STAND_IN in ACTIVATIONS
    assert set(INDEPENDENT) == numeric  # each one has a formula written here


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_engine_activation_equals_the_table_and_the_formula(name: str, dtype: type) -> None:
    x = _points(dtype)
    fn = FUNCTIONS[name]
    rtol, atol = TOL[dtype]
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        h = _engine_f(name, x)
        dh = np.asarray(ACTIVATIONS[name].df(x, h))
        table_h, table_d = fn.numpy(x), fn.d_in(x)
        table_prime = fn.prime(x, table_h)
    assert h.dtype == dtype and dh.dtype == dtype
    np.testing.assert_allclose(h, table_h, rtol=rtol, atol=atol, err_msg=f"{name}: f")
    np.testing.assert_allclose(dh, table_d, rtol=rtol, atol=atol, err_msg=f"{name}: f' (d_in)")
    np.testing.assert_allclose(dh, table_prime, rtol=rtol, atol=atol, err_msg=f"{name}: prime")
    f_ref, d_ref = INDEPENDENT[name]
    x64 = x.astype(np.float64)
    np.testing.assert_allclose(h, _elementwise(f_ref, x64), rtol=rtol, atol=atol)
    np.testing.assert_allclose(dh, _elementwise(d_ref, x64), rtol=rtol, atol=atol)


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_engine_activation_derivative_is_the_central_difference(name: str) -> None:
    rng = np.random.default_rng(1)
    x = rng.normal(scale=3.0, size=(30, 2))
    x = np.where(np.abs(x) < 1e-2, 0.5, x)  # relu's kink stays out of the stencil
    step = 1e-6
    fd = (_engine_f(name, x + step) - _engine_f(name, x - step)) / (2 * step)
    dh = ACTIVATIONS[name].df(x, _engine_f(name, x))
    np.testing.assert_allclose(dh, fd, rtol=1e-7, atol=1e-9)


def test_sigmoid_in_place_form_is_accurate_to_a_few_ulps_of_one() -> None:
    """0.5 (1 + tanh(x/2)) is accurate in absolute terms (a few 2^-53) everywhere and in
    relative terms for x >= 0; for very negative x it is not (sigma(-30) ~ 9.4e-14 comes out
    with a relative error near 2e-4, sigma(-40) as 0), which the gates never notice."""
    x = np.linspace(-60.0, 60.0, 1201).reshape(-1, 1)
    ref = _elementwise(_sigmoid, x)
    got = _engine_f("sigmoid", x)
    np.testing.assert_allclose(got, ref, rtol=0, atol=4.5e-16)
    pos = x[:, 0] >= 0
    np.testing.assert_allclose(got[pos], ref[pos], rtol=4.5e-16, atol=0)
    assert got[0, 0] == 0.0 and ref[0, 0] > 0  # the known loss of relative accuracy, far left


# ------------------------------------------------------------------ heads


def _head(output: str) -> Head:
    """The table's head whose output layer is the engine's `output`."""
    (h,) = [h for h in HEADS.values() if h.output == output and h.has_output_layer]
    return h


def test_the_engine_has_an_output_for_every_table_head() -> None:
    assert set(OUTPUTS) == {h.output for h in HEADS.values() if h.has_output_layer}


def _softmax_row(z: list[float]) -> list[float]:
    m = max(z)
    e = [math.exp(v - m) for v in z]
    s = math.fsum(e)
    return [v / s for v in e]


def _ce_row(z: list[float], y: list[float]) -> float:
    """-sum_j y_j log softmax_j(z) = -sum_j y_j (z_j - logsumexp(z))."""
    m = max(z)
    lse = m + math.log(math.fsum(math.exp(v - m) for v in z))
    return -math.fsum(yj * (zj - lse) for zj, yj in zip(z, y, strict=True))


def _softplus(v: float) -> float:
    return max(v, 0.0) + math.log1p(math.exp(-abs(v)))


#: Per output: (yhat row, E row, dE/dz row), each from the definitions.
HEAD_FORMULAS: dict[str, tuple[Callable, Callable, Callable]] = {
    "softmax": (
        _softmax_row,
        _ce_row,
        # d/dz_i of -sum_j y_j (z_j - lse(z)) = softmax_i(z) sum_j y_j - y_i, for any y
        lambda z, y: [p * math.fsum(y) - yi for p, yi in zip(_softmax_row(z), y, strict=True)],
    ),
    "identity": (
        list,
        lambda z, y: 0.5 * math.fsum((a - b) ** 2 for a, b in zip(z, y, strict=True)),
        lambda z, y: [a - b for a, b in zip(z, y, strict=True)],
    ),
    "sigmoid": (
        lambda z: [_sigmoid(v) for v in z],
        # -y log s - (1 - y) log(1 - s) = softplus(z) - y z (log s = -softplus(-z))
        lambda z, y: math.fsum(_softplus(a) - b * a for a, b in zip(z, y, strict=True)),
        lambda z, y: [_sigmoid(a) - b for a, b in zip(z, y, strict=True)],
    ),
}


def _rows(fn: Callable, z: Array, *y: Array) -> Array:
    zz = z.reshape(-1, z.shape[-1]).astype(np.float64).tolist()
    yy = [a.reshape(-1, a.shape[-1]).astype(np.float64).tolist() for a in y]
    return np.array([fn(r, *(a[i] for a in yy)) for i, r in enumerate(zz)])


def _head_inputs(output: str, dtype: type, seed: int = 2) -> tuple[Array, Array]:
    """(z, y) as (T, B, k): random rows, extreme rows and rows spanning the exponent range;
    softmax targets that do not sum to 1 (soft, zero, > 1), BCE targets in [0, 1]."""
    rng = np.random.default_rng(seed)
    big = 1e30 if dtype is np.float32 else 1e300
    k = 3
    z = np.concatenate([
        rng.normal(size=(12, k)),
        30 * rng.normal(size=(12, k)),
        [[1000.0, -1000.0, 0.0], [-1e4, -1e4 + 1.0, -1e4 + 2.0], [big, -big, 0.0],
         [745.0, 744.0, -745.0], [0.0, 0.0, 0.0], [1e-300, -1e-300, 0.0]],
    ]).reshape(-1, 2, k)  # fmt: skip
    if output == "softmax":
        y = rng.uniform(0.0, 2.0, size=z.shape)
        y[0, 0] = 0.0  # a row summing to 0
        y[1, 1] = [0.0, 1.0, 0.0]  # one-hot
    elif output == "sigmoid":
        y = rng.uniform(0.0, 1.0, size=z.shape)
    else:
        y = rng.normal(size=z.shape)
    if output == "identity":  # squared error of 1e300 overflows any form: keep it finite
        z = np.clip(z, -1e4, 1e4)
    return z.astype(dtype), y.astype(dtype)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("output", sorted(OUTPUTS))
def test_engine_output_equals_the_table_head_and_the_formula(output: str, dtype: type) -> None:
    z, y = _head_inputs(output, dtype)
    out, head = OUTPUTS[output], _head(output)
    rtol, atol = TOL[dtype]
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        yh = np.asarray(out.g(z))
        loss = out.loss(z, yh, y)
        dz = np.asarray(out.dz(yh, y))
        t_yh = head.numpy_output(z)
        t_loss = head.numpy_loss(z, y)
        t_dz = head.numpy_grad(z, y)
    assert yh.dtype == dtype and dz.dtype == dtype
    np.testing.assert_allclose(yh, t_yh, rtol=rtol, atol=atol, err_msg=f"{output}: g")
    np.testing.assert_allclose(dz, t_dz, rtol=rtol, atol=atol, err_msg=f"{output}: dE/dz")
    assert t_loss.shape == z.shape[:-1]
    rows_ref = _rows(HEAD_FORMULAS[output][1], z, y)
    scale = max(1.0, float(np.abs(rows_ref).sum()))
    assert loss == pytest.approx(float(t_loss.sum()), rel=rtol, abs=rtol * scale)
    np.testing.assert_allclose(t_loss.reshape(-1), rows_ref, rtol=rtol, atol=rtol * scale)
    g_ref, _, d_ref = HEAD_FORMULAS[output]
    np.testing.assert_allclose(yh.reshape(-1, z.shape[-1]), _rows(g_ref, z), rtol=rtol, atol=atol)
    dz_ref = _rows(d_ref, z, y)
    np.testing.assert_allclose(dz.reshape(-1, z.shape[-1]), dz_ref, rtol=rtol, atol=10 * atol)


def test_engine_softmax_shared_shift_costs_at_most_the_shift_in_ulps() -> None:
    """Rows far apart but within the exponent range share one shift (the global max): a row's
    exponents are rounded at the magnitude of that shift, so its relative error is bounded by
    about |shift| 2^-53 (here 600 ulps of 1 at most), not by a few ulps as with its own max."""
    z = np.array([[[600.0, 599.0, 598.5]], [[-50.0, -51.0, -49.0]], [[0.0, 1e-3, -1e-3]]])
    ref = _rows(_softmax_row, z)
    bound = 4 * 600 * 2.0**-53
    np.testing.assert_allclose(OUTPUTS["softmax"].g(z).reshape(-1, 3), ref, rtol=bound, atol=0)
    np.testing.assert_allclose(_head("softmax").numpy_output(z).reshape(-1, 3), ref, rtol=1e-15)
    z32 = np.array([[[70.0, 69.0]], [[-5.0, -6.0]]], dtype=np.float32)
    ref32 = _rows(_softmax_row, z32)
    np.testing.assert_allclose(
        OUTPUTS["softmax"].g(z32).reshape(-1, 2), ref32, rtol=4 * 70 * 2.0**-24
    )


def _central(loss: Callable[[Array], float], z: Array, step: float = 1e-6) -> Array:
    g = np.zeros_like(z)
    for i in np.ndindex(z.shape):
        zp, zm = z.copy(), z.copy()
        zp[i] += step
        zm[i] -= step
        g[i] = (loss(zp) - loss(zm)) / (2 * step)
    return g


@pytest.mark.parametrize("output", sorted(OUTPUTS))
def test_head_and_engine_gradients_are_central_differences_of_their_losses(output: str) -> None:
    """numpy_grad = d numpy_loss / dz and the engine's dz = d loss / dz, for any targets."""
    rng = np.random.default_rng(3)
    z = rng.normal(scale=2.0, size=(3, 2, 4))
    y = rng.uniform(0.0, 2.0 if output == "softmax" else 1.0, size=z.shape)
    head, out = _head(output), OUTPUTS[output]
    fd_head = _central(lambda v: float(head.numpy_loss(v, y).sum()), z)
    np.testing.assert_allclose(head.numpy_grad(z, y), fd_head, rtol=1e-7, atol=1e-9)
    fd_engine = _central(lambda v: out.loss(v, out.g(v), y), z)
    np.testing.assert_allclose(out.dz(out.g(z), y), fd_engine, rtol=1e-7, atol=1e-9)


def test_softmax_ce_gradient_without_the_target_sum_fails_the_central_differences() -> None:
    """Not vacuous: softmax(z) - y (right only when y sums to 1) is caught by the check above."""
    rng = np.random.default_rng(4)
    z = rng.normal(size=(2, 4))
    y = rng.uniform(0.0, 2.0, size=z.shape)
    head = _head("softmax")
    fd = _central(lambda v: float(head.numpy_loss(v, y).sum()), z)
    wrong = head.numpy_output(z) - y
    assert np.abs(wrong - fd).max() > 1e-2
    y1 = y / y.sum(axis=-1, keepdims=True)  # the two agree once the targets sum to 1
    fd1 = _central(lambda v: float(head.numpy_loss(v, y1).sum()), z)
    np.testing.assert_allclose(head.numpy_output(z) - y1, fd1, rtol=1e-7, atol=1e-9)
