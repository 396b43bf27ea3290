"""LaTeX names of one model's quantities, with time indices: h_{t-1}, x_t, W^\\top, delta_{t,k}.

Documents write every symbol through here, so a text's letters (U recurrent in dl4nlp, W_h in
the blog, s_t for the state in the tutorial) and its vector style are applied in one place.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from symbptt.cells.functions import FUNCTIONS
from symbptt.latex.printer import time_index, vector
from symbptt.model import Model, Role

ACTIVATION_TEX = {
    "tanh": r"\tanh",
    "sigmoid": r"\sigma",
    "relu": r"\operatorname{ReLU}",
    "identity": r"\operatorname{id}",
}
OUTPUT_TEX = {"softmax": r"\operatorname{softmax}", "sigmoid": r"\sigma", "identity": ""}

#: Letters a document introduces itself, first choice first: each is used only when no name of
#: the model's notation has that letter (or a look-alike), so it never means two things at once.
OUTPUT_ERROR_CHOICES = (r"\varepsilon", r"\xi", r"\eta", r"\zeta", "e", "g")
TOTAL_ERROR_CHOICES = (r"\nu", r"\mu", r"\kappa", r"\rho", "q")
UPSTREAM_CHOICES = ("g", r"\gamma", r"\omega", "c")
#: Letters the documents use with a fixed meaning: time and entry indices, sizes, bounds, loss.
_RESERVED = {"t", "T", "k", "i", "j", "m", "n", "beta", "ell", "diag", "partial"}
_LOOKALIKE = {"varepsilon": "epsilon", "vartheta": "theta", "varphi": "phi", "varrho": "rho",
              "varsigma": "sigma", "varpi": "pi"}  # fmt: skip


def _letters(tex: str) -> set[str]:
    """The letters a LaTeX name is written with: W_{hh} -> W, h; \\hat{y}_t -> y, t."""
    words = set(re.findall(r"\\([A-Za-z]+)", tex))
    plain = re.sub(r"\\[A-Za-z]+", " ", tex)
    found = {w for w in words if w not in ("hat", "bar", "tilde", "mathrm", "bm", "mathbf")}
    found |= set(re.findall(r"[A-Za-z]", plain))
    return {_LOOKALIKE.get(w, w) for w in found}


def taken_letters(model: Model) -> set[str]:
    """Every letter of every name in the model's notation (ASCII and LaTeX), look-alikes merged."""
    nt = model.notation
    names = [*nt.parameters.values(), nt.input, nt.state, nt.preactivation,
             nt.output_preactivation, nt.output, nt.target, nt.loss, nt.step_loss, nt.delta,
             nt.activation]  # fmt: skip
    out = set(_RESERVED) | _letters(nt.time)
    for name in names:
        out |= _letters(name.latex)
        out |= {_LOOKALIKE.get(name.ascii, name.ascii)} | _letters("\\" + name.ascii)
    return out


def fresh_letter(model: Model, choices: tuple[str, ...], avoid: tuple[str, ...] = ()) -> str:
    """The first of `choices` whose letter no name of the model (nor `avoid`) uses."""
    taken = taken_letters(model)
    for a in avoid:
        taken |= _letters(a)
    for tex in choices:
        if not _letters(tex) & taken:
            return tex
    raise ValueError(f"every letter of {choices} is taken by the model's notation")


@dataclass(frozen=True)
class Names:
    """The model's quantities as LaTeX, indexed by a time expression such as 't-1'."""

    model: Model

    def _v(self, name, index: str | None) -> str:
        nt = self.model.notation
        return vector(name, index, bold_vectors=nt.bold_vectors, superscript=nt.time_superscript)

    def param(self, role: Role) -> str:
        """The parameter's letter, e.g. U for dl4nlp's recurrent matrix."""
        return self.model.notation.param(role).latex

    def has(self, role: Role) -> bool:
        """Whether the model has a parameter in this role."""
        return role in self.model.notation.parameters

    def x(self, i: str) -> str:
        """Input at time i."""
        return self._v(self.model.notation.input, i)

    def h(self, i: str) -> str:
        """State at time i."""
        return self._v(self.model.notation.state, i)

    def net(self, i: str) -> str:
        """Pre-activation at time i."""
        return self._v(self.model.notation.preactivation, i)

    def z(self, i: str) -> str:
        """Output pre-activation at time i."""
        return self._v(self.model.notation.output_preactivation, i)

    def yhat(self, i: str) -> str:
        """Output at time i."""
        return self._v(self.model.notation.output, i)

    def y(self, i: str) -> str:
        """Target at time i."""
        return self._v(self.model.notation.target, i)

    @property
    def output_error_letter(self) -> str:
        """The letter for dE_t/dz_t (epsilon unless the notation already uses it)."""
        return fresh_letter(self.model, OUTPUT_ERROR_CHOICES)

    @property
    def total_error_letter(self) -> str:
        """The letter for the total error dE/dnet_t when the text's delta is something else."""
        return fresh_letter(self.model, TOTAL_ERROR_CHOICES, (self.output_error_letter,))

    def output_error(self, i: str) -> str:
        """The output error dE_i/dz_i at time i."""
        return self._v(self.output_error_letter, i)

    def total_error(self, i: str) -> str:
        """The total error term dE/dnet_i at time i (the text's delta under convention 'net')."""
        if self.model.delta == "net":
            return self.delta(i)
        return self._v(self.total_error_letter, i)

    def delta(self, *idx: str) -> str:
        """Error term delta_t or delta_{t,k}."""
        return self._v(self.model.notation.delta, ",".join(idx))

    @property
    def E(self) -> str:
        """Total loss."""
        return self.model.notation.loss.latex

    def E_t(self, i: str) -> str:
        """Loss at step i."""
        nt = self.model.notation
        if nt.time_superscript:
            return time_index(nt.step_loss.latex, i)
        return f"{nt.step_loss.latex}_{{{i}}}"

    @property
    def f(self) -> str:
        """The hidden activation's name in the text (f, sigma)."""
        return self.model.notation.activation.latex

    def fprime(self, arg: str) -> str:
        """f'(arg), elementwise; with activation_derivative: output, f'(a_t) = 1 - (h_t)^2."""
        nt = self.model.notation
        pre = nt.preactivation.latex
        fn = FUNCTIONS.get(self.model.activation)  # f' of the output, as the table writes it
        with_output = fn.latex_d_out if fn is not None and nt.derivative_from_output else None
        if with_output is not None and arg.startswith(pre):
            return rf"\left({with_output(nt.state.latex + arg[len(pre) :])}\right)"
        return f"{self.f}'\\left({arg}\\right)"

    def diag_fprime(self, arg: str) -> str:
        """diag(f'(arg))."""
        inner = self.fprime(arg)
        if inner.startswith(r"\left("):  # written with the output: diag(1 - h^2), one pair
            inner = inner[len(r"\left(") : -len(r"\right)")]
        return r"\operatorname{diag}\left(" + inner + r"\right)"

    @property
    def t(self) -> str:
        """The time index letter."""
        return self.model.notation.time

    def scalar(self, vec: str, index: str, entry: str) -> str:
        """Entry `entry` of a time-indexed vector, e.g. h_{t-1,i} (never bold: it is a scalar)."""
        if self.model.notation.time_superscript:
            return f"{vec}^{{({index})}}_{{{entry}}}"
        return f"{vec}_{{{index},{entry}}}"

    @property
    def T(self) -> str:
        """The number of time steps as the text writes it (T, or \\tau)."""
        return self.model.notation.steps
