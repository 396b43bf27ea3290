"""Plain-text maths for a terminal: the LaTeX that derivations emit, read as Unicode.

`tex_to_text` turns the subset of LaTeX our printers produce (fractions, sub- and superscripts,
Greek letters, `\\operatorname`, `pmatrix`, sums and products) into one line of Unicode such as
`δₜ,ₖ = f′(sₖ) ⊙ Uᵀ δₜ,ₖ₊₁`. It reads only strings: no SymPy, no algebra. A command it does not
know is printed by name without its backslash, so nothing is lost.
"""

from __future__ import annotations

import re
from unicodedata import normalize

_SYMBOLS = {
    "alpha": "α", "beta": "β", "gamma": "γ", "delta": "δ", "epsilon": "ϵ", "varepsilon": "ε",
    "zeta": "ζ", "eta": "η", "theta": "θ", "iota": "ι", "kappa": "κ", "lambda": "λ", "mu": "μ",
    "nu": "ν", "xi": "ξ", "pi": "π", "rho": "ρ", "sigma": "σ", "tau": "τ", "upsilon": "υ",
    "phi": "ϕ", "varphi": "φ", "chi": "χ", "psi": "ψ", "omega": "ω", "Gamma": "Γ", "Delta": "Δ",
    "Theta": "Θ", "Lambda": "Λ", "Xi": "Ξ", "Pi": "Π", "Sigma": "Σ", "Phi": "Φ", "Psi": "Ψ",
    "Omega": "Ω", "partial": "∂", "nabla": "∇", "sum": "∑", "prod": "∏", "to": "→",
    "rightarrow": "→", "leftarrow": "←", "le": "≤", "leq": "≤", "ge": "≥", "geq": "≥",
    "ne": "≠", "neq": "≠", "approx": "≈", "dots": "…", "ldots": "…", "cdots": "⋯",
    "odot": "⊙", "otimes": "⊗", "circ": "∘", "cdot": "·", "times": "×", "in": "∈",
    "infty": "∞", "ell": "ℓ", "top": "ᵀ", "prime": "′", "lVert": "‖", "rVert": "‖",
    "Vert": "‖", "lvert": "|", "rvert": "|", "mid": "|", "langle": "⟨", "rangle": "⟩",
    "quad": "  ", "qquad": "    ", ",": " ", ";": " ", ":": " ", "!": "", " ": " ",
    "{": "{", "}": "}", "_": "_", "%": "%", "&": "&", "#": "#", "$": "$",
    "tanh": "tanh", "log": "log", "exp": "exp", "max": "max", "min": "min", "sin": "sin",
    "cos": "cos", "sqrt": "√", "neg": "¬", "pm": "±", "mp": "∓", "equiv": "≡", "sim": "∼",
    "forall": "∀", "exists": "∃", "setminus": "∖", "cup": "∪", "cap": "∩", "subset": "⊂",
}  # fmt: skip
_ACCENTS = {"hat": "\u0302", "bar": "\u0304", "tilde": "\u0303", "dot": "\u0307", "vec": "\u20d7"}
_FONTS = {"mathrm", "operatorname", "text", "mathbf", "bm", "boldsymbol", "mathit", "mathsf"}
_DOUBLE = {"R": "ℝ", "N": "ℕ", "Z": "ℤ", "Q": "ℚ", "C": "ℂ"}
_DROP = {"left", "right", "big", "Big", "bigg", "Bigg", "displaystyle", "limits", "nolimits"}
_SUB = dict(
    zip("0123456789+-=()aehijklmnoprstuvx", "₀₁₂₃₄₅₆₇₈₉₊₋₌₍₎ₐₑₕᵢⱼₖₗₘₙₒₚᵣₛₜᵤᵥₓ", strict=True)
)
_SUP = dict(
    zip(
        "0123456789+-=()abdeghijklmnoprstuvwxyzT",
        "⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻⁼⁽⁾ᵃᵇᵈᵉᵍʰⁱʲᵏˡᵐⁿᵒᵖʳˢᵗᵘᵛʷˣʸᶻᵀ",
        strict=True,
    )
)
_SUP.update({"ᵀ": "ᵀ", "′": "′", "*": "*", "×": "ˣ"})
_CLOSE = "\x00"  # marks a closing bar: the space before it goes
_GAP = "\x01"  # a gap between matrix cells: two spaces in the output
_TOKEN = re.compile(r"\\[A-Za-z]+|\\.|[{}_^&]|[^\\{}_^&]")


class _Reader:
    """A cursor over LaTeX tokens that converts one group or token at a time."""

    def __init__(self, tex: str) -> None:
        self.toks = _TOKEN.findall(tex)
        self.i = 0

    def done(self) -> bool:
        return self.i >= len(self.toks)

    def take(self) -> str:
        tok = self.toks[self.i]
        self.i += 1
        return tok

    def skip_space(self) -> None:
        while not self.done() and self.toks[self.i] == " ":
            self.i += 1

    def arg(self) -> str:
        """The next argument: a {group} or a single token, converted."""
        self.skip_space()
        if self.done():
            return ""
        if self.toks[self.i] == "{":
            self.i += 1
            return self.until("}")
        return self.one(self.take())

    def raw_arg(self) -> str:
        """The next {group} as raw text (environment names, \\text contents)."""
        self.skip_space()
        if self.done() or self.toks[self.i] != "{":
            return self.take() if not self.done() else ""
        depth, out = 0, []
        while not self.done():
            tok = self.take()
            depth += tok == "{"
            depth -= tok == "}"
            if depth == 0:
                break
            out.append(tok)
        return "".join(out[1:])

    def until(self, stop: str | None) -> str:
        out: list[str] = []
        while not self.done():
            tok = self.take()
            if tok == stop:
                break
            out.append(self.one(tok))
        return "".join(out)

    def one(self, tok: str) -> str:
        if tok == "{":
            return self.until("}")
        if tok in ("_", "^"):
            return _script(self.arg(), _SUB if tok == "_" else _SUP, tok)
        if tok == "'":
            return "′"
        if not tok.startswith("\\"):
            return tok
        return self.command(tok[1:])

    def command(self, name: str) -> str:
        if name in _DROP:
            return ""
        if name == "frac":
            return _fraction(self.arg(), self.arg())
        if name in _ACCENTS:
            base = self.arg()
            return normalize("NFC", base + _ACCENTS[name]) if len(base) == 1 else f"{name}({base})"
        if name in _FONTS:
            return self.raw_arg() if name == "text" else self.arg()
        if name == "mathbb":
            letter = self.arg()
            return _DOUBLE.get(letter, letter)
        if name == "overset":
            over, base = self.arg(), self.arg()
            return "≟" if (over, base) == ("?", "=") else f"{base}({over})"
        if name == "sqrt":
            return f"√({self.arg()})"
        if name == "begin":
            return self.environment(self.raw_arg())
        if name == "\\":
            return "; "
        if name in ("partial", "nabla", "lVert"):
            self.skip_space()  # ∂E and ‖x‖, not ∂ E and ‖ x ‖
        if name == "rVert":
            return _CLOSE + "‖"
        return _SYMBOLS.get(name, name)

    def environment(self, env: str) -> str:
        """A matrix as [a, b; c, d]; other environments as their rows joined by '; '."""
        body = self.until_end(env)
        rows = [r.strip() for r in re.split(r"\\\\", body) if r.strip()]
        cells = [[_Reader(c).until(None).strip() for c in r.split("&")] for r in rows]
        if env.endswith("matrix"):  # the wide gaps survive tex_to_text's space folding
            return "[" + f";{_GAP}".join(_GAP.join(r) for r in cells) + "]"
        return "; ".join(_GAP.join(r) for r in cells)

    def until_end(self, env: str) -> str:
        out, depth = [], 0
        while not self.done():
            tok = self.take()
            if tok in ("\\begin", "\\end"):
                name = self.raw_arg()
                if tok == "\\end" and name == env and depth == 0:
                    break
                depth += 1 if tok == "\\begin" else -1
                out.append(f"{tok}{{{name}}}")
            else:
                out.append(tok)
        return "".join(out)


def _script(text: str, table: dict[str, str], mark: str) -> str:
    """Sub- or superscript in Unicode when every character has one, else `_x` / `_(x, y)`."""
    text = text.strip().replace(_GAP, "  ")
    if text and all(c in table or c in ", " for c in text):
        return "".join(table.get(c, c) for c in text.replace(" ", ""))
    if len(text) == 1 or text.isalnum():
        return mark + text
    return f"{mark}({text.replace(' ', '')})"


def _atomic(text: str) -> bool:
    return " " not in text.strip() and not any(op in text for op in "+-⊙/")


def _fraction(num: str, den: str) -> str:
    num, den = num.strip(), den.strip()
    num = num if _atomic(num) else f"({num})"
    den = den if _atomic(den) else f"({den})"
    return f"{num}/{den}"


def tex_to_text(tex: str) -> str:
    """One line of Unicode maths for a LaTeX math string (our printers' subset)."""
    text = re.sub(r"\s*" + _CLOSE, "", re.sub(r"[ \t\n]+", " ", _Reader(tex).until(None)))
    text = text.strip().replace(_GAP, "  ")
    return re.sub(r"\s+\)", ")", re.sub(r"\(\s+", "(", text))


_SPAN = re.compile(r"\$([^$]+)\$|`([^`]+)`")


def prose_to_text(prose: str) -> str:
    """Prose with `$math$` spans converted and `` `code` `` kept as it is written."""
    return _SPAN.sub(lambda m: tex_to_text(m[1]) if m[1] is not None else m[2], prose)
