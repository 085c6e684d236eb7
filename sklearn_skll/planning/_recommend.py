"""The recommendation's decision rule and its vocabulary.

:func:`sklearn_skll.budget.recommend` estimates, by a nested simulation on the
pilot, each strategy's accuracy and its paired difference to complete rows;
:func:`decide` turns those estimates into the recommendation. The rule lives
here, with the plans and key rules, because it decides what to acquire; the
simulation that feeds it trains estimators and lives in ``budget``.
"""

__all__ = ["NAMES", "RECOMMEND_STRATEGIES", "REFERENCE", "decide"]

#: The strategies a recommendation chooses among, simplest first.
RECOMMEND_STRATEGIES = ("uniform", "available_only", "skll_no_generation", "skll")

#: The strategy kept unless another is measured better: new complete rows need
#: no key, no generator and no model of missing blocks.
REFERENCE = "uniform"

#: How strategies are named in sentences.
NAMES = {
    "available_only": "buy nothing (available only)",
    "uniform": "complete rows (uniform)",
    "skll": "key rows, the rest generated (SK-LL)",
    "skll_no_generation": "key rows, the rest left missing",
}


def decide(estimates, reference=REFERENCE):
    """The decision rule: keep ``reference`` unless another is better.

    A strategy other than the reference is chosen only when the lower end of
    the interval of its paired difference to the reference lies above 0;
    among several, the one with the largest mean difference. Without a
    reference row, the strategy with the best estimated accuracy.

    Parameters
    ----------
    estimates : DataFrame
        Indexed by strategy, with ``accuracy``, ``diff`` and ``diff_ci_low``.
    reference : str, default="uniform"

    Returns
    -------
    strategy : str

    Examples
    --------
    >>> import pandas as pd
    >>> from sklearn_skll.planning import decide
    >>> estimates = pd.DataFrame(
    ...     {"accuracy": [0.80, 0.84], "diff": [float("nan"), 0.04],
    ...      "diff_ci_low": [float("nan"), -0.01]},
    ...     index=pd.Index(["uniform", "skll"], name="strategy"))
    >>> decide(estimates)  # SK-LL's interval holds 0: keep complete rows
    'uniform'
    """
    if reference not in estimates.index:
        return str(estimates["accuracy"].idxmax())
    others = estimates.drop(index=reference)
    better = others[others["diff_ci_low"] > 0]
    if better.empty:
        return reference
    return str(better["diff"].idxmax())
