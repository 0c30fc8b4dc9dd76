import re

import pytest
import torch

from lrlab.tasks import build_model, get_task, list_models, list_tasks
from lrlab.tasks.models import MODELS
from lrlab.tasks.registry import FETCHED_TASKS, HUB_TASKS

# (input shape, classes) of the embedded tasks, checked against their data below (the hub
# tasks' data are checked on fixtures in test_hub_*.py).
TASK_SHAPES = {
    "mnist1d": ((40,), 10),
    "digits": ((1, 8, 8), 10),
    "breast_cancer": ((30,), 2),
    "wine": ((13,), 3),
}
# The shapes each model should take: those of its tasks and of images and sequences plans bring.
SHAPES_EACH_MODEL_TAKES = {
    "mlp": [(40,), (1, 8, 8), (3, 32, 32)],
    "fcnn": [(30,), (13,)],
    "cnn1d": [(40,), (3, 40), (2, 5)],
    "gru_attention": [(40,), (12, 3)],
    "lstm_attention": [(40,), (12, 3)],
    "bilstm": [(40,), (12, 3)],
    "cnn": [(1, 8, 8), (8, 8), (3, 32, 32), (1, 28, 28)],
    "lenet5": [(1, 28, 28), (28, 28), (3, 32, 32), (1, 12, 12)],
    "resnet_small": [(1, 8, 8), (8, 8)],
    "resnet18": [(1, 8, 8), (3, 32, 32)],
    "resnet50": [(1, 8, 8), (3, 32, 32)],
}
CASES = sorted(
    {(name, *TASK_SHAPES[task]) for task in TASK_SHAPES for name in get_task(task).models}
    | {(name, shape, 10) for name, shapes in SHAPES_EACH_MODEL_TAKES.items() for shape in shapes}
)


def test_task_shapes_here_are_those_of_the_data():
    # fortunes: tested in test_fortunes.py; the fetched tasks in test_fetched_tasks.py
    assert sorted({*TASK_SHAPES, *HUB_TASKS, *FETCHED_TASKS, "fortunes"}) == list_tasks()
    loaded = {task: get_task(task).load() for task in TASK_SHAPES}
    assert {task: (d.input_shape, d.num_classes) for task, d in loaded.items()} == TASK_SHAPES


def test_every_model_is_listed_and_covered():
    assert list_models() == sorted(MODELS) == sorted(SHAPES_EACH_MODEL_TAKES)


@pytest.mark.parametrize(("name", "shape", "num_classes"), CASES)
def test_model_gives_logits_and_finite_gradients(name, shape, num_classes):
    torch.manual_seed(0)
    model = build_model(name, shape, num_classes, width=8 if name == "resnet50" else None)
    inputs = torch.randn(4, *shape)
    logits = model(inputs)
    assert logits.shape == (4, num_classes)
    torch.nn.functional.cross_entropy(logits, torch.arange(4) % num_classes).backward()
    grads = [p.grad for p in model.parameters()]
    assert all(g is not None and torch.isfinite(g).all() for g in grads)
    assert any(g.abs().sum() > 0 for g in grads)


@pytest.mark.parametrize("name", ["resnet18", "resnet50"])
@pytest.mark.parametrize("shape", [(3, 32, 32), (1, 8, 8)])
def test_cifar_resnets_at_full_width_take_32_and_8_pixel_images(name, shape):
    model = build_model(name, shape, 10).eval()
    with torch.no_grad():
        assert model(torch.randn(2, *shape)).shape == (2, 10)


def test_cifar_resnet18_has_the_usual_size():
    model = build_model("resnet18", (3, 32, 32), 10)
    assert sum(p.numel() for p in model.parameters()) == 11_173_962


def test_binary_tasks_get_two_logits():
    assert build_model("fcnn", (30,), 2)(torch.randn(3, 30)).shape == (3, 2)


def test_same_seed_builds_the_same_model():
    torch.manual_seed(3)
    first = build_model("gru_attention", (40,), 10)
    torch.manual_seed(3)
    second = build_model("gru_attention", (40,), 10)
    for a, b in zip(first.parameters(), second.parameters(), strict=True):
        assert torch.equal(a, b)


def test_width_and_dropout_reach_the_model():
    narrow = build_model("mlp", (40,), 10, width=16)
    wide = build_model("mlp", (40,), 10, width=64)
    assert sum(p.numel() for p in narrow.parameters()) < sum(p.numel() for p in wide.parameters())
    model = build_model("cnn", (1, 8, 8), 10, dropout=0.5)
    assert any(isinstance(m, torch.nn.Dropout) and m.p == 0.5 for m in model.modules())


def test_few_sgd_steps_reduce_training_loss_of_mlp_on_digits():
    torch.manual_seed(0)
    data = get_task("digits").load()
    model = build_model("mlp", data.input_shape, data.num_classes)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.5)
    losses = []
    for _ in range(20):
        loss = torch.nn.functional.cross_entropy(model(data.train.x), data.train.y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    assert losses[-1] < 0.7 * losses[0]
    assert all(later < earlier for earlier, later in zip(losses[:5], losses[1:6], strict=True))


@pytest.mark.parametrize("task_name", sorted(TASK_SHAPES))
def test_default_model_of_each_task_fits_its_training_data(task_name):
    torch.manual_seed(0)
    task = get_task(task_name)
    data = task.load()
    x, y = data.train.x[:512], data.train.y[:512]
    model = build_model(task.default_model, data.input_shape, data.num_classes)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
    first = None
    for _ in range(25):
        loss = torch.nn.functional.cross_entropy(model(x), y)
        first = loss.item() if first is None else first
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    assert loss.item() < 0.7 * first


def test_unknown_model_names_the_model_and_the_known_ones():
    with pytest.raises(ValueError, match=r"unknown model 'vgg16'.*resnet18"):
        build_model("vgg16", (3, 32, 32), 10)


@pytest.mark.parametrize(
    ("name", "shape", "allowed"),
    [
        ("cnn", (40,), r"\(H, W\) or \(C, H, W\)"),
        ("resnet18", (30,), r"\(H, W\) or \(C, H, W\)"),
        ("cnn1d", (1, 8, 8), r"\(L,\) or \(C, L\)"),
        ("gru_attention", (1, 8, 8), r"\(L,\) signals or \(L, F\)"),
        ("bilstm", (), r"\(L,\) signals"),
        ("mlp", (), "any shape"),
        ("cnn", (0, 8, 8), "positive integer sizes"),
    ],
)
def test_shape_a_model_cannot_take_is_rejected_with_what_it_takes(name, shape, allowed):
    expected = rf"model '{name}' cannot take input shape {re.escape(str(shape))}.*{allowed}"
    with pytest.raises(ValueError, match=expected):
        build_model(name, shape, 10)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"num_classes": 1}, "num_classes"),
        ({"dropout": 1.0}, "dropout"),
        ({"dropout": -0.1}, "dropout"),
        ({"width": 0}, "width"),
    ],
)
def test_bad_arguments_are_rejected(kwargs, message):
    arguments = {"name": "mlp", "input_shape": (40,), "num_classes": 10} | kwargs
    with pytest.raises(ValueError, match=message):
        build_model(**arguments)


def test_lenet5_has_lenet5s_size_and_refuses_what_it_cannot_take():
    model = build_model("lenet5", (1, 28, 28), 10)
    assert sum(p.numel() for p in model.parameters()) == 61_706  # 6 and 16 maps, 120 and 84 units
    with pytest.raises(ValueError, match=r"'lenet5' cannot take input shape \(1, 8, 8\): images must be at least 12x12"):
        build_model("lenet5", (1, 8, 8), 10)
    with pytest.raises(ValueError, match="width must be None"):
        build_model("lenet5", (1, 28, 28), 10, width=8)
