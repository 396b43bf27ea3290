"""Cells as data: one statement of a recurrent cell drives its numbers, its algebra and proofs.

Modules, lowest first: `functions` (the table of elementwise functions), `heads` (output heads
and losses), `expr` and `cell` (the IR), `builtin` (rnn, lstm, homework3-lstm, gru,
gru-reset-before), `reverse` (one step's reverse mode as IR), `numeric` (the generated numpy
engine), `symbolic` (SymPy unrolling, direct = BPTT, with a head too), `steplemma` (the
per-step rule for every T), `carousel` (derived Jacobian statements such as dc_t/dc_{t-1} =
diag(f_t)), `paths` (small-T path sums dL_T/dP through the carried states), `checks`
(every check `symbptt verify` runs on a gated cell), `from_latex` (a cell stated as LaTeX).

Printers live elsewhere: `latex.cell_ir` (the IR in LaTeX), `derive.gated` (the
derivation document, built), `site.gated` (the site page).
"""

from symbptt.cells.builtin import CELLS, builtin_cell
from symbptt.cells.cell import Cell, Equation, Param

__all__ = ["CELLS", "Cell", "Equation", "Param", "builtin_cell"]
