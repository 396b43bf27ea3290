"""In a checkout the shipped data is read where authors edit it: the repository's own folders."""

from __future__ import annotations

import ast
from pathlib import Path

from symbptt import catalog
from symbptt.resources import SHIPPED, data_root

ROOT = Path(__file__).resolve().parent.parent


def test_checkout_reads_the_top_level_folders() -> None:
    assert data_root() == ROOT
    assert catalog.DERIVATIONS_DIR == ROOT / "derivations"
    assert {p.stem for p in catalog.builtin_paths()} == {
        p.stem for p in (ROOT / "derivations").glob("*.yaml")
    }


def test_setup_and_manifest_ship_the_same_folders() -> None:
    tree = ast.parse((ROOT / "setup.py").read_text())
    (shipped,) = [
        ast.literal_eval(node.value)
        for node in tree.body
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", "") == "SHIPPED"
    ]
    assert shipped == SHIPPED
    manifest = (ROOT / "MANIFEST.in").read_text().split()
    for name in SHIPPED:
        assert (ROOT / name).exists()
        assert name in manifest
    assert not (ROOT / "symbptt" / "_data").exists()  # the copy exists only in a built wheel
