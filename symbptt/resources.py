"""Where the shipped data lives: derivations/, docs/ and mkdocs.yml.

In a source checkout (editable install) they are the repository's top-level folders, where
authors edit them; an installed wheel carries a copy in the package (`symbptt/_data`, made by
setup.py's build step) found through `importlib.resources`.
"""

from __future__ import annotations

from functools import cache
from importlib.resources import files
from pathlib import Path

#: The package folder that holds the copy in a wheel (setup.py writes it at build time).
DATA_PACKAGE_DIR = "_data"
#: What is shipped, relative to the repository root (setup.py and MANIFEST.in use the same).
SHIPPED = ("derivations", "docs", "mkdocs.yml")


@cache
def data_root() -> Path:
    """The folder holding derivations/, docs/ and mkdocs.yml: the checkout, else the package copy."""
    checkout = Path(__file__).resolve().parent.parent
    if (checkout / "derivations").is_dir() and (checkout / "pyproject.toml").is_file():
        return checkout
    return Path(str(files("symbptt") / DATA_PACKAGE_DIR))
