"""LaTeX names of one model's quantities, with time indices: h_{t-1}, x_t, W^\\top, delta_{t,k}.

Documents write every symbol through here, so a text's letters (U recurrent in dl4nlp, W_h in
the blog, s_t for the state in the tutorial) and its vector style are applied in one place.
"""

from __future__ import annotations

from dataclasses import dataclass

from symbptt.latex.printer import vector
from symbptt.model import Model, Role

ACTIVATION_TEX = {
    "tanh": r"\tanh",
    "sigmoid": r"\sigma",
    "relu": r"\operatorname{ReLU}",
    "identity": r"\operatorname{id}",
}
OUTPUT_TEX = {"softmax": r"\operatorname{softmax}", "sigmoid": r"\sigma", "identity": ""}


@dataclass(frozen=True)
class Names:
    """The model's quantities as LaTeX, indexed by a time expression such as 't-1'."""

    model: Model

    def _v(self, name, index: str | None) -> str:
        return vector(name, index, bold_vectors=self.model.notation.bold_vectors)

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

    def delta(self, *idx: str) -> str:
        """Error term delta_t or delta_{t,k}."""
        return self._v(self.model.notation.delta, ",".join(idx))

    @property
    def E(self) -> str:
        """Total loss."""
        return self.model.notation.loss.latex

    def E_t(self, i: str) -> str:
        """Loss at step i."""
        return f"{self.model.notation.step_loss.latex}_{{{i}}}"

    @property
    def f(self) -> str:
        """The hidden activation's name in the text (f, sigma)."""
        return self.model.notation.activation.latex

    def fprime(self, arg: str) -> str:
        """f'(arg), elementwise."""
        return f"{self.f}'\\left({arg}\\right)"

    def diag_fprime(self, arg: str) -> str:
        """diag(f'(arg))."""
        return r"\operatorname{diag}\left(" + self.fprime(arg) + r"\right)"

    @property
    def t(self) -> str:
        """The time index letter."""
        return self.model.notation.time

    def scalar(self, vec: str, index: str, entry: str) -> str:
        """Entry `entry` of a time-indexed vector, e.g. h_{t-1,i} (never bold: it is a scalar)."""
        return f"{vec}_{{{index},{entry}}}"
