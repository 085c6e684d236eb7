"""Does the faster MultimodalNetClassifier lose accuracy? Paired old-vs-new check.

The training loop, the encoders and the transformer layer of
``MultimodalNetClassifier`` were rewritten for speed. The arithmetic is the
same but the random draws are not (initialization order, dropout draws), so
the same ``random_state`` gives other numbers than before. This script
measures whether accuracy moved: one run per code version, each writing the
held-out accuracy of every (dataset, fusion, seed) to a JSON file, then a
paired comparison over the seeds (same split, same ``random_state``) with a
95 % t interval of the mean difference.

Datasets: ``alzheimers`` and ``multiple_features`` unless ``--datasets``
says otherwise, stratified 70/30 split per seed, default parameters apart
from ``fusion`` (and ``--params``), one torch thread.

Usage (the reference is any earlier revision, unpacked beside the tree)::

    mkdir -p /tmp/net_ref && git archive <old-rev> sklearn_skll | tar -x -C /tmp/net_ref
    PYTHONPATH=/tmp/net_ref python bench/experiments_net_speed.py --out /tmp/old.json
    PYTHONPATH=. python bench/experiments_net_speed.py --out /tmp/new.json
    python bench/experiments_net_speed.py --compare /tmp/old.json /tmp/new.json

``--seeds`` (default 20), ``--fusions`` (default concat attention moe) and
``--datasets`` (any bundled dataset) choose the grid. ``--params
NAME=VALUE ...`` sets net parameters (ints or floats) instead of their
defaults, to compare two settings of one code version the same way::

    python bench/experiments_net_speed.py --out /tmp/e32.json
    python bench/experiments_net_speed.py --params embed_dim=16 --out /tmp/e16.json
    python bench/experiments_net_speed.py --compare /tmp/e32.json /tmp/e16.json
"""

import argparse
import json
import time
import warnings

import numpy as np
import torch
from sklearn.model_selection import train_test_split

from sklearn_skll import _stats

DATASETS = ["alzheimers", "multiple_features"]


def _data(name):
    from sklearn_skll.datasets import load

    bunch = load(name)
    X = bunch.data.to_numpy(dtype=float)
    names = list(bunch.data.columns)
    modalities = {
        m: [names.index(c) for c in cols] for m, cols in bunch.modalities.items()
    }
    return X, np.asarray(bunch.target), modalities


def run(seeds, fusions, params=None, datasets=DATASETS):
    """Rows ``{"dataset", "fusion", "seed", "accuracy", "epochs", "cpu_s"}``."""
    import sklearn_skll
    from sklearn_skll.neural import MultimodalNetClassifier

    torch.set_num_threads(1)
    rows = []
    for dataset in datasets:
        X, y, modalities = _data(dataset)
        for seed in range(seeds):
            X_tr, X_te, y_tr, y_te = train_test_split(
                X, y, test_size=0.3, stratify=y, random_state=seed
            )
            for fusion in fusions:
                net = MultimodalNetClassifier(
                    modalities=modalities,
                    fusion=fusion,
                    random_state=seed,
                    **(params or {}),
                )
                start = time.process_time()
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    net.fit(X_tr, y_tr)
                cpu = time.process_time() - start
                rows.append(
                    {
                        "dataset": dataset,
                        "fusion": fusion,
                        "seed": seed,
                        "accuracy": float(net.score(X_te, y_te)),
                        "epochs": int(net.n_iter_),
                        "cpu_s": cpu,
                    }
                )
                print(rows[-1], flush=True)
    return {"package": sklearn_skll.__file__, "params": params or {}, "rows": rows}


def compare(old, new):
    """Print the paired table; return its rows."""
    key = lambda r: (r["dataset"], r["fusion"], r["seed"])  # noqa: E731
    old_rows = {key(r): r for r in old["rows"]}
    new_rows = {key(r): r for r in new["rows"]}
    cells = sorted({k[:2] for k in old_rows} & {k[:2] for k in new_rows})
    print(f"old: {old['package']} {old.get('params', {})}")
    print(f"new: {new['package']} {new.get('params', {})}")
    print(
        f"{'dataset':18s} {'fusion':9s} {'n':>2s} {'old acc':>8s} {'new acc':>8s}"
        f" {'new-old':>8s} {'95% interval':>18s}  {'verdict':13s}"
        f" {'CPU s/epoch new/old':>19s}"
    )
    table = []
    for dataset, fusion in cells:
        seeds = sorted(
            k[2] for k in old_rows if k[:2] == (dataset, fusion) and k in new_rows
        )
        a = np.array([old_rows[(dataset, fusion, s)]["accuracy"] for s in seeds])
        b = np.array([new_rows[(dataset, fusion, s)]["accuracy"] for s in seeds])
        d = b - a
        _, low, high = _stats.paired_interval(d)
        verdict = _stats.verdict(low, high)

        def per_epoch(rows, seeds=seeds, dataset=dataset, fusion=fusion):
            picked = [rows[(dataset, fusion, s)] for s in seeds]
            return sum(r["cpu_s"] for r in picked) / sum(r["epochs"] for r in picked)

        speed = per_epoch(new_rows) / per_epoch(old_rows)
        print(
            f"{dataset:18s} {fusion:9s} {d.size:2d} {a.mean():8.4f} {b.mean():8.4f}"
            f" {d.mean():+8.4f} [{low:+.4f}, {high:+.4f}]  {verdict:13s}"
            f" {speed:19.2f}"
        )
        table.append(
            {
                "dataset": dataset,
                "fusion": fusion,
                "difference": d.mean(),
                "interval": (low, high),
                "verdict": verdict,
                "cpu_per_epoch_ratio": speed,
            }
        )
    return table


def _param(text):
    name, _, value = text.partition("=")
    return name, float(value) if "." in value else int(value)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", help="write this code version's accuracies here")
    parser.add_argument("--compare", nargs=2, metavar=("OLD", "NEW"))
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument("--fusions", nargs="+", default=["concat", "attention", "moe"])
    parser.add_argument("--params", nargs="*", default=[], metavar="NAME=VALUE")
    parser.add_argument("--datasets", nargs="+", default=DATASETS)
    args = parser.parse_args()
    if args.compare:
        old, new = (json.load(open(path)) for path in args.compare)
        compare(old, new)
        return
    params = dict(map(_param, args.params))
    result = run(args.seeds, args.fusions, params, args.datasets)
    if args.out:
        with open(args.out, "w") as f:
            json.dump(result, f)


if __name__ == "__main__":
    main()
