"""LaTeX output: the notation printer, derivation documents and the engine's cells via latexify."""

from symbptt.latex.printer import NotationPrinter, PrintSettings, latex, settings_for

__all__ = ["NotationPrinter", "PrintSettings", "latex", "settings_for"]
