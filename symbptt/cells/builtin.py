"""The built-in cells as data: the vanilla RNN, the LSTM, homework 3's LSTM and the two GRUs.

Keys follow the engine's convention: U_* multiplies x_t (n x m), W_* multiplies h_{t-1} (n x n),
b_* is a bias. Gate order and equations as published:
- `lstm`: PyTorch nn.LSTM (gates i, f, g, o; c_t = f ⊙ c_{t-1} + i ⊙ g; h_t = o ⊙ tanh(c_t)).
- `homework3-lstm`: homework 3 Exercise 3 in its letters (f_t, i_t, C̃_t, C_t, o_t, h_t, σ),
  with the recurrent term first as the homework writes W h_{t-1} + U x_t.
- `gru`: PyTorch / Keras reset_after: n_t = tanh(U_n x_t + b_n + r ⊙ (W_n h_{t-1} + b_hn)),
  h_t = z ⊙ h_{t-1} + (1 - z) ⊙ n_t.
- `gru-reset-before`: Cho et al. v3 / d2l scratch: n_t = tanh(W_n (r ⊙ h_{t-1}) + U_n x_t + b_n).
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from symbptt.cells.cell import Cell, Equation, Param
from symbptt.cells.expr import (
    Add,
    Apply,
    Expr,
    Hadamard,
    Input,
    MatMul,
    OneMinus,
    ParamRef,
    Prev,
    Ref,
)
from symbptt.errors import InputError

__all__ = ["CELLS", "builtin_cell", "gru", "gru_reset_before", "homework3_lstm", "lstm", "rnn"]

X = Input()


def _p(key: str) -> ParamRef:
    return ParamRef(key)


def _affine(gate: str, *, recurrent_first: bool = False, bias: bool = True) -> Expr:
    """U_gate x + W_gate h[t-1] (+ b_gate), in the text's term order."""
    inp, rec = MatMul(_p(f"U_{gate}"), X), MatMul(_p(f"W_{gate}"), Prev("h"))
    terms: tuple[Expr, ...] = (rec, inp) if recurrent_first else (inp, rec)
    return Add((*terms, _p(f"b_{gate}"))) if bias else Add(terms)


def _gate_params(gates: str | tuple[str, ...]) -> tuple[Param, ...]:
    out = [Param(f"U_{g}", ("n", "m")) for g in gates]
    out += [Param(f"W_{g}", ("n", "n")) for g in gates]
    out += [Param(f"b_{g}", ("n",)) for g in gates]
    return tuple(out)


def rnn(activation: str = "tanh", *, bias: bool = True, recurrent_first: bool = False) -> Cell:
    """The vanilla cell h_t = f(U x_t + W h_{t-1} + b); bias and term order as the text has them."""
    inp, rec = MatMul(_p("U"), X), MatMul(_p("W"), Prev("h"))
    terms: tuple[Expr, ...] = (rec, inp) if recurrent_first else (inp, rec)
    if bias:
        terms = (*terms, _p("b"))
    params = [Param("U", ("n", "m")), Param("W", ("n", "n"))]
    if bias:
        params.append(Param("b", ("n",)))
    return Cell(
        "rnn",
        tuple(params),
        ("h",),
        (Equation("h", Apply(activation, Add(terms))),),
        description="the vanilla RNN cell h_t = f(U x_t + W h_{t-1} + b)",
    )


def lstm() -> Cell:
    """The LSTM with a forget gate as PyTorch writes it (gates i, f, g, o)."""
    eqs = (
        Equation("i", Apply("sigmoid", _affine("i"))),
        Equation("f", Apply("sigmoid", _affine("f"))),
        Equation("g", Apply("tanh", _affine("g"))),
        Equation("o", Apply("sigmoid", _affine("o"))),
        Equation("c", Add((Hadamard(Ref("f"), Prev("c")), Hadamard(Ref("i"), Ref("g"))))),
        Equation("h", Hadamard(Ref("o"), Apply("tanh", Ref("c")))),
    )
    return Cell(
        "lstm",
        _gate_params("ifgo"),
        ("h", "c"),
        eqs,
        description="LSTM (PyTorch): c_t = f_t * c_{t-1} + i_t * g_t, h_t = o_t * tanh(c_t)",
        latex=(("c", "c"), ("g", "g")),
    )


def homework3_lstm() -> Cell:
    """Homework 3 Exercise 3's LSTM in its letters: f, i, C̃ (Ctilde), C, o, h; W h + U x + b."""
    eqs = (
        Equation("f", Apply("sigmoid", _affine("f", recurrent_first=True))),
        Equation("i", Apply("sigmoid", _affine("i", recurrent_first=True))),
        Equation("Ctilde", Apply("tanh", _affine("C", recurrent_first=True))),
        Equation("C", Add((Hadamard(Ref("f"), Prev("C")), Hadamard(Ref("i"), Ref("Ctilde"))))),
        Equation("o", Apply("sigmoid", _affine("o", recurrent_first=True))),
        Equation("h", Hadamard(Ref("o"), Apply("tanh", Ref("C")))),
    )
    return Cell(
        "homework3-lstm",
        _gate_params(("f", "i", "C", "o")),
        ("h", "C"),
        eqs,
        description="homework 3 Ex 3: C_t = f_t * C_{t-1} + i_t * Ctilde_t, h_t = o_t * tanh(C_t)",
        latex=(("Ctilde", r"\tilde{C}"), ("C", "C")),
    )


def _gru_update() -> Equation:
    return Equation(
        "h", Add((Hadamard(Ref("z"), Prev("h")), Hadamard(OneMinus(Ref("z")), Ref("n"))))
    )


def gru() -> Cell:
    """The GRU as PyTorch and Keras (reset_after) write it; b_hn sits inside the reset product."""
    cand = Add(
        (
            MatMul(_p("U_n"), X),
            _p("b_n"),
            Hadamard(Ref("r"), Add((MatMul(_p("W_n"), Prev("h")), _p("b_hn")))),
        )
    )
    eqs = (
        Equation("z", Apply("sigmoid", _affine("z"))),
        Equation("r", Apply("sigmoid", _affine("r"))),
        Equation("n", Apply("tanh", cand)),
        _gru_update(),
    )
    return Cell(
        "gru",
        (*_gate_params("zrn"), Param("b_hn", ("n",))),
        ("h",),
        eqs,
        description="GRU (PyTorch, reset after): h_t = z_t * h_{t-1} + (1 - z_t) * n_t",
    )


def gru_reset_before() -> Cell:
    """The GRU of Cho et al. (v3) and d2l's scratch code: reset applied before W_n."""
    cand = Add((MatMul(_p("W_n"), Hadamard(Ref("r"), Prev("h"))), MatMul(_p("U_n"), X), _p("b_n")))
    eqs = (
        Equation("z", Apply("sigmoid", _affine("z"))),
        Equation("r", Apply("sigmoid", _affine("r"))),
        Equation("n", Apply("tanh", cand)),
        _gru_update(),
    )
    return Cell(
        "gru-reset-before",
        _gate_params("zrn"),
        ("h",),
        eqs,
        description="GRU (reset before): n_t = tanh(W_n (r_t * h_{t-1}) + U_n x_t + b_n)",
    )


#: The built-in cells by name (constructed once; cells are immutable).
CELLS: Mapping[str, Cell] = MappingProxyType(
    {
        "rnn": rnn(),
        "lstm": lstm(),
        "homework3-lstm": homework3_lstm(),
        "gru": gru(),
        "gru-reset-before": gru_reset_before(),
    }
)


def builtin_cell(name: str) -> Cell:
    """A built-in cell by name; InputError listing the names otherwise."""
    try:
        return CELLS[name]
    except KeyError:
        raise InputError(f"unknown cell {name!r}; expected one of {', '.join(CELLS)}") from None
