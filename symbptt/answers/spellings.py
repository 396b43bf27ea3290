"""How a student may spell a model's names: W_h or W_{h}, \\hat{y}, net for \\mathrm{net}, \\sigma
for sigma (a YAML key may drop the backslash of a Greek letter)."""

from __future__ import annotations

import re

from symbptt.model import Name

__all__ = ["GREEK_NAMES", "greek_key", "name_keys"]

GREEK_NAMES = {"alpha", "beta", "gamma", "delta", "epsilon", "eta", "theta", "lambda", "mu", "xi",
          "pi", "rho", "sigma", "tau", "phi", "chi", "psi", "omega", "Lambda", "Delta", "Sigma",
          "Gamma", "Theta", "Phi", "Psi", "Omega"}  # fmt: skip


def name_keys(name: Name) -> set[str]:
    """The spellings a student may use for a display name: W_h, W_{h}, \\hat{y}, net, \\sigma."""
    keys = {
        name.ascii,
        name.latex.replace("{", "").replace("}", "") if "_" in name.latex else name.latex,
    }
    inner = re.fullmatch(r"\\(?:mathrm|operatorname|text)\{([A-Za-z]+)\}", name.latex)
    if inner:
        keys.add(inner.group(1))
    if name.ascii in GREEK_NAMES:
        keys.add("\\" + name.ascii)
    return keys


def greek_key(key: str) -> str:
    """'Lambda' (a YAML key) -> '\\Lambda'; other keys unchanged."""
    return "\\" + key if key in GREEK_NAMES else key
