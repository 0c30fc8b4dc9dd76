"""One registry: names to schedules, torch/transformers baselines, self-tuning optimizers."""

from __future__ import annotations

import pytest
import torch
from torch.optim import lr_scheduler as torch_sched

from lrlab.schedulers import SCHEDULES, get_schedule, make_optimizer, make_scheduler, needs_of


def sgd(lr: float = 0.1) -> torch.optim.Optimizer:
    return torch.optim.SGD(torch.nn.Linear(2, 1).parameters(), lr=lr, momentum=0.9)


def test_every_adaptive_and_baseline_name_builds():
    for name, info in SCHEDULES.items():
        if info.kind == "optimizer":
            opt = make_optimizer(name, torch.nn.Linear(2, 1).parameters())
        else:
            opt = sgd()
        sched = make_scheduler(name, opt, total_steps=50)
        assert isinstance(sched, torch_sched.LRScheduler), name


def test_baselines_are_torch_and_transformers_classes():
    assert type(make_scheduler("constant", sgd())) is torch_sched.ConstantLR
    assert type(make_scheduler("step", sgd(), total_steps=30)) is torch_sched.StepLR
    assert type(make_scheduler("cosine", sgd(), total_steps=30)) is torch_sched.CosineAnnealingLR
    assert type(make_scheduler("cosine", sgd(), total_steps=30, warmup_steps=5)) is torch_sched.SequentialLR
    assert type(make_scheduler("onecycle", sgd(), total_steps=30)) is torch_sched.OneCycleLR
    assert isinstance(make_scheduler("plateau", sgd()), torch_sched.ReduceLROnPlateau)
    linear = make_scheduler("linear", sgd(), total_steps=30, warmup_steps=10)
    assert type(linear) is torch_sched.LambdaLR and linear.lr_lambdas[0].func.__module__.startswith("transformers")


def test_cosine_with_warmup_path():
    opt = sgd(1.0)
    sched = make_scheduler("cosine", opt, total_steps=20, warmup_steps=4)
    lrs = [sched.get_last_lr()[0]]
    for _ in range(20):
        opt.step()
        sched.step()
        lrs.append(sched.get_last_lr()[0])
    assert lrs[:5] == pytest.approx([0.25, 0.5, 0.75, 1.0, 1.0])
    assert lrs[12] == pytest.approx(0.5, abs=0.01)  # half way through the cosine
    assert lrs[20] == pytest.approx(0.0, abs=1e-9)


def test_plateau_speaks_the_observe_protocol():
    opt = sgd(1.0)
    sched = make_scheduler("plateau", opt, patience=0, factor=0.5)
    assert needs_of(sched) == {"val_metrics"}
    sched.step()  # per-iteration step: no change
    for v in (1.0, 1.0, 1.0):
        sched.observe(val_metrics={"loss": v})
    assert opt.param_groups[0]["lr"] == pytest.approx(0.25)


def test_needs_of_torch_schedulers_is_empty():
    assert needs_of(make_scheduler("constant", sgd())) == frozenset()
    assert needs_of(make_scheduler("entropy", sgd())) == {"logits"}


@pytest.mark.parametrize("call, match", [
    (lambda: make_scheduler("warp", sgd()), "unknown schedule 'warp'"),
    (lambda: make_scheduler("entropy", sgd(), theshold=0.5), r"does not take \['theshold'\]"),
    (lambda: make_scheduler("cosine", sgd()), "needs total_steps"),
    (lambda: make_scheduler("cosine", sgd(), total_steps=10, warmup_steps=10), "warmup_steps"),
    (lambda: make_scheduler("constant", sgd(), warmup_steps=-2), "warmup_steps"),
    (lambda: make_scheduler("prodigy", sgd()), "make_optimizer"),
    (lambda: make_scheduler("plateau", sgd(), warmup_steps=3), "no warm-up"),
    (lambda: make_optimizer("adamx", []), "unknown optimizer"),
    (lambda: make_optimizer("sgd", torch.nn.Linear(1, 1).parameters()), "needs lr"),
    (lambda: make_optimizer("adam", torch.nn.Linear(1, 1).parameters(), lr=-1.0), "lr must be > 0"),
    (lambda: make_optimizer("adam", torch.nn.Linear(1, 1).parameters(), lr=1e-3, mommentum=0.9), "does not take"),
])
def test_bad_names_and_arguments_raise_value_error(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_self_tuning_optimizers_come_from_their_packages():
    modules = {"schedulefree_adamw": "schedulefree", "prodigy": "prodigyopt", "dadapt_adam": "dadaptation", "dog": "dog"}
    for name, module in modules.items():
        opt = make_optimizer(name, torch.nn.Linear(2, 1).parameters())
        assert type(opt).__module__.split(".")[0] == module
        assert get_schedule(name).kind == "optimizer"


def test_self_tuning_optimizer_trains_a_real_model(blobs):
    x, y = blobs
    model = torch.nn.Sequential(torch.nn.Linear(10, 16), torch.nn.Tanh(), torch.nn.Linear(16, 3))
    opt = make_optimizer("prodigy", model.parameters())
    sched = make_scheduler("prodigy", opt)
    losses = []
    for _ in range(60):
        opt.zero_grad(set_to_none=True)
        loss = torch.nn.functional.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        sched.step()
        losses.append(loss.item())
    assert losses[-1] < 0.5 * losses[0]


def test_prodigy_cosine_is_prodigy_annealed_over_the_run():
    from prodigyopt import Prodigy

    assert get_schedule("prodigy_cosine").kind == "optimizer"
    opt = make_optimizer("prodigy_cosine", torch.nn.Linear(2, 1).parameters())
    assert type(opt) is Prodigy and opt.param_groups[0]["lr"] == 1.0  # the package's default multiplier
    sched = make_scheduler("prodigy_cosine", opt, total_steps=10)
    rates = []
    for _ in range(10):
        opt.step()
        sched.step()
        rates.append(sched.get_last_lr()[0])
    assert rates[4] == pytest.approx(0.5) and rates[-1] == pytest.approx(0.0, abs=1e-12)  # cosine from 1 to 0
    assert type(make_scheduler("prodigy", make_optimizer("prodigy", torch.nn.Linear(2, 1).parameters()))) \
        is torch_sched.ConstantLR  # plain prodigy keeps its constant schedule
    with pytest.raises(ValueError, match="make_optimizer"):
        make_scheduler("prodigy_cosine", sgd(), total_steps=10)
