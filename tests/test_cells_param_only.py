"""A cell quantity made of parameters only (a learned leak rate a = sigma(p)) runs everywhere."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from click.testing import CliRunner

from symbptt.cells import numeric
from symbptt.cli import cli

LEAKY = r"""name: leaky
description: A leaky RNN with a learned per-unit rate.
cell:
  states: [h]
  equations:
    - 'a_t = \sigma(p)'
    - '\tilde{h}_t = \tanh(W h_{t-1} + U x_t + b)'
    - 'h_t = (1 - a_t) \odot h_{t-1} + a_t \odot \tilde{h}_t'
output: none
loss: generic
sizes: {T: 2, n: 2, m: 2}
"""


def test_leaky_cell_verifies_and_derives(tmp_path: Path) -> None:
    path = tmp_path / "leaky.yaml"
    path.write_text(LEAKY, encoding="utf-8")
    r = CliRunner().invoke(cli, ["verify", str(path)])
    assert r.exit_code == 0 and "all passed" in r.output, r.output
    r = CliRunner().invoke(cli, ["derive", str(path), "--format", "tex"])
    assert r.exit_code == 0 and "Traceback" not in r.output, r.output


def test_leaky_cell_runs_as_its_equations(tmp_path: Path) -> None:
    from symbptt.catalog import load

    path = tmp_path / "leaky.yaml"
    path.write_text(LEAKY, encoding="utf-8")
    cell = load(str(path)).cell_def
    rng = np.random.default_rng(3)
    n, m, T = 2, 2, 3
    P = {p.key: rng.normal(size=p.size(n, m)) for p in cell.params}
    xs = rng.normal(size=(T, 1, m))
    trace = numeric.forward(cell, P, xs, None)
    h = np.zeros(n)  # the loop, written from the three equations above
    for t in range(T):
        a = 1.0 / (1.0 + np.exp(-P["p"]))
        cand = np.tanh(P["W"] @ h + P["U"] @ xs[t, 0] + P["b"])
        h = (1 - a) * h + a * cand
        np.testing.assert_allclose(trace.values["h"][t, 0], h, rtol=1e-12, atol=1e-12)
