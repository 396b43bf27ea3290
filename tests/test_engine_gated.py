"""The engine's gated cells (lstm, gru, gru-reset-before) against loop code written here.

The references are plain loops over t, one gate at a time, on one unbatched float64 sequence,
typed from the published equations (PyTorch's nn.LSTM / nn.GRU documentation; Cho et al. v3
and d2l for the reset-before GRU) and their BPTT (see docs of CS231n / Greff et al.), plus
central differences of the loop forward. No engine code is called by a reference.
"""

from __future__ import annotations

import numpy as np
import pytest

from symbptt import engine
from symbptt.errors import InputError

CELLS = ("lstm", "gru", "gru-reset-before")
GATES = {"lstm": "ifgo", "gru": "zrn", "gru-reset-before": "zrn"}


def sig(a):
    return 1.0 / (1.0 + np.exp(-a))


# ----------------------------------------------------------------------------- loop references


def ref_forward(cell, P, xs, h0, c0=None):
    """States, gate values and intermediates for one sequence xs (T, m), column vectors."""
    h = h0.copy()
    c = None if c0 is None else c0.copy()
    rows = []
    for x in xs:
        if cell == "lstm":
            i = sig(P["U_i"] @ x + P["W_i"] @ h + P["b_i"])
            f = sig(P["U_f"] @ x + P["W_f"] @ h + P["b_f"])
            g = np.tanh(P["U_g"] @ x + P["W_g"] @ h + P["b_g"])
            o = sig(P["U_o"] @ x + P["W_o"] @ h + P["b_o"])
            c_new = f * c + i * g
            h_new = o * np.tanh(c_new)
            rows.append(dict(x=x, hp=h, cp=c, i=i, f=f, g=g, o=o, c=c_new, h=h_new))
            h, c = h_new, c_new
        else:
            z = sig(P["U_z"] @ x + P["W_z"] @ h + P["b_z"])
            r = sig(P["U_r"] @ x + P["W_r"] @ h + P["b_r"])
            if cell == "gru":  # PyTorch: n = tanh(W_in x + b_in + r * (W_hn h + b_hn))
                u = P["W_n"] @ h + P["b_hn"]
                n = np.tanh(P["U_n"] @ x + P["b_n"] + r * u)
            else:  # Cho v3 / d2l: n = tanh(W_n (r * h) + U_n x + b_n)
                u = None
                n = np.tanh(P["W_n"] @ (r * h) + P["U_n"] @ x + P["b_n"])
            h_new = z * h + (1 - z) * n
            rows.append(dict(x=x, hp=h, z=z, r=r, n=n, u=u, h=h_new))
            h = h_new
    return rows


def ref_head(P, h, y, out):
    """E_t and dE_t/dh_t for one hidden vector: softmax + CE, identity + SE, sigmoid + BCE."""
    z = P["V"] @ h + P["c"]
    if out == "softmax":
        e = np.exp(z - z.max())
        p = e / e.sum()
        E, dz = -float(np.sum(y * np.log(p))), p * y.sum() - y
    elif out == "identity":
        E, dz = 0.5 * float(np.sum((z - y) ** 2)), z - y
    else:
        s = sig(z)
        E, dz = -float(np.sum(y * np.log(s) + (1 - y) * np.log(1 - s))), s - y
    return E, dz


def ref_loss(cell, P, xs, h0, c0, ys, out, loss_at="every", dh=None):
    rows = ref_forward(cell, P, xs, h0, c0)
    if dh is not None:
        return sum(float(dh[t] @ rows[t]["h"]) for t in range(len(rows)))
    steps = range(len(rows)) if loss_at == "every" else [len(rows) - 1]
    return sum(ref_head(P, rows[t]["h"], ys[t], out)[0] for t in steps)


def ref_backward(cell, P, xs, h0, c0, ys=None, out="softmax", dh=None, lo=0, only=None):
    """Loop BPTT from the published formulas: gradients, per-step terms, deltas dE/dh_t, dE/dc_t.

    lo: the first step whose parameters take part (earlier states are constants, for the
    truncation reference); only: the one step whose loss counts (None: every step).
    """
    rows = ref_forward(cell, P, xs, h0, c0)
    T = len(rows)
    G = {k: np.zeros_like(v) for k, v in P.items()}
    terms = {k: np.zeros((T, *v.shape)) for k, v in P.items() if k[0] in "UWb"}
    dH = np.zeros((T, h0.size))
    dC = np.zeros((T, h0.size))
    dxs = np.zeros_like(xs)
    local = np.zeros((T, h0.size))
    for t in range(T):
        if only is not None and t != only:
            continue
        if dh is not None:
            local[t] = dh[t]
        else:
            _, dz = ref_head(P, rows[t]["h"], ys[t], out)
            G["V"] += np.outer(dz, rows[t]["h"])
            G["c"] += dz
            local[t] = P["V"].T @ dz
    dh_next = np.zeros(h0.size)
    dc_next = np.zeros(h0.size)

    def add(key, t, v):
        G[key] += v
        terms[key][t] += v

    for t in range(T - 1, lo - 1, -1):
        w = rows[t]
        dht = local[t] + dh_next
        dH[t] = dht
        x, hp = w["x"], w["hp"]
        if cell == "lstm":
            tc = np.tanh(w["c"])
            dct = dc_next + dht * w["o"] * (1 - tc**2)
            dC[t] = dct
            da = {
                "o": dht * tc * w["o"] * (1 - w["o"]),
                "i": dct * w["g"] * w["i"] * (1 - w["i"]),
                "f": dct * w["cp"] * w["f"] * (1 - w["f"]),
                "g": dct * w["i"] * (1 - w["g"] ** 2),
            }
            dh_next = np.zeros(h0.size)
            for k in "ifgo":
                add(f"U_{k}", t, np.outer(da[k], x))
                add(f"W_{k}", t, np.outer(da[k], hp))
                add(f"b_{k}", t, da[k])
                dxs[t] += P[f"U_{k}"].T @ da[k]
                dh_next += P[f"W_{k}"].T @ da[k]
            dc_next = dct * w["f"]
        else:
            z, r, n = w["z"], w["r"], w["n"]
            da_n = dht * (1 - z) * (1 - n**2)
            da_z = dht * (hp - n) * z * (1 - z)
            if cell == "gru":
                da_r = da_n * w["u"] * r * (1 - r)
                add("W_n", t, np.outer(da_n * r, hp))
                add("b_hn", t, da_n * r)
                dh_next = dht * z + P["W_n"].T @ (da_n * r)
            else:
                drh = P["W_n"].T @ da_n
                da_r = drh * hp * r * (1 - r)
                add("W_n", t, np.outer(da_n, r * hp))
                dh_next = dht * z + r * drh
            for k, d in (("z", da_z), ("r", da_r)):
                add(f"W_{k}", t, np.outer(d, hp))
                dh_next = dh_next + P[f"W_{k}"].T @ d
            for k, d in (("z", da_z), ("r", da_r), ("n", da_n)):
                add(f"U_{k}", t, np.outer(d, x))
                add(f"b_{k}", t, d)
                dxs[t] += P[f"U_{k}"].T @ d
    G["h0"], G["xs"] = dh_next, dxs
    if cell == "lstm":
        G["c0"] = dc_next
    return G, terms, dH, dC


def central(fun, arrays, eps=1e-6):
    """d fun / d entry for every entry of every array (perturbed in place)."""
    out = {}
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
        out[name] = g
    return out


# ----------------------------------------------------------------------------- cases


def make(cell, rs, T=3, B=None, n=3, m=2, k=2, out="softmax", scale=0.8):
    keys = [f"{w}_{g}" for w in "UWb" for g in GATES[cell]]
    if cell == "gru":
        keys.append("b_hn")
    shape = {"U": (n, m), "W": (n, n), "b": (n,)}
    P = {key: rs.uniform(-scale, scale, shape[key[0]]) for key in keys}
    P["V"] = rs.uniform(-scale, scale, (k, n))
    P["c"] = rs.uniform(-0.5, 0.5, k)
    lead = (T,) if B is None else (T, B)
    xs = rs.uniform(-1, 1, (*lead, m))
    h0 = rs.uniform(-0.5, 0.5, (*lead[1:], n))
    c0 = rs.uniform(-0.5, 0.5, (*lead[1:], n)) if cell == "lstm" else None
    if out == "softmax":
        ys = np.eye(k)[rs.randint(0, k, lead)]
    elif out == "sigmoid":
        ys = rs.uniform(0, 1, (*lead, k))
    else:
        ys = rs.uniform(-1, 1, (*lead, k))
    return P, xs, h0, c0, ys


def close(a, b, name, rtol=1e-9, atol=1e-11):
    a, b = np.asarray(a, float), np.asarray(b, float)
    assert a.shape == b.shape, (name, a.shape, b.shape)
    np.testing.assert_allclose(a, b, rtol=rtol, atol=atol, err_msg=name)


# ----------------------------------------------------------------------------- forward


@pytest.mark.parametrize("cell", CELLS)
def test_forward_matches_loop_reference(cell):
    P, xs, h0, c0, _ = make(cell, np.random.RandomState(1), T=4, n=3, m=2)
    tr = engine.forward(P, xs, h0, cell=cell, c0=c0)
    rows = ref_forward(cell, P, xs, h0, c0)
    close(tr.h, [w["h"] for w in rows], "h")
    for g in GATES[cell]:
        close(tr.gates[g], [w[g] for w in rows], g)
    if cell == "lstm":
        close(tr.c, [w["c"] for w in rows], "c")
        close(tr.intermediates["tanh_c"], [np.tanh(w["c"]) for w in rows], "tanh_c")
        close(tr.pre["f"], [P["U_f"] @ w["x"] + P["W_f"] @ w["hp"] + P["b_f"] for w in rows], "a_f")
    if cell == "gru":
        close(tr.intermediates["u"], [w["u"] for w in rows], "u")
    zs = [P["V"] @ w["h"] + P["c"] for w in rows]
    close(tr.z, zs, "z")
    close(tr.yhat, [np.exp(z) / np.exp(z).sum() for z in zs], "yhat")


def test_lstm_hand_computed_single_step():
    # n = m = 1, all weights 0 except biases: i = f = o = sigma(0) = 1/2, g = tanh(b_g)
    P = {f"{w}_{g}": np.zeros((1, 1)) for w in "UW" for g in "ifgo"}
    P.update({f"b_{g}": np.zeros(1) for g in "ifo"}, b_g=np.array([0.5]))
    tr = engine.forward(P, [[2.0]], [0.3], cell="lstm", c0=[0.8], output=None)
    c1 = 0.5 * 0.8 + 0.5 * np.tanh(0.5)
    assert tr.c[0, 0] == pytest.approx(c1, abs=1e-15)
    assert tr.h[0, 0] == pytest.approx(0.5 * np.tanh(c1), abs=1e-15)


def test_gru_hand_computed_single_step():
    # z = r = 1/2 (zero weights and biases); n = tanh(b_n + r * b_hn); h = (h0 + n) / 2
    P = {f"{w}_{g}": np.zeros((1, 1)) for w in "UW" for g in "zrn"}
    P.update({f"b_{g}": np.zeros(1) for g in "zr"}, b_n=np.array([0.2]), b_hn=np.array([0.6]))
    tr = engine.forward(P, [[1.0]], [0.4], cell="gru", output=None)
    n = np.tanh(0.2 + 0.5 * 0.6)
    assert tr.h[0, 0] == pytest.approx(0.5 * 0.4 + 0.5 * n, abs=1e-15)


# ----------------------------------------------------------------------------- gradients


@pytest.mark.parametrize("out", ["softmax", "identity", "sigmoid"])
@pytest.mark.parametrize("cell", CELLS)
def test_every_gradient_matches_loop_bptt_and_central_differences(cell, out):
    rs = np.random.RandomState(hash((cell, out)) % 2**31)
    P, xs, h0, c0, ys = make(cell, rs, T=3, n=3, m=2, k=2, out=out)
    tr = engine.forward(P, xs, h0, cell=cell, c0=c0, output=out)
    g = engine.backward(tr, targets=ys)
    ref, terms, dH, dC = ref_backward(cell, P, xs, h0, c0, ys, out)
    arrays = {k: v.copy() for k, v in P.items()}
    arrays.update(h0=h0.copy(), xs=xs.copy())
    if c0 is not None:
        arrays["c0"] = c0.copy()

    def fun():
        q = {k: arrays[k] for k in P}
        return ref_loss(cell, q, arrays["xs"], arrays["h0"], arrays.get("c0"), ys, out)

    num = central(fun, arrays)
    assert set(g) == set(ref)
    for key in ref:
        close(g[key], ref[key], f"{key} vs loop BPTT")
        close(g[key], num[key], f"{key} vs central differences", rtol=1e-6, atol=1e-8)
    for key in terms:
        close(g.terms[key], terms[key], f"terms[{key}]")
    close(g.deltas["h"], dH, "delta h")
    if cell == "lstm":
        close(g.deltas["c"], dC, "delta c")
    assert engine.loss(tr, ys) == pytest.approx(fun(), rel=1e-12)


@pytest.mark.parametrize("truncate", [None, 1])
@pytest.mark.parametrize("cell", CELLS)
def test_large_trace_code_path_matches_loop_bptt(cell, truncate, monkeypatch):
    """Above a size the derivative factors are taken step by step; forced here on a small case."""
    from symbptt import engine_gated_back

    monkeypatch.setattr(engine_gated_back, "_BIG", 0)
    rs = np.random.RandomState(21)
    P, xs, h0, c0, ys = make(cell, rs, T=4, B=2)
    g = engine.backward(engine.forward(P, xs, h0, cell=cell, c0=c0), targets=ys, truncate=truncate)
    for b in range(2):
        cb = None if c0 is None else c0[b]
        if truncate is None:
            ref, *_ = ref_backward(cell, P, xs[:, b], h0[b], cb, ys[:, b])
        else:
            ref = {"xs": np.zeros_like(xs[:, b])}
            for s in range(4):
                part, *_ = ref_backward(
                    cell, P, xs[:, b], h0[b], cb, ys[:, b], only=s, lo=max(0, s - truncate)
                )
                ref["xs"] += part["xs"]
        close(g["xs"][:, b], ref["xs"], "xs")
        if truncate is None:
            close(g["h0"][b], ref["h0"], "h0")


@pytest.mark.parametrize("cell", CELLS)
def test_upstream_dh_and_loss_at_last(cell):
    rs = np.random.RandomState(7)
    P, xs, h0, c0, ys = make(cell, rs, T=4)
    q = {k: v for k, v in P.items() if k not in ("V", "c")}
    dh = rs.uniform(-1, 1, (4, 3))
    g = engine.backward(engine.forward(q, xs, h0, cell=cell, c0=c0, output=None), dh=dh)
    ref, *_ = ref_backward(cell, P, xs, h0, c0, dh=dh)
    for key in g:
        close(g[key], ref[key], key)
    # loss at the last step only: the loop reference with only=T-1
    g = engine.backward(engine.forward(P, xs, h0, cell=cell, c0=c0), targets=ys, loss_at="last")
    ref, *_ = ref_backward(cell, P, xs, h0, c0, ys, only=3)
    for key in g:
        close(g[key], ref[key], key)


@pytest.mark.parametrize("cell", CELLS)
def test_t1_and_zero_initial_states(cell):
    rs = np.random.RandomState(3)
    P, xs, h0, c0, ys = make(cell, rs, T=1)
    z0 = np.zeros(3)
    g = engine.backward(engine.forward(P, xs, cell=cell), targets=ys)
    ref, *_ = ref_backward(cell, P, xs, z0, z0 if cell == "lstm" else None, ys)
    for key in ref:
        close(g[key], ref[key], key)


@pytest.mark.parametrize("cell", CELLS)
def test_batch_items_are_independent_and_shared_states_sum(cell):
    rs = np.random.RandomState(11)
    P, xs, h0, c0, ys = make(cell, rs, T=3, B=3)
    tr = engine.forward(P, xs, h0, cell=cell, c0=c0)
    g = engine.backward(tr, targets=ys)
    total = None
    for b in range(3):
        cb = None if c0 is None else c0[b]
        ref, *_ = ref_backward(cell, P, xs[:, b], h0[b], cb, ys[:, b])
        close(tr.h[:, b], [w["h"] for w in ref_forward(cell, P, xs[:, b], h0[b], cb)], "h")
        close(g["h0"][b], ref["h0"], "h0")
        close(g["xs"][:, b], ref["xs"], "xs")
        if cb is not None:
            close(g["c0"][b], ref["c0"], "c0")
        total = {k: v.copy() for k, v in ref.items()} if total is None else total
        if b:
            for k in P:
                total[k] += ref[k]
    for k in P:
        close(g[k], total[k], k)
    # one h0 (and c0) shared by the batch: its gradient is the sum over the items
    c0s = None if c0 is None else c0[0]
    gs = engine.backward(engine.forward(P, xs, h0[0], cell=cell, c0=c0s), targets=ys)
    same = engine.backward(
        engine.forward(
            P,
            xs,
            np.tile(h0[0], (3, 1)),
            cell=cell,
            c0=None if c0s is None else np.tile(c0s, (3, 1)),
        ),
        targets=ys,
    )
    close(gs["h0"], same["h0"].sum(0), "shared h0")
    if c0s is not None:
        close(gs["c0"], same["c0"].sum(0), "shared c0")


@pytest.mark.parametrize("tau", [0, 1, 2])
@pytest.mark.parametrize("cell", CELLS)
def test_truncation_matches_windowed_loop_bptt(cell, tau):
    """E_s reaches step k only for s - tau <= k <= s; the state before s - tau is a constant."""
    rs = np.random.RandomState(5)
    T = 5
    P, xs, h0, c0, ys = make(cell, rs, T=T, B=2)
    g = engine.backward(engine.forward(P, xs, h0, cell=cell, c0=c0), targets=ys, truncate=tau)
    for b in range(2):
        cb = None if c0 is None else c0[b]
        want = {k: np.zeros_like(v) for k, v in P.items()}
        want.update(h0=np.zeros(3), xs=np.zeros_like(xs[:, b]), c0=np.zeros(3))
        for s in range(T):
            ref, *_ = ref_backward(
                cell, P, xs[:, b], h0[b], cb, ys[:, b], only=s, lo=max(0, s - tau)
            )
            for k in ref:
                if k in ("h0", "c0") and s - tau > 0:
                    continue  # the window starts after h0: no path reaches it
                want[k] += ref[k]
        close(g["xs"][:, b], want["xs"], "xs")
        close(g["h0"][b], want["h0"], "h0")
        if cb is not None:
            close(g["c0"][b], want["c0"], "c0")
        if b == 0:
            first = want
    # parameter gradients sum over the batch: check them with item 1 added
    for k in P:
        close(g[k], first[k] + want[k], k)
    full = engine.backward(engine.forward(P, xs, h0, cell=cell, c0=c0), targets=ys)
    long = engine.backward(engine.forward(P, xs, h0, cell=cell, c0=c0), targets=ys, truncate=T - 1)
    for k in full:
        close(long[k], full[k], k)


@pytest.mark.parametrize("cell", CELLS)
def test_clipping_rescales_parameters_by_global_norm(cell):
    P, xs, h0, c0, ys = make(cell, np.random.RandomState(2), T=4, B=2)
    tr = engine.forward(P, xs, h0, cell=cell, c0=c0)
    g = engine.backward(tr, targets=ys)
    norm = np.sqrt(sum(float(np.sum(g[k] ** 2)) for k in P))
    gc = engine.backward(tr, targets=ys, clip=norm / 4)
    assert gc.clipped and gc.norm == pytest.approx(norm, rel=1e-12)
    for k in P:
        close(gc[k], g[k] / 4, k)
    for k in ("h0", "xs"):  # states and inputs are not rescaled
        close(gc[k], g[k], k)
    big = engine.backward(tr, targets=ys, clip=norm * 2)
    assert not big.clipped
    for k in P:
        close(big[k], g[k], k)


@pytest.mark.parametrize("cell", CELLS)
def test_float32_on_request(cell):
    P, xs, h0, c0, ys = make(cell, np.random.RandomState(4), T=6, B=2, n=4, m=3)
    g64 = engine.backward(engine.forward(P, xs, h0, cell=cell, c0=c0), targets=ys)
    tr = engine.forward(P, xs, h0, cell=cell, c0=c0, dtype="float32")
    assert tr.h.dtype == np.float32 and tr._G.dtype == np.float32
    g32 = engine.backward(tr, targets=ys)
    for k in g64:
        assert g32[k].dtype == np.float32, k
        np.testing.assert_allclose(g32[k], g64[k], rtol=1e-3, atol=1e-5, err_msg=k)


def test_cell_given_as_a_builtin_cell_object():
    from symbptt.cells import CELLS as BUILTIN
    from symbptt.cells.builtin import rnn

    P, xs, h0, _, ys = make("gru", np.random.RandomState(9))
    a = engine.forward(P, xs, h0, cell=BUILTIN["gru"])
    b = engine.forward(P, xs, h0, cell="gru")
    close(a.h, b.h, "h")
    # a cell that only shares a built-in's name is refused, not run as the built-in
    q = {"U": np.eye(2), "W": np.eye(2)}
    with pytest.raises(InputError, match="cell object 'rnn' is not the built-in 'rnn'"):
        engine.forward(q, np.ones((2, 2)), cell=rnn("relu"), output=None)
    relu = engine.forward(q, -np.ones((2, 2)), cell=rnn("relu"), activation="relu", output=None)
    assert (relu.h == 0).all()

    class Named:
        name = "lstm2"

    with pytest.raises(InputError, match="unknown cell 'Named'"):
        engine.forward(P, xs, h0, cell=Named())


def test_traces_kept_by_the_caller_are_not_overwritten():
    """The buffer pool reuses memory only when nothing refers to it."""
    rs = np.random.RandomState(6)
    P, xs, h0, c0, ys = make("lstm", rs, T=40, B=16, n=32, m=8)
    tr1 = engine.forward(P, xs, h0, cell="lstm", c0=c0)
    g1 = engine.backward(tr1, targets=ys)
    h1, c1, U1 = tr1.h.copy(), tr1.c.copy(), g1["U_f"].copy()
    xs2 = rs.uniform(-1, 1, xs.shape)
    for _ in range(3):
        engine.backward(engine.forward(P, xs2, h0, cell="lstm", c0=c0), targets=ys)
    close(tr1.h, h1, "h")
    close(tr1.c, c1, "c")
    close(g1["U_f"], U1, "U_f")


# ----------------------------------------------------------------------------- bad input


def _lstm():
    return make("lstm", np.random.RandomState(0))


@pytest.mark.parametrize(
    ("change", "pattern"),
    [
        (lambda P, kw: P.pop("W_f"), r"params needs 'W_f' \(the recurrent weight of gate f\)"),
        (
            lambda P, kw: P.update(U_o=np.zeros((3, 5))),
            r"params\['U_o'\] must have shape \(n, m\) = \(3, 2\)",
        ),
        (
            lambda P, kw: P.update(W_g=np.zeros((2, 2))),
            r"params\['W_g'\] must have shape \(n, n\) = \(3, 3\)",
        ),
        (
            lambda P, kw: P.update(b_i=np.zeros(4)),
            r"params\['b_i'\] must have shape \(n,\) = \(3,\)",
        ),
        (lambda P, kw: P.update(W=np.zeros((3, 3))), r"unknown key\(s\) \['W'\] for cell 'lstm'"),
        (lambda P, kw: P.update(V=np.zeros((2, 4))), r"params\['V'\] must have shape \(k, n\)"),
        (lambda P, kw: P.update(U_i=np.full((3, 2), np.nan)), r"params\['U_i'\] contains NaN"),
        (lambda P, kw: kw.update(c0=np.zeros(4)), r"c0 must have shape \(n,\) = \(3,\)"),
        (lambda P, kw: kw.update(h0=np.zeros(2)), r"h0 must have shape \(n,\) = \(3,\)"),
        (
            lambda P, kw: kw.update(xs=np.zeros((3, 4))),
            r"xs must have shape .* m = 2 \(columns of U_i\)",
        ),
        (lambda P, kw: kw.update(activation="relu"), r"activation must be 'tanh' for cell 'lstm'"),
        (
            lambda P, kw: kw.update(cell="lstm2"),
            r"unknown cell 'lstm2'; the engine knows: 'rnn', 'lstm'",
        ),
        (lambda P, kw: kw.update(output="softplus"), r"unknown output 'softplus'"),
    ],
)
def test_bad_input_is_named(change, pattern):
    P, xs, h0, c0, _ = _lstm()
    kw = dict(xs=xs, h0=h0, c0=c0, cell="lstm")
    change(P, kw)
    with pytest.raises(InputError, match=pattern):
        engine.forward(P, **kw)


def test_bad_gru_and_backward_input_is_named():
    P, xs, h0, _, ys = make("gru", np.random.RandomState(0))
    with pytest.raises(
        InputError, match="c0 is only for the LSTM cells .*; cell 'gru' has no cell state"
    ):
        engine.forward(P, xs, h0, cell="gru", c0=np.zeros(3))
    with pytest.raises(
        InputError, match=r"unknown key\(s\) \['b_hn'\] for cell 'gru-reset-before'"
    ):
        engine.forward(P, xs, h0, cell="gru-reset-before")
    with pytest.raises(
        InputError, match="c0 is only for the LSTM cells .*; cell 'rnn' has no cell state"
    ):
        engine.forward({"U": np.eye(2), "W": np.eye(2)}, xs, c0=np.zeros(2), output=None)
    tr = engine.forward(P, xs, h0, cell="gru")
    with pytest.raises(InputError, match=r"dh must have shape \(3, 3\) like trace.h"):
        engine.backward(tr, dh=np.zeros((2, 3)))
    with pytest.raises(InputError, match="exactly one of targets= or dh="):
        engine.backward(tr)
    with pytest.raises(InputError, match="truncate must be a non-negative integer"):
        engine.backward(tr, targets=ys, truncate=-1)
    with pytest.raises(InputError, match="clip must be a positive finite threshold"):
        engine.backward(tr, targets=ys, clip=0.0)
    with pytest.raises(InputError, match=r"targets must have shape \(3, 2\)"):
        engine.backward(tr, targets=np.zeros((3, 3)))


@pytest.mark.parametrize("cell", CELLS)
def test_grad_xs_false_leaves_out_xs_only(cell):
    """Without dE/dxs every other gradient still matches the loop BPTT; 'xs' is absent."""
    rs = np.random.RandomState(31)
    P, xs, h0, c0, ys = make(cell, rs, T=3, B=2)
    g = engine.backward(engine.forward(P, xs, h0, cell=cell, c0=c0), targets=ys, grad_xs=False)
    assert "xs" not in g
    refs = [
        ref_backward(cell, P, xs[:, b], h0[b], None if c0 is None else c0[b], ys[:, b])[0]
        for b in range(2)
    ]
    for b in range(2):
        close(g["h0"][b], refs[b]["h0"], "h0")
    for key in P:
        close(g[key], refs[0][key] + refs[1][key], key)
    with pytest.raises(InputError, match="grad_xs must be True or False"):
        engine.backward(engine.forward(P, xs, h0, cell=cell, c0=c0), targets=ys, grad_xs=1)


@pytest.mark.parametrize("c_order", [True, False])
@pytest.mark.parametrize("cell", CELLS)
def test_both_recurrent_operand_layouts_match_loop_bptt(cell, c_order, monkeypatch):
    """The per-step products take W in C or F order (whichever this BLAS runs faster); both
    layouts, forced here, give the loop reference's gradients."""
    from symbptt import engine_core

    monkeypatch.setattr(engine_core, "_layout_c", {np.dtype(np.float64): c_order})
    rs = np.random.RandomState(41)
    P, xs, h0, c0, ys = make(cell, rs, T=4, B=2)
    tr = engine.forward(P, xs, h0, cell=cell, c0=c0)
    g = engine.backward(tr, targets=ys)
    refs = [
        ref_backward(cell, P, xs[:, b], h0[b], None if c0 is None else c0[b], ys[:, b])[0]
        for b in range(2)
    ]
    rows = [ref_forward(cell, P, xs[:, b], h0[b], None if c0 is None else c0[b]) for b in range(2)]
    for b in range(2):
        close(tr.h[:, b], [w["h"] for w in rows[b]], "h")
        close(g["h0"][b], refs[b]["h0"], "h0")
        close(g["xs"][:, b], refs[b]["xs"], "xs")
    for key in P:
        close(g[key], refs[0][key] + refs[1][key], key)
