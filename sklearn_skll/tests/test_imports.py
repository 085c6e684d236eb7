"""Light entry points import nothing heavy; the public names still import."""

import json
import subprocess
import sys

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
