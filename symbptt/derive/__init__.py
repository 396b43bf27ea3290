"""The builder layer: a model's derivation computed once, as a `latex.steps.Derivation` value.

`vanilla` (the vanilla RNN in a text's notation) and `gated` (a cell stated as data) call the
algebra (`symbolic/`, `cells/`) and `verify`, and render what they find with the printing
helpers (`latex.notation`, `latex.printer`, `latex.cell_ir`, `latex.statement`); `paths` and
`claims` are their computing sections. The printers (`latex.formats`, `site/`, `display`) only
print the value and never import this package; `site.generate`, the site's build driver, does.
"""
