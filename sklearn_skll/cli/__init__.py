"""The ``sklearn-skll`` command-line tool.

Subcommands, one module each:

- ``datasets`` (``_datasets.py``): list the bundled datasets with their
  modalities and sizes.
- ``select`` (``_select.py``): score every modality subset of a dataset or of
  a user table.
- ``plan`` (``_plan.py``): turn a budget (and per-modality costs) into an
  acquisition plan.
- ``benchmark`` (``_benchmark.py``): run the paper's budget protocol and
  write tables and plots.
- ``recommend`` (``_recommend.py``): what should a budget buy? Estimated
  on the pilot's complete rows alone.
- ``acquire`` (``_acquire.py``): rank which rows of a table should get which
  missing modality under a budget.

What they share (the table options and their reader, cost options, the
selector options, plain-text tables) is in ``_common.py``; it imports no
subcommand. Errors in what the user gives (an unknown column, a missing
target, a modality that selects nothing) are printed as one line, with exit
code 2.
"""

import argparse
import sys

from .. import __version__
from ..exceptions import BudgetError, ModalityError
from . import _acquire, _benchmark, _datasets, _plan, _recommend, _select
from ._common import UsageError

__all__ = ["main"]

#: Subcommand name -> its module (``add_parser(sub)`` and ``run(args)``), in
#: the order of ``--help``.
_SUBCOMMANDS = {
    "datasets": _datasets,
    "select": _select,
    "plan": _plan,
    "benchmark": _benchmark,
    "recommend": _recommend,
    "acquire": _acquire,
}


def _build_parser():
    parser = argparse.ArgumentParser(
        prog="sklearn-skll",
        description=(
            "Select the key modalities, then generate the rest: score modality "
            "subsets, plan data acquisition under a budget, and benchmark the "
            "SK-LL protocol."
        ),
        epilog="Run 'sklearn-skll COMMAND --help' for the options of a command.",
    )
    parser.add_argument(
        "--version", action="version", version=f"%(prog)s {__version__}"
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for module in _SUBCOMMANDS.values():
        module.add_parser(sub)
    return parser


def main(argv=None):
    """Run the command line; return the exit code."""
    parser = _build_parser()
    args = parser.parse_args(argv)
    try:
        return _SUBCOMMANDS[args.command].run(args)
    except (UsageError, ModalityError, BudgetError, FileNotFoundError) as exc:
        print(f"sklearn-skll {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except ValueError as exc:
        # Data problems raised while reading the user's table (bad target,
        # unreadable file) are user errors too, and so are the selector's
        # checks of the options (too few rows for --cv), whatever the data
        # source; anything else is a bug.
        if (
            getattr(args, "table", None) is not None
            or args.command in ("select", "plan", "recommend")
            or isinstance(exc, KeyError)
        ):
            print(f"sklearn-skll {args.command}: error: {exc}", file=sys.stderr)
            return 2
        raise
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
