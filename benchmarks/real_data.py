"""The fetched real-data tasks: what an epoch of each default model costs on one CPU thread, and
the test accuracy Adam at a constant rate reaches, beside a published reference.

Each row trains ``run_trial`` (the study's own loop: per-step records, per-epoch validation and
checkpoint, the test once at the end) with the ``constant`` schedule and Adam, on one torch
thread, for each seed. Seconds per epoch are the loop's own training seconds (the epoch records'
``elapsed``, which leaves out evaluation) divided by the epochs; the evaluation after each epoch
(train and validation metrics) is shown apart (``eval s/epoch``: the summary's wall time less the
training time, per epoch), and so is the one-off cost of loading the data, building the model
and the final test (``setup s``: the call's wall time less the loop's). Wall times grow when
other processes hold the core; ``CPU s/epoch`` (this process's CPU time for the whole call, per
epoch: training, evaluation and setup) does not, and is what a study on idle cores would see. Test accuracy and ROC-AUC: mean and standard deviation over the seeds. The data
must be fetched first (``lrlab data fetch all``).

How to run::

    nice -n 10 python benchmarks/real_data.py                  # every row, 3 seeds (~15 min)
    python benchmarks/real_data.py --rows letter adult --seeds 0 1
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import torch

from lrlab.train import TrialSpec
from lrlab.train.trial import run_trial


@dataclass(frozen=True)
class Row:
    key: str
    task: str
    model: str
    batch_size: int
    epochs: int
    lr: float = 1e-3
    reference: str = ""


ROWS = (
    Row("fashion_mnist_10k", "fashion_mnist_10k", "lenet5", 64, 15,
        reference="0.916 (2 conv + pooling, TensorFlow tutorial; full train set) in Zalando's benchmark table"),
    Row("fashion_mnist_10k-mlp", "fashion_mnist_10k", "mlp", 64, 15,
        reference="0.883 (MLP 256-128-100; full train set) in Zalando's benchmark table"),
    Row("fashion_mnist", "fashion_mnist", "lenet5", 64, 10,
        reference="0.916 (2 conv + pooling, TensorFlow tutorial) in Zalando's benchmark table"),
    Row("mnist5k", "mnist5k", "lenet5", 64, 20,
        reference="none for this subset (LeNet-5 on all of MNIST: 0.99, LeCun et al. 1998)"),
    Row("adult", "adult", "fcnn", 128, 10,
        reference="0.845-0.859 (C4.5 15.54 % error, NBTree 14.10 %; UCI's adult.names, same train/test split)"),
    Row("letter", "letter", "fcnn", 64, 30,
        reference="a little over 0.80 (Frey and Slate 1991, same 16000/4000 split)"),
    Row("rotten_tomatoes", "rotten_tomatoes", "bilstm", 64, 6,
        reference="0.761 (CNN-rand, words learned from scratch, Kim 2014; MR, 10-fold CV: kin, not this split)"),
)


def measure(row: Row, seed: int) -> dict:
    metrics = ("loss", "accuracy", "roc_auc") if row.task in ("adult", "rotten_tomatoes") else ("loss", "accuracy")
    spec = TrialSpec(task=row.task, model=row.model, metrics=metrics, schedule="constant",
                     schedule_label="constant", seed=seed, lr=row.lr, batch_size=row.batch_size,
                     epochs=row.epochs)
    with tempfile.TemporaryDirectory() as folder:
        started, cpu_started = time.perf_counter(), time.process_time()
        result = run_trial(spec, Path(folder) / "trial")
        wall, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    if result.status != "completed":
        raise RuntimeError(f"{row.key} seed {seed}: {result.status}: {result.error}")
    train_seconds = result.epochs[-1]["elapsed"]
    loop_seconds = result.summary["wall_seconds"]  # training and evaluation
    return {"row": row.key, "seed": seed, "train_s_per_epoch": train_seconds / row.epochs,
            "eval_s_per_epoch": (loop_seconds - train_seconds) / row.epochs,
            "setup_s": wall - loop_seconds, "cpu_s_per_epoch": cpu / row.epochs,
            "test_accuracy": result.test["accuracy"], "test_roc_auc": result.test.get("roc_auc"),
            "val_accuracy": result.epochs[-1]["val"]["accuracy"], "wall_s": wall}


def _mean_sd(values: list[float]) -> str:
    if len(values) == 1:
        return f"{values[0]:.3f}"
    return f"{statistics.mean(values):.3f} ± {statistics.stdev(values):.3f}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", nargs="*", default=[r.key for r in ROWS], choices=[r.key for r in ROWS])
    parser.add_argument("--seeds", nargs="*", type=int, default=[0, 1, 2])
    parser.add_argument("--jsonl", help="also append each measurement to this file")
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    print(f"# {time.strftime('%Y-%m-%d')}, {platform.processor() or platform.machine()}, "
          f"torch {torch.__version__}, 1 thread", file=sys.stderr)
    lines = ["| task | model | batch | epochs | train s/epoch | eval s/epoch | setup s | CPU s/epoch "
             "(all) | test accuracy (Adam, constant 1e-3) | published reference |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for row in (r for r in ROWS if r.key in args.rows):
        found = []
        for seed in args.seeds:
            found.append(measure(row, seed))
            print(json.dumps(found[-1]), file=sys.stderr, flush=True)
            if args.jsonl:
                with open(args.jsonl, "a", encoding="utf-8") as out:
                    out.write(json.dumps(found[-1]) + "\n")
        accuracy = _mean_sd([f["test_accuracy"] for f in found])
        auc = [f["test_roc_auc"] for f in found if f["test_roc_auc"] is not None]
        lines.append(f"| {row.task} | {row.model} | {row.batch_size} | {row.epochs} | "
                     f"{statistics.median(f['train_s_per_epoch'] for f in found):.2f} | "
                     f"{statistics.median(f['eval_s_per_epoch'] for f in found):.2f} | "
                     f"{statistics.median(f['setup_s'] for f in found):.1f} | "
                     f"{statistics.median(f['cpu_s_per_epoch'] for f in found):.2f} | {accuracy}"
                     + (f" (ROC-AUC {_mean_sd(auc)})" if auc else "") + f" | {row.reference} |")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
