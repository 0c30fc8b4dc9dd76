"""The ``lrlab`` command. Thin: it parses arguments and calls one function of another package."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence


def _schedules(args: argparse.Namespace) -> int:
    from lrlab.schedulers.registry import describe_schedules

    print(describe_schedules(kind=args.kind))
    return 0


def build_parser() -> argparse.ArgumentParser:
    from lrlab import __version__

    parser = argparse.ArgumentParser(prog="lrlab", description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--version", action="version", version=f"lrlab {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)
    schedules = commands.add_parser("schedules", help="list every schedule by name, with what it needs")
    schedules.add_argument("--kind", choices=["adaptive", "baseline", "optimizer"], help="only this kind")
    schedules.set_defaults(func=_schedules)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args))
    except (ValueError, FileNotFoundError) as error:  # bad input: one clear line, no traceback
        print(f"lrlab: error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("lrlab: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    raise SystemExit(main())
