"""Sphinx configuration of the klmodels documentation site (``make docs``).

Builds offline: no intersphinx, no remote resources at build time (MathJax is loaded by the reader's
browser). The feature pages include the README's sections, so the two never disagree; the gallery runs
the recipes in ``recipes/`` (sphinx-gallery) and shows what they print and draw.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import klmodels  # noqa: E402

project = "klmodels"
author = "the klmodels developers"
copyright = "2026, the klmodels developers"
release = version = klmodels.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "numpydoc",
    "myst_parser",
    "sphinx_gallery.gen_gallery",
]
source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
exclude_patterns = ["_build", "gallery/*.ipynb", "gallery/*.py", "gallery/*.zip"]
myst_enable_extensions = ["dollarmath", "colon_fence"]
myst_heading_anchors = 3
suppress_warnings = [
    "myst.header",  # README sections start at level 2 inside a page
    "config.cache",  # sphinx-gallery's configuration holds a function (reset_argv)
]

autosummary_generate = True
autodoc_default_options = {"members": True, "inherited-members": False}
autodoc_typehints = "none"  # the numpydoc sections carry the types
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_xref_param_type = False

html_theme = "pydata_sphinx_theme"
html_title = f"klmodels {release}"
html_theme_options = {
    "navigation_with_keys": False,
    "show_toc_level": 2,
    "secondary_sidebar_items": ["page-toc"],
}
html_static_path: list[str] = []
html_show_sourcelink = False
smartquotes = False  # option names such as --plot keep their two hyphens

_PICTURES = Path(tempfile.gettempdir()) / "klmodels-gallery"
_RECIPE_ARGS = {  # what each recipe needs to draw its picture here (it draws when --plot is given)
    "space_worms.py": ["--plot"],
    "detection_limits.py": ["--plot"],
    "old_faithful.py": ["--plot"],
    "recidivism.py": ["--plot"],
}


def _recipe_argv(gallery_conf: dict, script_vars: dict) -> list[str]:
    name = Path(script_vars["src_file"]).name
    if name not in _RECIPE_ARGS:
        return []
    _PICTURES.mkdir(exist_ok=True)
    return [*_RECIPE_ARGS[name], str(_PICTURES / name.replace(".py", ".png"))]


sphinx_gallery_conf = {
    "examples_dirs": str(ROOT / "recipes"),
    "gallery_dirs": "gallery",
    # every recipe runs, but the Dask one: it writes 50 million rows and starts a cluster
    "filename_pattern": r"/(?!dask_large)[a-z_]+\.py$",
    "reset_argv": _recipe_argv,
    "image_scrapers": ("matplotlib",),
    "abort_on_example_error": True,
    "download_all_examples": False,
    "show_memory": False,
    "min_reported_time": 1,
    "plot_gallery": "True",
}
