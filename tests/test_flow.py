"""Gradient-flow readings on hand-worked matrices, and Jacobian norms on explicit trajectories."""

from __future__ import annotations

import math

import numpy as np
import pytest

from symbptt.errors import InputError
from symbptt.flow import (
    GAMMA,
    gradient_flow,
    long_run_reading,
    pascanu_reading,
    trajectory,
)


def test_gammas() -> None:
    # sup of f': tanh' = 1 - tanh^2 <= 1, sigmoid' = s(1 - s) <= 1/4, relu' in {0, 1}, identity 1.
    assert GAMMA == {"tanh": 1.0, "identity": 1.0, "sigmoid": 0.25, "relu": 1.0}


def test_diagonal_contracting_identity_activation() -> None:
    # f = identity: dh_t/dh_0 = W^t = diag(0.5^t, 0.25^t), spectral norm 0.5^t.
    r = gradient_flow([[0.5, 0], [0, 0.25]], "identity", steps=6)
    assert r.spectral_radius == 0.5 and r.largest_singular_value == 0.5
    assert r.pascanu == "vanishing-guaranteed" and r.long_run == "vanishing"
    np.testing.assert_allclose(r.jacobian_norms, [0.5**t for t in range(1, 7)], rtol=1e-14)
    np.testing.assert_allclose(r.power_norms, [0.5**t for t in range(1, 7)], rtol=1e-14)


def test_diagonal_expanding_identity_activation() -> None:
    r = gradient_flow([[2, 0], [0, 0.5]], "identity", steps=5)
    assert r.spectral_radius == 2 and r.largest_singular_value == 2
    assert r.pascanu == "exploding-possible" and r.long_run == "exploding"
    np.testing.assert_allclose(r.jacobian_norms, [2.0**t for t in range(1, 6)], rtol=1e-14)


def test_eigenvalues_are_not_singular_values() -> None:
    # W = [[a, b], [0, a]]: both eigenvalues a, but sigma_max = sqrt(a^2 + b^2/4) + b/2.
    r = gradient_flow([[0.5, 2], [0, 0.5]], "tanh", steps=8)
    sigma = math.sqrt(0.25 + 1.0) + 1.0  # = 1 + sqrt(5)/2 ~ 2.118
    assert r.spectral_radius == pytest.approx(0.5, abs=1e-7)  # defective: eig error ~ sqrt(eps)
    assert r.largest_singular_value == pytest.approx(sigma, rel=1e-12)
    assert r.long_run == "vanishing"  # rho < 1: W^k -> 0 eventually ...
    assert r.pascanu == "exploding-possible"  # ... yet sigma_max > 1 leaves explosion possible
    # W^k = [[a^k, k a^(k-1) b], [0, a^k]]: ||W^2|| > 1 even though rho < 1.
    W2 = np.array([[0.25, 2.0], [0.0, 0.25]])
    assert r.power_norms[1] == pytest.approx(np.linalg.norm(W2, 2), rel=1e-12)
    assert r.power_norms[1] > 1


def test_sigmoid_gamma_makes_sigma_3_vanishing_guaranteed() -> None:
    r = gradient_flow([[3, 0], [0, 3]], "sigmoid", steps=10, seed=1)
    assert r.gamma == 0.25 and r.largest_singular_value == 3
    assert r.pascanu == "vanishing-guaranteed"  # 3 < 1/gamma = 4
    assert r.long_run == "exploding"  # W^k alone grows as 3^k
    assert all(j <= 0.75**t * (1 + 1e-12) for t, j in enumerate(r.jacobian_norms, 1))
    # same W under tanh: the bound no longer applies
    assert gradient_flow([[3, 0], [0, 3]], "tanh").pascanu == "exploding-possible"


@pytest.mark.parametrize(
    "W, activation, expected",
    [
        ([[4, 0], [0, 4]], "sigmoid", "bounded"),
        ([[1, 0], [0, 1]], "tanh", "bounded"),
        ([[5, 0], [0, 1]], "sigmoid", "exploding-possible"),
    ],
)
def test_pascanu_boundary(W: list[list[float]], activation: str, expected: str) -> None:
    assert gradient_flow(W, activation).pascanu == expected


def test_identity_recurrence_is_neutral_with_unit_norms() -> None:
    r = gradient_flow([[0, 1], [1, 0]], "identity", steps=4)  # a permutation: rho = sigma = 1
    assert r.long_run == "neutral" and r.pascanu == "bounded"
    np.testing.assert_allclose(r.jacobian_norms, [1.0] * 4, rtol=1e-14)


def test_reading_helpers() -> None:
    assert pascanu_reading(0.99, 1.0) == "vanishing-guaranteed"
    assert pascanu_reading(1.01, 1.0) == "exploding-possible"
    assert pascanu_reading(4.0, 0.25) == "bounded"
    assert long_run_reading(0.999) == "vanishing"
    assert long_run_reading(1.0 + 1e-12) == "neutral"
    assert long_run_reading(1.2) == "exploding"


def _explicit_norms(W, U, xs, h0, b, f, df):
    """Independent reference: the explicit product prod_{i=1}^{t} diag(f'(net_i)) W."""
    h, nets = h0, []
    for x in xs:
        net = U @ x + W @ h + b
        nets.append(net)
        h = f(net)
    norms = []
    for t in range(1, len(xs) + 1):
        J = np.eye(W.shape[0])
        for i in range(t):  # factor for step i+1 goes on the left
            J = np.diag(df(nets[i])) @ W @ J
        norms.append(np.linalg.norm(J, 2))
    return norms


_ACTS = {
    "tanh": (np.tanh, lambda z: 1 / np.cosh(z) ** 2),
    "sigmoid": (lambda z: 1 / (1 + np.exp(-z)), lambda z: np.exp(-z) / (1 + np.exp(-z)) ** 2),
    "relu": (lambda z: np.maximum(z, 0), lambda z: (z > 0) * 1.0),
    "identity": (lambda z: z, np.ones_like),
}


@pytest.mark.parametrize("activation", list(_ACTS))
def test_jacobian_norms_against_explicit_product(activation: str) -> None:
    rng = np.random.default_rng(7)
    n, m, T = 3, 2, 6
    W, U = rng.normal(size=(n, n)), rng.normal(size=(n, m))
    xs, h0, b = rng.normal(size=(T, m)), rng.normal(size=n), rng.normal(size=n)
    r = gradient_flow(W, activation, steps=T, U=U, xs=xs, h0=h0, b=b)
    f, df = _ACTS[activation]
    np.testing.assert_allclose(
        r.jacobian_norms, _explicit_norms(W, U, xs, h0, b, f, df), rtol=1e-10
    )
    bounds = np.array(r.pascanu_bounds)
    assert np.all(np.array(r.jacobian_norms) <= bounds * (1 + 1e-12))


def test_relu_dead_units_kill_the_gradient() -> None:
    # U x + b very negative: every net < 0, relu' = 0, so dh_t/dh_0 = 0.
    r = gradient_flow(
        [[2, 0], [0, 2]], "relu", steps=3, U=[[1.0], [1.0]], xs=[[-5]] * 3, b=[-1, -1]
    )
    assert r.jacobian_norms == (0.0, 0.0, 0.0)


def test_seeded_default_trajectory_is_reproducible() -> None:
    a = gradient_flow([[0.9, 0.2], [-0.3, 0.8]], "tanh", steps=5, seed=3)
    b = gradient_flow([[0.9, 0.2], [-0.3, 0.8]], "tanh", steps=5, seed=3)
    c = gradient_flow([[0.9, 0.2], [-0.3, 0.8]], "tanh", steps=5, seed=4)
    assert a.jacobian_norms == b.jacobian_norms != c.jacobian_norms


def test_trajectory_matches_engine_forward() -> None:
    engine = pytest.importorskip("symbptt.engine")
    rng = np.random.default_rng(2)
    W, U, xs, b = (rng.normal(size=s) for s in [(3, 3), (3, 2), (5, 2), (3,)])
    trace = engine.forward({"U": U, "W": W, "b": b}, xs, None, activation="tanh", output=None)
    np.testing.assert_allclose(
        trajectory(W, U, xs, None, b, activation="tanh"), trace.net, rtol=1e-12
    )


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"activation": "softplus"}, "unknown activation 'softplus'"),
        ({"W": [[1, 2, 3], [4, 5, 6]]}, "square"),
        ({"W": [[1, float("inf")], [0, 1]]}, "finite"),
        ({"steps": 0}, "steps from 1 to 10000"),
        ({"steps": 10_001}, "steps from 1 to 10000"),
        ({"U": [[1.0, 2.0]]}, "expected 2 rows"),
        ({"xs": [[1.0, 2.0]], "steps": 3}, "T >= 3"),
        ({"h0": [1.0, 2.0, 3.0]}, r"expected shape \(2,\)"),
        ({"b": [[1.0, 2.0]]}, "1-D"),
    ],
)
def test_bad_input(kwargs: dict, match: str) -> None:
    args = {"W": [[0.5, 0], [0, 0.5]], "activation": "tanh"} | kwargs
    with pytest.raises(InputError, match=match):
        gradient_flow(args.pop("W"), args.pop("activation"), **args)


@pytest.mark.parametrize("seed", [-1, -(2**40), True, 1.5, "3"])
def test_seed_must_be_a_non_negative_whole_number(seed: object) -> None:
    with pytest.raises(InputError, match="non-negative whole number") as info:
        gradient_flow([[0.5]], "tanh", seed=seed)  # type: ignore[arg-type]
    assert info.value.where == "seed"


def test_huge_seed_and_no_seed_are_accepted() -> None:
    assert gradient_flow([[0.5]], "tanh", steps=2, seed=2**70).seed == 2**70
    assert gradient_flow([[0.5]], "tanh", steps=2, seed=None).seed is None


def test_overflow_names_the_step_it_happens_at() -> None:
    # identity activation, W = [[10]]: ||W^k|| = 10^k, finite up to k = 308 (1.8e308 is the max)
    report = gradient_flow([[10.0]], "identity", steps=308, U=[[0.0]], xs=np.zeros((308, 1)))
    assert report.power_norms[-1] == pytest.approx(1e308, rel=1e-12)
    with pytest.raises(
        InputError, match=r"overflow float64 at t - k = 309; use at most 308"
    ) as info:
        gradient_flow([[10.0]], "identity", steps=309, U=[[0.0]], xs=np.zeros((309, 1)))
    assert info.value.where == "steps"


@pytest.mark.parametrize("W", [[[1e300, 1e300], [1e300, 1e300]], [[1e308, -1e308], [1e308, 1e308]]])
def test_matrices_too_large_for_float64_arithmetic_are_input_errors(W: list) -> None:
    # W^2 has entries of about 2e600: beyond float64 at t - k = 2 at the latest
    with pytest.raises(InputError) as info:
        gradient_flow(W, "tanh", steps=10)
    assert info.value.where in ("W", "steps")


def test_entry_beyond_float64_names_the_entry() -> None:
    with pytest.raises(InputError, match="beyond float64") as info:
        gradient_flow([["1", "0"], ["0", "1e400"]], "tanh")
    assert info.value.where == "W[1][1]"
