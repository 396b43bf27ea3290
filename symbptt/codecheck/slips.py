"""The catalogue of known slips in BPTT code, and the vanilla RNN computed with each of them.

Everything here is in one canonical layout, time first and rows as examples: xs (T, N, D),
h0 (N, H), U (H, D), W (H, H), b (H,), so that h_t = tanh(x_t U^T + h_{t-1} W^T + b).
`forward(inst, slips)` and `backward(inst, slips)` are plain loop code that make the named
mistakes on purpose; the API tables map their results to each assignment's layout. Slips
seen only from the outside (inputs modified in place, float32 results) are named by the judge.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from symbptt.codecheck.slips_lstm import PERMUTATIONS, tanh_prime

__all__ = ["SLIPS", "Slip", "backward", "forward", "describe"]

Array = np.ndarray


@dataclass(frozen=True)
class Slip:
    """A known mistake: its key, the sentence a student reads, and where it can occur."""

    key: str
    text: str
    where: frozenset[str]  # kinds of function: step_fwd, step_bwd, seq_fwd, seq_bwd


_LB = ("lstm_step_bwd", "lstm_seq_bwd", "cols_lstm_step_bwd", "cols_lstm_seq_bwd")
_B = frozenset({"step_bwd", "seq_bwd", *_LB})
_SEQ_B = frozenset({"seq_bwd", "lstm_seq_bwd", "cols_lstm_seq_bwd"})
_STACKED = frozenset({"lstm_step_fwd", "lstm_step_bwd", "lstm_seq_fwd", "lstm_seq_bwd"})
SLIPS: dict[str, Slip] = {
    s.key: s
    for s in (
        Slip(
            "no_prev",
            "the gradient to the previous state is not passed back "
            "(delta_t uses dh_t alone, not dh_t + the gradient from step t+1)",
            _SEQ_B,
        ),
        Slip(
            "overwrite",
            "per-step weight gradients overwritten instead of summed "
            "(only the last step processed, t = 1, is left)",
            _SEQ_B,
        ),
        Slip(
            "tanh_tanh",
            "tanh' taken of the wrong quantity: 1 - tanh(h)^2, "
            "i.e. tanh'(tanh(x)), where 1 - h^2 was meant",
            _B,
        ),
        Slip(
            "pre_act",
            "tanh' taken of the wrong quantity: 1 - a^2 of the pre-activation a, "
            "where 1 - tanh(a)^2 = 1 - h^2 was meant",
            _B,
        ),
        Slip(
            "transpose_back",
            "a missing transpose: the gradient to the previous state "
            "goes through the recurrent weight instead of its transpose",
            frozenset({"step_bwd", "seq_bwd"}),
        ),
        Slip(
            "transpose_fwd",
            "a transpose slip: the recurrent weight is applied transposed in the forward step"
            " (for a backward: in the forward that made its cache)",
            frozenset({"step_fwd", "seq_fwd", "step_bwd", "seq_bwd"}),
        ),
        Slip(
            "transpose_dW",
            "a missing transpose: the recurrent weight's gradient comes out transposed",
            frozenset({"step_bwd", "seq_bwd"}),
        ),
        Slip(
            "wrong_length",
            "the sequence length is read from the wrong array "
            "(the batch size is used as the number of time steps)",
            frozenset({"seq_fwd", "seq_bwd"}),
        ),
        *(
            Slip(
                f"gates:{order}",
                "gates in the wrong order: the blocks stacked (i, f, o, g) "
                f"are read as ({', '.join(order)})",
                _STACKED,
            )
            for order in PERMUTATIONS
        ),
        Slip("in_place", "inputs modified in place", frozenset()),
        Slip("float32", "results silently cast to float32", frozenset()),
    )
}
# z and 1 - z swapped needs a GRU; none of the three APIs has one, so that slip is not searched.


def describe(keys: tuple[str, ...]) -> str:
    """The sentence for a combination of slips."""
    return "; and ".join(SLIPS[k].text for k in keys)


def _steps(T: int, N: int, slips: tuple[str, ...]) -> int:
    return min(N, T) if "wrong_length" in slips else T


def forward(U: Array, W: Array, b: Array, xs: Array, h0: Array,
            slips: tuple[str, ...] = ()) -> tuple[Array, Array]:  # fmt: skip
    """(hs, nets) with hs (T, N, H); steps past a wrong length stay zero, as in np.zeros code."""
    T, N = xs.shape[0], xs.shape[1]
    Wf = W.T if "transpose_fwd" in slips else W
    hs, nets = np.zeros((T, N, W.shape[0])), np.zeros((T, N, W.shape[0]))
    prev = h0
    for t in range(_steps(T, N, slips)):
        nets[t] = xs[t] @ U.T + prev @ Wf.T + b
        hs[t] = np.tanh(nets[t])
        prev = hs[t]
    return hs, nets


def backward(U: Array, W: Array, b: Array, xs: Array, h0: Array, dh: Array,
             slips: tuple[str, ...] = ()) -> dict[str, Array]:  # fmt: skip
    """Gradients of sum_t <dh_t, h_t>: dxs, dh0, dU, dW, db, with the given slips made."""
    # a forward's slips reach a backward through the cache of the student's own forward
    fwd = tuple(s for s in slips if s in ("wrong_length", "transpose_fwd"))
    hs, nets = forward(U, W, b, xs, h0, fwd)
    T, N = xs.shape[0], xs.shape[1]
    dxs = np.zeros_like(xs)
    dU, dW, db = np.zeros_like(U), np.zeros_like(W), np.zeros_like(b)
    dprev = np.zeros_like(h0)
    for t in reversed(range(_steps(T, N, slips))):
        prev = h0 if t == 0 else hs[t - 1]
        fp = tanh_prime(hs[t], nets[t], slips)  # the table's tanh', or as tanh_tanh/pre_act take it
        upstream = dh[t] if "no_prev" in slips else dh[t] + dprev
        delta = upstream * fp
        terms = (delta.T @ xs[t], delta.T @ prev, delta.sum(axis=0))
        if "overwrite" in slips:
            dU, dW, db = terms
        else:
            dU, dW, db = dU + terms[0], dW + terms[1], db + terms[2]
        dxs[t] = delta @ U
        dprev = delta @ (W.T if "transpose_back" in slips else W)
    if "transpose_dW" in slips:
        dW = dW.T
    return {"dxs": dxs, "dh0": dprev, "dU": dU, "dW": dW, "db": db}
