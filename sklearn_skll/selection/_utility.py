"""Utility engines: cross-validated score of a model on each modality subset.

Three engines share one interface, ``engine.evaluate(subsets) -> dict``:

- :class:`RetrainEngine` (the paper): a fresh clone per (subset, fold), fit on
  that subset's columns and the rows where the subset is observed.
- :class:`MaskedEngine` (SHAPE/InterSHAP style): one clone per fold, fit on
  all modalities with modality dropout; a subset is scored by hiding the other
  modalities of the held-out rows.
- :class:`FineTuneEngine`: the masked engine's model per fold, whose fusion
  head is then fine-tuned briefly on each subset (all subsets at once, on
  encoder outputs computed once) before the subset is scored.

All run their jobs through :class:`sklearn.utils.parallel.Parallel`, so
``n_jobs`` uses local cores and ``joblib.parallel_config(backend="dask")``
sends the jobs to a Dask cluster unchanged. Each (subset, fold) also scores
the best constant predictor, ``DummyClassifier(strategy="prior")``, on the
same rows; the utility is the difference (Eq. 2).
"""

import copy
import sys
import warnings
from dataclasses import dataclass, field

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.dummy import DummyClassifier
from sklearn.impute import SimpleImputer
from sklearn.metrics import accuracy_score
from sklearn.pipeline import make_pipeline
from sklearn.utils import check_random_state, get_tags
from sklearn.utils.parallel import Parallel, delayed
from tqdm.auto import tqdm

from .._base import SEED_MAX
from .._modalities import hide_modalities, restrict_modalities, subset_name
from .._threads import job_threads, single_threaded_job
from ..exceptions import ModalityError

__all__ = [
    "RetrainEngine",
    "MaskedEngine",
    "FineTuneEngine",
    "SubsetScore",
    "subset_name",
]

#: ``modality_dropout`` given to an estimator that has the parameter at 0 when
#: it is trained for the masked engine. With 0.5 the masked accuracies of
#: single views tracked nets retrained per subset (mean |gap| 0.021 on four
#: multiple_features views; 0.188 without dropout).
MASKED_DROPOUT = 0.5

#: Optimizer steps of the fine-tuning engine per fold: every subset's copy of
#: the fusion head takes this many AdamW steps, on mini-batches of
#: :data:`FINETUNE_BATCH` training rows (the same rows for every subset).
#: Chosen on bench/bench_engines.py (3 net seeds) among 100 x 64, 130 x 48
#: and 200 x 32: their agreement with retraining did not differ (paired
#: intervals overlap), and each step's cost is mostly fixed, so the fewest
#: steps kept the engine furthest under 3 cross-validated fits (200 x 32
#: took 4.1 on the synthetic data).
FINETUNE_STEPS = 100

#: Training rows drawn for each fine-tuning step, shared by every subset.
FINETUNE_BATCH = 64

#: The heads' learning rate is the net's ``lr`` times this. With the net's
#: own rate, 100 steps left a synergistic pair under-learnt (synthetic data:
#: the XOR pair's accuracy 0.75 where retraining gives 0.86). Three times it
#: raised the agreement with retraining there from tau 0.46 to 0.64 (paired
#: over eight net seeds: +0.18 [0.13, 0.22]), with no difference on
#: alzheimers (-0.03 [-0.08, 0.01]) or multiple_features (-0.01 [-0.04,
#: 0.02]), at the same cost. Two, five and ten times gained
#: +0.12 to +0.21 on the synthetic data and leaned lower on alzheimers
#: (-0.06 to -0.08).
FINETUNE_LR_SCALE = 3.0

#: Subsets whose heads are trained together in one batched forward pass.
FINETUNE_CHUNK = 64

#: Subsets scored together from one fold's stored embeddings (the masked
#: engine's net) or held-out predictions (accuracy bootstrap products).
SCORE_CHUNK = 64

#: Floats of one block of hidden activations when subsets are scored from
#: the concatenation head's per-modality parts (1 MiB: a block stays in
#: cache between the product that writes it and the one that reads it;
#: 8 MiB blocks took 1.5x the time).
_BLOCK_FLOATS = 2**18

#: Floats of held-out rows stacked for one ``predict`` call of a model that
#: is not the net (the masked engine predicts subsets chunk by chunk).
_STACK_FLOATS = 2**24


@dataclass
class SubsetScore:
    """Cross-validated scores of one subset (means over folds)."""

    score: float
    baseline: float
    n_samples: int
    #: utility (score - baseline) per bootstrap replicate, shape (n_bootstrap,)
    boot_utility: np.ndarray = field(default_factory=lambda: np.empty(0))

    @property
    def utility(self):
        return self.score - self.baseline


def _set_if_present(estimator, **params):
    own = estimator.get_params(deep=False)
    estimator.set_params(**{k: v for k, v in params.items() if k in own})
    return estimator


class _CachedResponses:
    """A fitted estimator whose predictions on one fixed ``X`` are computed once.

    The scorer is called once plainly and once per bootstrap weight vector on
    the same rows; this wrapper keeps it from predicting each time.
    """

    _methods = ("predict", "predict_proba", "decision_function", "predict_log_proba")

    def __init__(self, estimator, source=None):
        self._estimator = estimator
        self._source = source  # (_StackedResponses, start, stop) or None
        self._cache = {}

    def __sklearn_tags__(self):
        return get_tags(self._estimator)

    def __getattr__(self, name):
        if name.startswith("__") or name in ("_estimator", "_cache", "_source"):
            raise AttributeError(name)
        attr = getattr(self._estimator, name)
        if name not in self._methods:
            return attr

        def cached(X, *args, **kwargs):
            if name not in self._cache:
                if self._source is None:
                    self._cache[name] = attr(X, *args, **kwargs)
                else:
                    stacked, start, stop = self._source
                    self._cache[name] = stacked.response(name)[start:stop]
            return self._cache[name]

        cached.__name__ = name  # scorers dispatch on the method's name
        return cached


def _score_rows(scorer, estimator, X, y, weights):
    """Score, and score under each bootstrap weight vector (rows of weights)."""
    if _is_accuracy(scorer):
        # the mean of per-row hits, without the scorer's per-call validation
        model = estimator
        if not isinstance(model, _CachedResponses):
            model = _CachedResponses(estimator)
        hits = np.asarray(model.predict(X)) == np.asarray(y)
        boot = np.empty(0)
        if len(weights):
            boot = _bootstrap_accuracy(scorer, model, X, y, weights)
        return float(hits.mean()), boot
    if len(weights) == 0:
        return scorer(estimator, X, y), np.empty(0)
    if isinstance(estimator, _CachedResponses):
        model = estimator
    else:
        model = _CachedResponses(estimator)
    score = scorer(model, X, y)
    boot = _bootstrap_accuracy(scorer, model, X, y, weights)
    if boot is None:
        boot = np.array([scorer(model, X, y, sample_weight=w) for w in weights])
    return score, boot


def _bootstrap_accuracy(scorer, model, X, y, weights):
    """Accuracy under every bootstrap weight vector in one product.

    Returns None unless ``scorer`` is plain accuracy. The weighted accuracy
    ``sum(w * correct) / sum(w)`` is what the scorer computes for each
    resample, without its per-call validation (about 3 ms a call, which made
    the bootstrap most of a selector's time).
    """
    if not _is_accuracy(scorer):
        return None
    correct = (np.asarray(model.predict(X)) == np.asarray(y)).astype(np.float64)
    total = weights.sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(total > 0, weights @ correct / total, np.nan)


def _is_accuracy(scorer):
    """``scorer`` is scikit-learn's plain accuracy scorer."""
    return (
        getattr(scorer, "_score_func", None) is accuracy_score
        and getattr(scorer, "_sign", None) == 1
        and getattr(scorer, "_kwargs", None) == {}
        and getattr(scorer, "_response_method", None) == "predict"
    )


def _baseline(scorer, y_train, y_test, weights):
    """Score of the best constant predictor (class prior) on the same rows."""
    dummy = DummyClassifier(strategy="prior")
    dummy.fit(np.zeros((y_train.shape[0], 1)), y_train)
    return _score_rows(scorer, dummy, np.zeros((y_test.shape[0], 1)), y_test, weights)


def _float_counts(weights):
    """Bootstrap counts as float32 when every sum of them is exact in it.

    Counts are integers and a fold's sum of them is below 2**24, so float32
    products with 0/1 vectors give the same integers as float64 ones at half
    the memory and twice the speed.
    """
    weights = np.asarray(weights)
    exact = weights.shape[1] < 2**24 and (
        weights.dtype.kind in "ui" or np.array_equal(weights, np.round(weights))
    )
    return weights.astype(np.float32 if exact else np.float64)


class _FoldScores:
    """Scores of many subsets on one fold's held-out rows, chunk by chunk.

    Every subset is scored on the held-out rows where it is fully observed
    (``ok``), against the constant predictor on the same rows, under every
    bootstrap weight vector of the fold. With plain accuracy the per-row
    hits of a chunk of subsets are reduced in three matrix products (the
    same numbers as one weighted mean per subset and resample: the counts
    and hits are integers, so every sum is exact); other scorers are called
    per subset as :func:`_score_rows` does.

    ``results`` holds one ``(score, baseline, boot, baseline_boot, n_rows)``
    per subset added, in order.
    """

    def __init__(self, scorer, y_train, y_test, weights):
        self.scorer = scorer
        self.y_train = y_train
        self.y_test = y_test
        self.weights = weights
        self.accuracy = _is_accuracy(scorer)
        self.results = []
        self._baselines = {}
        if self.accuracy:
            dummy = DummyClassifier(strategy="prior")
            dummy.fit(np.zeros((y_train.shape[0], 1)), y_train)
            guess = dummy.predict(np.zeros((1, 1)))[0]
            self.base_hits = np.asarray(y_test) == guess
            self.counts = _float_counts(weights) if weights.shape[0] else None

    def add_hits(self, hits, ok=None):
        """Accuracy of a chunk: ``hits`` and ``ok`` (subsets, rows) booleans.

        ``ok=None`` scores every held-out row.
        """
        n = self.y_test.shape[0]
        if ok is None:
            n_rows = np.full(hits.shape[0], n)
            base_hits = np.broadcast_to(self.base_hits, hits.shape)
        else:
            hits = hits & ok
            n_rows = ok.sum(axis=1)
            base_hits = ok & self.base_hits
        with np.errstate(divide="ignore", invalid="ignore"):
            score = hits.sum(axis=1) / n_rows
            base = base_hits.sum(axis=1) / n_rows
        boot = base_boot = np.empty((hits.shape[0], 0))
        if self.counts is not None:
            w = self.counts
            if ok is None:
                total = w.sum(axis=1, dtype=np.float64)[:, None]
                base_num = w @ self.base_hits.astype(w.dtype)
                base_num = np.broadcast_to(base_num[:, None], (w.shape[0], len(hits)))
            else:
                total = (w @ ok.T.astype(w.dtype)).astype(np.float64)
                base_num = w @ base_hits.T.astype(w.dtype)
            num = w @ hits.T.astype(w.dtype)
            with np.errstate(divide="ignore", invalid="ignore"):
                boot = np.where(total > 0, num / total, np.nan).T
                base_boot = np.where(total > 0, base_num / total, np.nan).T
        for i in range(hits.shape[0]):
            self.results.append(
                (float(score[i]), float(base[i]), boot[i], base_boot[i], int(n_rows[i]))
            )

    def add_model(self, model, X, ok):
        """Score one subset: ``model`` predicts its held-out rows ``ok``.

        ``X`` holds those rows only (what the scorer passes to ``model``).
        """
        w = self.weights
        if w.shape[0]:
            w = (w[:, ok] if not ok.all() else w).astype(np.float64)
        y = self.y_test[ok]
        score, boot = _score_rows(self.scorer, model, X, y, w)
        key = ok.tobytes()
        if key not in self._baselines:  # subsets on the same rows share it
            self._baselines[key] = _baseline(self.scorer, self.y_train, y, w)
        base, base_boot = self._baselines[key]
        self.results.append((score, base, boot, base_boot, int(ok.sum())))


def _observed_in(observed, masks):
    """(subsets, rows) booleans: every modality of the subset observed in the row.

    One product of the rows' missing modalities with the subsets' masks, not
    a (rows, subsets, modalities) array. None when every row observes every
    modality.
    """
    if observed.all():
        return None
    missing = (~observed).astype(np.float32) @ masks.T.astype(np.float32)
    return (missing == 0).T


@single_threaded_job
def _fit_score_subset(estimator, X, y, train, test, scorer, weights):
    """One retrain job: fit on ``X[train]`` (subset columns only), score on test."""
    model = clone(estimator).fit(X[train], y[train])
    score, boot = _score_rows(scorer, model, X[test], y[test], weights)
    base, base_boot = _baseline(scorer, y[train], y[test], weights)
    return score, base, boot, base_boot


def _fold_rows(observed, cols, train, test, name, fold, y):
    ok = observed[:, cols].all(axis=1)
    tr, te = train[ok[train]], test[ok[test]]
    if tr.size == 0 or te.size == 0 or np.unique(y[tr]).size < 2:
        raise ModalityError(
            f"Subset `{name}` has too few fully observed rows in CV fold "
            f"{fold}: a model needs training rows of two classes and some "
            f"held-out rows. Got {tr.size} training rows "
            f"({np.unique(y[tr]).size} classes) and {te.size} held-out rows "
            "instead."
        )
    return tr, te


class _Engine:
    def __init__(
        self,
        estimator,
        X,
        y,
        modalities_,
        observed,
        folds,
        scorer,
        boot_weights,
        *,
        n_jobs=None,
        verbose=0,
        random_state=None,
    ):
        self.estimator = estimator
        self.X = X
        self.y = y
        self.modalities_ = modalities_
        self.names = list(modalities_)
        self.observed = observed
        self.folds = folds
        self.scorer = scorer
        # boot_weights[k]: (n_bootstrap, n_test_k) multinomial counts over the
        # held-out rows of fold k, shared by every subset (paired bootstrap);
        # small integers, so they may be stored as such (uint8)
        self.boot_weights = boot_weights
        self.n_jobs = n_jobs
        self.verbose = verbose
        self.random_state = random_state
        self.n_fits_ = 0

    def _cols(self, subset):
        return [self.names.index(n) for n in self.names if n in subset]

    def _ordered(self, subset):
        return [n for n in self.names if n in subset]

    def _weights(self, k, test, te):
        w = self.boot_weights[k]
        if w.shape[0] == 0:
            return w.astype(np.float64)
        return w[:, np.isin(test, te)].astype(np.float64)

    def _desc(self, text):
        """Progress label: the jobs, and the resamples each job rescores."""
        n_boot = self.boot_weights[0].shape[0] if len(self.boot_weights) else 0
        return f"{text}, {n_boot} bootstrap resamples each" if n_boot else text

    def _run(self, jobs, desc):
        with job_threads(self.n_jobs):
            return self._run_jobs(list(jobs), desc)

    def _run_jobs(self, jobs, desc):
        if self.verbose:
            parallel = Parallel(n_jobs=self.n_jobs, return_as="generator")
            results = list(
                tqdm(
                    parallel(jobs),
                    total=len(jobs),
                    desc=f"[ModalitySelector] {desc}",
                )
            )
        else:
            results = Parallel(n_jobs=self.n_jobs)(jobs)
        return results

    @staticmethod
    def _aggregate(per_fold, n_samples):
        scores = np.array([r[0] for r in per_fold])
        bases = np.array([r[1] for r in per_fold])
        boot = np.mean([r[2] - r[3] for r in per_fold], axis=0)
        return SubsetScore(
            score=float(scores.mean()),
            baseline=float(bases.mean()),
            n_samples=int(n_samples),
            boot_utility=np.asarray(boot, dtype=float).reshape(-1),
        )


class RetrainEngine(_Engine):
    """One clone per (subset, fold), fit on the subset's columns (the paper)."""

    def evaluate(self, subsets):
        subsets = [frozenset(s) for s in subsets]
        jobs, keys, n_rows = [], [], {}
        for s in subsets:
            names = self._ordered(s)
            name = subset_name(names)
            columns, sub_modalities = restrict_modalities(self.modalities_, names)
            estimator = _set_if_present(
                clone(self.estimator), modalities=sub_modalities
            )
            X_s = self.X[:, columns]
            cols = self._cols(s)
            n_rows[s] = int(self.observed[:, cols].all(axis=1).sum())
            if n_rows[s] == 0:
                raise ModalityError(
                    f"Subset `{name}` is fully observed in no row, so its "
                    "utility cannot be measured. Got 0 rows with all of "
                    f"{names} observed instead."
                )
            for k, (train, test) in enumerate(self.folds):
                tr, te = _fold_rows(self.observed, cols, train, test, name, k, self.y)
                w = self._weights(k, test, te)
                jobs.append(
                    delayed(_fit_score_subset)(
                        estimator, X_s, self.y, tr, te, self.scorer, w
                    )
                )
                keys.append(s)
        results = self._run(
            jobs, self._desc(f"{len(subsets)} subsets x {len(self.folds)} folds")
        )
        self.n_fits_ += len(jobs)
        out = {}
        for s in subsets:
            per_fold = [r for key, r in zip(keys, results) if key == s]
            out[s] = self._aggregate(per_fold, n_rows[s])
        return out


def _augment_hidden(X, modalities_, observed, rng, p_mask=0.5, copy=True):
    """Hide random modality blocks in a random half of the rows.

    Each picked row keeps a uniformly drawn non-empty proper subset of the
    modalities (intersected with what it observes; rows that would lose
    everything are left whole). The number of rows stays the same, so the
    masked model costs about one ordinary fit.
    """
    n, m = observed.shape
    if m < 2:
        return X
    pick = rng.uniform(size=n) < p_mask
    keep_mask = rng.randint(1, 2**m - 1, size=n)
    keep = ((keep_mask[:, None] >> np.arange(m)) & 1).astype(bool)
    keep &= observed
    hide = pick[:, None] & ~keep & keep.any(axis=1)[:, None]
    return hide_modalities(X, modalities_, hide, copy=copy)


@single_threaded_job
def _fit_masked_fold(estimator, X, y, modalities_, observed, train, seed, augment):
    rng = check_random_state(seed)
    X_train = X[train]  # a copy of the fold's rows: hidden in place
    if augment:
        X_train = _augment_hidden(
            X_train, modalities_, observed[train], rng, copy=False
        )
    return clone(estimator).fit(X_train, y[train])


class _StackedResponses:
    """Predictions of one model on all subsets' held-out blocks at once.

    ``view(start, stop)`` behaves like the fitted model for the scorer but
    returns rows ``start:stop`` of a response computed once on the stacked
    blocks: one ``predict`` call per fold instead of one per subset.
    """

    def __init__(self, estimator, X_stack):
        self._estimator = estimator
        self._X_stack = X_stack
        self._cache = {}

    def response(self, name):
        if name not in self._cache:
            self._cache[name] = getattr(self._estimator, name)(self._X_stack)
        return self._cache[name]

    def view(self, start, stop):
        return _CachedResponses(self._estimator, source=(self, start, stop))


@single_threaded_job
def _score_masked_fold(
    model, X, y, modalities_, observed, test, subsets, scorer, weights, names, y_train
):
    """Score each subset by predicting its held-out rows with the rest hidden.

    The held-out blocks of a chunk of subsets are stacked for one ``predict``
    call (about :data:`_STACK_FLOATS` values at a time, so memory stays
    bounded however many subsets there are).
    """
    fold = _FoldScores(scorer, y_train, y[test], weights)
    observed_test = observed[test]
    per_chunk = max(1, _STACK_FLOATS // max(1, test.size * X.shape[1]))
    for first in range(0, len(subsets), per_chunk):
        chunk = subsets[first : first + per_chunk]
        blocks, rows = [], []
        for s in chunk:
            cols = [k for k, n in enumerate(names) if n in s]
            ok = observed_test[:, cols].all(axis=1)
            hidden = np.array([n not in s for n in names])
            blocks.append(hide_modalities(X[test[ok]], modalities_, hidden))
            rows.append(ok)
        stacked = _StackedResponses(model, np.vstack(blocks))
        if fold.accuracy:
            predicted = np.asarray(stacked.response("predict"))
            hits = np.zeros((len(chunk), test.size), dtype=bool)
            start = 0
            for i, ok in enumerate(rows):
                stop = start + int(ok.sum())
                hits[i, ok] = predicted[start:stop] == y[test[ok]]
                start = stop
            fold.add_hits(hits, np.array(rows))
            continue
        start = 0
        for ok, block in zip(rows, blocks):
            stop = start + block.shape[0]
            fold.add_model(stacked.view(start, stop), block, ok)
            start = stop
    return fold.results


def _is_net(model):
    """``model`` is a fitted MultimodalNetClassifier (torch is then loaded)."""
    net = sys.modules.get("sklearn_skll.neural._net")
    return net is not None and isinstance(model, net.MultimodalNetClassifier)


class MaskedEngine(_Engine):
    """One model per fold on all modalities; subsets scored by hiding the rest.

    The model is a clone of the estimator fitted on every modality. If the
    estimator has a ``modality_dropout`` parameter at 0, it is set to
    :data:`MASKED_DROPOUT` and the rows are left as they are; otherwise half
    of the training rows get random modality blocks set to NaN. An
    estimator whose tags say it cannot take NaN is preceded by a
    ``SimpleImputer(strategy="mean")``, which fills hidden blocks only.

    A :class:`~sklearn_skll.neural.MultimodalNetClassifier` is scored from
    its encoders' outputs, computed once per held-out row: each subset swaps
    the hidden modalities' embeddings for the learned "missing" ones, which
    is what the net does with those modalities hidden (same predictions, up
    to float rounding), without running the encoders once per subset.
    """

    def _prepared(self):
        columns, sub_modalities = restrict_modalities(self.modalities_, self.names)
        estimator = clone(self.estimator)
        params = estimator.get_params(deep=False)
        augment = True
        if "modality_dropout" in params:
            augment = False
            if not params["modality_dropout"]:
                estimator.set_params(modality_dropout=MASKED_DROPOUT)
        _set_if_present(estimator, modalities=sub_modalities)
        if not get_tags(estimator).input_tags.allow_nan:
            estimator = make_pipeline(
                SimpleImputer(strategy="mean", keep_empty_features=True), estimator
            )
        return columns, sub_modalities, estimator, augment

    def _fit(self):
        if getattr(self, "models_", None) is not None:
            return
        columns, sub_modalities, estimator, augment = self._prepared()
        # the model sees the modality columns in modality order
        columns = np.asarray(columns, dtype=np.intp)
        if np.array_equal(columns, np.arange(self.X.shape[1])):
            self._X_model = self.X  # already in modality order: no copy
        else:
            self._X_model = self.X[:, columns]
        self._model_modalities = {
            n: np.asarray(c, dtype=np.intp) for n, c in sub_modalities.items()
        }
        rng = check_random_state(self.random_state)
        seeds = rng.randint(SEED_MAX, size=len(self.folds))
        jobs = [
            delayed(_fit_masked_fold)(
                estimator,
                self._X_model,
                self.y,
                self._model_modalities,
                self.observed,
                train,
                seed,
                augment,
            )
            for (train, _), seed in zip(self.folds, seeds)
        ]
        self.models_ = self._run(jobs, f"masked models x {len(self.folds)} folds")
        self.n_fits_ += len(jobs)

    def _check_observed(self, subsets):
        for s in subsets:
            cols = self._cols(s)
            if not self.observed[:, cols].all(axis=1).any():
                raise ModalityError(
                    f"Subset `{subset_name(self._ordered(s))}` is fully observed "
                    "in no row, so its utility cannot be measured. Got 0 rows "
                    "with all of its modalities observed instead."
                )

    def _collect(self, subsets, results):
        """Per-subset means over folds from per-fold lists of job results."""
        out = {}
        for i, s in enumerate(subsets):
            per_fold = [fold[i] for fold in results]
            n_rows = sum(r[4] for r in per_fold)
            if any(r[4] == 0 for r in per_fold):
                raise ModalityError(
                    f"Subset `{subset_name(self._ordered(s))}` has no fully "
                    "observed held-out row in some CV fold. Got held-out row "
                    f"counts {[r[4] for r in per_fold]} instead."
                )
            out[s] = self._aggregate(per_fold, n_rows)
        return out

    def evaluate(self, subsets):
        subsets = [frozenset(s) for s in subsets]
        self._check_observed(subsets)
        self._fit()
        jobs = []
        for k, ((train, test), model) in enumerate(zip(self.folds, self.models_)):
            if _is_net(model):
                # the same predictions, the encoders run once per row instead
                # of once per subset: a head pass with no fine-tuning step
                jobs.append(
                    delayed(_finetune_fold)(
                        model,
                        self._X_model,
                        self.y,
                        self.observed,
                        train,
                        test,
                        subsets,
                        self.names,
                        self.scorer,
                        self.boot_weights[k],
                        0,
                        0,
                    )
                )
                continue
            jobs.append(
                delayed(_score_masked_fold)(
                    model,
                    self._X_model,
                    self.y,
                    self._model_modalities,
                    self.observed,
                    test,
                    subsets,
                    self.scorer,
                    self.boot_weights[k],
                    self.names,
                    self.y[train],
                )
            )
        results = self._run(
            jobs, self._desc(f"{len(subsets)} subsets scored x {len(self.folds)} folds")
        )
        return self._collect(subsets, results)


class _Responses(ClassifierMixin, BaseEstimator):
    """Class probabilities already computed for fixed rows, seen as a classifier.

    The scorers call ``predict`` or ``predict_proba`` on the rows the
    probabilities belong to; ``X`` is ignored.
    """

    def __init__(self, classes, proba):
        self.classes = classes
        self.proba = proba
        self.classes_ = classes

    def predict(self, X):
        return self.classes_[np.argmax(self.proba, axis=1)]

    def predict_proba(self, X):
        return self.proba

    def predict_log_proba(self, X):
        with np.errstate(divide="ignore"):
            return np.log(self.proba)


def _subset_masks(subsets, names):
    return np.array([[n in s for n in names] for s in subsets], dtype=bool)


def _stacked_heads(fusion, n):
    """``n`` trainable copies of a fusion head as one batched function.

    Returns the list of stacked parameters, ``heads(shown, present)``, which
    maps (n, rows, M, embed) embeddings to (n, rows, n_classes) logits with
    head dropout off, and ``grads(shown, y, weight)`` or None. The
    concatenation head runs as two batched matmuls, and ``grads`` writes
    its parameters' loss gradients into their ``.grad`` without an autograd
    graph; other heads run through ``torch.func.vmap`` (``grads`` is None:
    autograd).
    """
    import torch
    from torch.func import functional_call, stack_module_state, vmap

    from ..neural._modules import ConcatFusion

    if isinstance(fusion, ConcatFusion):
        first, last = fusion.head[0], fusion.head[-1]
        w1, b1, w2, b2 = params = [
            t.detach().expand(n, *t.shape).clone()
            for t in (
                first.weight.mT,
                first.bias.unsqueeze(0),
                last.weight.mT,
                last.bias.unsqueeze(0),
            )
        ]
        for p in params:
            p.grad = torch.zeros_like(p)

        def heads(shown, present):
            hidden = torch.relu(torch.baddbmm(b1, shown.flatten(2), w1))
            return torch.baddbmm(b2, hidden, w2)

        def grads(shown, y, weight):
            # the gradient of sum over heads of sum over rows of
            # weight * cross-entropy: the arithmetic autograd would run
            shown = shown.flatten(2)
            hidden = torch.baddbmm(b1, shown, w1).clamp_(min=0)
            grad = torch.softmax(torch.baddbmm(b2, hidden, w2), dim=-1)
            grad[:, torch.arange(y.shape[0], device=y.device), y] -= 1.0
            grad *= weight.unsqueeze(-1)
            torch.bmm(hidden.mT, grad, out=w2.grad)
            torch.sum(grad, dim=1, keepdim=True, out=b2.grad)
            grad_hidden = torch.bmm(grad, w2.mT).mul_(hidden > 0)
            torch.bmm(shown.mT, grad_hidden, out=w1.grad)
            torch.sum(grad_hidden, dim=1, keepdim=True, out=b1.grad)

        return params, heads, grads

    base = copy.deepcopy(fusion).eval()  # head dropout off
    params, buffers = stack_module_state([copy.deepcopy(fusion) for _ in range(n)])
    params = {k: v.detach().requires_grad_() for k, v in params.items()}

    def head(p, b, shown, present):
        return functional_call(base, (p, b), (shown, present))

    batched = vmap(head)

    def heads(shown, present):
        with warnings.catch_warnings():
            # the transformer layer has no batching rule: a slower loop, same result
            warnings.filterwarnings("ignore", "There is a performance drop")
            return batched(params, buffers, shown, present)

    return list(params.values()), heads, None


def _finetune_heads(
    module,
    masks,
    ok_train,
    train_data,
    y_train,
    test_data,
    batches,
    *,
    lr,
    weight_decay,
):
    """Train one copy of ``module.fusion`` per row of ``masks``; test probabilities.

    Returns an array of shape (n_subsets, n_test, n_classes).
    """
    import torch
    from torch.nn import functional as F

    from ..neural._optim import FusedAdamW

    missing = module.encoders.missing.detach()
    params, heads, grads = _stacked_heads(module.fusion, masks.shape[0])

    def shown_rows(data, rows):
        embedded, present = data
        present = present[rows].unsqueeze(0) & masks.unsqueeze(1)  # (S, n, M)
        shown = torch.where(present.unsqueeze(-1), embedded[rows].unsqueeze(0), missing)
        return shown, present

    def forward(data, rows):
        return heads(*shown_rows(data, rows))  # (S, n, n_classes)

    optimizer = FusedAdamW(params, lr=lr, weight_decay=weight_decay)
    for rows in batches:
        # each head's loss: the mean cross-entropy over its observed rows
        weight = ok_train[:, rows].to(missing.dtype)
        weight /= weight.sum(1, keepdim=True).clamp(min=1)
        if grads is not None:
            with torch.no_grad():
                grads(shown_rows(train_data, rows)[0], y_train[rows], weight)
        else:
            with torch.enable_grad():
                logits = forward(train_data, rows)
                nll = F.cross_entropy(
                    logits.transpose(1, 2),
                    y_train[rows].expand(masks.shape[0], -1),
                    reduction="none",
                )
                optimizer.zero_grad()
                (nll * weight).sum().backward()
        optimizer.step()
    n_test = test_data[0].shape[0]
    out = []
    with torch.no_grad():
        for start in range(0, n_test, 1024):
            rows = torch.arange(start, min(start + 1024, n_test))
            out.append(torch.softmax(forward(test_data, rows), dim=-1))
    return torch.cat(out, dim=1).cpu().numpy()


class _TrainedHead:
    """The fold model's trained fusion head on stored embeddings, per subset.

    ``outputs(masks)`` gives, for each subset (a row of ``masks``) and
    held-out row, the head's logits with the modalities outside the subset
    shown as their learned "missing" embeddings, which is what the net
    predicts with those blocks hidden. The concatenation head's first layer
    is linear in the embeddings, so its pre-activation is split once per
    fold into one part per modality (the embedding's contribution minus
    the missing embedding's): a subset's is the sum of its members' parts,
    one product of the subset masks with the parts for all subsets at once,
    in cache-sized blocks, instead of the head run on every subset's
    embeddings (the same predictions up to float rounding). Other heads run
    on the subsets' embeddings, block by block.
    """

    def __init__(self, module, embedded, present):
        import torch

        from ..neural._modules import ConcatFusion

        self.fusion = module.fusion
        self.missing = module.encoders.missing.detach()
        self.embedded, self.present = embedded, present
        self.parts = None
        if isinstance(self.fusion, ConcatFusion):
            first = self.fusion.head[0]
            m, e = self.missing.shape
            w1 = first.weight.detach().view(-1, m, e).permute(1, 2, 0)  # (M, E, H)
            parts = torch.bmm(embedded.transpose(0, 1), w1)  # (M, n, H)
            fill = torch.bmm(self.missing.unsqueeze(1), w1)  # (M, 1, H)
            parts -= fill
            parts.masked_fill_(~present.t().unsqueeze(-1), 0.0)
            self.parts = parts
            self.bias = (first.bias.detach() + fill.sum(dim=0)).reshape(-1)
            last = self.fusion.head[-1]
            self.w2, self.b2 = last.weight.detach().t(), last.bias.detach()

    def outputs(self, masks, argmax=False):
        """Logits (n_subsets, n_rows, n_classes) for the bool tensor ``masks``.

        ``argmax=True`` gives each row's predicted class index instead
        (n_subsets, n_rows), without keeping the logits.
        """
        import torch

        n, m = self.present.shape
        s = masks.shape[0]
        out = []
        with torch.inference_mode():
            if self.parts is not None:
                hidden = self.parts.shape[2]
                weights = masks.to(self.parts.dtype)
                step = max(1, _BLOCK_FLOATS // (s * hidden))
                bias = self.bias.repeat(step)
                for start in range(0, n, step):
                    block = self.parts[:, start : start + step]
                    rows = block.shape[1]
                    flat = block.reshape(m, rows * hidden)
                    h = torch.addmm(bias[: rows * hidden], weights, flat)
                    h = h.view(s, rows, hidden).relu_()
                    logits = torch.matmul(h, self.w2).add_(self.b2)
                    out.append(logits.argmax(dim=-1) if argmax else logits)
                return torch.cat(out, dim=1)
            e = self.missing.shape[1]
            step = max(1, 8 * _BLOCK_FLOATS // (s * m * e))  # heavier calls
            for start in range(0, n, step):
                rows = slice(start, start + step)
                present = self.present[rows].unsqueeze(0) & masks.unsqueeze(1)
                embedded = self.embedded[rows].unsqueeze(0)
                shown = torch.where(present.unsqueeze(-1), embedded, self.missing)
                logits = self.fusion(shown.flatten(0, 1), present.flatten(0, 1))
                logits = logits.view(s, -1, logits.shape[-1])
                out.append(logits.argmax(dim=-1) if argmax else logits)
        return torch.cat(out, dim=1)


@single_threaded_job
def _finetune_fold(
    model, X, y, observed, train, test, subsets, names, scorer, weights, seed, n_steps
):
    """Fine-tune a copy of the fold model's fusion head per subset, then score.

    The encoders are frozen: their outputs for the fold's rows are computed
    once. Each subset's head (a copy of the trained one) sees the modalities
    of the subset and the "missing" embedding for the others, and takes
    ``n_steps`` AdamW steps (:data:`FINETUNE_LR_SCALE` times the net's
    learning rate, its weight decay, head dropout off) on mini-batches of
    :data:`FINETUNE_BATCH` training rows where the subset is fully observed;
    ``n_steps=0`` scores the trained head as it is (:class:`_TrainedHead`).
    The heads are stacked and trained in one batched pass; their losses are
    summed, so each head's gradient is its own and its result does not
    depend on which other subsets it was trained with. Subsets are scored
    chunk by chunk: no array grows with both the rows and the subsets
    beyond one byte per pair.
    """
    import torch

    module = model.net_.module_
    device = next(module.parameters()).device
    masks = _subset_masks(subsets, names)
    fold = _FoldScores(scorer, y[train], y[test], weights)

    def encoded(rows):
        tensors = model._net_inputs(X[rows], observed[rows])
        present = tensors["mask"].to(device)
        with torch.no_grad():
            return module.encoders(tensors["x"].to(device), present), present

    def score(chunk, proba):
        # ``proba``: (subsets, held-out rows, classes), or the predicted
        # class indices (subsets, held-out rows) when scoring accuracy
        ok = _observed_in(observed[test], masks[chunk])
        if fold.accuracy:
            if proba.ndim == 3:
                proba = proba.argmax(axis=2)
            fold.add_hits(model.classes_[proba] == y[test], ok)
            return
        for i in range(proba.shape[0]):
            rows = np.ones(test.size, dtype=bool) if ok is None else ok[i]
            fitted = _Responses(model.classes_, proba[i][rows].astype(np.float64))
            fold.add_model(fitted, np.zeros((int(rows.sum()), 1)), rows)

    was_training = module.training
    module.eval()
    try:
        test_data = encoded(test)
        if n_steps:
            train_data = encoded(train)
            y_train = torch.as_tensor(
                np.searchsorted(model.classes_, y[train]), device=device
            )
            generator = torch.Generator().manual_seed(int(seed))
            batches = [
                torch.randint(len(train), (FINETUNE_BATCH,), generator=generator)
                for _ in range(n_steps)
            ]
            for start in range(0, len(subsets), FINETUNE_CHUNK):
                chunk = slice(start, start + FINETUNE_CHUNK)
                ok_train = _observed_in(observed[train], masks[chunk])
                if ok_train is None:
                    ok_train = np.ones((len(masks[chunk]), train.size), dtype=bool)
                proba = _finetune_heads(
                    module,
                    torch.as_tensor(masks[chunk], device=device),
                    torch.as_tensor(ok_train, device=device),
                    train_data,
                    y_train,
                    test_data,
                    batches,
                    lr=model.lr * FINETUNE_LR_SCALE,
                    weight_decay=model.weight_decay,
                )
                score(chunk, proba)
        else:
            head = _TrainedHead(module, *test_data)
            for start in range(0, len(subsets), SCORE_CHUNK):
                chunk = slice(start, start + SCORE_CHUNK)
                shown = torch.as_tensor(masks[chunk], device=device)
                out = head.outputs(shown, argmax=fold.accuracy)
                if not fold.accuracy:
                    out = torch.softmax(out, dim=-1)
                score(chunk, out.cpu().numpy())
    finally:
        module.train(was_training)
    return fold.results


class FineTuneEngine(MaskedEngine):
    """The masked engine's model per fold, its fusion head fine-tuned per subset.

    For a :class:`~sklearn_skll.neural.MultimodalNetClassifier` only. Each
    fold's model is trained once on every modality with modality dropout, as
    in :class:`MaskedEngine`. Then, for each subset, a copy of its fusion
    head takes :data:`FINETUNE_STEPS` AdamW steps (at
    :data:`FINETUNE_LR_SCALE` times the net's learning rate) on the fold's
    training rows with the other modalities hidden (the encoders frozen,
    their outputs computed once), and scores the held-out rows. The short
    fine-tuning lets the head learn what the subset could give (a
    synergistic pair the shared model leans on little). Its cost grows with
    the number of subsets: on the bundled data (15 to 63 subsets) the whole
    engine took 2.3 to 2.8 cross-validated fits of the net (timed side by
    side on a busy machine), the masked engine 1.3 to 1.7.
    """

    def _seeds(self):
        if getattr(self, "_finetune_seeds", None) is None:
            rng = check_random_state(self.random_state)
            # after the masked models' seeds: the fine-tuning draws its own
            self._finetune_seeds = rng.randint(SEED_MAX, size=2 * len(self.folds))[
                len(self.folds) :
            ]
        return self._finetune_seeds

    def evaluate(self, subsets):
        subsets = [frozenset(s) for s in subsets]
        self._check_observed(subsets)
        self._fit()
        seeds = self._seeds()
        jobs = [
            delayed(_finetune_fold)(
                model,
                self._X_model,
                self.y,
                self.observed,
                train,
                test,
                subsets,
                self.names,
                self.scorer,
                self.boot_weights[k],
                int(seeds[k]),
                FINETUNE_STEPS,
            )
            for k, ((train, test), model) in enumerate(zip(self.folds, self.models_))
        ]
        results = self._run(
            jobs,
            self._desc(f"{len(subsets)} subsets fine-tuned x {len(self.folds)} folds"),
        )
        return self._collect(subsets, results)
