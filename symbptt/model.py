"""What an RNN is, separately from what it is called.

A `Model` says which parameters exist by *role* (input, recurrent, output weight, biases), which
activation, output and loss it uses, where the loss is taken and how its error term is defined.
Its `Notation` maps every role and quantity to the *display name* one source text uses
(U/W/V, W_x/W_h/W_y, U recurrent in the dl4nlp text, ...). The engine and the algebra work on
roles; only printers and the answer parser look at names.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType

from symbptt.cells.builtin import CELLS, rnn
from symbptt.cells.cell import Cell
from symbptt.cells.heads import BY_OUTPUT_LOSS, head_for
from symbptt.errors import InputError


class Role(StrEnum):
    """The part a parameter plays in the cell; independent of any text's letters."""

    INPUT = "input"  # multiplies x_t
    RECURRENT = "recurrent"  # multiplies h_{t-1}
    HIDDEN_BIAS = "hidden_bias"
    OUTPUT = "output"  # multiplies h_t to give the output pre-activation
    OUTPUT_BIAS = "output_bias"


#: The keys the numeric engine uses for each role (`symbptt.engine.forward(params, ...)`).
ENGINE_KEY: Mapping[Role, str] = MappingProxyType(
    {
        Role.INPUT: "U",
        Role.RECURRENT: "W",
        Role.HIDDEN_BIAS: "b",
        Role.OUTPUT: "V",
        Role.OUTPUT_BIAS: "c",
    }
)

ACTIVATIONS = ("tanh", "sigmoid", "relu", "identity", "generic")
OUTPUTS = ("softmax", "identity", "sigmoid", "none")
LOSSES = ("cross_entropy", "squared_error", "binary_cross_entropy", "generic")
LOSS_AT = ("every", "last")
#: net: delta_t = dE/dnet_t (total, with the recursive term) -- tutorial, course notes, blog.
#: per_step: delta_{t,k} = dE_t/dnet_k (two indices) -- the dl4nlp text.
#: step_state: delta_t = dL_t/dh_t (local, per-step loss only) -- homework 3.
DELTA_CONVENTIONS = ("net", "per_step", "step_state")
#: The gated cells a derivation file may name (`cell:`), besides the vanilla "rnn".
GATED_CELLS = ("lstm", "homework3-lstm", "gru", "gru-reset-before")
#: `Model.cell` of a cell stated in the derivation file itself (`Model.user_cell`).
USER_CELL = "user"
#: The output layer each loss belongs with (a generic loss goes with any output, or none).
LOSS_OUTPUT = {
    "cross_entropy": "softmax",
    "squared_error": "identity",
    "binary_cross_entropy": "sigmoid",
}


@dataclass(frozen=True)
class Name:
    """A display name: `ascii` is typed on the command line and in JSON, `latex` is printed."""

    ascii: str
    latex: str

    @staticmethod
    def of(ascii_name: str, latex: str | None = None) -> Name:
        """Name from an ASCII id; LaTeX defaults to subscripts braced (W_h -> W_{h})."""
        return Name(ascii_name, latex if latex is not None else default_latex(ascii_name))


def default_latex(ascii_name: str) -> str:
    """W_h -> W_{h}, yhat -> \\hat{y}, delta -> \\delta, sigma -> \\sigma."""
    greek = {
        "alpha", "beta", "gamma", "delta", "epsilon", "eta", "theta", "lambda", "mu", "xi",
        "pi", "rho", "sigma", "tau", "phi", "chi", "psi", "omega", "Lambda", "Delta", "Sigma",
    }  # fmt: skip
    base, _, sub = ascii_name.partition("_")
    if base.endswith("hat") and len(base) > 3:
        core = base[:-3]
        base_tex = r"\hat{" + (f"\\{core}" if core in greek else core) + "}"
    else:
        base_tex = f"\\{base}" if base in greek else base
        if len(base) > 1 and base not in greek:
            base_tex = r"\mathrm{" + base + "}"
    return f"{base_tex}_{{{sub}}}" if sub else base_tex


@dataclass(frozen=True)
class Notation:
    """Display names for every role and quantity of one text."""

    parameters: Mapping[Role, Name]
    input: Name = Name("x", "x")
    state: Name = Name("h", "h")
    preactivation: Name = Name("net", r"\mathrm{net}")
    output_preactivation: Name = Name("z", "z")
    output: Name = Name("yhat", r"\hat{y}")
    target: Name = Name("y", "y")
    loss: Name = Name("E", "E")
    step_loss: Name = Name("E", "E")
    delta: Name = Name("delta", r"\delta")
    activation: Name = Name("f", "f")
    time: str = "t"
    bold_vectors: bool = False
    #: Write the pre-activation as W h_{t-1} + U x_t (blog, homework 3, dl4nlp) instead of
    #: U x_t + W h_{t-1} (tutorial, course notes): printers follow the text's order.
    recurrent_first: bool = False
    #: How the text lays out derivatives by vectors: '' (undeclared), numerator, denominator or
    #: mixed (see symbptt/answers/layout.py); the checker reads students' answers in it.
    layout: str = ""
    #: Time as a superscript, h^{(t)} and h^{(t-1)} (Goodfellow et al.), instead of h_t.
    time_superscript: bool = False
    #: The bias first in the pre-activation, b + W h_{t-1} + U x_t (Goodfellow et al.).
    bias_first: bool = False
    #: The number of time steps as the text writes it: T, or \tau (Goodfellow et al.).
    steps: str = "T"
    #: f'(net_t) printed with the output: 1 - (h_t)^2 for tanh, h_t (.) (1 - h_t) for sigmoid.
    derivative_from_output: bool = False
    #: Gradients of the loss printed as nabla_{h_t} L (Goodfellow et al.), not dL/dh_t.
    nabla: bool = False
    #: Also state the total gradient by the state, nabla_{h_t} L, and its recursion (the error
    #: term of Goodfellow et al.), besides the model's delta convention.
    state_gradient: bool = False

    def param(self, role: Role) -> Name:
        """The display name of a role's parameter."""
        return self.parameters[role]

    def role_of(self, name: str) -> Role:
        """The role behind a display name (ASCII or LaTeX); InputError lists the valid ones."""
        for role, n in self.parameters.items():
            if name in (n.ascii, n.latex):
                return role
        known = ", ".join(n.ascii for n in self.parameters.values())
        raise InputError(f"unknown parameter {name!r}; this model's parameters are {known}")


@dataclass(frozen=True)
class Sizes:
    """Default sizes: T time steps, n hidden units, m inputs, k outputs."""

    T: int = 3
    n: int = 2
    m: int = 2
    k: int = 2


@dataclass(frozen=True)
class Model:
    """A recurrent model in one text's notation: a vanilla RNN, or a gated cell.

    net_t = U x_t + W h_{t-1} + b,  h_t = f(net_t),  z_t = V h_t + c,  yhat_t = g(z_t),
    E = sum_t E_t (or E = E_T when loss_at == "last"), with roles in place of the letters.
    A gated model (`cell` one of `GATED_CELLS`) is the built-in cell of that name
    (`cell_def`, keyed by the cell's own parameter keys) with a head of `cells.heads` (output
    and loss, z_t = V h_t + c) or a generic per-step loss L_t(h_t) (output 'none');
    cell 'user' is the file's own `user_cell`, treated like a gated cell.
    """

    name: str
    description: str
    notation: Notation
    activation: str = "tanh"
    output: str = "softmax"
    loss: str = "cross_entropy"
    loss_at: str = "every"
    delta: str = "net"
    sizes: Sizes = field(default_factory=Sizes)
    source: str = ""
    cell: str = "rnn"
    #: A cell stated in the derivation file (`cell: {states, equations}`); `cell` is then "user".
    user_cell: Cell | None = None

    def __post_init__(self) -> None:
        _one_of("activation", self.activation, ACTIVATIONS)
        _one_of("output", self.output, OUTPUTS)
        _one_of("loss", self.loss, LOSSES)
        _one_of("loss_at", self.loss_at, LOSS_AT)
        _one_of("delta", self.delta, DELTA_CONVENTIONS)
        if self.user_cell is not None and self.cell != USER_CELL:
            raise InputError(f"cell is {self.cell!r}; a model with its own Cell takes cell 'user'")
        _one_of("cell", self.cell, ("rnn", *GATED_CELLS, USER_CELL))
        if self.cell == USER_CELL and self.user_cell is None:
            raise InputError("cell 'user' needs the cell itself (a mapping with states, equations)")
        if self.is_gated:
            self._check_gated()
            return
        roles = set(self.notation.parameters)
        for needed in (Role.INPUT, Role.RECURRENT):
            if needed not in roles:
                raise InputError(f"model {self.name!r} has no {needed.value} weight")
        has_out = Role.OUTPUT in roles
        if self.output == "none" and (has_out or Role.OUTPUT_BIAS in roles):
            raise InputError("output 'none' cannot have output parameters")
        if self.output != "none" and not has_out:
            raise InputError(f"output {self.output!r} needs an output weight")
        if Role.OUTPUT_BIAS in roles and not has_out:
            raise InputError("an output bias needs an output weight")
        wanted = LOSS_OUTPUT.get(self.loss)
        if wanted is not None and self.output != wanted:
            raise InputError(f"loss {self.loss!r} goes with output {wanted!r}, not {self.output!r}")
        names = [n.ascii for n in self.notation.parameters.values()]
        if len(set(names)) != len(names):
            raise InputError(f"two roles share one display name in {names}")

    def _check_gated(self) -> None:
        if self.notation.parameters:
            raise InputError(
                f"parameters: cell {self.cell!r} names its own parameters "
                f"({', '.join(self.cell_def.param_keys)}); leave out 'parameters'"
            )
        try:  # a head combines with any cell
            head_for(self.output, self.loss)
        except InputError:
            heads = ", ".join(f"{o} + {lo}" for o, lo in BY_OUTPUT_LOSS if lo != "generic")
            raise InputError(
                f"output {self.output!r} with loss {self.loss!r}: a gated cell takes output "
                f"'none' with loss 'generic' (a per-step loss L_t of h_t) or a head ({heads})"
            ) from None
        if self.has_output_layer and any(k in self.cell_def.param_keys for k in ("V", "c")):
            raise InputError(
                f"output {self.output!r}: the head z_t = V h_t + c needs the names V and c, "
                "which the cell uses for its own parameters"
            )

    @property
    def is_gated(self) -> bool:
        """True for an LSTM or GRU cell (anything but the vanilla 'rnn')."""
        return self.cell != "rnn"

    @property
    def cell_def(self) -> Cell:
        """The cell as data (symbptt.cells): the built-in gated cell, or the vanilla cell with
        this model's activation, bias and term order."""
        if self.user_cell is not None:
            return self.user_cell
        if self.is_gated:
            return CELLS[self.cell]
        return rnn(
            self.activation,
            bias=Role.HIDDEN_BIAS in self.notation.parameters,
            recurrent_first=self.notation.recurrent_first,
        )

    @property
    def roles(self) -> tuple[Role, ...]:
        """The roles present, in canonical order."""
        return tuple(r for r in Role if r in self.notation.parameters)

    @property
    def has_output_layer(self) -> bool:
        """True when z_t = V h_t (+ c) and an output nonlinearity follow the state."""
        return self.output != "none"

    def shape(self, role: Role, sizes: Sizes | None = None) -> tuple[int, ...]:
        """The shape of a role's parameter for the given (default: the model's) sizes."""
        s = sizes or self.sizes
        return {
            Role.INPUT: (s.n, s.m),
            Role.RECURRENT: (s.n, s.n),
            Role.HIDDEN_BIAS: (s.n,),
            Role.OUTPUT: (s.k, s.n),
            Role.OUTPUT_BIAS: (s.k,),
        }[role]


def _one_of(key: str, value: str, allowed: tuple[str, ...]) -> None:
    if value not in allowed:
        raise InputError(f"{key} is {value!r}; expected one of {', '.join(allowed)}")
