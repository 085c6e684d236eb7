"""``sklearn-skll plan``: turn a budget into an acquisition plan."""

from ._common import (
    add_selector_options,
    add_table_options,
    costs_for,
    fit_selector,
    parse_costs,
    positive_number,
    read_data,
    render_table,
)

__all__ = ["add_parser", "run"]


def add_parser(sub):
    """Add this subcommand's parser to the CLI's subparsers."""
    p = sub.add_parser(
        "plan",
        help="turn a budget into an acquisition plan",
        description=(
            "Score the modalities, then turn a budget into an acquisition plan "
            "(new rows carrying the key subset) against the uniform baseline."
        ),
    )
    add_table_options(p, dataset=True)
    add_selector_options(p)
    p.add_argument(
        "--budget",
        type=positive_number,
        required=True,
        help="fraction of the training rows (0 < B <= 1) or an absolute count (> 1) "
        "of modality-observations",
    )
    p.add_argument(
        "--cost",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="cost of one observation of a modality (repeatable; default 1 each)",
    )
    return p


def run(args):
    costs = parse_costs(args)
    X, y, modalities, what, head = read_data(args)
    print(head)
    costs = costs_for(costs, modalities)
    selector = fit_selector(args, X, y, modalities)
    plan = selector.plan(args.budget, costs=costs or None)
    print(f"Acquisition plan for {what} ({len(y)} rows), budget {args.budget}:\n")
    print(render_table(plan.to_frame(), floatfmt=".2f"))
    print()
    print(plan)
    return 0
