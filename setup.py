"""Build step that copies the repository's derivations/, docs/ and mkdocs.yml into the wheel.

They stay at the repository's top level where authors edit them; a wheel carries them as
package data in `symbptt/_data`, found at run time by `symbptt.resources.data_root()`.
Everything else is in pyproject.toml.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent
SHIPPED = ("derivations", "docs", "mkdocs.yml")  # = symbptt.resources.SHIPPED
_IGNORE = shutil.ignore_patterns("__pycache__", "*.py[cod]", ".ipynb_checkpoints")


class BuildPyWithData(build_py):
    """build_py, then the shipped data into build_lib/symbptt/_data (not for editable installs)."""

    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):
            return  # an editable install reads the checkout's own folders
        target = Path(self.build_lib) / "symbptt" / "_data"
        for name in SHIPPED:
            src, dst = HERE / name, target / name
            if not src.exists():
                raise SystemExit(f"setup.py: {src} is missing; the wheel needs it")
            if dst.exists():
                shutil.rmtree(dst) if dst.is_dir() else dst.unlink()
            dst.parent.mkdir(parents=True, exist_ok=True)
            if src.is_dir():
                shutil.copytree(src, dst, ignore=_IGNORE)
            else:
                shutil.copy2(src, dst)


setup(cmdclass={"build_py": BuildPyWithData})
