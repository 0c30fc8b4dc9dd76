"""The CUDA path, end to end, and real-size step times on a GPU.

Part 1 (``--check``): one short ``run_trial`` per kind of workload on ``cuda`` with the default
precision (bf16 autocast): an in-memory classifier (digits, CNN), a Hugging Face model on a text
task (tiny BERT on an IMDB-schema fixture), SQuAD v2 and LibriSpeech through their objectives and
DataLoader workers (fixtures in the hub's schema, built by the test helpers in ``tests/tasks``).
It prints each trial's status, test metrics and peak GPU memory.

Part 2 (always): BERT-base-sized sequence classification (110 M parameters, random weights from
``BertConfig()``: the speed of a step does not depend on the weights), batch 32 x 128 tokens, AdamW:
median time per step in fp32 and under bf16 autocast, and the per-step overhead of EntropyLR
(``observe(logits=...)`` each step) against a constant rate, measured interleaved in one run.

How to run (a GPU machine; the fixtures need ``datasets``, ``soundfile``, ``jiwer``)::

    python benchmarks/gpu.py --check --tokenizer FOLDER   # FOLDER: a BERT WordPiece tokenizer
    python benchmarks/gpu.py                              # timings only

It is a benchmark, not a test: it prints a table and exits 0 unless CUDA is missing.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
import traceback
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]


def check_trials(tokenizer: str, device: str = "cuda") -> None:
    import os

    sys.path.insert(0, str(ROOT / "tests"))
    from transformers import AutoTokenizer, BertConfig, BertForSequenceClassification

    import lrlab.tasks.pretrained as pretrained
    from lrlab.train import TrialSpec, run_trial
    from tasks.hub_fixtures import build_hub_dir
    from tasks.librispeech_fixtures import save_model_folder
    from tasks.squad_fixtures import save_tiny_qa_model

    work = Path(tempfile.mkdtemp())
    pretrained.minilm_folder = lambda: Path(tokenizer)  # the fixtures' BERT tokenizer
    hub = build_hub_dir(work / "hub")
    os.environ["LRLAB_DATA_DIR"] = str(hub)
    os.environ["HF_HUB_OFFLINE"] = "1"
    bert = work / "tiny-bert"
    words = AutoTokenizer.from_pretrained(tokenizer)
    words.save_pretrained(str(bert))
    BertForSequenceClassification(BertConfig(vocab_size=len(words), hidden_size=64, num_hidden_layers=2,
                                             num_attention_heads=2, intermediate_size=128)).save_pretrained(str(bert))
    cases = [
        ("digits", "cnn", ("loss", "accuracy", "macro_f1"), 64),
        ("imdb", str(bert), ("loss", "accuracy", "roc_auc"), 8),
        ("squad_v2", str(save_tiny_qa_model(work / "qa", Path(tokenizer), max_positions=512)), ("loss", "exact", "f1"), 4),
        ("librispeech", str(save_model_folder(work / "w2v")), ("loss", "wer", "cer"), 2),
    ]
    print("\n| task | model | schedule | status | precision | test | peak GPU MiB |")
    print("|---|---|---|---|---|---|---|")
    for task, model, metrics, batch in cases:
        spec = TrialSpec(task=task, model=model, metrics=metrics, schedule="entropy", schedule_label="entropy",
                         seed=0, lr=1e-3, batch_size=batch, epochs=2, device=device)
        try:
            result = run_trial(spec, work / "trials" / task)
        except Exception:  # noqa: BLE001 - a benchmark reports and goes on
            traceback.print_exc()
            continue
        test = ", ".join(f"{k} {v:.3f}" for k, v in (result.test or {}).items())
        name = Path(model).name if "/" in model else model
        print(f"| {task} | {name} | entropy | {result.status} | auto (bf16) | {test or result.error} | "
              f"{result.summary.get('cuda_peak_mb')} |")


class Variant:
    """One BERT-base classifier, its AdamW and a schedule, trained in the given precision."""

    def __init__(self, precision: str, schedule: str, total_steps: int) -> None:
        from transformers import BertConfig, BertForSequenceClassification

        from lrlab.schedulers import make_scheduler, needs_of

        torch.manual_seed(0)
        self.model = BertForSequenceClassification(BertConfig(num_labels=4)).cuda()
        self.optimizer = torch.optim.AdamW(self.model.parameters(), lr=2e-5)
        self.scheduler = make_scheduler(schedule, self.optimizer, total_steps=total_steps)
        self.needs = needs_of(self.scheduler)
        self.dtype = torch.bfloat16 if precision == "bf16" else None

    def seconds_per_step(self, ids: torch.Tensor, labels: torch.Tensor, steps: int) -> float:
        torch.cuda.synchronize()
        start = time.perf_counter()
        for _ in range(steps):
            self.optimizer.zero_grad(set_to_none=True)
            with torch.autocast("cuda", dtype=self.dtype, enabled=self.dtype is not None):
                out = self.model(input_ids=ids, labels=labels)
            out.loss.backward()
            self.optimizer.step()
            if "logits" in self.needs:
                self.scheduler.observe(logits=out.logits.detach().float())
            self.scheduler.step()
        torch.cuda.synchronize()
        return (time.perf_counter() - start) / steps


def timings(steps: int, rounds: int) -> None:
    """Every variant trains ``steps`` steps per round, in an order shuffled per round (so that
    clock and thermal drift hit all alike); ratios are medians of per-round ratios."""
    import random

    keys = [("fp32", "constant"), ("bf16", "constant"), ("bf16", "entropy"), ("fp32", "entropy")]
    variants = {key: Variant(*key, total_steps=steps * (rounds + 1)) for key in keys}
    ids = torch.randint(1000, 30000, (32, 128), device="cuda")
    labels = torch.randint(0, 4, (32,), device="cuda")
    for variant in variants.values():  # warm-up: kernels, cuBLAS handles, optimizer state
        variant.seconds_per_step(ids, labels, 3)
    times: dict[tuple[str, str], list[float]] = {key: [] for key in keys}
    order = random.Random(0)
    for _ in range(rounds):
        for key in order.sample(keys, len(keys)):
            times[key].append(variants[key].seconds_per_step(ids, labels, steps))

    def ratio(key: tuple[str, str], base: tuple[str, str]) -> float:
        return statistics.median(a / b for a, b in zip(times[key], times[base], strict=True))

    print(f"\nBERT-base classification (110 M parameters), batch 32 x 128, AdamW, "
          f"{torch.cuda.get_device_name()}, {rounds} interleaved rounds x {steps} steps")
    print("| precision | schedule | ms / step (median) | ratio to constant, same precision | ratio to fp32 constant |")
    print("|---|---|---|---|---|")
    for key in keys:
        print(f"| {key[0]} | {key[1]} | {1000 * statistics.median(times[key]):.1f} | "
              f"{ratio(key, (key[0], 'constant')):.3f} | {ratio(key, ('fp32', 'constant')):.3f} |")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="run one short trial per workload on cuda")
    parser.add_argument("--tokenizer", help="a BERT WordPiece tokenizer folder, for --check")
    parser.add_argument("--cpu", action="store_true", help="--check on the CPU (no timings): to try the script")
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    if args.cpu:
        check_trials(args.tokenizer, "cpu")
        return 0
    if not torch.cuda.is_available():
        print("no CUDA device here", file=sys.stderr)
        return 1
    print(f"torch {torch.__version__}, {torch.cuda.get_device_name()}, bf16 {torch.cuda.is_bf16_supported()}")
    if args.check:
        check_trials(args.tokenizer)
    timings(args.steps, args.rounds)
    return 0


if __name__ == "__main__":
    sys.exit(main())
