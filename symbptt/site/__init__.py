"""The docs site built from derivations/: generated pages, figures and the mkdocs build."""

from symbptt.site.build import BuildResult, build
from symbptt.site.generate import SiteBuildError

__all__ = ["BuildResult", "SiteBuildError", "build"]
