"""Light entry points import nothing heavy; the public names still import."""

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

import sklearn_skll
from sklearn_skll import datasets

HEAVY = ("torch", "skorch", "shap", "matplotlib")


def _modules_after(code):
    """The top-level modules imported by ``code`` in a fresh interpreter."""
    probe = (
        "import sys\n"
        f"{code}\n"
        "import json\n"
        "print(json.dumps(sorted({m.split('.')[0] for m in sys.modules})))"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    ).stdout
    return set(json.loads(out.splitlines()[-1]))


@pytest.mark.parametrize(
    "code, absent",
    [
        ("import sklearn_skll", (*HEAVY, "sklearn")),
        (
            (
                "import sys; sys.argv = ['sklearn-skll', '--help']\n"
                "from sklearn_skll.cli import main\n"
                "try:\n    main()\nexcept SystemExit:\n    pass"
            ),
            (*HEAVY, "sklearn", "pandas", "numpy"),
        ),
        (
            "from sklearn_skll.cli import main; main(['datasets'])",
            (*HEAVY, "sklearn", "pandas", "numpy"),
        ),
        ("from sklearn_skll import ModalitySelector", HEAVY),
        ("from sklearn_skll import ClassConditionalGaussianImputer", HEAVY),
    ],
    ids=["import", "help", "datasets", "selector", "gaussian-imputer"],
)
def test_light_entry_points_do_not_import_heavy_modules(code, absent):
    imported = _modules_after(code)
    assert not imported & set(absent), sorted(imported & set(absent))


def test_python_m_help_does_not_import_torch():
    probe = (
        "import runpy, sys\n"
        "sys.argv = ['sklearn_skll', '--help']\n"
        "try:\n    runpy.run_module('sklearn_skll', run_name='__main__')\n"
        "except SystemExit:\n    pass\n"
        "print('TORCH' if 'torch' in sys.modules else 'NO-TORCH')"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    ).stdout
    assert "usage: sklearn-skll" in out
    assert out.rstrip().endswith("NO-TORCH")


@pytest.mark.parametrize("module", [sklearn_skll, datasets])
def test_every_public_name_imports(module):
    for name in module.__all__:
        assert getattr(module, name) is not None
    assert set(module.__all__) <= set(dir(module))
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        module.nope  # noqa: B018
    # every lazily imported name is in __all__ and the other way round
    assert set(module._LAZY) == set(module.__all__) - {"__version__"}


def test_star_import_gives_the_public_names():
    imported = _modules_after("from sklearn_skll import *; print(ModalitySelector)")
    assert "torch" in imported  # FlowImputer and the net are imported by *


def test_budget_reexports_the_planning_names():
    from sklearn_skll import budget, planning

    for name in set(budget.__all__) & set(planning.__all__):
        assert getattr(budget, name) is getattr(planning, name), name
    assert {"AcquisitionPlan", "make_plan", "rank_keys", "KEY_RULES"} <= set(
        budget.__all__
    )
    assert sklearn_skll.AcquisitionPlan is planning.AcquisitionPlan


# ------------------------------------------------------- the layout's "never"

PACKAGE = Path(sklearn_skll.__file__).parent

#: The core: no package import leaves it (docs/design.rst, "Layout").
CORE = {
    "exceptions",
    "_config",
    "_compat",
    "_modalities",
    "_base",
    "_device",
    "_threads",
    "_scaling",
    "_stats",
    "_persist",
    "_internals",
    "_callbacks",
    "_generators",
    "_benchmark_defaults",
    "game",
}
ESTIMATOR_PACKAGES = {"selection", "acquisition", "neural", "impute"}

#: part -> the parts it may import besides itself, and why (design.rst).
ONLY = {
    **{core: (CORE, "the core imports only the core") for core in CORE},
    "_persist": (set(), "_persist keeps portable state and imports no module"),
    "planning": (CORE, "planning knows no estimator"),
    "plotting": ({"_stats"}, "plotting takes data"),
    "datasets": (CORE, "datasets import only the core"),
    "neural": (CORE, "the estimators' parts import only the core"),
    "impute": (CORE, "the estimators' parts import only the core"),
    "explain": (CORE, "the estimators' parts import only the core"),
}
#: part -> the parts that may import it.
ONLY_FROM = {
    "cli": ({"__main__"}, "nothing imports the command line"),
    "_catalog": ({"__init__"}, "the catalog sits at the top"),
    "budget": ({"cli"}, "no estimator package imports budget"),
}


def _is_module(name):
    path = PACKAGE.parent.joinpath(*name.split("."))
    return path.with_suffix(".py").exists() or (path / "__init__.py").exists()


def _imports(path, module):
    """The package modules ``path`` imports, at any depth of its code."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if not target.startswith("sklearn_skll"):
                continue
            for alias in node.names:  # ``from .. import plotting``: a module
                sub = f"{target}.{alias.name}"
                found.add(sub if _is_module(sub) else target)
        elif isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("sklearn_skll")}
    return found


def _import_graph():
    graph = {}
    for path in PACKAGE.rglob("*.py"):
        rel = path.relative_to(PACKAGE.parent).with_suffix("")
        if "tests" in rel.parts:
            continue
        parts = list(rel.parts)
        module = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        graph[module] = _imports(path, module)
    return graph


def _part(module):
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def test_the_layout_never_rules_hold():
    broken = []
    for module, targets in _import_graph().items():
        mine = _part(module)
        for target in targets:
            theirs = _part(target)
            if theirs == mine:
                continue
            allowed, why = ONLY.get(mine, (None, ""))
            if allowed is not None and theirs not in allowed:
                broken.append(f"{module} imports {target}: {why}")
            allowed, why = ONLY_FROM.get(theirs, (None, ""))
            if allowed is not None and mine not in allowed:
                broken.append(f"{module} imports {target}: {why}")
    assert not broken, "\n".join(sorted(broken))


def test_no_import_circle():
    graph = _import_graph()
    edges = {m: {t for t in ts if t in graph and t != m} for m, ts in graph.items()}
    state, stack = {}, []

    def visit(node):
        state[node] = "open"
        stack.append(node)
        for nxt in sorted(edges[node]):
            if state.get(nxt) == "open":
                circle = stack[stack.index(nxt) :] + [nxt]
                raise AssertionError("import circle: " + " -> ".join(circle))
            if nxt not in state:
                visit(nxt)
        stack.pop()
        state[node] = "done"

    for node in sorted(edges):
        if node not in state:
            visit(node)


def test_cli_common_imports_no_subcommand():
    graph = _import_graph()
    subcommands = {m for m in graph if m.startswith("sklearn_skll.cli._")} - {
        "sklearn_skll.cli._common"
    }
    assert not graph["sklearn_skll.cli._common"] & subcommands


def test_design_page_names_every_part_of_the_package():
    design = PACKAGE.parent / "docs" / "design.rst"
    if not design.exists():
        pytest.skip("docs/ is not installed with the package")
    text = design.read_text()
    layout = text[text.index("Layout and import direction") :]
    layout = layout[: layout.index("The rules")]
    parts = {_part(m) for m in _import_graph()} - {"__init__", "__main__"}
    missing = sorted(p for p in parts if p not in layout)
    assert not missing, f"docs/design.rst's layout does not name {missing}"
