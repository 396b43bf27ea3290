"""LaTeX output: the notation printer, the printing of derivation values (`formats`) and the engine's
cells via latexify; the values are built by `symbptt.builders`."""

from symbptt.latex.printer import NotationPrinter, PrintSettings, latex, settings_for

__all__ = ["NotationPrinter", "PrintSettings", "latex", "settings_for"]
