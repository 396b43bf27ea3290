"""The numpy BPTT engine against independent references: loops, finite differences, brute force."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from symbptt import engine
from symbptt.errors import InputError

# ----------------------------------------------------------------------------- independent reference
# Written from the formulas with plain loops over t and batch items; no engine code is called.

F = {
    "tanh": np.tanh,
    "sigmoid": lambda a: 1.0 / (1.0 + np.exp(-a)),
    "relu": lambda a: np.maximum(a, 0.0),
    "identity": lambda a: a,
}


def ref_outputs(p, xs, h0, act):
    """Hidden states by the definition, one column vector at a time. xs (T, B, m), h0 (B, n)."""
    T, B, _ = xs.shape
    hs = np.zeros((T, B, p["W"].shape[0]))
    for b in range(B):
        h = h0[b]
        for t in range(T):
            net = p["U"] @ xs[t, b] + p["W"] @ h + p.get("b", 0.0)
            h = F[act](net)
            hs[t, b] = h
    return hs


def ref_step_loss(p, h, y, out):
    """E_t for one hidden vector h and target y."""
    z = p["V"] @ h + p.get("c", 0.0)
    if out == "softmax":
        e = np.exp(z - z.max())
        return -float(np.sum(y * np.log(e / e.sum())))
    if out == "identity":
        return 0.5 * float(np.sum((z - y) ** 2))
    s = 1.0 / (1.0 + np.exp(-z))
    return -float(np.sum(y * np.log(s) + (1 - y) * np.log(1 - s)))


def ref_loss(p, xs, h0, act, out, ys=None, dh=None, loss_at="every"):
    """E = sum_t E_t (or E_T) summed over the batch, or sum_t <dh_t, h_t> in upstream mode."""
    hs = ref_outputs(p, xs, h0, act)
    if dh is not None:
        return float(np.sum(dh * hs))
    T, B = xs.shape[:2]
    steps = range(T) if loss_at == "every" else [T - 1]
    return sum(ref_step_loss(p, hs[t, b], ys[t, b], out) for t in steps for b in range(B))


def central_differences(fun, arrays, eps=1e-6):
    """d fun / d entry for every entry of every array in the dict (perturbed in place)."""
    grads = {}
    for name, a in arrays.items():
        g = np.zeros_like(a)
        for idx in np.ndindex(a.shape):
            old = a[idx]
            a[idx] = old + eps
            fp = fun()
            a[idx] = old - eps
            fm = fun()
            a[idx] = old
            g[idx] = (fp - fm) / (2 * eps)
        grads[name] = g
    return grads


def assert_close(a, b, name):
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    assert a.shape == b.shape, (name, a.shape, b.shape)
    bad = np.abs(a - b) > 1e-5 * (np.abs(a) + np.abs(b)) + 1e-8
    assert not bad.any(), f"{name}: engine {a[bad]} vs reference {b[bad]}"


def make_case(rs, T, B, n, m, k, with_b, with_c, out, scale=0.7):
    p = {"U": rs.uniform(-scale, scale, (n, m)), "W": rs.uniform(-scale, scale, (n, n))}
    if with_b:
        p["b"] = rs.uniform(-0.5, 0.5, n)
    if out is not None:
        p["V"] = rs.uniform(-scale, scale, (k, n))
        if with_c:
            p["c"] = rs.uniform(-0.5, 0.5, k)
    xs = rs.uniform(-1, 1, (T, B, m))
    h0 = rs.uniform(-0.5, 0.5, (B, n))
    if out == "softmax":
        ys = np.eye(k)[rs.randint(0, k, (T, B))]
    elif out == "sigmoid":
        ys = rs.uniform(0, 1, (T, B, k))
    else:
        ys = rs.uniform(-1, 1, (T, B, k))
    return p, xs, h0, ys


def reference_gradients(p, xs, h0, act, out, ys=None, dh=None, loss_at="every"):
    arrays = {k: v.copy() for k, v in p.items()}
    arrays["h0"] = h0.copy()
    arrays["xs"] = xs.copy()

    def fun():
        q = {k: arrays[k] for k in p}
        return ref_loss(q, arrays["xs"], arrays["h0"], act, out, ys, dh, loss_at)

    return central_differences(fun, arrays)


shapes = st.fixed_dictionaries(
    {
        "T": st.integers(1, 4),
        "B": st.sampled_from([None, 1, 2, 3]),
        "n": st.integers(1, 4),
        "m": st.integers(1, 3),
        "k": st.integers(1, 3),
        "with_b": st.booleans(),
        "with_c": st.booleans(),
        "seed": st.integers(0, 2**31 - 1),
    }
)


def run_property(s, act, out, loss_at, upstream):
    rs = np.random.RandomState(s["seed"])
    B = s["B"] or 1
    p, xs, h0, ys = make_case(
        rs, s["T"], B, s["n"], s["m"], s["k"], s["with_b"], s["with_c"], None if upstream else out
    )
    if act == "relu":  # stay away from the kink, where finite differences are meaningless
        hr = ref_outputs(p, xs, h0, "relu")
        prev = np.concatenate([h0[None], hr[:-1]])
        net = np.einsum("nm,tbm->tbn", p["U"], xs) + np.einsum("nj,tbj->tbn", p["W"], prev)
        assume(np.abs(net + p.get("b", 0.0)).min() > 1e-3)
    dh = rs.uniform(-1, 1, (s["T"], B, s["n"])) if upstream else None
    want = reference_gradients(p, xs, h0, act, None if upstream else out, ys, dh, loss_at)
    if s["B"] is None:  # drop the batch axis everywhere
        xs_, h0_, ys_ = xs[:, 0], h0[0], ys[:, 0]
        dh_ = None if dh is None else dh[:, 0]
        want["xs"], want["h0"] = want["xs"][:, 0], want["h0"][0]
    else:
        xs_, h0_, ys_, dh_ = xs, h0, ys, dh
    tr = engine.forward(p, xs_, h0_, activation=act, output=None if upstream else out)
    if upstream:
        got = engine.backward(tr, dh=dh_)
        assert math.isclose(
            float(np.sum(dh * ref_outputs(p, xs, h0, act))), float(np.vdot(dh_, tr.h))
        )
    else:
        got = engine.backward(tr, targets=ys_, loss_at=loss_at)
        assert math.isclose(
            engine.loss(tr, ys_, loss_at=loss_at),
            ref_loss(p, xs, h0, act, out, ys, None, loss_at),
            rel_tol=1e-10,
            abs_tol=1e-12,
        )
    assert set(got) == set(want)
    for name in want:
        assert_close(got[name], want[name], name)
    # the per-step terms add up to the weight gradients
    np.testing.assert_allclose(got.dW_terms.sum(0), got["W"], rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(got.dU_terms.sum(0), got["U"], rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("loss_at", ["every", "last"])
@pytest.mark.parametrize("out", ["softmax", "identity", "sigmoid"])
@pytest.mark.parametrize("act", ["tanh", "sigmoid", "relu", "identity"])
@settings(max_examples=15, deadline=None)
@given(s=shapes)
def test_gradients_match_finite_differences(s, act, out, loss_at):
    run_property(s, act, out, loss_at, upstream=False)


@pytest.mark.parametrize("act", ["tanh", "sigmoid", "relu", "identity"])
@settings(max_examples=15, deadline=None)
@given(s=shapes)
def test_upstream_mode_matches_finite_differences(s, act):
    run_property(s, act, None, "every", upstream=True)


@pytest.mark.parametrize(("out", "upstream"), [("softmax", False), (None, True)])
@pytest.mark.parametrize("act", ["tanh", "sigmoid", "relu", "identity"])
@settings(max_examples=10, deadline=None)
@given(s=shapes)
def test_large_size_code_path_matches_finite_differences(s, act, out, upstream):
    # above engine._BIG hidden values backward takes f' step by step and dU as (X^T delta)^T;
    # a threshold of 0 sends these small cases down that path
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(engine, "_BIG", 0)
        run_property(s, act, out, "every", upstream=upstream)


# ----------------------------------------------------------------------------- a hand-sized case


def test_hand_sized_t2_n2_loop_reference():
    """T=2, n=2, m=1, k=2, tanh + softmax: delta_t and the gradients written out scalar by scalar."""
    U = [[0.5], [-0.3]]
    W = [[0.1, -0.2], [0.4, 0.3]]
    V = [[0.7, -0.5], [-0.2, 0.6]]
    xs = [[1.0], [-2.0]]
    labels = [0, 1]
    h = [[0.0, 0.0]]
    nets = []
    for t in range(2):
        net = [U[i][0] * xs[t][0] + sum(W[i][j] * h[-1][j] for j in range(2)) for i in range(2)]
        nets.append(net)
        h.append([math.tanh(v) for v in net])
    dz = []
    for t in range(2):
        z = [sum(V[o][j] * h[t + 1][j] for j in range(2)) for o in range(2)]
        e = [math.exp(v) for v in z]
        yhat = [v / sum(e) for v in e]
        dz.append([yhat[o] - (1.0 if o == labels[t] else 0.0) for o in range(2)])
    dh = [[sum(V[o][i] * dz[t][o] for o in range(2)) for i in range(2)] for t in range(2)]
    d1 = [(1 - h[2][i] ** 2) * dh[1][i] for i in range(2)]
    d0 = [
        (1 - h[1][i] ** 2) * (dh[0][i] + sum(W[j][i] * d1[j] for j in range(2))) for i in range(2)
    ]
    dW = [[d0[i] * h[0][j] + d1[i] * h[1][j] for j in range(2)] for i in range(2)]
    dU = [[d0[i] * xs[0][0] + d1[i] * xs[1][0]] for i in range(2)]
    dV = [[dz[0][o] * h[1][j] + dz[1][o] * h[2][j] for j in range(2)] for o in range(2)]

    tr = engine.forward({"U": U, "W": W, "V": V}, xs)
    g = engine.backward(tr, targets=np.array(labels))
    np.testing.assert_allclose(tr.h, h[1:], rtol=1e-14)
    np.testing.assert_allclose(g.delta, [d0, d1], rtol=1e-13)
    np.testing.assert_allclose(g["W"], dW, rtol=1e-13)
    np.testing.assert_allclose(g["U"], dU, rtol=1e-13)
    np.testing.assert_allclose(g["V"], dV, rtol=1e-13)
    np.testing.assert_allclose(g.dW_terms[1], np.outer(d1, h[1]), rtol=1e-13)
    np.testing.assert_allclose(g.terms["W"][0], np.outer(d0, h[0]), rtol=1e-13)
    np.testing.assert_allclose(g.terms["U"][1], np.outer(d1, xs[1]), rtol=1e-13)
    np.testing.assert_allclose(g.deltas["net"], [d0, d1], rtol=1e-13)
    assert set(g.terms) == {"U", "W"}  # no b in this model
    assert set(g) == {"U", "W", "V", "h0", "xs"}


# ----------------------------------------------------------------------------- truncation, clipping


def brute_force_truncated(p, xs, h0, ys, act, out, tau):
    """Sum over t of the full gradient of E_t in a rollout that starts at step t - tau from the
    true h_{t-tau-1} held constant; by finite differences of the reference forward."""
    T = xs.shape[0]
    hs = ref_outputs(p, xs, h0, act)
    total = {k: np.zeros_like(v) for k, v in p.items()}
    total["h0"] = np.zeros_like(h0)
    total["xs"] = np.zeros_like(xs)
    for t in range(T):
        start = max(0, t - tau)
        arrays = {k: v.copy() for k, v in p.items()}
        arrays["xs"] = xs[start : t + 1].copy()
        init = h0.copy() if start == 0 else hs[start - 1].copy()
        arrays["h0"] = init

        def fun(arrays=arrays, t=t, start=start):
            q = {k: arrays[k] for k in p}
            hh = ref_outputs(q, arrays["xs"], arrays["h0"], act)
            return sum(ref_step_loss(q, hh[-1, b], ys[t, b], out) for b in range(xs.shape[1]))

        g = central_differences(fun, arrays)
        for k in p:
            total[k] += g[k]
        total["xs"][start : t + 1] += g["xs"]
        if start == 0:
            total["h0"] += g["h0"]
    return total


@pytest.mark.parametrize("tau", [0, 1, 2, 5])
def test_truncated_bptt_matches_brute_force(tau):
    rs = np.random.RandomState(7)
    T, B, n, m, k = 5, 2, 3, 2, 2
    p, xs, h0, ys = make_case(rs, T, B, n, m, k, True, True, "softmax", scale=1.0)
    tr = engine.forward(p, xs, h0)
    got = engine.backward(tr, targets=ys, truncate=tau)
    want = brute_force_truncated(p, xs, h0, ys, "tanh", "softmax", tau)
    for name in want:
        assert_close(got[name], want[name], name)
    full = engine.backward(tr, targets=ys)
    if tau >= T - 1:
        np.testing.assert_allclose(got["W"], full["W"], rtol=1e-13)
    else:  # truncation really changes the recurrent gradient here
        assert not np.allclose(got["W"], full["W"], rtol=1e-6)


def test_clipping_rescales_by_global_norm():
    rs = np.random.RandomState(3)
    p, xs, h0, ys = make_case(rs, 4, 2, 3, 2, 2, True, True, "identity", scale=1.5)
    tr = engine.forward(p, xs, h0, output="identity")
    full = engine.backward(tr, targets=ys)
    norm = math.sqrt(sum(float(np.sum(full[k] ** 2)) for k in ("U", "W", "b", "V", "c")))
    clipped = engine.backward(tr, targets=ys, clip=norm / 4)
    assert clipped.clipped and math.isclose(clipped.norm, norm, rel_tol=1e-12)
    for k in ("U", "W", "b", "V", "c"):
        np.testing.assert_allclose(clipped[k], full[k] / 4, rtol=1e-12)
    new = math.sqrt(sum(float(np.sum(clipped[k] ** 2)) for k in ("U", "W", "b", "V", "c")))
    assert math.isclose(new, norm / 4, rel_tol=1e-12)
    np.testing.assert_array_equal(clipped["h0"], full["h0"])  # only parameters are clipped
    loose = engine.backward(tr, targets=ys, clip=norm * 2)
    assert not loose.clipped
    np.testing.assert_array_equal(loose["W"], full["W"])
    assert full.norm is None


# ----------------------------------------------------------------------------- dtype, batch, cells


def test_float32_runs_in_float32_and_agrees_with_float64():
    rs = np.random.RandomState(11)
    p, xs, h0, ys = make_case(rs, 6, 3, 4, 3, 3, True, True, "softmax")
    tr32 = engine.forward(p, xs, h0, dtype="float32")
    g32 = engine.backward(tr32, targets=ys)
    g64 = engine.backward(engine.forward(p, xs, h0), targets=ys)
    assert tr32.h.dtype == np.float32 and tr32.yhat.dtype == np.float32
    for k, v in g32.items():
        assert v.dtype == np.float32, k
        np.testing.assert_allclose(v, g64[k], rtol=1e-3, atol=1e-5)
    assert g32.delta.dtype == np.float32


def test_batch_items_are_independent_and_shared_h0_sums():
    rs = np.random.RandomState(5)
    p, xs, h0, ys = make_case(rs, 3, 2, 3, 2, 2, True, False, "sigmoid")
    both = engine.backward(engine.forward(p, xs, h0[0], output="sigmoid"), targets=ys)
    singles = [
        engine.backward(engine.forward(p, xs[:, b], h0[0], output="sigmoid"), targets=ys[:, b])
        for b in range(2)
    ]
    for k in ("U", "W", "b", "V", "h0"):
        np.testing.assert_allclose(both[k], singles[0][k] + singles[1][k], rtol=1e-12)
    assert both["h0"].shape == (3,)
    np.testing.assert_allclose(both["xs"][:, 1], singles[1]["xs"], rtol=1e-12)


def test_cell_functions_agree_with_engine():
    rs = np.random.RandomState(2)
    p, xs, h0, _ = make_case(rs, 3, 1, 4, 2, 2, True, False, None)
    dh = rs.uniform(-1, 1, (3, 4))
    tr = engine.forward(p, xs[:, 0], h0[0], output=None)
    g = engine.backward(tr, dh=dh)
    col = lambda v: np.asarray(v).reshape(-1, 1)  # noqa: E731
    h = col(h0[0])
    for t in range(3):
        h = engine.rnn_cell_forward_step(p["U"], p["W"], col(p["b"]), col(xs[t, 0]), h, np.tanh)
        np.testing.assert_allclose(h[:, 0], tr.h[t], rtol=1e-14)
    delta_next = np.zeros((4, 1))
    for t in range(2, -1, -1):
        delta_next = engine.rnn_cell_backward_step(
            p["W"], col(tr.net[t]), col(dh[t]), delta_next, lambda a: 1 - np.tanh(a) ** 2
        )
        np.testing.assert_allclose(delta_next[:, 0], g.delta[t], rtol=1e-12)


def test_cell_functions_render_with_latexify():
    latexify = pytest.importorskip("latexify")
    fwd = latexify.get_latex(engine.rnn_cell_forward_step)
    bwd = latexify.get_latex(engine.rnn_cell_backward_step)
    assert r"f \mathopen{}\left( U x" in fwd and r"W \cdot \mathrm{h\_prev}" in fwd
    assert r"\mathbf{W}^\intercal" in bwd and r"\mathrm{fprime} \mathopen{}\left(" in bwd
    for tex in (fwd, bwd):
        assert "np." not in tex and ".T" not in tex and "transpose" not in tex


# ----------------------------------------------------------------------------- bad input


def good():
    rs = np.random.RandomState(0)
    p = {"U": rs.randn(3, 2), "W": rs.randn(3, 3), "V": rs.randn(2, 3)}
    return p, rs.randn(4, 2)


@pytest.mark.parametrize(
    ("change", "pattern"),
    [
        (
            lambda p, x: ({**p, "W": np.ones((3, 4))}, x),
            r"params\['W'\] must be square .* \(3, 4\)",
        ),
        (
            lambda p, x: ({**p, "W": np.ones((2, 2))}, x),
            r"params\['W'\] must have shape .*\(3, 3\)",
        ),
        (lambda p, x: (p, np.ones((4, 5))), r"xs must have shape .* m = 2 .*found shape \(4, 5\)"),
        (lambda p, x: (p, np.ones(4)), r"xs must have shape \(T, m\) or \(T, B, m\)"),
        (
            lambda p, x: ({**p, "b": np.ones(2)}, x),
            r"params\['b'\] must have shape \(n,\) = \(3,\)",
        ),
        (lambda p, x: ({**p, "V": np.ones((2, 4))}, x), r"params\['V'\] must have shape \(k, n\)"),
        (lambda p, x: ({**p, "U": p["U"] * np.nan}, x), r"params\['U'\] contains NaN or inf"),
        (lambda p, x: ({**p, "W": p["W"] + np.inf}, x), r"params\['W'\] contains NaN or inf"),
        (lambda p, x: ({**p, "Wx": p["U"]}, x), r"unknown key\(s\) \['Wx'\]"),
        (lambda p, x: ({k: p[k] for k in ("U", "V")}, x), r"params needs 'W'"),
    ],
)
def test_bad_forward_input_is_named(change, pattern):
    p, xs = change(*good())
    with pytest.raises(InputError, match=pattern):
        engine.forward(p, xs)


def test_bad_names_list_the_known_ones():
    p, xs = good()
    with pytest.raises(InputError, match=r"unknown activation 'softplus'; known: 'tanh', 'sig"):
        engine.forward(p, xs, activation="softplus")
    with pytest.raises(InputError, match=r"unknown output 'logits'; known: 'softmax', 'identity'"):
        engine.forward(p, xs, output="logits")
    with pytest.raises(InputError, match=r"dtype must be 'float64' or 'float32'"):
        engine.forward(p, xs, dtype="int32")
    with pytest.raises(InputError, match=r"h0 must have shape \(n,\) = \(3,\); found shape \(2,\)"):
        engine.forward(p, xs, np.zeros(2))
    with pytest.raises(InputError, match=r"params needs 'V'"):
        engine.forward({"U": p["U"], "W": p["W"]}, xs)


def test_bad_backward_input_is_named():
    p, xs = good()
    tr = engine.forward(p, xs)
    with pytest.raises(InputError, match=r"T differs: xs has T = 4, targets have 5"):
        engine.backward(tr, targets=np.ones((5, 2)))
    with pytest.raises(InputError, match=r"T differs: xs has T = 4, dh has 3"):
        engine.backward(tr, dh=np.ones((3, 3)))
    with pytest.raises(InputError, match=r"exactly one of targets= or dh="):
        engine.backward(tr)
    with pytest.raises(InputError, match=r"exactly one of targets= or dh="):
        engine.backward(tr, targets=np.ones((4, 2)), dh=np.ones((4, 3)))
    with pytest.raises(InputError, match=r"loss_at must be one of \['every', 'last'\]"):
        engine.backward(tr, targets=np.ones((4, 2)), loss_at="first")
    with pytest.raises(InputError, match=r"truncate must be a non-negative integer"):
        engine.backward(tr, targets=np.ones((4, 2)), truncate=-1)
    with pytest.raises(InputError, match=r"clip must be a positive finite threshold"):
        engine.backward(tr, targets=np.ones((4, 2)), clip=0.0)
    with pytest.raises(InputError, match=r"class labels must lie in 0..1"):
        engine.backward(tr, targets=np.array([0, 1, 2, 0]))
    no_out = engine.forward(p, xs, output=None)
    with pytest.raises(InputError, match=r"targets need an output layer"):
        engine.loss(no_out, np.ones((4, 2)))


@pytest.mark.parametrize("clip", ["1", True, 0, -1.0, float("inf"), float("nan")])
def test_clip_must_be_a_positive_finite_number(clip):
    rng = np.random.default_rng(0)
    params = {"U": rng.normal(size=(2, 1)), "W": rng.normal(size=(2, 2))}
    trace = engine.forward(params, rng.normal(size=(3, 1)), output=None)
    with pytest.raises(InputError, match="clip must be a positive finite threshold"):
        engine.backward(trace, dh=np.ones((3, 2)), clip=clip)


def test_nan_in_dh_or_targets_is_named():
    rng = np.random.default_rng(0)
    params = {"U": rng.normal(size=(2, 1)), "W": rng.normal(size=(2, 2)), "V": np.eye(2)}
    trace = engine.forward(params, rng.normal(size=(3, 1)), output="identity")
    bad = np.ones((3, 2))
    bad[1, 0] = np.nan
    with pytest.raises(InputError, match="dh contains NaN or inf"):
        engine.backward(trace, dh=bad)
    with pytest.raises(InputError, match="targets contains NaN or inf"):
        engine.backward(trace, targets=bad)


def test_pooled_buffers_never_overwrite_what_the_caller_keeps():
    """Working arrays are reused between calls only once nothing refers to them."""
    rs = np.random.RandomState(8)
    p, xs, h0, ys = make_case(rs, 30, 16, 40, 8, 5, True, True, "softmax")
    tr = engine.forward(p, xs, h0)
    g = engine.backward(tr, targets=ys)
    h_view = tr.h[3:5]  # a view alone must keep its buffer too
    kept = {"h": tr.h.copy(), "net": tr.net.copy(), "yhat": tr.yhat.copy()}
    kept_g = {k: v.copy() for k, v in g.items()}
    kept_view, kept_delta = h_view.copy(), g.delta.copy()
    for _ in range(3):
        other = engine.forward(p, rs.uniform(-1, 1, xs.shape), h0)
        engine.backward(other, targets=ys)
    del tr
    engine.backward(engine.forward(p, rs.uniform(-1, 1, xs.shape), h0), targets=ys)
    np.testing.assert_array_equal(h_view, kept_view)
    for k, v in kept_g.items():
        np.testing.assert_array_equal(g[k], v)
    np.testing.assert_array_equal(g.delta, kept_delta)
    tr2 = engine.forward(p, xs, h0)
    for k, v in kept.items():
        np.testing.assert_array_equal(getattr(tr2, k), v)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("spread", [3.0, 1e3])
def test_softmax_is_exact_for_narrow_and_wide_logit_ranges(dtype, spread):
    """yhat against softmax written per row (shifted by that row's max), whether the logits'
    whole range fits the exponent range (global shift) or not (per-row shift)."""
    rs = np.random.RandomState(21)
    T, B, n, m, k = 4, 3, 3, 2, 5
    p = {"U": rs.randn(n, m), "W": rs.randn(n, n) * 0.3, "V": rs.randn(k, n) * spread}
    p["c"] = np.linspace(-spread, spread, k)
    xs = rs.randn(T, B, m)
    tr = engine.forward(p, xs, output="softmax", dtype=dtype)
    tol = 1e-12 if dtype == "float64" else 2e-5
    for t in range(T):
        for b in range(B):
            z = p["V"] @ tr.h[t, b].astype(np.float64) + p["c"]
            e = np.exp(z - z.max())
            np.testing.assert_allclose(tr.yhat[t, b], e / e.sum(), rtol=tol, atol=tol * 1e-3)


def test_grad_xs_false_leaves_out_xs_only():
    """Without dE/dxs the parameter and h0 gradients still match the loop reference."""
    rs = np.random.RandomState(32)
    p, xs, h0, ys = make_case(rs, 5, 3, 4, 3, 3, True, True, "softmax")
    g = engine.backward(engine.forward(p, xs, h0), targets=ys, grad_xs=False)
    assert set(g) == {"U", "W", "b", "V", "c", "h0"}
    ref = reference_gradients(p, xs, h0, "tanh", "softmax", ys=ys)
    for k in g:
        assert_close(g[k], ref[k], k)


@pytest.mark.parametrize("c_order", [True, False])
def test_both_recurrent_operand_layouts_match_finite_differences(c_order, monkeypatch):
    """W in C or F order for the per-step products (whichever this BLAS runs faster): both
    layouts, forced here, give the reference forward and the central-difference gradients."""
    from symbptt import engine_core

    monkeypatch.setattr(engine_core, "_layout_c", {np.dtype(np.float64): c_order})
    rs = np.random.RandomState(42)
    p, xs, h0, ys = make_case(rs, 5, 3, 4, 3, 3, True, True, "softmax")
    tr = engine.forward(p, xs, h0)
    assert_close(tr.h, ref_outputs(p, xs, h0, "tanh"), "h")
    g = engine.backward(tr, targets=ys)
    ref = reference_gradients(p, xs, h0, "tanh", "softmax", ys=ys)
    for k in ref:
        assert_close(g[k], ref[k], k)
