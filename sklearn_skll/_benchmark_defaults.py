"""Defaults of the benchmark (``run_benchmark`` and ``sklearn-skll benchmark``).

Plain data with no imports, so that the command line reads them for its help
text without loading scikit-learn or torch. Why these values: README.md,
"What the main command answers".
"""

#: Dataset, availabilities, budgets, seeds and classifier of the main command.
BENCHMARK_DEFAULTS = {
    "dataset": "alzheimers",
    "available": (0.1,),
    "budgets": (0.1, 0.3, 0.5),
    "seeds": 10,
    "classifier": "logreg",
}
