"""symbptt: derive, print and check Backpropagation Through Time in recurrent networks."""

from symbptt.errors import InputError, SymbpttError

__version__ = "0.1.0"
__all__ = ["InputError", "SymbpttError", "__version__"]
