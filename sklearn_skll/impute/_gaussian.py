"""ClassConditionalGaussianImputer: one Gaussian per class, shared covariance."""

from itertools import pairwise
from numbers import Integral, Real

import numpy as np
from scipy import linalg
from scipy.special import logsumexp
from sklearn.base import (
    BaseEstimator,
    OneToOneFeatureMixin,
    TransformerMixin,
    _fit_context,
)
from sklearn.covariance import (
    empirical_covariance,
    ledoit_wolf_shrinkage,
    shrunk_covariance,
)
from sklearn.utils import check_random_state
from sklearn.utils.multiclass import type_of_target
from sklearn.utils.validation import (
    check_is_fitted,
)

from .._base import MODAL_CONSTRAINTS, same_container, validate_modal_data
from .._compat import Interval, StrOptions
from ..exceptions import ModalityError
from ._base import _check_fit_observed, _label_codes

__all__ = ["ClassConditionalGaussianImputer"]


#: Columns at a time whose NaN-aware moments are taken together: about this
#: many values (each column's reduction is its own, so the same numbers).
_BLOCK_VALUES = 2**22


def _ledoit_wolf(X):
    """Ledoit and Wolf's shrunk covariance of centered rows ``X``: what
    ``LedoitWolf(assume_centered=True).fit(X)`` computes, without its copy
    of ``X``."""
    n_features = X.shape[1]
    if n_features == 1:  # whatever the shrinkage, the same matrix
        return np.atleast_2d((X**2).mean()), 0.0
    shrinkage = ledoit_wolf_shrinkage(X, assume_centered=True)
    emp_cov = empirical_covariance(X, assume_centered=True)
    mu = np.sum(np.trace(emp_cov)) / n_features
    shrunk_cov = (1.0 - shrinkage) * emp_cov
    shrunk_cov.flat[:: n_features + 1] += shrinkage * mu
    return shrunk_cov, shrinkage


def _invertible(cov):
    """``cov`` made positive definite where the complete rows leave it singular.

    A column constant over the complete rows (after its class mean) has no
    variance to condition on: it gets unit variance and no correlation, so
    it is filled with its class mean. Columns that repeat one another (too
    few rows for the shrinkage to separate them) get the smallest ridge,
    from ``1e-10`` of the mean variance up, that makes ``cov`` factorable.
    """
    flat = np.diag(cov) <= 1e-12
    if flat.any():
        cov = cov.copy()
        cov[flat, :] = 0.0
        cov[:, flat] = 0.0
        cov[flat, flat] = 1.0
    scale = float(np.mean(np.diag(cov)))
    for ridge in (0.0, 1e-10, 1e-8, 1e-6, 1e-4, 1e-2):
        candidate = cov + ridge * scale * np.eye(cov.shape[0]) if ridge else cov
        try:
            np.linalg.cholesky(candidate)
        except np.linalg.LinAlgError:
            continue
        return candidate
    return cov + scale * np.eye(cov.shape[0])


class ClassConditionalGaussianImputer(
    OneToOneFeatureMixin, TransformerMixin, BaseEstimator
):
    """Generate missing modalities from a Gaussian per class with a shared covariance.

    The modalities' columns are modelled as ``N(mu_c, Sigma)``: a mean per
    class ``c`` and one within-class covariance, shrunk (Ledoit-Wolf by
    default), as in linear discriminant analysis. A row's missing modality
    blocks ``m`` are filled from its observed ones ``o`` by the Gaussian
    conditional ``mu_c,m + Sigma_mo Sigma_oo^-1 (x_o - mu_c,o)``:

    - :meth:`transform` (label-free) averages it over the classes, weighted
      by their posterior given ``x_o`` (the conditional mean of the mixture);
    - :meth:`fit_transform` with labels uses each training row's own class,
      ``p(x_missing | x_observed, y)``;
    - :meth:`sample` draws from the conditional Gaussian, with covariance
      ``Sigma_mm - Sigma_mo Sigma_oo^-1 Sigma_om``.

    It is the small, linear counterpart of
    :class:`~sklearn_skll.FlowImputer`, with the same ``modalities`` API.
    Observed values are never changed.

    Parameters
    ----------
    modalities : dict or None, default=None
        Mapping ``name -> column selector`` (as in
        :class:`~sklearn.compose.ColumnTransformer`). ``None`` is one modality
        of all columns: nothing can be generated then.
    shrinkage : "auto" or float, default="auto"
        Shrinkage of the within-class covariance (of standardized columns)
        toward a scaled identity: "auto" is Ledoit-Wolf's, a float in
        ``[0, 1]`` a fixed one.
    class_conditional : bool, default=True
        One mean per class of ``y``. With ``y=None`` or False, one mean.
    random_state : int, RandomState instance or None, default=None
        Seeds :meth:`sample`.

    Attributes
    ----------
    modalities_ : dict of str -> ndarray of int
        Column indices of each modality.
    classes_ : ndarray or None
        Class labels of the means, None when there is one mean.
    class_means_ : ndarray of shape (n_classes, n_features)
        Mean of each class, in the columns' units (NaN outside modalities).
    class_priors_ : ndarray of shape (n_classes,)
        Class frequencies in fit.
    covariance_ : ndarray of shape (n_modality_features, n_modality_features)
        Shrunk within-class covariance of the standardized modality columns
        (in the order of ``modalities_``), from the complete rows.
    shrinkage_ : float
        Shrinkage used.
    mean_, scale_ : ndarray of shape (n_features,)
        Standardization of each column, from its observed values.
    n_features_in_ : int
    feature_names_in_ : ndarray of str
        Only when ``X`` has string column names.

    See Also
    --------
    sklearn_skll.FlowImputer : Class-conditional normalizing flows.
    sklearn.discriminant_analysis.LinearDiscriminantAnalysis : The same model
        of the classes.

    Notes
    -----
    Class means are estimated on every row where a column is observed; the
    covariance on the complete rows (at least two are needed). As with
    :class:`~sklearn.preprocessing.TargetEncoder`, ``fit_transform(X, y)``
    differs from ``fit(X, y).transform(X)`` on incomplete rows: it uses the
    training labels, which ``transform`` never sees.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_skll.impute import ClassConditionalGaussianImputer
    >>> rng = np.random.RandomState(0)
    >>> y = rng.randint(2, size=80)
    >>> t = rng.normal(size=(80, 1)) + 2 * y[:, None]
    >>> X = np.hstack([t, t, -t, -t]) + 0.1 * rng.normal(size=(80, 4))
    >>> X[:5, 2:] = np.nan
    >>> imp = ClassConditionalGaussianImputer(modalities={"a": [0, 1], "b": [2, 3]})
    >>> Xt = imp.fit_transform(X, y)
    >>> bool(np.isfinite(Xt).all()), bool(np.array_equal(Xt[:, :2], X[:, :2]))
    (True, True)
    """

    _parameter_constraints: dict = {
        **MODAL_CONSTRAINTS,
        "shrinkage": [StrOptions({"auto"}), Interval(Real, 0, 1, closed="both")],
        "class_conditional": ["boolean"],
    }

    def __init__(
        self,
        *,
        modalities=None,
        shrinkage="auto",
        class_conditional=True,
        random_state=None,
    ):
        self.modalities = modalities
        self.shrinkage = shrinkage
        self.class_conditional = class_conditional
        self.random_state = random_state

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Estimate the class means and the shared within-class covariance.

        Parameters
        ----------
        X : {array-like, DataFrame} of shape (n_samples, n_features)
            Missing modality blocks are all NaN; at least two rows complete.
        y : array-like of shape (n_samples,), default=None
            Class labels.

        Returns
        -------
        self : ClassConditionalGaussianImputer
        """
        X, y, observed = validate_modal_data(
            self, X, y, allow_none=False, dtype=np.float64, ensure_min_samples=2
        )
        modalities = self.modalities_
        _check_fit_observed(observed, list(modalities))
        complete = observed.all(axis=1)
        if complete.sum() < 2:
            raise ModalityError(
                "ClassConditionalGaussianImputer estimates its covariance on "
                "rows where every modality is observed and needs at least 2. "
                f"Got {int(complete.sum())} such rows instead."
            )
        if y is None or not self.class_conditional:
            self.classes_ = None
            codes = np.zeros(X.shape[0], dtype=np.int64)
            n_classes = 1
        else:
            kind = type_of_target(y, input_name="y", raise_unknown=True)
            if kind not in ("binary", "multiclass"):
                raise ValueError(
                    "`y` must hold class labels (binary or multiclass) for class "
                    "means; pass class_conditional=False or y=None otherwise. "
                    f"Got a {kind} target instead."
                )
            self.classes_, codes = np.unique(y, return_inverse=True)
            n_classes = self.classes_.size

        cols = self._columns()
        self.mean_ = np.zeros(X.shape[1])
        self.scale_ = np.ones(X.shape[1])
        # One standardized copy of the modality columns, worked on in place
        # (the moments by blocks of its columns: each column's reduction is
        # its own, so the same numbers), then the residuals of the complete
        # rows. At 100,000 rows x 320 columns the fit held about six copies
        # of X at once; it now holds two.
        Z = X[:, cols]  # a copy, in column order
        step = max(1, _BLOCK_VALUES // max(X.shape[0], 1))
        for start in range(0, cols.size, step):
            part = Z[:, start : start + step]
            at = cols[start : start + step]
            self.mean_[at] = np.nanmean(part, axis=0)
            std = np.nanstd(part, axis=0)
            self.scale_[at] = np.where(std > 0, std, 1.0)
        Z -= self.mean_[cols]
        Z /= self.scale_[cols]

        means = np.zeros((n_classes, cols.size))  # standardized; 0 = overall mean
        for c in range(n_classes):
            rows = Z[codes == c]
            seen = (~np.isnan(rows)).any(axis=0)
            means[c, seen] = np.nanmean(rows[:, seen], axis=0)
            del rows
        self._means = means
        self.class_priors_ = np.bincount(codes, minlength=n_classes) / codes.size
        self.class_means_ = np.full((n_classes, X.shape[1]), np.nan)
        self.class_means_[:, cols] = means * self.scale_[cols] + self.mean_[cols]

        resid = Z[complete]
        del Z
        resid_codes = codes[complete]
        for c in range(n_classes):
            at = np.flatnonzero(resid_codes == c)
            if at.size:
                resid[at] -= means[c]
        if self.shrinkage == "auto":
            cov, shrinkage = _ledoit_wolf(resid)
        else:
            cov = shrunk_covariance(
                empirical_covariance(resid, assume_centered=True), self.shrinkage
            )
            shrinkage = self.shrinkage
        del resid
        self.covariance_ = _invertible(cov)
        self.shrinkage_ = float(shrinkage)
        return self

    def _columns(self):
        return np.concatenate(list(self.modalities_.values()))

    # ------------------------------------------------------------ transform
    def transform(self, X):
        """Fill missing modality blocks with the conditional mean (label-free).

        Parameters
        ----------
        X : {array-like, DataFrame} of shape (n_samples, n_features)
            Missing modality blocks are all NaN; each row observes at least
            one modality.

        Returns
        -------
        X_out : {ndarray, DataFrame} of shape (n_samples, n_features)
            Observed values unchanged; a DataFrame in gives a DataFrame out.
        """
        check_is_fitted(self)
        X_in = X
        X, observed = self._check_input(X)
        return same_container(self._fill(X, observed, None, None, 1)[0], X_in)

    def fit_transform(self, X, y=None):
        """Fit, then fill each training row's missing blocks with its own class.

        Parameters
        ----------
        X : {array-like, DataFrame} of shape (n_samples, n_features)
        y : array-like of shape (n_samples,), default=None
            Class labels; None is ``fit(X).transform(X)``.

        Returns
        -------
        X_out : {ndarray, DataFrame} of shape (n_samples, n_features)
        """
        self.fit(X, y)
        X_in = X
        X, observed = self._check_input(X)
        codes = self._label_codes(y, X.shape[0])
        return same_container(self._fill(X, observed, codes, None, 1)[0], X_in)

    def sample(self, X, y=None, *, n_draws=1):
        """Draw missing blocks from the conditional Gaussian, ``n_draws`` times.

        Without ``y``, each draw first draws the class from its posterior
        given the observed blocks. Seeded by ``random_state``.

        Parameters
        ----------
        X : {array-like, DataFrame} of shape (n_samples, n_features)
        y : array-like of shape (n_samples,), default=None
            Class labels of the rows (labelled training rows only).
        n_draws : int, default=1

        Returns
        -------
        draws : ndarray of shape (n_draws, n_samples, n_features)
        """
        check_is_fitted(self)
        if (
            isinstance(n_draws, bool)
            or not isinstance(n_draws, Integral)
            or n_draws < 1
        ):
            raise ValueError(
                f"`n_draws` must be an integer >= 1. Got {n_draws!r} instead."
            )
        X, observed = self._check_input(X)
        codes = self._label_codes(y, X.shape[0])
        rng = check_random_state(self.random_state)
        return np.stack(self._fill(X, observed, codes, rng, n_draws))

    def _check_input(self, X):
        X, _, observed = validate_modal_data(
            self, X, reset=False, allow_none=False, dtype=np.float64, copy=True
        )
        if (~observed).any() and len(self.modalities_) < 2:
            name = next(iter(self.modalities_))
            raise ModalityError(
                f"Modality `{name}` is missing in some rows, but it is the only "
                "modality, so there is nothing to generate it from. Got 1 "
                "modality instead."
            )
        return X, observed

    def _label_codes(self, y, n):
        return _label_codes(y, self.classes_, n)

    def _fill(self, X, observed, codes, rng, n_draws):
        """``n_draws`` completed copies of ``X`` (the first is ``X`` itself)."""
        outs = [X] + [X.copy() for _ in range(n_draws - 1)]
        cols = self._columns()
        offsets = np.cumsum([0] + [idx.size for idx in self.modalities_.values()])
        spans = [np.arange(a, b) for a, b in pairwise(offsets)]
        patterns, inverse = np.unique(observed, axis=0, return_inverse=True)
        inverse = inverse.ravel()
        log_prior = np.log(np.clip(self.class_priors_, 1e-300, None))
        for k, pattern in enumerate(patterns):
            if pattern.all():
                continue
            rows = np.flatnonzero(inverse == k)
            o = np.concatenate([spans[i] for i in np.flatnonzero(pattern)])
            m = np.concatenate([spans[i] for i in np.flatnonzero(~pattern)])
            S = self.covariance_
            chol = linalg.cho_factor(S[np.ix_(o, o)])
            B = linalg.cho_solve(chol, S[np.ix_(o, m)]).T  # (p_m, p_o)
            z_o = (X[np.ix_(rows, cols[o])] - self.mean_[cols[o]]) / self.scale_[
                cols[o]
            ]
            mu_o, mu_m = self._means[:, o], self._means[:, m]
            shift = mu_m - mu_o @ B.T  # (C, p_m): class part of the conditional
            base = z_o @ B.T  # (n, p_m)
            if codes is not None:
                post = np.eye(len(log_prior))[codes[rows]]
            else:
                P_mu = linalg.cho_solve(chol, mu_o.T)  # (p_o, C)
                logit = z_o @ P_mu - 0.5 * np.einsum("pc,cp->c", P_mu, mu_o) + log_prior
                post = np.exp(logit - logsumexp(logit, axis=1, keepdims=True))
            cond_chol = None
            if rng is not None:
                cond = S[np.ix_(m, m)] - B @ S[np.ix_(o, m)]
                cond = (cond + cond.T) / 2 + 1e-9 * np.eye(m.size)
                cond_chol = np.linalg.cholesky(cond)
            for out in outs:
                if rng is None:
                    z_m = base + post @ shift
                else:
                    u = rng.uniform(size=(rows.size, 1))
                    c = np.minimum(
                        (post.cumsum(axis=1) < u).sum(axis=1), len(post[0]) - 1
                    )
                    noise = rng.standard_normal((rows.size, m.size)) @ cond_chol.T
                    z_m = base + shift[c] + noise
                out[np.ix_(rows, cols[m])] = (
                    z_m * self.scale_[cols[m]] + self.mean_[cols[m]]
                )
        return outs

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        return tags
