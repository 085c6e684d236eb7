"""Default selector and key rules at pilot sizes: old vs new, paired to uniform.

Part ``utilities``: single-modality and full utilities of the old default
selector (a small net, masked utilities, 3 folds) and the new one
(``ModalitySelector()``: a regularised linear model retrained per subset on
repeated stratified folds, 200 paired bootstrap replicates), on the available
rows of the paper's protocol, mean and spread over seeds, how often the key
agrees across seeds, and the key's confidence.

Part ``tables``: Table 2 analog (available 10/20/30/40 %, budget 10 %) and
Table 3 analog (budgets 10/30/50 % at 20 % available; 5 % on
``multiple_features``, whose Table 2 analog is 5/10 %) as paired differences
to uniform (same seed, same available rows, same pool order), with 95 %
t-intervals over seeds, for the old default's key (the paper's rule on its
utilities) and the new selector's three key rules. New rows lack the
modalities outside the key and are left missing
(``strategy="skll_no_generation"``); the classifier is mean imputation,
standardisation and logistic regression for every strategy.

Run: ``python bench/experiments_selector_defaults.py [--part utilities|tables]
[--seeds 10] [--datasets alzheimers multiple_features]``. Prints tables;
times are wall-clock of one process.
"""

import argparse
import time
import warnings

import numpy as np
import pandas as pd

from sklearn_skll._stats import format_interval, paired_interval, verdict


def _old_selector(mods, seed):
    from sklearn_skll.neural import MultimodalNetClassifier
    from sklearn_skll.selection import ModalitySelector

    net = MultimodalNetClassifier(
        encoder_hidden=32,
        embed_dim=16,
        fusion_hidden=32,
        max_epochs=30,
        patience=5,
        batch_size=64,
        lr=3e-3,
        random_state=seed,
    )
    return ModalitySelector(
        net,
        modalities=mods,
        utility="masked",
        cv=3,
        n_repeats=1,
        n_bootstrap=200,
        key="paper",
        random_state=seed,
    )


def _new_selector(mods, seed, key="gain_per_cost", budget=0.1):
    from sklearn_skll.selection import ModalitySelector

    return ModalitySelector(modalities=mods, key=key, budget=budget, random_state=seed)


def _classifier():
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    return make_pipeline(
        SimpleImputer(keep_empty_features=True),
        StandardScaler(),
        LogisticRegression(max_iter=2000),
    )


def _data(name):
    from sklearn.model_selection import train_test_split

    from sklearn_skll.datasets import load

    bunch = load(name, as_frame=False)
    X, y = np.asarray(bunch.data, float), np.asarray(bunch.target)
    # the protocol's fixed test split (run_protocol's defaults)
    train, test = train_test_split(
        np.arange(y.size), test_size=0.3, stratify=y, random_state=0
    )
    return X[train], y[train], X[test], y[test], bunch.modalities


def _available_rows(y, available, seed):
    """The rows BudgetedMultimodalClassifier takes as available for ``seed``."""
    from sklearn_skll._base import seed_streams
    from sklearn_skll.planning._simulation import split_available

    split = seed_streams(seed, "split")["split"]
    return split_available(y, available, np.random.RandomState(split))[0]


def part_utilities(datasets, seeds):
    cases = {"alzheimers": (0.1, 0.2, 0.4), "multiple_features": (0.05,)}
    for name in datasets:
        X, y, _, _, mods = _data(name)
        names = list(mods)
        for avail in cases[name]:
            rows = {"old": [], "new": []}
            keys = {"old": [], "new": [], "paper": [], "simulate": []}
            conf = {"old": [], "new": [], "paper": [], "simulate": []}
            times = {"old": 0.0, "new": 0.0}
            for seed in range(seeds):
                idx = _available_rows(y, avail, seed)
                for which in ("old", "new"):
                    sel = (
                        _old_selector(mods, seed)
                        if which == "old"
                        else _new_selector(mods, seed)
                    )
                    start = time.perf_counter()
                    sel.fit(X[idx], y[idx])
                    times[which] += time.perf_counter() - start
                    u = sel.utilities_.set_index("subset")["utility"]
                    rows[which].append([u[n] for n in names] + [u["+".join(names)]])
                    keys[which].append("+".join(sel.key_subset_))
                    conf[which].append(sel.key_confidence_)
                    if which == "new":
                        paper = sel.set_params(key="paper")
                        paper._choose_key(
                            X[idx], y[idx], names, sel.cooperation_tol_, seed
                        )
                        keys["paper"].append("+".join(paper.key_subset_))
                        conf["paper"].append(paper.key_confidence_)
                        sim = _new_selector(mods, seed, key="simulate").fit(
                            X[idx], y[idx]
                        )
                        keys["simulate"].append("+".join(sim.key_subset_))
                        conf["simulate"].append(sim.key_confidence_)
            print(
                f"\n## {name}, {100 * avail:g} % available ({idx.size} rows), "
                f"{seeds} seeds"
            )
            cols = names + ["full"]
            table = {}
            for which in ("old", "new"):
                a = np.array(rows[which])
                table[which] = [
                    f"{m:+.3f} ± {s:.3f}"
                    for m, s in zip(a.mean(axis=0), a.std(axis=0, ddof=1))
                ]
                table[which + " (share of seeds > 0)"] = [
                    f"{(a[:, k] > 0).mean():.1f}" for k in range(a.shape[1])
                ]
            print(pd.DataFrame(table, index=cols).T.to_string())
            print(
                f"fit time per seed: old {times['old'] / seeds:.2f} s, "
                f"new {times['new'] / seeds:.2f} s (ratio new/old "
                f"{times['new'] / times['old']:.2f})"
            )
            labels = {
                "old": "old default (paper rule)",
                "paper": "new, key='paper'",
                "new": "new, key='gain_per_cost'",
                "simulate": "new, key='simulate'",
            }
            for which in ("old", "paper", "new", "simulate"):
                k = pd.Series(keys[which])
                top = k.mode().iloc[0]
                c = np.array(conf[which], float)
                print(
                    f"  {labels[which]:<28} most frequent key {top} in "
                    f"{(k == top).mean():.0%} of seeds; confidence of the key "
                    f"{np.nanmean(c):.2f} (range {np.nanmin(c):.2f}-"
                    f"{np.nanmax(c):.2f})"
                )


class _FixedKey:
    """A fitted-looking selector that returns a given key (bench only)."""

    def __init__(self, subset=()):
        self.subset = subset

    def get_params(self, deep=True):
        return {"subset": self.subset}

    def set_params(self, **params):
        for k, v in params.items():
            setattr(self, k, v)
        return self

    def fit(self, X, y):
        self.selected_modalities_ = list(self.subset)
        return self

    def __sklearn_clone__(self):
        return _FixedKey(self.subset)


def _score(X, y, X_test, y_test, mods, avail, budget, seed, strategy, key=None):
    from sklearn_skll.budget import BudgetedMultimodalClassifier

    clf = BudgetedMultimodalClassifier(
        modalities=mods,
        available=avail,
        budget=budget,
        strategy=strategy,
        selector=None if key is None else _FixedKey(key),
        classifier=_classifier(),
        random_state=seed,
    ).fit(X, y)
    return clf.score(X_test, y_test), clf.new_indices_.size


def _keys_for(X, y, mods, avail, budget, seed, cache):
    """Keys of the old default and of the new selector's three rules."""
    names = list(mods)
    idx = _available_rows(y, avail, seed)
    base = cache.get((avail, seed))
    if base is None:
        start = time.perf_counter()
        old = _old_selector(mods, seed).fit(X[idx], y[idx])
        t_old = time.perf_counter() - start
        new = _new_selector(mods, seed).fit(X[idx], y[idx])
        t_new = time.perf_counter() - start - t_old
        cache.setdefault("utilities", []).append(
            (avail, seed, idx.size, old.utilities_, new.utilities_, t_old, t_new)
        )
        keys = {"old_default": old.key_subset_}
        conf = {}
        for rule in ("paper", "gain_per_cost"):
            new.set_params(key=rule)
            new._choose_key(X[idx], y[idx], names, new.cooperation_tol_, seed)
            keys[rule], conf[rule] = new.key_subset_, new.key_confidence_
        conf["old_default"] = old.key_confidence_
        base = cache[(avail, seed)] = (keys, conf)
        cache[("selector", avail, seed)] = new
    keys, conf = dict(base[0]), dict(base[1])
    # the simulation rule on the new selector's fitted utilities (no refit)
    sim = cache[("selector", avail, seed)].set_params(key="simulate", budget=budget)
    sim._choose_key(X[idx], y[idx], names, sim.cooperation_tol_, seed)
    keys["simulate"], conf["simulate"] = sim.key_subset_, sim.key_confidence_
    cache.setdefault("keys", []).append((avail, budget, seed, keys, conf))
    return keys, conf


def _print_utilities(cache, names):
    """Single-modality and full utilities, old vs new, from the tables' fits."""
    runs = pd.DataFrame(
        cache.get("utilities", []),
        columns=["available", "seed", "n", "old", "new", "t_old", "t_new"],
    )
    keys = pd.DataFrame(
        cache.get("keys", []), columns=["available", "budget", "seed", "keys", "conf"]
    )
    for avail, group in runs.groupby("available"):
        n_seeds = len(group)
        print(
            f"\n### utilities at {100 * avail:g} % available "
            f"({group['n'].iloc[0]} rows), {n_seeds} seeds"
        )
        table = {}
        for which in ("old", "new"):
            a = np.array(
                [
                    [
                        u.set_index("subset")["utility"][c]
                        for c in names + ["+".join(names)]
                    ]
                    for u in group[which]
                ]
            )
            table[which] = [
                f"{m:+.3f} ± {sd:.3f}"
                for m, sd in zip(a.mean(axis=0), a.std(axis=0, ddof=1))
            ]
            table[which + ": share of seeds > 0"] = [
                f"{(a[:, k] > 0).mean():.1f}" for k in range(a.shape[1])
            ]
        print(pd.DataFrame(table, index=names + ["full"]).T.to_string())
        print(
            f"selector fit per seed: old {group['t_old'].mean():.2f} s, new "
            f"{group['t_new'].mean():.2f} s (new/old "
            f"{group['t_new'].sum() / group['t_old'].sum():.2f}, loaded machine)"
        )
        first = keys["budget"] == keys["budget"].min()
        sub = keys[(keys["available"] == avail) & first]
        for rule in ("old_default", "paper", "gain_per_cost", "simulate"):
            k = sub["keys"].map(lambda d, r=rule: "+".join(d[r]))
            c = sub["conf"].map(lambda d, r=rule: d[r]).astype(float)
            top = k.mode().iloc[0]
            print(
                f"  {rule:<14} most frequent key {top} in {(k == top).mean():.0%} "
                f"of seeds; confidence of the key mean {np.nanmean(c):.2f} "
                f"(range {np.nanmin(c):.2f}-{np.nanmax(c):.2f})"
            )


def part_tables(datasets, seeds):
    rules = ["old_default", "paper", "gain_per_cost", "simulate"]
    for name in datasets:
        X, y, X_test, y_test, mods = _data(name)
        n_seeds = seeds[name]
        cache = {}
        mf = name == "multiple_features"
        table2 = (0.05, 0.1) if mf else (0.1, 0.2, 0.3, 0.4)
        table3 = 0.05 if mf else 0.2
        for title, grid in (
            ("Table 2 analog (budget 10 %)", [(a, 0.1) for a in table2]),
            (
                f"Table 3 analog ({100 * table3:g} % available)",
                [(table3, b) for b in (0.1, 0.3, 0.5)],
            ),
        ):
            start = time.perf_counter()
            out = []
            for avail, budget in grid:
                diffs = {r: [] for r in rules}
                confs = {r: [] for r in rules}
                rows = {r: [] for r in rules}
                uni_acc, uni_rows = [], []
                for seed in range(n_seeds):
                    uni, n_uni = _score(
                        X, y, X_test, y_test, mods, avail, budget, seed, "uniform"
                    )
                    uni_acc.append(uni)
                    uni_rows.append(n_uni)
                    keys, conf = _keys_for(X, y, mods, avail, budget, seed, cache)
                    scored = {}
                    for rule in rules:
                        key = keys[rule]
                        if key not in scored:
                            scored[key] = _score(
                                X,
                                y,
                                X_test,
                                y_test,
                                mods,
                                avail,
                                budget,
                                seed,
                                "skll_no_generation",
                                key,
                            )
                        acc, n_new = scored[key]
                        diffs[rule].append(acc - uni)
                        confs[rule].append(conf[rule])
                        rows[rule].append(n_new)
                    print(
                        f"  [{name} available={avail} budget={budget} seed={seed} "
                        f"{time.perf_counter() - start:.0f} s]",
                        flush=True,
                    )
                cell = {
                    "available": avail,
                    "budget": budget,
                    "uniform": f"{100 * np.mean(uni_acc):.2f} "
                    f"({np.mean(uni_rows):.1f} rows)",
                }
                for rule in rules:
                    m, lo, hi = paired_interval(diffs[rule])
                    cell[rule] = (
                        f"{format_interval(m, lo, hi, scale=100, digits=2)} "
                        f"{verdict(lo, hi)}; {np.mean(rows[rule]):.1f} rows, "
                        f"conf {np.nanmean(confs[rule]):.2f}"
                    )
                out.append(cell)
            print(
                f"\n## {name}: {title}, {n_seeds} seeds, "
                f"{time.perf_counter() - start:.0f} s"
            )
            print(
                "accuracy of uniform (%, mean rows bought); per key rule: paired "
                "difference to uniform in points [95 % t-interval], verdict, "
                "rows bought, mean confidence of the key"
            )
            frame = pd.DataFrame(out).set_index(["available", "budget"])
            for rule in ["uniform"] + rules:
                print(f"\n{rule}:")
                print(frame[rule].to_string())
            if grid[0][0] != grid[-1][0]:  # after Table 2: the utilities of its fits
                _print_utilities(cache, list(mods))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--part",
        choices=["utilities", "tables", "all"],
        default="tables",
        help="tables also prints the utilities of their fits",
    )
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument(
        "--seeds-mf",
        type=int,
        default=None,
        help="seeds for multiple_features tables (default --seeds)",
    )
    parser.add_argument(
        "--datasets", nargs="+", default=["alzheimers", "multiple_features"]
    )
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    pd.set_option("display.max_colwidth", None)
    pd.set_option("display.width", 200)
    import torch

    torch.set_num_threads(1)
    if args.part in ("utilities", "all"):
        part_utilities(args.datasets, args.seeds)
    if args.part in ("tables", "all"):
        seeds = {d: args.seeds for d in args.datasets}
        if args.seeds_mf is not None:
            seeds["multiple_features"] = args.seeds_mf
        part_tables(args.datasets, seeds)


if __name__ == "__main__":
    main()
