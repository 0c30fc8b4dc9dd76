"""``## Code Changes``: what adopting the winner means in code, or why nothing changes.

With no winner (``analysis["conclusion"]["winner"] is None``) the section says so and proposes
no change. With one, it shows, in the seeds' ``### File:`` / ``**Original Code:**`` /
``**Updated Code:**`` format: a plain PyTorch loop (before: the task's best baseline, built the
torch way; after: ``make_scheduler`` with the winner's plan arguments, fed exactly the signals it
needs), the same for a Hugging Face ``Trainer``, and the plan of a confirmation study as a
unified diff.
"""

from __future__ import annotations

import difflib
import importlib.util
from typing import Any

from lrlab.report.document import Block, Code, Heading, Paragraph
from lrlab.report.formatting import literal
from lrlab.report.plan_sections import task_entry
from lrlab.report.plan_toml import confirmation_plan, dump_plan

PER_STEP_SIGNALS = {"logits": "logits.detach()", "loss": "loss.item()",
                    "loss_closure": "lambda x=x, y=y: F.cross_entropy(model(x), y)"}
PER_EVAL_SIGNALS = {"val_metrics": "val_metrics", "train_metrics": "train_metrics"}
#: ``TrainingArguments.lr_scheduler_type`` of the baselines transformers has.
HF_SCHEDULER_TYPES = {"constant": "constant", "cosine": "cosine", "linear": "linear",
                      "plateau": "reduce_lr_on_plateau"}


def hf_callback_exists() -> bool:
    return importlib.util.find_spec("lrlab.integrations.hf") is not None


def is_source(name: str) -> bool:
    """Whether a schedule's name is a user's source reference (``file.py:Class``), not a registry name."""
    return ":" in name


def schedule_needs(name: str, args: dict[str, Any]) -> frozenset[str]:
    """What schedule ``name`` built with ``args`` asks the loop for (its instance knows best:
    ``curvature`` with ``mode="hessian"`` also needs ``loss_closure``); the registry's ``needs``
    where it cannot be built on a throw-away optimizer. A user's schedule is not built (a report
    runs no code): empty."""
    import torch

    from lrlab.schedulers import get_schedule, make_scheduler, needs_of

    if is_source(name):
        return frozenset()
    try:
        optimizer = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)
        return needs_of(make_scheduler(name, optimizer, total_steps=100, **args))
    except (ValueError, TypeError, ImportError):
        return get_schedule(name).needs


def _call(function: str, positional: list[str], keywords: dict[str, Any]) -> str:
    parts = positional + [f"{k}={literal(v)}" for k, v in keywords.items()]
    return f"{function}({', '.join(parts)})"


def hparams(analysis: dict[str, Any], task: str) -> dict[str, Any]:
    """The plan's settings for ``task``: ``[defaults]`` with the task's overrides."""
    return {**analysis["plan"].get("defaults", {}), **(task_entry(analysis, task).get("hparams") or {})}


def adopted(analysis: dict[str, Any], task: str, label: str) -> tuple[str, dict[str, Any], dict[str, Any]]:
    """(registry name, arguments, settings) of schedule ``label`` on ``task`` as the deciding track ran
    it: the plan's, with the tuned configuration's rate and arguments in the tuned track."""
    from lrlab.analysis.verdict import chosen_config

    args, hp = dict(analysis["schedule_args"][label]), hparams(analysis, task)
    config = chosen_config(analysis, task, label) if analysis.get("track") == "tuned" else None
    if config is not None:
        args, hp = {**args, **config["args"]}, {**hp, "lr": config["lr"]}
    return analysis["schedule_names"][label], args, hp


def _optimizer(hp: dict[str, Any]) -> tuple[str, str]:
    from lrlab.schedulers.optimizers import OPTIMIZERS

    info = OPTIMIZERS[hp.get("optimizer", "adam")]
    keywords = {"lr": hp.get("lr"), "weight_decay": hp.get("weight_decay", 0.0), **(hp.get("optimizer_args") or {})}
    return f"import {info.module.split('.')[0]}", _call(f"{info.module}.{info.cls}", ["model.parameters()"], keywords)


class Loop:
    """A plain PyTorch training loop with slots for a schedule: the snippets' common skeleton."""

    def __init__(self, hp: dict[str, Any]) -> None:
        self.hp = hp
        self.imports = ["import torch", "import torch.nn.functional as F"]
        self.setup: list[str] = []
        self.per_step: list[str] = []
        self.per_eval: list[str] = []
        self.step_comment = ""
        self.train_loss = False
        self.optimizer_import, self.optimizer = _optimizer(hp)

    def text(self) -> str:
        epochs = self.hp.get("epochs", 10)
        imports = {self.optimizer_import, *self.imports}
        ours = sorted(i for i in imports if i.startswith("from lrlab"))
        lines = sorted(imports - set(ours)) + ([""] + ours if ours else [])
        lines += ["", f"optimizer = {self.optimizer}", *self.setup, "", f"for epoch in range({epochs}):",
                  "    model.train()"]
        lines += ["    train_loss_sum = 0.0"] if self.train_loss else []
        lines += ["    for x, y in train_loader:", "        optimizer.zero_grad()", "        logits = model(x)",
                  "        loss = F.cross_entropy(logits, y)", "        loss.backward()",
                  "        optimizer.step()" + (f"  # {self.step_comment}" if self.step_comment else "")]
        lines += ["        train_loss_sum += loss.item()"] if self.train_loss else []
        lines += [f"        {line}" for line in self.per_step]
        lines += ["    model.eval()", '    val_metrics = evaluate(model, val_loader)  # e.g. {"loss": 0.21, "accuracy": 0.95}']
        if self.train_loss:
            lines.append('    train_metrics = {"loss": train_loss_sum / len(train_loader)}')
        lines += [f"    {line}" for line in self.per_eval]
        return "\n".join(lines)


def _total_steps(loop: Loop) -> None:
    loop.setup.append(f"total_steps = {loop.hp.get('epochs', 10)} * len(train_loader)  # optimizer steps in the run")


def baseline_loop(name: str, args: dict[str, Any], hp: dict[str, Any]) -> Loop:
    """The loop with baseline ``name`` as torch (or transformers) builds it."""
    loop = Loop(hp)
    if hp.get("warmup_steps") and name != "plateau":
        loop.setup.append(f"# the study warmed {name} up linearly over {hp['warmup_steps']} steps first "
                          "(torch LinearLR, then SequentialLR)")
    torch_schedulers = {"cosine": ("CosineAnnealingLR", {"T_max": "total_steps"}),
                        "step": ("StepLR", {"step_size": "total_steps // 3"}),
                        "onecycle": ("OneCycleLR", {"max_lr": literal(hp.get("lr")), "total_steps": "total_steps"})}
    if name == "constant":
        loop.setup.append("# constant learning rate: no scheduler")
    elif name == "plateau":
        monitor = args.get("monitor", "loss")
        keywords = {"mode": "min" if "loss" in monitor else "max", **{k: v for k, v in args.items() if k != "monitor"}}
        loop.setup.append(_call("scheduler = torch.optim.lr_scheduler.ReduceLROnPlateau", ["optimizer"], keywords))
        loop.per_eval.append(f"scheduler.step(val_metrics[{literal(monitor)}])")
    elif name in torch_schedulers:
        cls, required = torch_schedulers[name]
        _total_steps(loop)
        given = {k: v for k, v in args.items() if k not in required}
        positional = ["optimizer"] + [f"{k}={v}" for k, v in required.items() if k not in args]
        loop.setup.append(_call(f"scheduler = torch.optim.lr_scheduler.{cls}", positional, given))
        loop.per_step.append("scheduler.step()")
    elif name == "linear":
        _total_steps(loop)
        loop.imports.append("from transformers import get_linear_schedule_with_warmup")
        loop.setup.append(f"scheduler = get_linear_schedule_with_warmup(optimizer, {hp.get('warmup_steps', 0)}, total_steps)")
        loop.per_step.append("scheduler.step()")
    else:
        return lrlab_loop(name, args, hp)
    return loop


def source_loop(ref: str, args: dict[str, Any], hp: dict[str, Any]) -> Loop:
    """The loop with a user's own scheduler class, ``source = "file.py:Class"`` (not run: the
    arguments the study gave it besides the plan's are named in a comment)."""
    where, _, attribute = ref.rpartition(":")
    module = where.removesuffix(".py").replace("/", ".").split(".")[-1] if where.endswith(".py") else where
    cls = attribute.split(".")[0]
    loop = Loop(hp)
    loop.imports.append(f"from {module} import {cls}")
    _total_steps(loop)
    loop.setup.append(_call("scheduler = " + attribute, ["optimizer"], args)
                      + "  # the study also gave it total_steps= / warmup_steps= where it takes them")
    loop.per_step.append(f"scheduler.step()  # and, if {cls} declares needs, scheduler.observe(...) with them")
    return loop


def lrlab_loop(name: str, args: dict[str, Any], hp: dict[str, Any]) -> Loop:
    """The loop with ``make_scheduler(name, ...)``, fed exactly what that schedule needs.

    A self-tuning optimizer entry (``prodigy``, ``schedulefree_adamw``, ...) replaces the
    optimizer instead, configured by the plan's arguments, and needs no scheduler.
    """
    from lrlab.schedulers import get_schedule

    if is_source(name):
        return source_loop(name, args, hp)
    loop = Loop(hp)
    if get_schedule(name).kind == "optimizer":
        loop.imports.append("from lrlab.schedulers import make_optimizer")
        loop.optimizer = _call("make_optimizer", [literal(name), "model.parameters()"], args)
        loop.setup.append(f"# {name} finds its own step size: no scheduler")
        return loop
    needs = schedule_needs(name, args)
    loop.imports.append("from lrlab.schedulers import make_scheduler")
    _total_steps(loop)
    keywords = dict(args)
    if hp.get("warmup_steps"):
        keywords = {"warmup_steps": hp["warmup_steps"], **keywords}
    loop.setup.append(_call("scheduler = make_scheduler", [literal(name), "optimizer", "total_steps=total_steps"], keywords))
    if "grads" in needs:
        loop.step_comment = f"{name} reads the gradients here, through its optimizer hook"
    step_signals = [f"{k}={v}" for k, v in PER_STEP_SIGNALS.items() if k in needs]
    if step_signals:
        loop.per_step.append(f"scheduler.observe({', '.join(step_signals)})")
    loop.per_step.append("scheduler.step()")
    eval_signals = [f"{k}={v}" for k, v in PER_EVAL_SIGNALS.items() if k in needs]
    if eval_signals:
        loop.per_eval.append(f"scheduler.observe({', '.join(eval_signals)})")
    loop.train_loss = "train_metrics" in needs
    return loop


def _trainer_before(baseline: str, hp: dict[str, Any]) -> str:
    kind = HF_SCHEDULER_TYPES.get(baseline)
    scheduler = (f'    lr_scheduler_type="{kind}",' if kind else
                 f"    # {baseline}: transformers has no lr_scheduler_type for it; it was built as in train.py")
    return "\n".join([
        "from transformers import Trainer, TrainingArguments", "",
        "training_args = TrainingArguments(", '    output_dir="out",', f"    learning_rate={hp.get('lr')!r},",
        f"    num_train_epochs={hp.get('epochs', 10)},", f"    per_device_train_batch_size={hp.get('batch_size', 64)},",
        f"    weight_decay={hp.get('weight_decay', 0.0)!r},", scheduler, '    eval_strategy="epoch",', ")",
        "trainer = Trainer(model=model, args=training_args, train_dataset=train_dataset, eval_dataset=eval_dataset)",
        "trainer.train()"])


def _trainer_script(optimizer_import: str, ours: str, optimizer: str, scheduler: list[str], feeds: str,
                    hp: dict[str, Any]) -> str:
    """The Trainer snippet around the lines that build ``scheduler`` (one shape for every case)."""
    return "\n".join([
        "import math", "", optimizer_import, "from transformers import Trainer, TrainingArguments", "",
        "from lrlab.integrations.hf import AdaptiveLRCallback", ours, "",
        "training_args = TrainingArguments(", '    output_dir="out",', f"    num_train_epochs={hp.get('epochs', 10)},",
        f"    per_device_train_batch_size={hp.get('batch_size', 64)},", '    eval_strategy="epoch",', ")",
        f"optimizer = {optimizer}",
        "batches = math.ceil(len(train_dataset) / training_args.per_device_train_batch_size)",
        "total_steps = training_args.num_train_epochs * batches  # optimizer steps in the run (one device)",
        *scheduler,
        "trainer = Trainer(", "    model=model,", "    args=training_args,", "    train_dataset=train_dataset,",
        "    eval_dataset=eval_dataset,", "    optimizers=(optimizer, scheduler),",
        f"    callbacks=[AdaptiveLRCallback(scheduler)],  # {feeds}", ")",
        "trainer.train()"])


def _trainer_after(name: str, args: dict[str, Any], hp: dict[str, Any]) -> str:
    from lrlab.schedulers import get_schedule

    optimizer_import, optimizer = _optimizer(hp)
    keywords = {"warmup_steps": hp["warmup_steps"], **args} if hp.get("warmup_steps") else dict(args)
    if is_source(name):  # a user's own class: built as the study built it
        loop = source_loop(name, args, hp)
        ours = next(i for i in loop.imports if i.startswith("from ") and "lrlab" not in i)
        built = [line for line in loop.setup if line.startswith("scheduler =")]
        return _trainer_script(optimizer_import, ours, optimizer, built,
                               "feeds the scheduler what its needs declare", hp)
    ours = "from lrlab.schedulers import make_scheduler"
    if get_schedule(name).kind == "optimizer":  # it is the optimizer; its schedule is constant
        optimizer = _call("make_optimizer", [literal(name), "model.parameters()"], args)
        ours, keywords = "from lrlab.schedulers import make_optimizer, make_scheduler", {}
    needs = ", ".join(sorted(schedule_needs(name, args))) or "nothing"
    built = [_call("scheduler = make_scheduler", [literal(name), "optimizer", "total_steps=total_steps"], keywords)]
    return _trainer_script(optimizer_import, ours, optimizer, built,
                           f"feeds the scheduler what it needs: {needs}", hp)


def _file(name: str, before: str, after: str) -> list[Block]:
    return [Heading(3, f"File: {name}"), Paragraph("**Original Code:**"), Code(before, "python"),
            Paragraph("**Updated Code:**"), Code(after, "python")]


def _no_change(analysis: dict[str, Any]) -> str:
    """Why no single change is proposed, in words that agree with the Verdict's per-task choices: a
    schedule that won on some task but lost on another is named with both, and each task keeps
    what the Verdict recommends there (which may be that schedule, on its own tasks)."""
    won: dict[str, list[str]] = {}
    lost: dict[str, list[str]] = {}
    for v in analysis["conclusion"]["verdicts"]:
        if v["verdict"] in ("better", "worse"):
            (won if v["verdict"] == "better" else lost).setdefault(v["proposed"], []).append(v["task"])
    mixed = [f"**{name}** beat the best baseline on {', '.join(tasks)} but was detectably worse on "
             f"{', '.join(lost[name])}" for name, tasks in won.items() if name in lost]
    verdict = analysis.get("verdict")
    if verdict is not None:
        uses = [f"{e['task']}: {e['recommendation']['schedule']}" for e in verdict["tasks"] if e["recommendation"]]
    else:
        best = analysis["best_baseline"]
        uses = [f"{t}: {best[t]['schedule']}" for t in analysis["tasks"] if t in best]
    why = ("; ".join(mixed) + ". So **no" if mixed else
           "No proposed schedule beat the best baseline significantly (validation primary metric, Holm-adjusted "
           "paired t-test) on any task without losing significantly on another, so **no")
    return (f"{why} single change** for every task is proposed here. Per task, use what the Verdict names "
            f"({', '.join(uses) or 'none completed'}); its Conclusion gives the evidence.")


def code_changes(analysis: dict[str, Any]) -> list[Block]:
    """The ``## Code Changes`` section."""
    blocks: list[Block] = [Heading(2, "Code Changes")]
    winner = analysis["conclusion"]["winner"]
    best = analysis["best_baseline"]
    if winner is None:
        blocks.append(Paragraph(_no_change(analysis)))
        return blocks
    label = winner["schedule"]
    task = winner["tasks"][0]
    baseline = best[task]["schedule"]
    name, args, hp = adopted(analysis, task, label)
    base_name, base_args, base_hp = adopted(analysis, task, baseline)
    where = ("the configuration its tuning chose on " + task if analysis.get("track") == "tuned"
             else "its plan arguments")
    blocks.append(Paragraph(
        f"**{label}** beat the best baseline significantly on {', '.join(winner['tasks'])} and lost "
        f"significantly on none (see the Conclusion), so the change adopts it with {where} "
        f"(lr={literal(hp.get('lr'))}; {', '.join(f'`{k}={literal(v)}`' for k, v in args.items()) or 'default arguments'}). "
        f"The snippets use {task}'s settings; before is {task}'s best baseline, **{baseline}**. The scheduler is fed "
        + (f"what its class's `needs` declare (your own schedule, `{name}`: the report runs no code to read them)."
           if is_source(name) else f"exactly what {name} needs: {', '.join(sorted(schedule_needs(name, args))) or 'nothing'}.")))
    blocks += _file("train.py", baseline_loop(base_name, base_args, base_hp).text(), lrlab_loop(name, args, hp).text())
    blocks += _file("train_hf.py", _trainer_before(base_name, base_hp), _trainer_after(name, args, hp))
    if not hf_callback_exists():
        blocks.append(Paragraph("The `Trainer` snippet shows the intended usage: `lrlab.integrations.hf` "
                                "(`AdaptiveLRCallback`) is not part of this version of lrlab yet."))
    before, after = dump_plan(analysis["plan"]), dump_plan(confirmation_plan(analysis))
    plan_name = analysis["plan"].get("name", "plan")
    diff = "\n".join(difflib.unified_diff(before.splitlines(), after.splitlines(), lineterm="",
                                          fromfile=f"{plan_name}.toml (this study's plan, normalised)",
                                          tofile=f"{plan_name}-confirm.toml"))
    seeds = confirmation_plan(analysis)["seeds"]
    kept = sorted({best[t]["schedule"] for t in analysis["tasks"] if t in best},
                  key=[*analysis["proposed"], *analysis["baselines"]].index)
    blocks += [Heading(3, f"File: {plan_name}-confirm.toml"), Paragraph(
        f"A confirmation study: the same tasks and settings, only **{label}** against this study's best "
        f"baseline(s) ({', '.join(kept)}), on {len(seeds)} fresh seeds (this study's seeds chose the "
        f"winner, so they cannot confirm it); run it with `lrlab run {plan_name}-confirm.toml`."),
        Code(diff, "diff")]
    return blocks
