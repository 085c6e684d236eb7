"""``sklearn-skll datasets``: the bundled datasets, their modalities and sizes."""

import json

from ._common import render_table

__all__ = ["add_parser", "run"]


def add_parser(sub):
    """Add this subcommand's parser to the CLI's subparsers."""
    p = sub.add_parser(
        "datasets",
        help="list the bundled datasets, their modalities and sizes",
        description="List the bundled datasets, their modalities and sizes.",
    )
    p.add_argument("--format", choices=("table", "json"), default="table")
    return p


def run(args):
    from ..datasets._registry import dataset_rows

    table = dataset_rows()  # static facts, no pandas: the listing starts quickly
    if args.format == "json":
        print(json.dumps(table, indent=2))
    else:
        print(render_table(table))
    return 0
