"""A user's own task: the function's return checked, its data and model used as the built-in tasks' are."""

from __future__ import annotations

import pytest
import torch

from lrlab.source import SourceError, resolve
from lrlab.tasks.user import OWN_MODEL, load_source_task
from user_code import REGRESSION, TASK, write


def test_a_user_task_gives_its_data_its_model_and_its_metrics(tmp_path):
    write(tmp_path, "my_task.py", TASK)
    task = load_source_task(resolve("my_task.py:make_task", tmp_path))
    assert task.description == "Two interleaved spirals, 300 / 100 / 100 points."
    assert (task.default_model, task.metrics, task.classification) == (OWN_MODEL, ("loss", "accuracy", "roc_auc"), True)
    assert "mlp" in task.models  # lrlab's models fit its tensors too
    data = task.load_for(OWN_MODEL)
    assert (len(data.train), len(data.val), len(data.test), data.num_classes) == (300, 100, 100, 2)
    torch.manual_seed(0)
    first = task.build_model(OWN_MODEL, data, dropout=0.25)
    torch.manual_seed(0)
    again = task.build_model(OWN_MODEL, data, dropout=0.25)
    assert type(first).__name__ == "SpiralNet" and first.net[2].p == 0.25
    assert all(torch.equal(a, b) for a, b in zip(first.parameters(), again.parameters(), strict=True))
    assert type(task.build_model("mlp", data)).__name__ == "MLP"
    with pytest.raises(ValueError, match="model 'resnet_tiny' is not this task's"):
        task.check_model("resnet_tiny")


def test_checking_the_model_moves_no_random_numbers(tmp_path):
    write(tmp_path, "my_task.py", TASK)
    torch.manual_seed(3)
    expected = torch.rand(3)
    torch.manual_seed(3)
    load_source_task(resolve("my_task.py:make_task", tmp_path))
    assert torch.equal(torch.rand(3), expected)


def test_bare_task_data_trains_lrlab_models(tmp_path):
    write(tmp_path, "my_task.py", TASK)
    task = load_source_task(resolve("my_task.py:bare_data", tmp_path))
    assert (task.default_model, task.metrics) == ("mlp", ("loss", "accuracy", "macro_f1", "roc_auc"))
    assert OWN_MODEL not in task.models


def test_a_regression_objective_has_its_own_metrics_and_model(tmp_path):
    write(tmp_path, "regression.py", REGRESSION)
    task = load_source_task(resolve("regression.py:make_regression", tmp_path))
    assert (task.classification, task.metrics, task.metric_choices) == (False, ("loss", "mae"), ("loss", "mae"))
    assert task.default_model == "linear" and task.models == ("linear",)
    assert isinstance(task.build_model("linear", task.load_for("linear")), torch.nn.Linear)


BROKEN = '''
import torch
from torch import nn

from lrlab.tasks import Split, TaskData, UserTask


def data(labels=None):
    x = torch.randn(6, 2)
    y = torch.tensor(labels or [0, 1, 0, 1, 0, 1])
    return TaskData(Split(x, y), Split(x, y), Split(x, y), num_classes=2, input_shape=(2,))


def returns_a_dict():
    return {"train": []}


def takes_arguments(path):
    return data()


def raises():
    raise FileNotFoundError("data.csv")


def wrong_shape():
    return UserTask(data(), model=lambda: nn.Linear(2, 3))


def labels_out_of_range():
    return data([0, 1, 2, 0, 1, 2])


def unknown_metric():
    return UserTask(data(), metrics=("loss", "bleu"))


def no_dropout_model():
    return UserTask(data(), model=lambda: nn.Linear(2, 2))


NOT_A_FUNCTION = 3
'''


@pytest.mark.parametrize(("name", "message"), [
    ("returns_a_dict", r"returns_a_dict: returned dict; a task function returns lrlab\.tasks\.UserTask"),
    ("takes_arguments", r"takes_arguments: a task function takes no arguments; this one needs \['path'\]"),
    ("raises", r"raises: calling it raised FileNotFoundError: data\.csv"),
    ("wrong_shape", r"wrong_shape: the model maps a batch of 2 training examples to \(2, 3\); expected "
                    r"logits of shape \(2, 2\)"),
    ("labels_out_of_range", r"TaskData\.train\.y has labels outside \[0, 2\)"),
    ("unknown_metric", r"unknown metric\(s\) \['bleu'\]"),
    ("NOT_A_FUNCTION", r"NOT_A_FUNCTION: is a int, not a function"),
])
def test_a_wrong_task_is_one_line_naming_the_file_and_what_is_wrong(tmp_path, name, message):
    path = write(tmp_path, "broken.py", BROKEN)
    with pytest.raises(SourceError, match=message) as error:
        load_source_task(resolve(f"broken.py:{name}", tmp_path))
    assert str(error.value).startswith(str(path)) and "\n" not in str(error.value)


def test_dropout_needs_a_builder_that_takes_it(tmp_path):
    write(tmp_path, "broken.py", BROKEN)
    task = load_source_task(resolve("broken.py:no_dropout_model", tmp_path))
    task.check_dropout(0.0)
    with pytest.raises(ValueError, match="dropout = 0.1 is set, but the task's model builder takes no 'dropout'"):
        task.check_dropout(0.1)
