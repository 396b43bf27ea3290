"""The three APIs as tables: each function's arguments, outputs and reference, per instance.

`checks(api, inst, reg)` lists, for every function of the API, the calls that exercise it on
one instance (a backward once with the caches of the student's own forward and, where the
API publishes its cache layout, once with ours), the reference outputs (symbptt.compat) and
a function that recomputes those outputs with given slips (symbptt.codecheck.slips).
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass

import numpy as np

from symbptt.cells.heads import HEADS
from symbptt.codecheck import apis_lstm
from symbptt.codecheck import slips as S
from symbptt.codecheck.calls import Check, Registry
from symbptt.codecheck.instances import Instance
from symbptt.compat import course_notes, cs231n, dlai
from symbptt.errors import InputError

__all__ = ["APIS", "FUNCTIONS", "Check", "Registry", "checks", "infer_api"]

Array = np.ndarray

FUNCTIONS: dict[str, tuple[tuple[str, str], ...]] = {
    "cs231n": (
        ("rnn_step_forward", "step_fwd"),
        ("rnn_step_backward", "step_bwd"),
        ("rnn_forward", "seq_fwd"),
        ("rnn_backward", "seq_bwd"),
        *apis_lstm.CS231N_LSTM,
    ),
    "dlai": (
        ("rnn_cell_forward", "step_fwd"),
        ("rnn_cell_backward", "step_bwd"),
        ("rnn_forward", "seq_fwd"),
        ("rnn_backward", "seq_bwd"),
        *apis_lstm.DLAI_LSTM,
    ),
    "course-notes": (
        ("rnn_cell_forward", "step_fwd"),
        ("rnn_cell_backward", "step_bwd"),
        ("rnn_forward", "seq_fwd"),
        ("rnn_backward", "seq_bwd"),
    ),
}
APIS = tuple(FUNCTIONS)


#: softmax over the rows' last axis: the heads table's entry (cells.heads), not a copy.
_softmax_rows = HEADS["softmax_cross_entropy"].numpy_output


# --------------------------------------------------------------------------- CS231n


def _cs231n(inst: Instance, reg: Registry) -> list[Check]:
    U, W, b, xs, h0, dh = inst.U, inst.W, inst.b, inst.xs, inst.h0, inst.dh
    Wx, Wh = U.T, W.T

    def wts() -> list:
        return [reg.a(Wx, "Wx"), reg.a(Wh, "Wh"), reg.a(b, "b")]

    out: list[Check] = []
    # step forward
    x0 = xs[0]
    args = [reg.a(x0, "x"), reg.a(h0, "prev_h"), *wts()]
    c = reg.call("rnn_step_forward", args, ["x", "prev_h", "Wx", "Wh", "b"], [("next_h", [0])])
    exp = {"next_h": cs231n.rnn_step_forward(x0, h0, Wx, Wh, b)[0]}
    out.append(Check("rnn_step_forward", "step_fwd", inst, "", [c], exp,
                     lambda s: {"next_h": S.forward(U, W, b, xs[:1], h0, s)[0][0]}))  # fmt: skip
    # step backward, with the student's own step forward's cache
    snames = ("dx", "dprev_h", "dWx", "dWh", "db")
    f = reg.call("rnn_step_forward", [reg.a(x0, "x"), reg.a(h0, "prev_h"), *wts()],
                 ["x", "prev_h", "Wx", "Wh", "b"], [], save=True)  # fmt: skip
    bwd = reg.call("rnn_step_backward", [reg.a(dh[0], "dnext_h"), {"r": [f["id"], [1]]}],
                   ["dnext_h", "cache"], [(n, [i]) for i, n in enumerate(snames)])  # fmt: skip
    got = cs231n.rnn_step_backward(dh[0], cs231n.rnn_step_forward(x0, h0, Wx, Wh, b)[1])

    def step_b(s: tuple[str, ...]) -> dict[str, Array]:
        g = S.backward(U, W, b, xs[:1], h0, dh[:1], s)
        vals = (g["dxs"][0], g["dh0"], g["dU"].T, g["dW"].T, g["db"])
        return dict(zip(snames, vals, strict=True))

    out.append(Check("rnn_step_backward", "step_bwd", inst, "own cache", [f, bwd],
                     dict(zip(snames, got, strict=True)), step_b))  # fmt: skip
    # sequence forward
    x = xs.transpose(1, 0, 2)
    fargs = ["x", "h0", "Wx", "Wh", "b"]
    c = reg.call("rnn_forward", [reg.a(x, "x"), reg.a(h0, "h0"), *wts()], fargs, [("h", [0])])
    out.append(Check("rnn_forward", "seq_fwd", inst, "", [c],
                     {"h": cs231n.rnn_forward(x, h0, Wx, Wh, b)[0]},
                     lambda s: {"h": S.forward(U, W, b, xs, h0, s)[0].transpose(1, 0, 2)}))  # fmt: skip
    # sequence backward
    names = ("dx", "dh0", "dWx", "dWh", "db")
    f = reg.call("rnn_forward", [reg.a(x, "x"), reg.a(h0, "h0"), *wts()], fargs, [], save=True)
    d = dh.transpose(1, 0, 2)
    bwd = reg.call("rnn_backward", [reg.a(d, "dh"), {"r": [f["id"], [1]]}], ["dh", "cache"],
                   [(n, [i]) for i, n in enumerate(names)])  # fmt: skip
    got = cs231n.rnn_backward(d, cs231n.rnn_forward(x, h0, Wx, Wh, b)[1])

    def seq_b(s: tuple[str, ...]) -> dict[str, Array]:
        g = S.backward(U, W, b, xs, h0, dh, s)
        vals = (g["dxs"].transpose(1, 0, 2), g["dh0"], g["dU"].T, g["dW"].T, g["db"])
        return dict(zip(names, vals, strict=True))

    out.append(Check("rnn_backward", "seq_bwd", inst, "own cache", [f, bwd],
                     dict(zip(names, got, strict=True)), seq_b))  # fmt: skip
    return out


# --------------------------------------------------------------------------- column APIs


@dataclass(frozen=True)
class _Cols:
    """deeplearning.ai and the course notes: same layout, different names."""

    mod: object
    keys: tuple[str, str, str, str, str]  # input, recurrent, output weight, hidden, output bias
    state: str  # a / s
    state0: str  # a0 / s0


_COLS = {
    "dlai": _Cols(dlai, ("Wax", "Waa", "Wya", "ba", "by"), "a", "a0"),
    "course-notes": _Cols(course_notes, ("U", "W", "V", "ba", "by"), "s", "s0"),
}


def _columns(api: str, inst: Instance, reg: Registry) -> list[Check]:
    cfg = _COLS[api]
    mod = cfg.mod
    U, W, b, V, c, xs, h0, dh = inst.U, inst.W, inst.b, inst.V, inst.c, inst.xs, inst.h0, inst.dh
    kU, kW, kV, kb, kc = cfg.keys
    st, st0 = cfg.state, cfg.state0
    params = {kU: U, kW: W, kV: V, kb: b[:, None], kc: c[:, None]}

    def pspec() -> dict:
        return {"d": {k: reg.a(v, f"parameters[{k!r}]") for k, v in params.items()}}

    def fwd_vals(s: tuple[str, ...], T: int) -> tuple[Array, Array]:
        hs = S.forward(U, W, b, xs[:T], h0, s)[0]
        y = _softmax_rows(hs @ V.T + c)
        L = min(inst.N, T) if "wrong_length" in s else T
        y[L:] = 0.0
        return hs, y

    out: list[Check] = []
    xt, x = xs[0].T, xs.transpose(2, 1, 0)
    # cell forward
    cargs = ["xt", f"{st}_prev", "parameters"]
    call = reg.call("rnn_cell_forward", [reg.a(xt, "xt"), reg.a(h0.T, f"{st}_prev"), pspec()],
                    cargs, [(f"{st}_next", [0]), ("yt_pred", [1])])  # fmt: skip
    r = mod.rnn_cell_forward(xt, h0.T, params)  # type: ignore[attr-defined]

    def cell_f(s: tuple[str, ...]) -> dict[str, Array]:
        hs, y = fwd_vals(s, 1)
        return {f"{st}_next": hs[0].T, "yt_pred": y[0].T}

    out.append(Check("rnn_cell_forward", "step_fwd", inst, "",
                     [call], {f"{st}_next": r[0], "yt_pred": r[1]}, cell_f))  # fmt: skip
    # sequence forward
    sargs = ["x", st0, "parameters"]
    call = reg.call("rnn_forward", [reg.a(x, "x"), reg.a(h0.T, st0), pspec()], sargs,
                    [(st, [0]), ("y_pred", [1])])  # fmt: skip
    r = mod.rnn_forward(x, h0.T, params)  # type: ignore[attr-defined]

    def seq_f(s: tuple[str, ...]) -> dict[str, Array]:
        hs, y = fwd_vals(s, inst.T)
        return {st: hs.transpose(2, 1, 0), "y_pred": y.transpose(2, 1, 0)}

    out.append(Check("rnn_forward", "seq_fwd", inst, "", [call],
                     {st: r[0], "y_pred": r[1]}, seq_f))  # fmt: skip
    # cell backward, with our cache and with the student's own
    g_in = {"step_bwd": (f"d{st}_next", "rnn_cell_backward", "rnn_cell_forward"),
            "seq_bwd": (f"d{st}", "rnn_backward", "rnn_forward")}  # fmt: skip
    outs = {"step_bwd": ("dxt", f"d{st}_prev", f"d{kU}", f"d{kW}", f"d{kb}"),
            "seq_bwd": ("dx", f"d{st0}", f"d{kU}", f"d{kW}", f"d{kb}")}  # fmt: skip
    for kind in ("step_bwd", "seq_bwd"):
        dname, fn, fwd_fn = g_in[kind]
        names = outs[kind]
        T = 1 if kind == "step_bwd" else inst.T
        upstream = dh[0].T if T == 1 and kind == "step_bwd" else dh.transpose(2, 1, 0)
        xin = xt if kind == "step_bwd" else x
        ref_out = mod.rnn_forward(xs[:T].transpose(2, 1, 0), h0.T, params)  # type: ignore[attr-defined]
        ref_cache = ref_out[2][0][0] if kind == "step_bwd" else ref_out[2]
        expected = getattr(mod, fn)(upstream, ref_cache)

        def variant(s: tuple[str, ...], kind: str = kind, T: int = T,
                    names: tuple = names) -> dict[str, Array]:  # fmt: skip
            g = S.backward(U, W, b, xs[:T], h0, dh[:T], s)
            dx = g["dxs"][0].T if kind == "step_bwd" else g["dxs"].transpose(2, 1, 0)
            vals = (dx, g["dh0"].T, g["dU"], g["dW"], g["db"][:, None])
            return dict(zip(names, vals, strict=True))

        send = [(n, [n]) for n in names]
        # our cache: the assignment's tuple built from the reference forward
        hs = ref_out[0]
        cells = []
        for t in range(T):
            prev = h0.T if t == 0 else hs[:, :, t - 1]
            cells.append({"t": [reg.a(hs[:, :, t], f"{st}_next"), reg.a(prev, f"{st}_prev"),
                                reg.a(xs[t].T, "xt"), pspec()]})  # fmt: skip
        cache = cells[0] if kind == "step_bwd" else {"t": [{"l": cells}, reg.a(x, "x")]}
        ours = reg.call(fn, [reg.a(upstream, dname), cache], [dname, "cache"], send)
        out.append(Check(fn, kind, inst, "our cache", [ours], expected, variant))
        # the student's own forward's cache
        fargs = [reg.a(xin, "xt" if kind == "step_bwd" else "x"), reg.a(h0.T, st0), pspec()]
        f = reg.call(fwd_fn, fargs, cargs if kind == "step_bwd" else sargs, [], save=True)
        own = reg.call(fn, [reg.a(upstream, dname), {"r": [f["id"], [2]]}], [dname, "cache"], send)
        out.append(Check(fn, kind, inst, "own cache", [f, own], expected, variant))
    return out


def checks(api: str, inst: Instance, reg: Registry) -> list[Check]:
    """Every check of `api` on one instance, in the API's function order."""
    if api == "cs231n":
        return _cs231n(inst, reg) + apis_lstm.cs231n_checks(inst, reg)
    if api in _COLS:
        order = [n for n, _ in FUNCTIONS[api]]
        found = _columns(api, inst, reg)
        if api == "dlai":
            found += apis_lstm.dlai_checks(inst, reg)
        return sorted(found, key=lambda ch: order.index(ch.fn))
    raise InputError(f"unknown API {api!r}; known: {', '.join(APIS)}")


# --------------------------------------------------------------------------- inference

_CS231N_ONLY = {"rnn_step_forward", "rnn_step_backward", "lstm_step_forward", "lstm_step_backward"}
_CS231N_HINTS = {"Wx", "Wh", "prev_h", "dnext_h", "dh0", "dh"}
_DLAI_HINTS = {"Wax", "Waa", "Wya", "a_prev", "da_next", "a0", "da", "lstm_cell_forward"}
_NOTES_HINTS = {"s_prev", "ds_next", "s0", "ds", "ds0", "U", "V"}


def infer_api(source: str, where: str) -> str:
    """The API a file is written for, from its function names, argument names and dict keys.

    Only parsed (ast), never run. InputError when no API's functions are defined or the
    file fits two APIs equally (then --api decides).
    """
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        tree = None  # a file that does not parse: names and words from its text
    if tree is None:
        names = set(re.findall(r"^\s*def\s+([A-Za-z_]\w*)", source, flags=re.M))
        words = set(re.findall(r"[A-Za-z_]\w*", source))
    else:
        defs = [n for n in tree.body if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)]
        names = {d.name for d in defs}
        words = set(names)
        for d in defs:
            words |= {a.arg for a in d.args.args}
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                words.add(node.value)
    if names & _CS231N_ONLY:
        return "cs231n"
    shared = {n for n, _ in FUNCTIONS["dlai"]} | {"lstm_cell_forward", "lstm_cell_backward"}
    if not names & shared:
        raise InputError("defines none of the functions of cs231n, dlai or course-notes",
                         where=where)  # fmt: skip
    score = {
        "cs231n": len(words & _CS231N_HINTS),
        "dlai": len(words & _DLAI_HINTS),
        "course-notes": len(words & _NOTES_HINTS),
    }
    best = max(score.values())
    top = [api for api, n in score.items() if n == best]
    if best == 0 or len(top) > 1:
        raise InputError(f"cannot tell which API the file is written for ({' or '.join(top)}); "
                         "pass --api", where=where)  # fmt: skip
    return top[0]
