"""The LSTM functions of CS231n and deeplearning.ai as tables (see apis.py for the vanilla ones).

CS231n stacks the gates i, f, o, g in Wx (D, 4H), Wh (H, 4H), b (4H,); deeplearning.ai has
Wf, Wi, Wc, Wo (n_a, n_a + n_x) acting on [a_prev; xt] and the biases as columns. The
references are symbptt.compat; the slip variants are symbptt.codecheck.slips_lstm.
"""

from __future__ import annotations

import numpy as np

from symbptt.cells.heads import HEADS
from symbptt.codecheck import slips_lstm as L
from symbptt.codecheck.calls import Check, Registry
from symbptt.codecheck.instances import Instance
from symbptt.compat import cs231n, dlai

__all__ = ["CS231N_LSTM", "DLAI_LSTM", "cs231n_checks", "dlai_checks"]

Array = np.ndarray

CS231N_LSTM = (
    ("lstm_step_forward", "lstm_step_fwd"),
    ("lstm_step_backward", "lstm_step_bwd"),
    ("lstm_forward", "lstm_seq_fwd"),
    ("lstm_backward", "lstm_seq_bwd"),
)
DLAI_LSTM = (
    ("lstm_cell_forward", "cols_lstm_step_fwd"),
    ("lstm_cell_backward", "cols_lstm_step_bwd"),
    ("lstm_forward", "cols_lstm_seq_fwd"),
    ("lstm_backward", "cols_lstm_seq_bwd"),
)


def _stack(P: dict[str, Array], kind: str) -> Array:
    if kind == "b":
        return np.concatenate([P[f"b_{k}"] for k in L.GATES])
    return np.concatenate([P[f"{kind}_{k}"].T for k in L.GATES], axis=1)


def cs231n_checks(inst: Instance, reg: Registry) -> list[Check]:
    """The four CS231n LSTM functions on one instance (backward with the student's own cache)."""
    P, xs, h0, c0, dh, dc = inst.lstm, inst.xs, inst.h0, inst.c0, inst.dh, inst.dc
    Wx, Wh, b = _stack(P, "U"), _stack(P, "W"), _stack(P, "b")
    zeros = np.zeros_like(h0)

    def wts() -> list:
        return [reg.a(Wx, "Wx"), reg.a(Wh, "Wh"), reg.a(b, "b")]

    out: list[Check] = []
    x0 = xs[0]
    sargs = ["x", "prev_h", "prev_c", "Wx", "Wh", "b"]

    def step_in() -> list:
        return [reg.a(x0, "x"), reg.a(h0, "prev_h"), reg.a(c0, "prev_c"), *wts()]

    c = reg.call("lstm_step_forward", step_in(), sargs, [("next_h", [0]), ("next_c", [1])])
    nh, nc, _ = cs231n.lstm_step_forward(x0, h0, c0, Wx, Wh, b)

    def step_f(s: tuple[str, ...]) -> dict[str, Array]:
        hs, cs, _ = L.forward(P, xs[:1], h0, c0, s)
        return {"next_h": hs[0], "next_c": cs[0]}

    out.append(Check("lstm_step_forward", "lstm_step_fwd", inst, "", [c],
                     {"next_h": nh, "next_c": nc}, step_f))  # fmt: skip
    names = ("dx", "dprev_h", "dprev_c", "dWx", "dWh", "db")
    f = reg.call("lstm_step_forward", step_in(), sargs, [], save=True)
    bwd = reg.call("lstm_step_backward", [reg.a(dh[0], "dnext_h"), reg.a(dc, "dnext_c"),
                                          {"r": [f["id"], [2]]}],
                   ["dnext_h", "dnext_c", "cache"], [(n, [i]) for i, n in enumerate(names)])  # fmt: skip
    got = cs231n.lstm_step_backward(dh[0], dc, cs231n.lstm_step_forward(x0, h0, c0, Wx, Wh, b)[2])

    def step_b(s: tuple[str, ...]) -> dict[str, Array]:
        g = L.backward(P, xs[:1], h0, c0, dh[:1], dc, s)
        vals = (g["xs"][0], g["h0"], g["c0"], _stack(g, "U"), _stack(g, "W"), _stack(g, "b"))
        return dict(zip(names, vals, strict=True))

    out.append(Check("lstm_step_backward", "lstm_step_bwd", inst, "own cache", [f, bwd],
                     dict(zip(names, got, strict=True)), step_b))  # fmt: skip
    x = xs.transpose(1, 0, 2)
    fargs = ["x", "h0", "Wx", "Wh", "b"]
    c = reg.call("lstm_forward", [reg.a(x, "x"), reg.a(h0, "h0"), *wts()], fargs, [("h", [0])])
    out.append(Check("lstm_forward", "lstm_seq_fwd", inst, "", [c],
                     {"h": cs231n.lstm_forward(x, h0, Wx, Wh, b)[0]},
                     lambda s: {"h": L.forward(P, xs, h0, zeros, s)[0].transpose(1, 0, 2)}))  # fmt: skip
    names2 = ("dx", "dh0", "dWx", "dWh", "db")
    f = reg.call("lstm_forward", [reg.a(x, "x"), reg.a(h0, "h0"), *wts()], fargs, [], save=True)
    d = dh.transpose(1, 0, 2)
    bwd = reg.call("lstm_backward", [reg.a(d, "dh"), {"r": [f["id"], [1]]}], ["dh", "cache"],
                   [(n, [i]) for i, n in enumerate(names2)])  # fmt: skip
    got = cs231n.lstm_backward(d, cs231n.lstm_forward(x, h0, Wx, Wh, b)[1])

    def seq_b(s: tuple[str, ...]) -> dict[str, Array]:
        g = L.backward(P, xs, h0, zeros, dh, zeros, s)
        vals = (g["xs"].transpose(1, 0, 2), g["h0"], _stack(g, "U"), _stack(g, "W"), _stack(g, "b"))
        return dict(zip(names2, vals, strict=True))

    out.append(Check("lstm_backward", "lstm_seq_bwd", inst, "own cache", [f, bwd],
                     dict(zip(names2, got, strict=True)), seq_b))  # fmt: skip
    return out


_DL = {"f": "f", "i": "i", "c": "g", "o": "o"}  # the assignment's letters -> gate roles


def _dlai_params(P: dict[str, Array], inst: Instance) -> dict[str, Array]:
    p = {}
    for k, r in _DL.items():
        p[f"W{k}"] = np.concatenate([P[f"W_{r}"], P[f"U_{r}"]], axis=1)
        p[f"b{k}"] = P[f"b_{r}"][:, None]
    p["Wy"], p["by"] = inst.V, inst.c[:, None]
    return p


def _dlai_grads(g: dict[str, Array]) -> dict[str, Array]:
    out = {}
    for k, r in _DL.items():
        out[f"dW{k}"] = np.concatenate([g[f"W_{r}"], g[f"U_{r}"]], axis=1)
        out[f"db{k}"] = g[f"b_{r}"][:, None]
    return out


#: softmax over the rows' last axis: the heads table's entry (cells.heads), not a copy.
_softmax_rows = HEADS["softmax_cross_entropy"].numpy_output


def _softmax_cols(z: Array) -> Array:
    """softmax down each column (deeplearning.ai's layout): the table's row softmax of z^T."""
    return _softmax_rows(z.T).T


_GRAD_KEYS = ("dWf", "dbf", "dWi", "dbi", "dWc", "dbc", "dWo", "dbo")


def dlai_checks(inst: Instance, reg: Registry) -> list[Check]:
    """The four deeplearning.ai LSTM functions on one instance, backward with our cache and own."""
    P, xs, h0, c0, dh, dc = inst.lstm, inst.xs, inst.h0, inst.c0, inst.dh, inst.dc
    params = _dlai_params(P, inst)
    zeros = np.zeros_like(h0)

    def pspec() -> dict:
        return {"d": {k: reg.a(v, f"parameters[{k!r}]") for k, v in params.items()}}

    out: list[Check] = []
    xt, x = xs[0].T, xs.transpose(2, 1, 0)
    cargs = ["xt", "a_prev", "c_prev", "parameters"]

    def cell_in() -> list:
        return [reg.a(xt, "xt"), reg.a(h0.T, "a_prev"), reg.a(c0.T, "c_prev"), pspec()]

    call = reg.call("lstm_cell_forward", cell_in(), cargs,
                    [("a_next", [0]), ("c_next", [1]), ("yt_pred", [2])])  # fmt: skip
    r = dlai.lstm_cell_forward(xt, h0.T, c0.T, params)

    def cell_f(s: tuple[str, ...]) -> dict[str, Array]:
        hs, cs, _ = L.forward(P, xs[:1], h0, c0, s)
        a = hs[0].T
        return {
            "a_next": a,
            "c_next": cs[0].T,
            "yt_pred": _softmax_cols(inst.V @ a + inst.c[:, None]),
        }

    out.append(Check("lstm_cell_forward", "cols_lstm_step_fwd", inst, "", [call],
                     {"a_next": r[0], "c_next": r[1], "yt_pred": r[2]}, cell_f))  # fmt: skip
    call = reg.call("lstm_forward", [reg.a(x, "x"), reg.a(h0.T, "a0"), pspec()],
                    ["x", "a0", "parameters"], [("a", [0]), ("y", [1]), ("c", [2])])  # fmt: skip
    r = dlai.lstm_forward(x, h0.T, params)

    def seq_f(s: tuple[str, ...]) -> dict[str, Array]:
        hs, cs, _ = L.forward(P, xs, h0, zeros, s)
        y = _softmax_rows(hs @ inst.V.T + inst.c)
        return {"a": hs.transpose(2, 1, 0), "y": y.transpose(2, 1, 0), "c": cs.transpose(2, 1, 0)}

    out.append(Check("lstm_forward", "cols_lstm_seq_fwd", inst, "", [call],
                     {"a": r[0], "y": r[1], "c": r[2]}, seq_f))  # fmt: skip
    # cell backward: our cache (the reference's tuple) and the student's own
    names = ("dxt", "da_prev", "dc_prev", *_GRAD_KEYS)
    ref = dlai.lstm_cell_forward(xt, h0.T, c0.T, params)[3]
    expected = dlai.lstm_cell_backward(dh[0].T, dc.T, ref)

    def cell_b(s: tuple[str, ...]) -> dict[str, Array]:
        g = L.backward(P, xs[:1], h0, c0, dh[:1], dc, s)
        return {"dxt": g["xs"][0].T, "da_prev": g["h0"].T, "dc_prev": g["c0"].T, **_dlai_grads(g)}

    send = [(n, [n]) for n in names]
    ours = {"t": [*(reg.a(v, "cache") for v in ref[:9]), pspec()]}
    up = [reg.a(dh[0].T, "da_next"), reg.a(dc.T, "dc_next")]
    c1 = reg.call("lstm_cell_backward", [*up, ours], ["da_next", "dc_next", "cache"], send)
    out.append(Check("lstm_cell_backward", "cols_lstm_step_bwd", inst, "our cache", [c1],
                     {k: expected[k] for k in names}, cell_b))  # fmt: skip
    f = reg.call("lstm_cell_forward", cell_in(), cargs, [], save=True)
    up = [reg.a(dh[0].T, "da_next"), reg.a(dc.T, "dc_next")]
    c2 = reg.call("lstm_cell_backward", [*up, {"r": [f["id"], [3]]}],
                  ["da_next", "dc_next", "cache"], send)  # fmt: skip
    out.append(Check("lstm_cell_backward", "cols_lstm_step_bwd", inst, "own cache", [f, c2],
                     {k: expected[k] for k in names}, cell_b))  # fmt: skip
    # sequence backward
    names = ("dx", "da0", *_GRAD_KEYS)
    _, _, _, (caches, _) = dlai.lstm_forward(x, h0.T, params)
    expected = dlai.lstm_backward(dh.transpose(2, 1, 0), (caches, x))

    def seq_b(s: tuple[str, ...]) -> dict[str, Array]:
        g = L.backward(P, xs, h0, zeros, dh, zeros, s)
        return {"dx": g["xs"].transpose(2, 1, 0), "da0": g["h0"].T, **_dlai_grads(g)}

    send = [(n, [n]) for n in names]
    cells = [{"t": [*(reg.a(v, "cache") for v in cache[:9]), pspec()]} for cache in caches]
    ours = {"t": [{"l": cells}, reg.a(x, "x")]}
    c1 = reg.call(
        "lstm_backward", [reg.a(dh.transpose(2, 1, 0), "da"), ours], ["da", "caches"], send
    )
    out.append(
        Check("lstm_backward", "cols_lstm_seq_bwd", inst, "our cache", [c1], expected, seq_b)
    )
    f = reg.call("lstm_forward", [reg.a(x, "x"), reg.a(h0.T, "a0"), pspec()],
                 ["x", "a0", "parameters"], [], save=True)  # fmt: skip
    c2 = reg.call("lstm_backward", [reg.a(dh.transpose(2, 1, 0), "da"), {"r": [f["id"], [3]]}],
                  ["da", "caches"], send)  # fmt: skip
    out.append(
        Check("lstm_backward", "cols_lstm_seq_bwd", inst, "own cache", [f, c2], expected, seq_b)
    )
    return out
