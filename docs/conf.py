"""Sphinx configuration for the sklearn_skll documentation."""

import os
import sys
from datetime import date

sys.path.insert(0, os.path.abspath(".."))
os.environ.setdefault("MPLBACKEND", "Agg")

import sklearn_skll  # noqa: E402

project = "sklearn_skll"
author = "The sklearn-skll developers"
copyright = f"{date.today().year}, {author}"
release = sklearn_skll.__version__
version = release

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.intersphinx",
    "sphinx.ext.mathjax",
    "sphinx.ext.viewcode",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
]

templates_path = ["_templates"]
exclude_patterns = ["_build", "Thumbs.db", ".DS_Store"]
autosummary_generate = True
autodoc_default_options = {"members": True, "inherited-members": False}
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_validation_checks = set()

# No network at build time: intersphinx inventories are optional.
intersphinx_mapping = {}

sphinx_gallery_conf = {
    "examples_dirs": ["../examples"],
    "gallery_dirs": ["auto_examples"],
    "filename_pattern": r"/plot_",
    "download_all_examples": False,
    "remove_config_comments": True,
    "abort_on_example_error": True,
    "within_subsection_order": "FileNameSortKey",
    "backreferences_dir": "generated/backreferences",
    "doc_module": ("sklearn_skll",),
}

html_theme = (
    "pydata_sphinx_theme"
    if os.environ.get("SKLL_DOCS_THEME", "1") == "1"
    else "alabaster"
)
try:
    import pydata_sphinx_theme  # noqa: F401
except ImportError:  # pragma: no cover
    html_theme = "alabaster"
html_title = "sklearn_skll"
html_static_path = []
