"""What cheaper defaults cost: the selector's repeats and folds, the net's epochs.

Part ``selector`` (alzheimers): on the available rows of a budgeted fit
(10/20/30/40 % of a stratified 70 % training split, seeds 0..S-1),
``ModalitySelector`` with ``n_repeats="auto"`` (2 repeats here; the default
until ``n_repeats=1``) against ``n_repeats=1`` and ``n_repeats=1, cv=3``,
same rows and seed. Per setting: how often its key (``key_subset_``) is the
reference key (the key of a selector with ``n_repeats=5`` on the whole
training split), how often it equals the first arm's key on the same rows,
the full-set utility (paired difference to the first arm, 95 % t-interval
over seeds), the key's confidence and the selector's CPU seconds.

Part ``budgeted``: the budgeted classifier with the default parts, the
selector of each setting, test accuracy on the held-out 30 % (paired
difference to the first arm, 95 % t-interval over seeds).

Part ``net`` (alzheimers, multiple_features): the budgeted classifier with
the default parts and the net's default against ``max_epochs=50`` and
``patience=5``; the selector is fitted once per seed and availability and
shared by the arms (it does not depend on the classifier). Test accuracy
(paired difference to the default), epochs run and the net's CPU seconds
(torch is warmed up first, also in part ``budgeted``, so that no arm pays
its one-time costs).

Run: ``python bench/experiments_defaults.py --part selector|budgeted|net
[--seeds 10] [--datasets alzheimers multiple_features]
[--available 0.1 0.2 0.3 0.4]``. Prints tables; CPU seconds are the
process's own, so they hold on a busy machine.
"""

import argparse
import time
import warnings

import numpy as np
import pandas as pd

from sklearn_skll._stats import format_interval, paired_interval

#: The first arm of each part is the paired reference. ``n_repeats="auto"``
#: (2 repeats on these pilots) was the selector's default before
#: ``n_repeats=1``.
SELECTOR_ARMS = {
    'n_repeats="auto"': {"n_repeats": "auto"},
    "n_repeats=1 (default)": {"n_repeats": 1},
    "n_repeats=1, cv=3": {"n_repeats": 1, "cv": 3},
}
NET_ARMS = {
    "default": {},
    "max_epochs=50": {"max_epochs": 50},
    "patience=5": {"patience": 5},
}


def _split(name, seed):
    from sklearn.model_selection import train_test_split

    from sklearn_skll.datasets import load

    data = load(name)
    X_tr, X_te, y_tr, y_te = train_test_split(
        data.data, data.target, test_size=0.3, stratify=data.target, random_state=seed
    )
    return data.modalities, X_tr, X_te, np.asarray(y_tr), np.asarray(y_te)


def _interval(diff):
    return format_interval(*paired_interval(diff), digits=3)


class _Capture:
    """Patch ModalitySelector.fit to keep the rows it is given (then stop)."""

    def __init__(self):
        self.rows = None

    def __enter__(self):
        from sklearn_skll.selection import ModalitySelector

        self._orig = ModalitySelector.fit
        capture = self

        def fit(selector, X, y, **params):
            capture.rows = (X, y, selector.get_params())
            raise _Captured

        ModalitySelector.fit = fit
        return self

    def __exit__(self, *exc):
        from sklearn_skll.selection import ModalitySelector

        ModalitySelector.fit = self._orig
        return exc[0] is _Captured


class _Captured(Exception):
    pass


def _pilot_rows(mods, X, y, available, seed):
    """The rows (and selector params) a default budgeted fit hands its selector."""
    from sklearn_skll import BudgetedMultimodalClassifier

    with _Capture() as cap:
        BudgetedMultimodalClassifier(
            modalities=mods, available=available, strategy="skll", random_state=seed
        ).fit(X, y)
    return cap.rows


def part_selector(seeds, availables, name="alzheimers"):
    from sklearn_skll.selection import ModalitySelector

    records = []
    for seed in seeds:
        mods, X_tr, _, y_tr, _ = _split(name, seed)
        ref = ModalitySelector(modalities=mods, n_repeats=5, random_state=seed)
        ref_key = ref.fit(X_tr, y_tr).key_subset_
        for available in availables:
            X, y, params = _pilot_rows(mods, X_tr, y_tr, available, seed)
            for arm, extra in SELECTOR_ARMS.items():
                sel = ModalitySelector(**dict(params, **extra))
                cpu = time.process_time()
                sel.fit(X, y)
                cpu = time.process_time() - cpu
                full = sel.utilities_.set_index("subset")["utility"].iloc[-1]
                records.append(
                    dict(
                        seed=seed,
                        available=available,
                        arm=arm,
                        key=sel.key_subset_,
                        ref_key=ref_key,
                        full=full,
                        confidence=sel.key_confidence_,
                        cpu=cpu,
                    )
                )
    df = pd.DataFrame(records)
    first = next(iter(SELECTOR_ARMS))
    rows = []
    for (available, arm), g in df.groupby(["available", "arm"], sort=False):
        base = df[(df.available == available) & (df.arm == first)]
        g, base = g.sort_values("seed"), base.sort_values("seed")
        rows.append(
            {
                "available": f"{available:.0%}",
                "arm": arm,
                "key = reference": f"{np.mean(g.key.values == g.ref_key.values):.0%}",
                "key = 1st arm's": (f"{np.mean(g.key.values == base.key.values):.0%}"),
                "full utility": f"{g.full.mean():.3f}",
                "full - 1st arm": _interval(g.full.values - base.full.values),
                "key confidence": f"{g.confidence.mean():.2f}",
                "CPU s": f"{g.cpu.mean():.2f}",
            }
        )
    return pd.DataFrame(rows)


def part_budgeted(seeds, availables, name="alzheimers"):
    from sklearn_skll import BudgetedMultimodalClassifier
    from sklearn_skll.selection import ModalitySelector

    _warm_up_torch()
    records = []
    for seed in seeds:
        mods, X_tr, X_te, y_tr, y_te = _split(name, seed)
        for available in availables:
            for arm, extra in SELECTOR_ARMS.items():
                est = BudgetedMultimodalClassifier(
                    modalities=mods,
                    available=available,
                    strategy="skll",
                    selector=ModalitySelector(modalities=mods, **extra),
                    random_state=seed,
                )
                cpu = time.process_time()
                est.fit(X_tr, y_tr)
                cpu = time.process_time() - cpu
                records.append(
                    dict(
                        seed=seed,
                        available=available,
                        arm=arm,
                        acc=est.score(X_te, y_te),
                        key=est.key_subset_,
                        cpu=cpu,
                    )
                )
    return _accuracy_table(pd.DataFrame(records))


def _accuracy_table(df, extra=(), cost="fit CPU s"):
    first = df.arm.iloc[0]
    rows = []
    for (available, arm), g in df.groupby(["available", "arm"], sort=False):
        base = df[(df.available == available) & (df.arm == first)]
        g, base = g.sort_values("seed"), base.sort_values("seed")
        row = {
            "available": f"{available:.0%}",
            "arm": arm,
            "accuracy": f"{g.acc.mean():.4f}",
            "acc - 1st arm": _interval(g.acc.values - base.acc.values),
            cost: f"{g.cpu.mean():.2f}",
        }
        for col in extra:
            row[col] = f"{g[col].mean():.2f}"
        rows.append(row)
    return pd.DataFrame(rows)


class _SharedSelector:
    """A selector fitted once per (rows, seed) and reused by every arm."""

    cache = {}

    @classmethod
    def make(cls, mods):
        import joblib

        from sklearn_skll.selection import ModalitySelector

        class Shared(ModalitySelector):
            def fit(self, X, y, **params):
                key = joblib.hash((X, y, self.get_params()))
                if key not in cls.cache:
                    super().fit(X, y, **params)
                    cls.cache[key] = {
                        k: v for k, v in vars(self).items() if k.endswith("_")
                    }
                vars(self).update(cls.cache[key])
                return self

        return Shared(modalities=mods)


def _warm_up_torch():
    """Pay torch's one-time costs (the first optimizer imports torch._dynamo)
    here, not in the first arm's CPU seconds."""
    from sklearn_skll import MultimodalNetClassifier

    rng = np.random.RandomState(0)
    X, y = rng.normal(size=(20, 2)), np.arange(20) % 2
    MultimodalNetClassifier(max_epochs=1).fit(X, y)


def _timed_net_class():
    from sklearn_skll import MultimodalNetClassifier

    class TimedNet(MultimodalNetClassifier):
        """The net, keeping the CPU seconds of its last fit."""

        seconds = [0.0]

        def fit(self, X, y, **params):
            cpu = time.process_time()
            try:
                return super().fit(X, y, **params)
            finally:
                TimedNet.seconds[0] = time.process_time() - cpu

    return TimedNet


def part_net(seeds, availables, names):
    from sklearn_skll import BudgetedMultimodalClassifier

    net = _timed_net_class()
    _warm_up_torch()
    out = {}
    for name in names:
        records = []
        for seed in seeds:
            mods, X_tr, X_te, y_tr, y_te = _split(name, seed)
            for available in availables:
                for arm, extra in NET_ARMS.items():
                    est = BudgetedMultimodalClassifier(
                        modalities=mods,
                        available=available,
                        strategy="skll",
                        selector=_SharedSelector.make(mods),
                        classifier=net(modalities=mods, **extra),
                        random_state=seed,
                    )
                    est.fit(X_tr, y_tr)
                    clf = est.classifier_
                    records.append(
                        dict(
                            seed=seed,
                            available=available,
                            arm=arm,
                            acc=est.score(X_te, y_te),
                            epochs=clf.n_iter_,
                            cpu=net.seconds[0],
                        )
                    )
        out[name] = _accuracy_table(
            pd.DataFrame(records), extra=("epochs",), cost="net CPU s"
        )
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--part", choices=["selector", "budgeted", "net"])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--available", type=float, nargs="+")
    parser.add_argument("--datasets", nargs="+", default=["alzheimers"])
    args = parser.parse_args()
    seeds = range(args.seeds)
    availables = args.available or [0.1, 0.2, 0.3, 0.4]
    pd.set_option("display.width", 200)
    pd.set_option("display.max_columns", 20)
    warnings.simplefilter("ignore")
    start = time.perf_counter()
    if args.part == "selector":
        print(part_selector(seeds, availables).to_string(index=False))
    elif args.part == "budgeted":
        print(part_budgeted(seeds, availables).to_string(index=False))
    else:
        for name, table in part_net(seeds, availables, args.datasets).items():
            print(f"\n{name}\n{table.to_string(index=False)}")
    print(f"\n{time.perf_counter() - start:.0f} s wall")


if __name__ == "__main__":
    main()
