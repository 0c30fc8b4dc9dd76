"""The ``lrlab`` command. Thin: it parses arguments and calls one function of another package."""

from __future__ import annotations

import argparse
import signal
import sqlite3
import sys
from collections.abc import Sequence
from types import FrameType

from lrlab.errors import BAD_INPUT, ENVIRONMENT, INTERRUPTED, TERMINATED, LrlabError, Terminated

DESCRIPTION = """\
lrlab: adaptive learning-rate schedulers for PyTorch, and a harness that tests honestly whether
they help. A study compares schedules on tasks over seeds, tunes every schedule with the same
budget, stores every number and writes a report that opens with its verdict."""

EPILOG = """\
first steps:
  lrlab plans                   the studies that ship: what each compares, its trials, how long
  lrlab run                     run the default study (about 9 minutes on 2 cores) and report it
  lrlab run my-plan.toml        your own plan; tasks and schedules may be your own code:
                                [[tasks]] source = "my_task.py:make_task" (see README)
  lrlab status runs/default     how far a study is, and what failed
  lrlab schedules, lrlab tasks  what a plan can name

'lrlab COMMAND --help' says more of each command."""


def _tasks(args: argparse.Namespace) -> int:
    from lrlab.tasks.registry import describe_tasks

    print(describe_tasks())
    print('\nyour own: [[tasks]] source = "my_task.py:make_task", a function that returns '  # on stderr: stdout stays the table
          "lrlab.tasks.UserTask(data, model=..., metrics=...) (README: Your model, your data)", file=sys.stderr)
    return 0


def _plans(args: argparse.Namespace) -> int:
    from lrlab.plans import describe_plans

    print(describe_plans())
    return 0


def _data_ls(args: argparse.Namespace) -> int:
    from lrlab.data import describe_datasets

    print(describe_datasets())
    return 0


def _data_fetch(args: argparse.Namespace) -> int:
    from lrlab.data.listing import fetch_command

    return fetch_command(args.names)


def _schedules(args: argparse.Namespace) -> int:
    from lrlab.schedulers.registry import describe_schedules, describe_spaces

    if args.space and args.kind == "preset":
        raise ValueError("--space lists what [tuning] tunes in a registered schedule; a preset's arguments "
                         "are fixed (lrlab schedules --kind preset shows them by name)")
    print(describe_spaces(kind=args.kind) if args.space else describe_schedules(kind=args.kind))
    print('\nyour own: [[schedules]] source = "my_schedule.py:MyScheduler", any LRScheduler that takes '
          "(optimizer, **args) (README: Your model, your data)", file=sys.stderr)  # stdout stays the table
    return 0


def _run(args: argparse.Namespace) -> int:
    from lrlab.workflow import run_and_report

    outcome = run_and_report(args.plan, args.out, workers=args.workers, device=args.device,
                             executor=args.executor, address=args.address, retry_failed=args.retry_failed)
    return outcome.exit_code


def _report(args: argparse.Namespace) -> int:
    from lrlab.report import write_report

    for path in write_report(args.study, args.out):
        print(path)
    return 0


def _status(args: argparse.Namespace) -> int:
    from lrlab.study.overview import study_status

    print(study_status(args.study))
    return 0


def _ls(args: argparse.Namespace) -> int:
    from lrlab.study.overview import list_studies

    print(list_studies(args.root))
    return 0


def _export(args: argparse.Namespace) -> int:
    from lrlab.study.overview import export_study

    for path in export_study(args.study, args.format, args.out):
        print(path)
    return 0


def _plan(args: argparse.Namespace) -> int:
    from lrlab.ingest import write_plan

    write_plan(args.report, args.out or "-", budget=args.budget)
    return 0


def _reproduce(args: argparse.Namespace) -> int:
    from lrlab.ingest import reproduce

    outcome = reproduce(args.report, args.out, budget=args.budget, workers=args.workers, device=args.device,
                        executor=args.executor, address=args.address)
    return outcome.exit_code


def _research_run(args: argparse.Namespace) -> int:
    from lrlab.research.run import run_research

    outcome = run_research(args.plan, args.out, budget=args.budget, executor=args.executor, workers=args.workers,
                           address=args.address, device=args.device)
    return outcome.exit_code


def _research_summary(args: argparse.Namespace) -> int:
    from lrlab.research.run import research_module

    print(research_module("summary").summary_text(args.run))
    return 0


def _research_adopt(args: argparse.Namespace) -> int:
    from lrlab.research.run import research_module

    print(research_module("adopt").adopt(args.run, args.candidate, args.name, overwrite=args.overwrite))
    return 0


def _meta_train(args: argparse.Namespace) -> int:
    from lrlab.meta import meta_train_cli

    return meta_train_cli(args.plan, args.out, episodes=args.episodes, seed=args.seed)


def build_parser() -> argparse.ArgumentParser:
    from lrlab import __version__
    from lrlab.plans import shipped_plans

    parser = argparse.ArgumentParser(prog="lrlab", description=DESCRIPTION, epilog=EPILOG,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"lrlab {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)
    schedules = commands.add_parser("schedules", help="list every schedule by name, with what it needs")
    schedules.add_argument("--kind", choices=["adaptive", "baseline", "optimizer", "preset"],
                           help="only this kind (preset: the saved presets, e.g. from lrlab research adopt)")
    schedules.add_argument("--space", action="store_true",
                           help="each schedule's default tuning search space (what [tuning] tunes besides the rate)")
    schedules.set_defaults(func=_schedules)

    tasks = commands.add_parser("tasks", help="list every task: its data, models and metrics")
    tasks.set_defaults(func=_tasks)

    plans = commands.add_parser("plans", help="the plans that ship: name, trials, time on 2 cores, title")
    plans.set_defaults(func=_plans)

    data = commands.add_parser("data", help="the data sets lrlab fetches: list them, fetch them")
    data_commands = data.add_subparsers(dest="data_command", required=True)
    data_ls = data_commands.add_parser("ls", help="each data set: source, licence, size, sha256, "
                                                  "whether it is here and where")
    data_ls.set_defaults(func=_data_ls)
    data_fetch = data_commands.add_parser("fetch", help="fetch data sets into the cache ($LRLAB_DATA_DIR, "
                                                        "default ~/.cache/lrlab), each file sha256-checked")
    data_fetch.add_argument("names", nargs="+", metavar="NAME", help="data set names (`lrlab data ls`), or all")
    data_fetch.set_defaults(func=_data_fetch)

    run = commands.add_parser("run", help="run a study (default: the shipped default study) and write its report",
                              description="Run a study and write its report. PLAN is a plan file, or the name of "
                                          f"a shipped plan: {', '.join(shipped_plans())} (`lrlab plans` says what "
                                          "each compares, its trials and how long it takes).")
    run.add_argument("plan", nargs="?", metavar="PLAN",
                     help="plan file, or a shipped plan's name (default: default)")
    run.add_argument("--out", help="study folder (default: runs/<plan name>/)")
    run.add_argument("--workers", type=int, help="worker processes (default: one per core)")
    run.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"],
                     help="where trials train (default auto: CUDA where there is a GPU, else the CPU)")
    run.add_argument("--executor", default="local", choices=["local", "ray"],
                     help="local: worker processes (default); ray: Ray tasks (pip install 'lrlab[ray]')")
    run.add_argument("--address", help="with --executor ray: 'auto' (the cluster this machine is in), "
                                       "'ray://host:port' (Ray Client) or the head's 'host:port'; "
                                       "default: start a local Ray instance")
    run.add_argument("--retry-failed", action="store_true",
                     help="run the trials that failed (their code raised) again; trials the environment stopped "
                          "(disk full, ...) are run again without it")
    run.set_defaults(func=_run)

    report = commands.add_parser("report", help="write a study's report (report.md, report.html, report.json, plots/)")
    report.add_argument("study", help="study folder")
    report.add_argument("--out", help="folder to write the report into (default: the study folder; "
                                      "for a study on read-only media)")
    report.set_defaults(func=_report)

    plan = commands.add_parser("plan", help="read an experiment report into a plan (every mapping decision commented)")
    plan.add_argument("report", help="the experiment report (the format of shared/seeds/)")
    plan.add_argument("-o", "--out", help="plan file to write (default: standard output)")
    plan.add_argument("--budget", default="quick", choices=["quick", "full"],
                      help="quick: offline stand-ins, epochs scaled down (default); full: the report's sizes")
    plan.set_defaults(func=_plan)

    reproduce = commands.add_parser("reproduce", help="plan + run + report of an experiment report, "
                                                      "claimed results beside measured ones")
    reproduce.add_argument("report", help="the experiment report")
    reproduce.add_argument("--budget", default="quick", choices=["quick", "full"])
    reproduce.add_argument("--out", help="study folder (default: runs/<plan name>/)")
    reproduce.add_argument("--workers", type=int, help="worker processes (default: one per core)")
    reproduce.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"])
    reproduce.add_argument("--executor", default="local", choices=["local", "ray"],
                           help="where trials run, as for lrlab run: local processes (default) or Ray tasks")
    reproduce.add_argument("--address", help="with --executor ray: the cluster's address, as for lrlab run")
    reproduce.set_defaults(func=_reproduce)

    research = commands.add_parser(
        "research", help="the automated research loop: search an idea space, confirm the best on held-out tasks")
    research_commands = research.add_subparsers(dest="research_command", required=True)
    research_run = research_commands.add_parser(
        "run", help="search the idea space on the search tasks (Optuna), confirm the top K on held-out tasks "
                    "against tuned baselines, write a report per idea and a summary (resumable)")
    research_run.add_argument("plan", nargs="?", metavar="PLAN",
                              help="research plan file, or a shipped one's name (default: research)")
    research_run.add_argument("--out", help="run folder (default: runs/research/<plan name>/)")
    research_run.add_argument("--budget", help="the search's budget instead of the plan's: candidates (40) or "
                                               "wall clock (30m, 90s, 1.5h)")
    research_run.add_argument("--workers", type=int, help="worker processes (default: one per core)")
    research_run.add_argument("--device", default="cpu", choices=["cpu", "cuda"], help="where trials train")
    research_run.add_argument("--executor", default="local", choices=["local", "ray"],
                              help="local: worker processes (default); ray: Ray tasks (pip install 'lrlab[ray]')")
    research_run.add_argument("--address", help="with --executor ray: the cluster's address, as for lrlab run")
    research_run.set_defaults(func=_research_run)
    research_summary = research_commands.add_parser("summary", help="every candidate of a research run, its search "
                                                                    "value and the confirmed ones' held-out verdict")
    research_summary.add_argument("run", help="research run folder")
    research_summary.set_defaults(func=_research_summary)
    research_adopt = research_commands.add_parser("adopt", help="write a candidate as a named preset that "
                                                                "make_scheduler loads by name")
    research_adopt.add_argument("run", help="research run folder")
    research_adopt.add_argument("candidate", help="idea-1.. or a candidate's number")
    research_adopt.add_argument("--name", help="the preset's name (default: from the run and the candidate)")
    research_adopt.add_argument("--overwrite", action="store_true", help="replace a preset of that name")
    research_adopt.set_defaults(func=_research_adopt)

    meta = commands.add_parser("meta-train", help="meta-train MetaLR's policy over many short runs (resumable)")
    meta.add_argument("plan", help="plan file, or the name of a shipped plan (e.g. meta-train)")
    meta.add_argument("--out", help="folder for the checkpoint and policy.safetensors "
                                    "(default: runs/meta-train/<plan name>)")
    meta.add_argument("--episodes", type=int, default=300, help="short training runs in all (default 300)")
    meta.add_argument("--seed", type=int, default=0, help="seed of the episodes and the policy (default 0)")
    meta.set_defaults(func=_meta_train)

    status = commands.add_parser("status", help="how far a study is, and what failed")
    status.add_argument("study", help="study folder")
    status.set_defaults(func=_status)

    ls = commands.add_parser("ls", help="list the studies under a folder")
    ls.add_argument("--root", default="runs", help="where studies live (default: runs)")
    ls.set_defaults(func=_ls)

    export = commands.add_parser("export", help="export a study's tables (trials, epochs, steps, adjustments)")
    export.add_argument("study", help="study folder")
    export.add_argument("--format", default="csv", choices=["csv", "parquet", "tensorboard"],
                        help="csv or parquet: the store's tables; tensorboard: event files per evaluation trial")
    export.add_argument("--out", help="folder for the files (default: <study>/export)")
    export.set_defaults(func=_export)
    return parser


def _terminate(signum: int, frame: FrameType | None) -> None:
    raise Terminated()


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; every error it expects is one line on stderr, and the exit status says
    what happened (README: the command line)."""
    args = build_parser().parse_args(argv)
    try:
        previous = signal.signal(signal.SIGTERM, _terminate)  # SIGTERM stops as cleanly as Ctrl-C
    except ValueError:  # not the main thread (an embedding program): leave its signals alone
        previous = None
    try:
        return int(args.func(args))
    except LrlabError as error:
        print(f"lrlab: error: {_one_line(error)}", file=sys.stderr)
        return error.exit_code
    except OSError as error:  # a file lrlab could not write or read: a full disk, a read-only folder, ...
        from lrlab.files import ENVIRONMENT_ERRNOS, WriteError, what_happened

        plain = isinstance(error, WriteError) or error.filename is None
        print(f"lrlab: error: {_one_line(error) if plain else f'{error.filename}: {what_happened(error)}'}",
              file=sys.stderr)
        return ENVIRONMENT if error.errno in ENVIRONMENT_ERRNOS else BAD_INPUT
    except (ValueError, sqlite3.Error) as error:  # one clear line, no traceback
        print(f"lrlab: error: {_one_line(error)}", file=sys.stderr)
        return BAD_INPUT
    except Terminated:
        print("lrlab: stopped (SIGTERM)", file=sys.stderr)
        return TERMINATED
    except KeyboardInterrupt:
        print("lrlab: interrupted", file=sys.stderr)
        return INTERRUPTED
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


def _one_line(error: BaseException) -> str:
    lines = str(error).strip().splitlines()
    return " ".join(line.strip() for line in lines) or type(error).__name__


if __name__ == "__main__":
    raise SystemExit(main())
