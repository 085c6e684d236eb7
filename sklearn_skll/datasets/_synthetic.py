"""Synthetic multimodal classification data with known modality structure."""

from numbers import Integral, Real

import numpy as np
import pandas as pd
from sklearn.utils import check_random_state

from .._compat import Interval, validate_params
from ..exceptions import ModalityError
from ._base import make_bunch, modality_table

__all__ = ["make_multimodal_classification", "DEFAULT_SYNTHETIC_MODALITIES"]

ROLES = ("informative", "synergistic", "redundant", "noise")

#: The default layout: one modality informative alone, a synergistic pair
#: (useless alone, informative together), a noisy copy of the informative
#: modality and a pure-noise modality.
DEFAULT_SYNTHETIC_MODALITIES = {
    "informative": {"n_features": 8, "role": "informative"},
    "synergy_a": {
        "n_features": 4,
        "role": "synergistic",
        "group": "xor",
        "class_sep": 1.5,
    },
    "synergy_b": {
        "n_features": 4,
        "role": "synergistic",
        "group": "xor",
        "class_sep": 1.5,
    },
    "redundant": {"n_features": 8, "role": "redundant", "copy_of": "informative"},
    "noise": {"n_features": 6, "role": "noise"},
}

_KEYS = {"n_features", "role", "group", "copy_of", "class_sep", "noise"}


def _check_spec(modalities):
    """Validate the ``modalities`` layout; return it as a dict of dicts."""
    if not isinstance(modalities, dict) or not modalities:
        raise ModalityError(
            "`modalities` must be a non-empty dict name -> {'n_features': int, "
            f"'role': str, ...}}. Got {modalities!r} instead."
        )
    spec = {}
    for name, item in modalities.items():
        if not isinstance(name, str):
            raise ModalityError(
                f"Modality names must be strings. Got {name!r} instead."
            )
        if not isinstance(item, dict):
            raise ModalityError(
                f"Modality `{name}` must be described by a dict with keys "
                f"'n_features' and 'role'. Got {item!r} instead."
            )
        unknown = set(item) - _KEYS
        if unknown:
            raise ModalityError(
                f"Modality `{name}` has unknown keys {sorted(unknown)}; allowed "
                f"keys are {sorted(_KEYS)}. Got {item!r} instead."
            )
        width = item.get("n_features")
        if not isinstance(width, Integral) or isinstance(width, bool) or width < 1:
            raise ModalityError(
                f"Modality `{name}` needs 'n_features', a positive int. "
                f"Got {width!r} instead."
            )
        role = item.get("role", "informative")
        if role not in ROLES:
            raise ModalityError(
                f"Modality `{name}` has role {role!r}; the role must be one of "
                f"{ROLES}. Got {role!r} instead."
            )
        for key in ("class_sep", "noise"):
            value = item.get(key)
            if value is not None and (not isinstance(value, Real) or value < 0):
                raise ModalityError(
                    f"Modality `{name}` needs {key!r} >= 0. Got {value!r} instead."
                )
        spec[name] = dict(item, role=role)

    groups = {}
    for name, item in spec.items():
        if item["role"] == "synergistic":
            if "group" not in item:
                raise ModalityError(
                    f"Synergistic modality `{name}` needs a 'group' key naming "
                    f"its synergy group. Got {item!r} instead."
                )
            groups.setdefault(item["group"], []).append(name)
        if item["role"] == "redundant":
            source = item.get("copy_of")
            if source not in spec or source == name:
                raise ModalityError(
                    f"Redundant modality `{name}` needs 'copy_of', the name of "
                    f"another modality. Got {source!r} instead."
                )
            if spec[source]["role"] not in ("informative", "synergistic"):
                raise ModalityError(
                    f"Redundant modality `{name}` must copy an informative or "
                    f"synergistic modality; `{source}` is "
                    f"{spec[source]['role']!r}. Got copy_of={source!r} instead."
                )
    for group, members in groups.items():
        if len(members) < 2:
            raise ModalityError(
                f"Synergy group {group!r} needs at least two modalities. "
                f"Got {members} instead."
            )
    return spec, groups


def _centroids(n_classes, n_features, class_sep, rng):
    """Class centroids in ``n_features`` dims, pairwise distance ``2 * class_sep``.

    With ``n_features >= n_classes`` the centroids lie on random orthonormal
    directions, so every pair is exactly ``2 * class_sep`` apart; with fewer
    features they are random unit vectors scaled to that mean distance.
    """
    if n_features >= n_classes:
        q, _ = np.linalg.qr(rng.standard_normal((n_features, n_classes)))
        centers = q.T * (np.sqrt(2.0) * class_sep)
    else:
        centers = rng.standard_normal((n_classes, n_features))
        diffs = centers[:, None, :] - centers[None, :, :]
        mean_dist = np.linalg.norm(diffs, axis=-1)[np.triu_indices(n_classes, 1)].mean()
        centers *= 2.0 * class_sep / max(mean_dist, 1e-12)
    return centers - centers.mean(axis=0)


def _descr(spec, groups, best, n_classes, class_sep, noise, modalities):
    lines = [
        "Synthetic multimodal classification data (sklearn_skll)",
        "=" * 56,
        "",
        f"{n_classes} balanced classes. Each informative or synergistic modality",
        "carries a discrete latent s in {0, ..., n_classes - 1}: its rows are",
        "drawn around one of n_classes centroids (pairwise distance",
        f"2 * class_sep = {2 * class_sep:g}) plus isotropic Gaussian noise",
        f"(std noise = {noise:g}).",
        "",
        "- informative: s = y, useful alone.",
        "- synergistic: the members of a group carry latents that are uniform",
        "  and independent of y one by one, and sum to y modulo n_classes",
        "  (for two classes: y is the XOR of the members' latent signs). Any",
        "  proper part of a group is useless; the whole group is informative",
        "  (non-linearly: a linear model cannot use an XOR).",
        "- redundant: a random orthogonal mix (a projection if narrower) of",
        "  another modality plus fresh noise; it adds nothing once its source",
        "  is known.",
        "- noise: standard normal, independent of y and of everything else.",
        "",
        "Ground truth: y is independent of every other modality given",
        f"best_subset = {list(best)}.",
        "",
        "Modalities (name (width): columns):",
        modality_table(modalities),
        "",
        "Roles: " + ", ".join(f"{n}={s['role']}" for n, s in spec.items()),
    ]
    overrides = [
        f"{n}: " + ", ".join(f"{k}={s[k]:g}" for k in ("class_sep", "noise") if k in s)
        for n, s in spec.items()
        if "class_sep" in s or "noise" in s
    ]
    if overrides:
        lines.append("Per-modality overrides: " + "; ".join(overrides))
    if groups:
        text = ", ".join(f"{g}={m}" for g, m in groups.items())
        lines.append("Synergy groups: " + text)
    return "\n".join(lines)


@validate_params(
    {
        "n_samples": [Interval(Integral, 1, None, closed="left")],
        "modalities": [dict, None],
        "n_classes": [Interval(Integral, 2, None, closed="left")],
        "class_sep": [Interval(Real, 0, None, closed="left")],
        "noise": [Interval(Real, 0, None, closed="left")],
        "random_state": ["random_state"],
        "as_frame": ["boolean"],
        "return_X_y": ["boolean"],
    },
    prefer_skip_nested_validation=True,
)
def make_multimodal_classification(
    n_samples=500,
    *,
    modalities=None,
    n_classes=2,
    class_sep=1.0,
    noise=1.0,
    random_state=None,
    as_frame=True,
    return_X_y=False,
):
    """Generate multimodal classification data whose modality structure is known.

    Every modality plays one role: *informative* (predictive alone),
    *synergistic* (a group whose members are useless alone and informative
    together, an XOR of latent signs for two classes), *redundant* (a noisy
    copy of another modality) or *noise*. The returned ``Bunch`` states the
    ground truth, so modality selection methods can be checked against it.

    Parameters
    ----------
    n_samples : int, default=500
        Number of rows. Classes are balanced (sizes differ by at most one).
    modalities : dict or None, default=None
        Layout ``name -> {"n_features": int, "role": str, ...}`` with role in
        ``{"informative", "synergistic", "redundant", "noise"}``. Synergistic
        modalities need ``"group"`` (modalities sharing a group form one
        synergy); redundant ones need ``"copy_of"`` (an informative or
        synergistic modality). Optional per-modality ``"class_sep"`` and
        ``"noise"`` override the global values. ``None`` uses
        :data:`DEFAULT_SYNTHETIC_MODALITIES`: ``informative`` (8 features),
        the pair ``synergy_a``/``synergy_b`` (4 each, ``class_sep=1.5`` so that
        the pair together is about as predictive as ``informative`` alone),
        ``redundant`` (8, a noisy copy of ``informative``) and ``noise`` (6).
    n_classes : int, default=2
        Number of classes.
    class_sep : float, default=1.0
        Half the distance between two class centroids of a modality. With
        two classes, ``noise=1`` and ``class_sep=1`` a modality alone reaches
        a Bayes accuracy of about 0.84 (``Phi(class_sep / noise)``).
    noise : float, default=1.0
        Standard deviation of the Gaussian noise around each centroid, and of
        the fresh noise added to redundant copies.
    random_state : int, RandomState instance or None, default=None
        Seed; the same seed gives the same data.
    as_frame : bool, default=True
        Return ``data`` as a DataFrame with columns ``"<modality>_<k>"`` and
        ``modalities`` as column names; ``False`` gives an ndarray and
        column positions.
    return_X_y : bool, default=False
        Return ``(data, target)`` instead of a ``Bunch``.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        Fields ``data``, ``target``, ``target_names``, ``feature_names``,
        ``frame``, ``modalities`` (name -> columns), ``DESCR`` and the ground
        truth: ``roles`` (name -> role), ``best_subset`` (tuple: the
        informative and synergistic modalities, given which ``y`` is
        independent of all others), ``useful_alone`` (modalities predictive on
        their own), ``noise_modalities``, ``synergy_groups`` (group ->
        members), ``copy_of`` (redundant name -> source) and ``latent``
        (name -> the per-row discrete latent each signal modality carries).
    (data, target) : tuple if ``return_X_y`` is True

    See Also
    --------
    sklearn.datasets.make_classification : The single-table analogue.

    Notes
    -----
    A synergistic group of ``g`` members draws ``g - 1`` latents uniformly
    and sets the last so that the latents sum to ``y`` modulo ``n_classes``.
    Every proper part of the group is then independent of ``y``, while the
    whole group determines it. A linear model cannot exploit this; trees,
    kernels and neural nets can.

    Examples
    --------
    >>> from sklearn_skll.datasets import make_multimodal_classification
    >>> bunch = make_multimodal_classification(200, random_state=0)
    >>> bunch.data.shape
    (200, 30)
    >>> list(bunch.modalities)
    ['informative', 'synergy_a', 'synergy_b', 'redundant', 'noise']
    >>> bunch.best_subset
    ('informative', 'synergy_a', 'synergy_b')
    """
    if modalities is None:
        modalities = DEFAULT_SYNTHETIC_MODALITIES
    spec, groups = _check_spec(modalities)
    rng = check_random_state(random_state)

    y = rng.permutation(np.arange(n_samples) % n_classes)

    latent = {}
    for name, item in spec.items():
        if item["role"] == "informative":
            latent[name] = y.copy()
    for members in groups.values():
        draws = rng.randint(0, n_classes, size=(len(members) - 1, n_samples))
        last = (y - draws.sum(axis=0)) % n_classes
        for name, values in zip(members, [*draws, last]):
            latent[name] = values

    blocks = {}
    for name, item in spec.items():
        width = item["n_features"]
        if item["role"] in ("informative", "synergistic"):
            sep = item.get("class_sep", class_sep)
            std = item.get("noise", noise)
            centers = _centroids(n_classes, width, sep, rng)
            blocks[name] = centers[latent[name]] + std * rng.standard_normal(
                (n_samples, width)
            )
    for name, item in spec.items():
        width = item["n_features"]
        if item["role"] == "redundant":
            source = blocks[item["copy_of"]]
            mix = np.linalg.qr(rng.standard_normal((max(width, source.shape[1]),) * 2))[
                0
            ][: source.shape[1], :width]
            std = item.get("noise", noise)
            blocks[name] = source @ mix + std * rng.standard_normal((n_samples, width))
        elif item["role"] == "noise":
            blocks[name] = rng.standard_normal((n_samples, width))

    columns = {
        name: [f"{name}_{k}" for k in range(item["n_features"])]
        for name, item in spec.items()
    }
    data = pd.DataFrame(
        np.hstack([blocks[name] for name in spec]),
        columns=[c for cols in columns.values() for c in cols],
    )
    roles = {name: item["role"] for name, item in spec.items()}
    best = tuple(n for n, r in roles.items() if r in ("informative", "synergistic"))
    informative = {n for n, r in roles.items() if r == "informative"}
    copy_of = {n: s["copy_of"] for n, s in spec.items() if s["role"] == "redundant"}
    useful_alone = tuple(
        n for n in spec if n in informative or copy_of.get(n) in informative
    )
    descr = _descr(spec, groups, best, n_classes, class_sep, noise, columns)
    return make_bunch(
        data,
        y,
        np.array([f"class_{k}" for k in range(n_classes)]),
        columns,
        descr,
        as_frame=as_frame,
        return_X_y=return_X_y,
        roles=roles,
        best_subset=best,
        useful_alone=useful_alone,
        noise_modalities=tuple(n for n, r in roles.items() if r == "noise"),
        synergy_groups={g: tuple(m) for g, m in groups.items()},
        copy_of=copy_of,
        latent=latent,
    )
