"""Readers for multimodal data users bring: MMSA/MulT pickles and clinical tables."""

import os
import pickle
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from .._compat import StrOptions, validate_params
from .._modalities import (
    _short,
    check_modality_name,
    observed_modalities,
    resolve_modalities,
)
from ..exceptions import ModalityError
from ._base import make_bunch, modality_table

__all__ = ["read_clinical_table", "read_mmsa_pickle"]

_SPLITS = ("train", "valid", "test")
_MMSA_TARGETS = ("binary", "binary_nonzero", "seven", "regression")


# --------------------------------------------------------------------------- #
# MMSA / MulT pickles (CMU-MOSI, CMU-MOSEI)
# --------------------------------------------------------------------------- #
def _pool(sequences, lengths, pooling, empty):
    """Pool ``(n, T, d)`` over time, ignoring padding steps.

    A step is padding when it lies beyond ``lengths`` (if given) or when all
    its features are exactly zero. Rows with no step left are all zeros or all
    NaN depending on ``empty``.
    """
    seq = np.asarray(sequences, dtype=np.float64)
    if seq.ndim == 2:  # already one vector per utterance
        return seq
    if seq.ndim != 3:
        raise ValueError(
            "Expected sequences of shape (n_samples, n_steps, n_features). "
            f"Got shape {seq.shape} instead."
        )
    n, steps, _ = seq.shape
    valid = np.any(seq != 0, axis=2)
    if lengths is not None:
        lengths = np.asarray(lengths).reshape(-1)
        if lengths.shape[0] == n:
            valid &= np.arange(steps)[None, :] < lengths[:, None]
    count = valid.sum(axis=1)
    if pooling == "mean":
        pooled = (seq * valid[..., None]).sum(axis=1) / np.maximum(count, 1)[:, None]
    elif pooling == "max":
        masked = np.where(valid[..., None], seq, -np.inf)
        pooled = masked.max(axis=1)
    else:  # last valid step
        last = steps - 1 - np.argmax(valid[:, ::-1], axis=1)
        pooled = seq[np.arange(n), last]
    pooled[count == 0] = 0.0 if empty == "zero" else np.nan
    return pooled


def _labels(split_dict, split):
    for key in ("regression_labels", "labels"):
        if key in split_dict:
            labels = np.asarray(split_dict[key], dtype=np.float64).reshape(-1)
            bad = ~np.isfinite(labels)
            if bad.any():
                rows = np.flatnonzero(bad)
                raise ValueError(
                    f"Split {split!r} of the pickle has {rows.size} missing or "
                    f"infinite sentiment label(s) in {key!r} (rows "
                    f"{rows[:10].tolist()}{' ...' if rows.size > 10 else ''}); "
                    "a label is never guessed: drop those utterances from the "
                    f"pickle first. Got {labels[rows[0]]} instead."
                )
            return labels
    raise ValueError(
        f"Split {split!r} of the pickle has no sentiment labels: expected a "
        "'regression_labels' (MMSA) or 'labels' (MulT) entry. Got keys "
        f"{sorted(split_dict)} instead."
    )


def _mmsa_targets(score):
    """Every usual target of CMU-MOSI/MOSEI from the sentiment scores."""
    seven = np.round(np.clip(score, -3.0, 3.0)).astype(np.int64) + 3
    nonzero = np.where(score == 0, np.nan, (score > 0).astype(np.float64))
    return pd.DataFrame(
        {
            "score": score,
            "binary": (score >= 0).astype(np.int64),
            "binary_nonzero": nonzero,
            "seven": seven,
        }
    )


_MMSA_DESCR = """\
Multimodal sentiment data read from an MMSA / MulT pickle
==========================================================

File: {path}
Splits: {splits} (rows per split: {counts}); the split of each row is in
``split`` (and in ``frame``).

Each utterance's sequences were pooled over time with ``{pooling}`` to one
row; padding steps (beyond ``<modality>_lengths`` when the pickle has it, and
every step whose features are all exactly 0) were ignored. Utterances with no
step left are {empty_text}.

Modalities (name (width): columns):
{table}

Target: ``{target}``. ``targets`` holds all of them: ``score`` (sentiment in
[-3, 3]), ``binary`` (1 if score >= 0 else 0: non-negative vs negative),
``binary_nonzero`` (1 if score > 0, 0 if < 0, NaN if 0), ``seven``
(round(clip(score, -3, 3)) + 3 in 0..6, numpy rounding, as MMSA).

Licence: that of the file read (CMU-MultimodalSDK data are for research use).
Citations: A. Zadeh et al. (2016), MOSI, IEEE Intelligent Systems 31(6);
A. Zadeh et al. (2018), CMU-MOSEI, ACL; H. Yu et al. (2020), CH-SIMS / MMSA,
ACL; Y.-H. H. Tsai et al. (2019), Multimodal Transformer (MulT), ACL.
"""


@validate_params(
    {
        "path": [str, os.PathLike, dict],
        "pooling": [StrOptions({"mean", "max", "last"})],
        "modalities": [list, tuple],
        "splits": [list, tuple, None],
        "target": [StrOptions(set(_MMSA_TARGETS))],
        "empty": [StrOptions({"zero", "nan"})],
        "as_frame": ["boolean"],
        "return_X_y": ["boolean"],
    },
    prefer_skip_nested_validation=True,
)
def read_mmsa_pickle(
    path,
    pooling="mean",
    *,
    modalities=("text", "audio", "vision"),
    splits=None,
    target="binary",
    empty="zero",
    as_frame=True,
    return_X_y=False,
):
    """Read a CMU-MOSI / MOSEI pickle in the MMSA or MulT layout.

    The pickle holds ``{"train" | "valid" | "test": {"text": (n, T, d_t),
    "audio": (n, T, d_a), "vision": (n, T, d_v), "regression_labels" or
    "labels": ...}}`` (MMSA's ``unaligned_50.pkl`` / ``aligned_50.pkl``, or
    MulT's ``mosi_data.pkl``). Each utterance becomes one row: its sequences
    are pooled over time, padding excluded.

    Parameters
    ----------
    path : str, path-like or dict
        The pickle file, or the already loaded dictionary. Only read pickles
        you trust: unpickling can run code.
    pooling : {"mean", "max", "last"}, default="mean"
        How each sequence becomes one vector: the mean or the maximum over
        its non-padding steps, or its last non-padding step.
    modalities : sequence of str, default=("text", "audio", "vision")
        Keys of the pickle read as modalities (e.g. use ``"text_bert"``'s
        pooled features instead of ``"text"`` if your pickle has them).
    splits : sequence of str or None, default=None
        Splits to read, in order; ``None`` reads those of ``train``,
        ``valid``, ``test`` that are present.
    target : {"binary", "binary_nonzero", "seven", "regression"}, \
            default="binary"
        The ``target`` returned: non-negative vs negative; positive vs
        negative with the rows of score 0 dropped; the 7 rounded scores; or
        the raw scores. ``targets`` keeps all of them either way.
    empty : {"zero", "nan"}, default="zero"
        Value of a pooled modality when all its steps are padding: zeros (what
        a sequence model sees) or NaN (the modality counts as missing).
    as_frame : bool, default=True
        ``data`` as a DataFrame and ``modalities`` as column names; ``False``
        gives an ndarray and column positions.
    return_X_y : bool, default=False
        Return ``(data, target)`` instead of a ``Bunch``.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        ``data`` (columns ``"<modality>_<k>"``), ``target``,
        ``target_names``, ``modalities``, ``split`` (the split of each row),
        ``targets`` (DataFrame: ``score``, ``binary``, ``binary_nonzero``,
        ``seven``), ``ids`` (if the pickle has ``"id"``), ``frame``,
        ``feature_names`` and ``DESCR``.
    (data, target) : tuple if ``return_X_y`` is True

    Raises
    ------
    ValueError
        A sentiment label is NaN or infinite: labels are never guessed (a NaN
        would otherwise become class "negative", or a huge integer for
        ``target="seven"``), so drop those utterances first.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_skll.datasets import read_mmsa_pickle
    >>> rng = np.random.default_rng(0)
    >>> split = {"text": rng.normal(size=(4, 5, 3)), "audio": np.zeros((4, 5, 2)),
    ...          "vision": rng.normal(size=(4, 5, 2)),
    ...          "regression_labels": np.array([-2.2, 0.0, 1.4, 3.0])}
    >>> bunch = read_mmsa_pickle({"train": split}, target="seven")
    >>> bunch.data.shape, bunch.target.tolist()
    ((4, 7), [1, 3, 4, 6])
    """
    for modality in modalities:
        check_modality_name(modality)
    if isinstance(path, dict):
        content, source = path, "<dict>"
    else:
        with open(path, "rb") as handle:
            content = pickle.load(handle)
        source = str(path)
    if not isinstance(content, dict):
        raise ValueError(
            f"Expected the pickle {source} to hold a dict of splits. Got "
            f"{type(content).__name__} instead."
        )
    if splits is None:
        splits = [s for s in _SPLITS if s in content]
        if not splits:
            raise ValueError(
                f"The pickle {source} has none of the splits {_SPLITS}. Got "
                f"keys {sorted(map(str, content))} instead."
            )
    for split in splits:
        if split not in content:
            raise ValueError(
                f"Split {split!r} is not in the pickle {source}. Got keys "
                f"{sorted(map(str, content))} instead."
            )

    blocks = {m: [] for m in modalities}
    scores, split_col, ids = [], [], []
    for split in splits:
        part = content[split]
        score = _labels(part, split)
        for modality in modalities:
            if modality not in part:
                raise ModalityError(
                    f"Modality `{modality}` is not in split {split!r} of the "
                    f"pickle {source}. Got keys {sorted(part)} instead."
                )
            lengths = part.get(f"{modality}_lengths")
            pooled = _pool(part[modality], lengths, pooling, empty)
            if pooled.shape[0] != score.shape[0]:
                raise ValueError(
                    f"Modality `{modality}` of split {split!r} has "
                    f"{pooled.shape[0]} rows but there are {score.shape[0]} "
                    f"labels. Got mismatched lengths instead."
                )
            blocks[modality].append(pooled)
        scores.append(score)
        split_col.extend([split] * score.shape[0])
        if "id" in part:
            raw_ids = np.asarray(part["id"]).reshape(score.shape[0], -1)
            ids.extend("_".join(map(str, row)) for row in raw_ids)

    columns, frames = {}, []
    for modality, parts in blocks.items():
        values = np.vstack(parts)
        columns[modality] = [f"{modality}_{k}" for k in range(values.shape[1])]
        frames.append(pd.DataFrame(values, columns=columns[modality]))
    data = pd.concat(frames, axis=1)
    targets = _mmsa_targets(np.concatenate(scores))
    split_col = np.asarray(split_col, dtype=object)
    ids = np.asarray(ids, dtype=object) if len(ids) == len(data) else None

    if target == "binary_nonzero":
        keep = targets["score"].to_numpy() != 0
        data = data.loc[keep].reset_index(drop=True)
        targets = targets.loc[keep].reset_index(drop=True)
        split_col = split_col[keep]
        ids = ids[keep] if ids is not None else None
        y = targets["binary_nonzero"].to_numpy().astype(np.int64)
        target_names = np.array(["negative", "positive"])
    elif target == "binary":
        y = targets["binary"].to_numpy()
        target_names = np.array(["negative", "non-negative"])
    elif target == "seven":
        y = targets["seven"].to_numpy()
        target_names = np.array([str(k) for k in range(-3, 4)])
    else:
        y = targets["score"].to_numpy()
        target_names = np.array([])

    counts = ", ".join(f"{s} {np.sum(split_col == s)}" for s in splits)
    empty_text = "all zeros" if empty == "zero" else "all NaN (missing)"
    descr = _MMSA_DESCR.format(
        path=source,
        splits=", ".join(splits),
        counts=counts,
        pooling=pooling,
        empty_text=empty_text,
        table=modality_table(columns),
        target=target,
    )
    bunch = make_bunch(
        data,
        y,
        target_names,
        columns,
        descr,
        as_frame=as_frame,
        return_X_y=return_X_y,
        split=split_col,
        targets=targets,
        ids=ids,
    )
    if not return_X_y and bunch.frame is not None:
        bunch.frame["split"] = split_col
    return bunch


# --------------------------------------------------------------------------- #
# Clinical tables (ADNI / MIMIC style)
# --------------------------------------------------------------------------- #
def _read_table(path_or_frame):
    if isinstance(path_or_frame, pd.DataFrame):
        return path_or_frame.copy(), "<DataFrame>"
    path = Path(path_or_frame)
    if path.is_dir():
        raise ValueError(
            f"The table {str(path)!r} is a directory; give a .csv, .tsv or "
            ".parquet file. Got a directory instead."
        )
    suffixes = "".join(path.suffixes).lower()
    if suffixes.endswith((".parquet", ".pq")):
        return pd.read_parquet(path), str(path)
    if ".csv" in suffixes or ".tsv" in suffixes or ".txt" in suffixes:
        sep = "\t" if ".tsv" in suffixes else ","
        return pd.read_csv(path, sep=sep), str(path)
    raise ValueError(
        f"Cannot tell the format of the table {str(path)!r}: expected a "
        ".csv, .tsv (optionally compressed, e.g. .csv.gz) or .parquet file, "
        f"or a DataFrame. Got suffix {suffixes!r} instead."
    )


def _check_selector(name, selector):
    """The readers take column names or ``"re:PATTERN"`` (positions would
    count the target and index columns)."""
    names = [selector] if isinstance(selector, str) else selector
    if not isinstance(names, (list, tuple)) or not all(
        isinstance(c, str) for c in names
    ):
        raise ModalityError(
            f"Modality `{name}` must be given as a list of column names, one "
            f"column name, or a 're:PATTERN' string. Got {selector!r} instead."
        )
    if not names:
        raise ModalityError(
            f"Modality `{name}` selects no column: its list of columns is "
            "empty. Got [] instead."
        )


def missingness_table(observed, partial=None):
    """Rows observed and missing per modality, as the reports print it.

    Parameters
    ----------
    observed : DataFrame of bool, shape (n_samples, n_modalities)
        True where the modality has at least one value in the row.
    partial : dict of str -> int, default=None
        Rows per modality where only some cells are empty (as read).

    Returns
    -------
    table : DataFrame
        Indexed by modality: ``rows_observed``, ``rows_missing``,
        ``missing_pct`` and ``rows_partial``.
    """
    n = len(observed)
    observed_rows = observed.sum(axis=0).astype(int)
    table = pd.DataFrame(
        {
            "rows_observed": observed_rows,
            "rows_missing": n - observed_rows,
            "missing_pct": (100.0 * (n - observed_rows) / max(n, 1)).round(1),
            "rows_partial": [int((partial or {}).get(m, 0)) for m in observed.columns],
        },
        index=pd.Index(list(observed.columns), name="modality"),
    )
    return table


def _is_numeric(column):
    return pd.api.types.is_numeric_dtype(column) or pd.api.types.is_bool_dtype(column)


#: A column with a distinct value in every one of at least this many rows
#: looks like an identifier (a patient id), not a measurement.
ID_LIKE_MIN_ROWS = 20


def _warn_id_like(table, resolved, index_col):
    """Warn about a modality column unique per row, such as a patient id.

    A text column would be one-hot encoded into one column per row; an
    integer one would be read as a measurement. Either carries no signal
    that generalises to new patients.
    """
    for name, cols in resolved.items():
        for col in cols:
            column = table[col].dropna()
            n = len(column)
            if n < ID_LIKE_MIN_ROWS or column.nunique() != n:
                continue
            if not _is_numeric(column):
                effect = f"one-hot encoding it would make {n} columns"
            elif pd.api.types.is_integer_dtype(column) or bool(
                (column == np.round(column)).all()
            ):
                effect = "its integers would be read as a measurement"
            else:
                continue  # a real-valued measurement is unique per row anyway
            fix = (
                f"pass index_col={col!r} (--index-col {col})"
                if index_col is None
                else "leave it out of the modality"
            )
            warnings.warn(
                f"Column `{col}` of modality `{name}` has a distinct value in "
                f"each of its {n} rows, like an identifier (a patient id): "
                f"{effect}, which carry no signal for new rows. If it is an "
                f"identifier, {fix}, or leave it out of `modalities`.",
                UserWarning,
                stacklevel=3,
            )


def _one_hot(table, resolved, categorical, source_text):
    """Replace each non-numeric modality column by one 0/1 column per level.

    The new columns stay in the column's modality, named ``<column>_<level>``
    (levels sorted); a missing cell stays missing (NaN in every new column).
    Returns the new table, the new modalities and one record per column.
    """
    records, new_resolved, pieces = [], {}, {}
    taken = set(table.columns)
    for name, cols in resolved.items():
        new_cols = []
        for col in cols:
            column = table[col]
            if _is_numeric(column):
                new_cols.append(col)
                continue
            if categorical == "error":
                raise ModalityError(
                    f"Column `{col}` of modality `{name}` is not numeric; "
                    "encode it first (e.g. with pandas.get_dummies), or pass "
                    "categorical='onehot' to one-hot encode it inside its "
                    f"modality. Got dtype {column.dtype} instead."
                )
            present = column.notna().to_numpy()
            levels = sorted(pd.unique(column[present].astype(str)))
            if not levels:
                raise ModalityError(
                    f"Column `{col}` of modality `{name}` is not numeric and has "
                    "no value to encode. Got an empty column instead."
                )
            names = [f"{col}_{level}" for level in levels]
            clash = [c for c in names if c in taken]
            if clash:
                raise ModalityError(
                    f"One-hot encoding column `{col}` of modality `{name}` would "
                    f"make column(s) {clash} that {source_text} already has. "
                    f"Got levels {_short(levels)} instead."
                )
            taken.update(names)
            text = column.astype(str).to_numpy()
            for level, new in zip(levels, names):
                hot = (text == level).astype(np.float64)
                pieces[new] = np.where(present, hot, np.nan)
            new_cols.extend(names)
            records.append(
                {
                    "modality": name,
                    "column": col,
                    "n_levels": len(levels),
                    "levels": list(levels),
                    "columns": names,
                }
            )
        new_resolved[name] = new_cols
    if pieces:
        table = pd.concat([table, pd.DataFrame(pieces, index=table.index)], axis=1)
    encoded = pd.DataFrame(
        records, columns=["modality", "column", "n_levels", "levels", "columns"]
    )
    return table, new_resolved, encoded


def _fill_value(column):
    """Median of a numeric column, most frequent level of any other one."""
    if _is_numeric(column) and not pd.api.types.is_bool_dtype(column):
        return column.median(), "median"
    counts = column.dropna().value_counts(sort=False)
    if counts.empty:
        return np.nan, "most frequent"
    # ties go to the first level, sorted
    return counts.sort_index().idxmax(), "most frequent"


def _partial_cells(table, resolved, partial_cells):
    """Rows partly observed per modality; fill their empty cells if asked.

    A row observes a modality when any of its cells is present. Empty cells
    of such rows are filled with the column's median (numeric) or most
    frequent level (other columns), computed over the rows that observe the
    modality. Fully empty blocks (missing modalities) are left as they are.
    """
    partial, records = {}, []
    for name, cols in resolved.items():
        empty = table[cols].isna().to_numpy()
        observed = ~empty.all(axis=1)
        rows = observed & empty.any(axis=1)
        partial[name] = int(rows.sum())
        if not rows.any() or partial_cells == "keep":
            continue
        if partial_cells == "error":
            k = int(np.flatnonzero(rows)[0])
            gaps = [c for c, e in zip(cols, empty[k]) if e]
            label = table.index[k]
            label = label.item() if isinstance(label, np.generic) else label
            raise ModalityError(
                f"Modality `{name}` is only partly observed in {partial[name]} "
                f"row(s) (first: row {label!r}, empty {gaps}); pass "
                "partial_cells='impute' to fill such cells from the rows that "
                "observe the modality. Got "
                f"{int(empty[rows].sum())} empty cell(s) in observed rows instead."
            )
        for j, col in enumerate(cols):
            fill = rows & empty[:, j]
            if not fill.any():
                continue
            value, rule = _fill_value(table.loc[observed, col])
            if pd.isna(value):
                raise ModalityError(
                    f"Column `{col}` of modality `{name}` has no value in the rows "
                    "that observe the modality, so its empty cells cannot be "
                    "imputed. Got an empty column instead."
                )
            column = table[col].copy()
            column[fill] = value
            table[col] = column
            records.append(
                {
                    "modality": name,
                    "column": col,
                    "n_cells": int(fill.sum()),
                    "value": value,
                    "rule": rule,
                }
            )
    imputed = pd.DataFrame(
        records, columns=["modality", "column", "n_cells", "value", "rule"]
    )
    return table, partial, imputed


_CLINICAL_DESCR = """\
Clinical table read from {source}
{rule}

{n_rows} rows (one per patient), target column ``{target}`` with classes
{classes}.{dropped}

Modalities (name (width): columns):
{table}

Rows where a modality is missing (all its cells empty): {missing}.
Rows where a modality is only partly observed (some cells empty): {partial}.
{encoded}{imputed}Estimators treat a fully empty block as a missing modality; a partly
empty block is an error unless imputed first (``partial_cells="impute"``).

Licence and citation: those of the source table.
"""


@validate_params(
    {
        "path_or_frame": [str, os.PathLike, pd.DataFrame],
        "modalities": [dict],
        "target": [str],
        "index_col": [str, None],
        "missing_target": [StrOptions({"raise", "drop"})],
        "categorical": [StrOptions({"onehot", "error"})],
        "partial_cells": [StrOptions({"keep", "impute", "error"})],
        "as_frame": ["boolean"],
        "return_X_y": ["boolean"],
    },
    prefer_skip_nested_validation=True,
)
def read_clinical_table(
    path_or_frame,
    modalities,
    target,
    *,
    index_col=None,
    missing_target="raise",
    categorical="onehot",
    partial_cells="keep",
    as_frame=True,
    return_X_y=False,
):
    """Read a one-row-per-patient table with column groups per source.

    The ADNI / MIMIC style: each data source (imaging, CSF, genetics,
    vitals, ...) is a group of columns; a patient without a source has empty
    cells in its group. Empty cells become NaN, so a source that is absent
    for a patient is a missing modality in that row.

    Parameters
    ----------
    path_or_frame : str, path-like or DataFrame
        A CSV (``.csv``, ``.csv.gz``, ...), TSV or Parquet file, or a
        DataFrame.
    modalities : dict
        ``name -> columns``: a list of column names, a single column name,
        or ``"re:PATTERN"``, the columns whose name matches the regular
        expression ``PATTERN`` (``re.search``, e.g. ``"re:^mri_"``).
        Columns not selected by any modality (and not the target) are left
        out.
    target : str
        The target column. Its distinct values, sorted, are the classes.
    index_col : str or None, default=None
        A column (e.g. a patient id) to use as the index of ``data``.
    missing_target : {"raise", "drop"}, default="raise"
        What to do with rows whose target is empty: raise, or drop them
        with a warning (their count is in ``n_dropped``).
    categorical : {"onehot", "error"}, default="onehot"
        What to do with a non-numeric column (strings, categories):
        one-hot encode it inside its modality (one 0/1 column per level,
        named ``<column>_<level>``; a missing cell stays missing, it is not
        a level), or raise.
    partial_cells : {"keep", "impute", "error"}, default="keep"
        What to do with the empty cells of a modality a row observes (some
        of its cells are present): keep them as NaN (estimators then raise
        on that row), fill them with the column's median (most frequent
        level for a categorical column) over the rows that observe the
        modality, or raise here. Observed cells and fully empty blocks
        (missing modalities) are never changed. The fill uses every row,
        before any train/test split; inside model selection, prefer an
        imputer in a Pipeline.
    as_frame : bool, default=True
        ``data`` as a DataFrame and ``modalities`` as column names; ``False``
        gives an ndarray and column positions.
    return_X_y : bool, default=False
        Return ``(data, target)`` instead of a ``Bunch``.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        ``data``, ``target`` (class codes), ``target_names``, ``modalities``,
        ``observed`` (DataFrame of bool, rows x modalities: True where the
        modality has at least one value), ``missingness`` (DataFrame per
        modality: ``rows_observed``, ``rows_missing``, ``missing_pct``,
        ``rows_partial``), ``encoded`` (DataFrame, one row per one-hot
        encoded column: ``modality``, ``column``, ``n_levels``, ``levels``,
        ``columns``), ``imputed`` (DataFrame, one row per column whose
        cells were filled: ``modality``, ``column``, ``n_cells``, ``value``,
        ``rule``), ``n_dropped`` (rows dropped for an empty target),
        ``frame``, ``feature_names`` and ``DESCR``.
    (data, target) : tuple if ``return_X_y`` is True

    Raises
    ------
    ModalityError
        A modality names a column that is not in the table, selects no
        column, a column is claimed twice, a modality holds the target, a
        column is not numeric (``categorical="error"``), or a modality is
        partly observed in a row (``partial_cells="error"``).
    ValueError
        The table has no rows or is a directory, or the target column is
        missing or has empty cells (``missing_target="raise"``).

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from sklearn_skll.datasets import read_clinical_table
    >>> table = pd.DataFrame({"mri_a": [1.0, 2.0, np.nan], "mri_b": [0.5, 1.0, np.nan],
    ...                       "age": [70, 81, 64], "dx": ["AD", "CN", "CN"]})
    >>> bunch = read_clinical_table(table, {"mri": "re:^mri_", "demo": ["age"]}, "dx")
    >>> bunch.modalities
    {'mri': ['mri_a', 'mri_b'], 'demo': ['age']}
    >>> bunch.observed["mri"].tolist()
    [True, True, False]
    >>> bunch.missingness["rows_missing"].to_dict()
    {'mri': 1, 'demo': 0}

    A string column is one-hot encoded inside its modality (a missing
    modality stays missing), and a stray empty cell of an observed modality
    can be filled:

    >>> table["sex"] = ["M", "F", None]
    >>> table.loc[2, "age"] = np.nan
    >>> table.loc[1, "mri_b"] = np.nan
    >>> bunch = read_clinical_table(table, {"mri": "re:^mri_", "demo": ["age", "sex"]},
    ...                             "dx", partial_cells="impute")
    >>> bunch.modalities["demo"]
    ['age', 'sex_F', 'sex_M']
    >>> bunch.data["sex_M"].tolist()
    [1.0, 0.0, nan]
    >>> bunch.imputed[["modality", "column", "n_cells", "value"]]
      modality column  n_cells  value
    0      mri  mri_b        1    0.5
    """
    table, source = _read_table(path_or_frame)
    source_text = "the table" if source == "<DataFrame>" else f"the table {source}"
    if table.shape[0] == 0:
        raise ValueError(
            f"{source_text[0].upper()}{source_text[1:]} has no rows (only a "
            f"header with {table.shape[1]} column(s)). Got 0 rows instead."
        )
    if not table.columns.is_unique:
        dup = table.columns[table.columns.duplicated()].unique().tolist()
        raise ValueError(
            f"Column names of {source_text} must be unique. Got duplicated "
            f"{dup} instead."
        )
    table.columns = [str(c) for c in table.columns]
    if target not in table.columns:
        raise ValueError(
            f"Target column `{target}` is not in {source_text} (columns: "
            f"{_short(table.columns)}). Got target={target!r} instead."
        )
    if index_col is not None:
        if index_col not in table.columns:
            raise ValueError(
                f"Index column `{index_col}` is not in {source_text}. Got "
                f"index_col={index_col!r} instead."
            )
        table = table.set_index(index_col)
    if not modalities:
        raise ModalityError(
            "`modalities` must name at least one modality. Got {} instead."
        )

    for name, selector in modalities.items():
        check_modality_name(name)
        _check_selector(name, selector)
    # The package's one column resolver: absent columns, empty selections
    # and overlaps are checked there, as for the estimators' `modalities`.
    positions = resolve_modalities(modalities, table, patterns=True, source=source_text)
    resolved, owner = {}, {}
    for name, idx in positions.items():
        selector = modalities[name]
        if isinstance(selector, str) and selector.startswith("re:"):
            cols = [table.columns[j] for j in idx]  # the table's order
        else:
            cols = [selector] if isinstance(selector, str) else list(selector)
        if target in cols:
            raise ModalityError(
                f"Modality `{name}` selects the target column `{target}`. "
                f"Got {selector!r} instead."
            )
        owner.update(dict.fromkeys(cols, name))
        resolved[name] = cols
    _warn_id_like(table, resolved, index_col)
    if categorical == "error":  # fail before reading anything else
        _one_hot(table[list(owner)], resolved, categorical, source_text)

    labels = table[target]
    empty_target = labels.isna().to_numpy()
    dropped = ""
    if empty_target.any():
        rows = table.index[empty_target].tolist()
        if missing_target == "raise":
            raise ValueError(
                f"Target column `{target}` has {len(rows)} empty cell(s) "
                f"(rows {_short(rows, 5)}); pass missing_target='drop' to "
                f"drop them. Got {len(rows)} empty target(s) instead."
            )
        warnings.warn(
            f"Dropped {len(rows)} row(s) whose target `{target}` is empty.",
            UserWarning,
            stacklevel=2,
        )
        table = table.loc[~empty_target]
        labels = labels.loc[~empty_target]
        dropped = f" {len(rows)} row(s) with an empty target were dropped."

    table, partial, imputed = _partial_cells(
        table[list(owner)].copy(), resolved, partial_cells
    )
    table, resolved, encoded = _one_hot(table, resolved, categorical, source_text)
    classes, y = np.unique(labels.to_numpy(), return_inverse=True)
    data = table[[c for cols in resolved.values() for c in cols]].astype(np.float64)
    positions = {c: i for i, c in enumerate(data.columns)}
    modalities_ = {
        name: np.array([positions[c] for c in cols]) for name, cols in resolved.items()
    }
    values = data.to_numpy()
    observed = observed_modalities(values, modalities_, partial="observed")
    observed = pd.DataFrame(observed, columns=list(resolved), index=data.index)
    missingness = missingness_table(observed, partial)
    encoded_text = "".join(
        f"Column `{r.column}` of `{r.modality}` was one-hot encoded into "
        f"{r.n_levels} columns (levels {', '.join(map(str, r.levels))}).\n"
        for r in encoded.itertuples()
    )
    imputed_text = "".join(
        f"{r.n_cells} empty cell(s) of `{r.column}` (`{r.modality}`) were filled "
        f"with its {r.rule} value {r.value}.\n"
        for r in imputed.itertuples()
    )
    descr = _CLINICAL_DESCR.format(
        source=source,
        rule="=" * (len(source) + 24),
        n_rows=len(data),
        target=target,
        classes=", ".join(map(str, classes)),
        dropped=dropped,
        table=modality_table(resolved),
        missing=", ".join(f"{m} {k}" for m, k in missingness["rows_missing"].items()),
        partial=", ".join(f"{m} {k}" for m, k in partial.items()),
        encoded=encoded_text,
        imputed=imputed_text,
    )
    return make_bunch(
        data,
        y,
        np.asarray(classes).astype(str),
        resolved,
        descr,
        as_frame=as_frame,
        return_X_y=return_X_y,
        target_column=target if target not in data.columns else "target",
        observed=observed,
        missingness=missingness,
        encoded=encoded,
        imputed=imputed,
        n_dropped=int(empty_target.sum()),
    )
