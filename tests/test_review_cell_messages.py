"""Review cosmetics for gated cells: a wrong input weight named as itself (not the first gate's),
diag(1 - z_t) printed with one pair of parentheses, and a parameter used in two shapes reported at
the equation that conflicts, quoted."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from symbptt.cells.from_latex import CellSource, cell_from_latex
from symbptt.cli import cli
from symbptt.engine_gated import forward, param_keys
from symbptt.errors import InputError
from symbptt.latex.cell_ir import _unwrap

MGU = Path(__file__).resolve().parent.parent / "derivations" / "examples" / "mgu.yaml"


def _params(cell: str, n: int, m: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    shape = {"U": (n, m), "W": (n, n)}
    return {k: rng.normal(size=shape.get(k[0], (n,))) for k in param_keys(cell)}


@pytest.mark.parametrize(("cell", "bad", "others"), [("gru", "U_z", "U_r, U_n"),
                                                     ("lstm", "U_i", "U_f, U_g, U_o")])  # fmt: skip
@pytest.mark.parametrize("wrong", [(3, 3), (4, 2), (2, 3)])
def test_wrong_input_weight_is_named_not_the_first_gates(
    cell: str, bad: str, others: str, wrong: tuple[int, int]
) -> None:
    """n = 3 units, m = 2 inputs: every U is (3, 2); only `bad` has another shape."""
    rng = np.random.default_rng(0)
    params = _params(cell, 3, 2, rng) | {bad: rng.normal(size=wrong)}
    with pytest.raises(InputError) as err:
        forward(params, rng.normal(size=(4, 2)), cell=cell, output=None, dt=np.dtype(np.float64))
    msg = str(err.value)
    assert msg.startswith(f"params['{bad}'] must have shape (n, m) = (3, 2)"), msg
    assert f"(n, m from {others})" in msg and f"found shape {wrong}" in msg


def test_one_diag_factor_has_one_pair_of_parentheses() -> None:
    """MGU: dh_t/dh_{t-1} with the step's other inputs fixed is diag(1 - z_t) (h_t = (1 - z_t)
    h_{t-1} + z_t h~_t), printed as \\operatorname{diag}\\left(1 - z_{t}\\right)."""
    out = CliRunner().invoke(cli, ["derive", str(MGU), "--format", "tex"]).output
    assert r"\operatorname{diag}\left(1 - z_{t}\right)" in out
    assert r"\operatorname{diag}\left(\left(1 - z_{t}\right)\right)" not in out
    text = CliRunner().invoke(cli, ["derive", str(MGU), "--format", "text"]).output
    assert "diag(1 - zₜ)" in text and "diag((1 - zₜ))" not in text


def test_unwrap_keeps_two_groups() -> None:
    assert _unwrap(r"\left(1 - z\right)") == "1 - z"
    assert _unwrap(r"\left(a\right) \odot \left(b\right)") == r"\left(a\right) \odot \left(b\right)"
    assert _unwrap(r"\left(\left(a\right) b\right)") == r"\left(a\right) b"
    assert _unwrap("z_t") == "z_t"


def test_two_shapes_point_at_the_conflicting_equation() -> None:
    eqs = [
        r"r_t = \sigma(W_r h_{t-1} + U_r x_t + b_r)",
        r"z_t = \sigma(W_z h_{t-1} + U_r h_{t-1} + b_z)",
        r"h_t = (1 - z_t) \odot h_{t-1} + z_t \odot r_t",
    ]
    sources = [CellSource(e, f"my.yaml:{i + 5}") for i, e in enumerate(eqs)]
    with pytest.raises(InputError) as err:
        cell_from_latex("user", sources, ["h"], where="my.yaml:3")
    msg = str(err.value)
    assert msg.startswith("my.yaml:6: parameter U_r: used in two shapes"), msg
    assert f"in equation '{eqs[1]}' it multiplies a state" in msg
    assert f"at my.yaml:5 ('{eqs[0]}') it multiplies the input" in msg
