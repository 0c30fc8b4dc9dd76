import numpy as np
import pytest
import torch

from lrlab.tasks import Task, TaskData, get_task, list_tasks
from lrlab.tasks.registry import FETCHED_TASKS, HUB_TASKS, TASKS

# (train, val, test) sizes of each embedded task (the hub tasks are tested on fixtures in
# test_hub_*.py).
SIZES = {
    "mnist1d": (3200, 800, 1000),
    "digits": (1077, 360, 360),
    "breast_cancer": (341, 114, 114),
    "wine": (106, 36, 36),
}


@pytest.fixture(scope="module", params=sorted(SIZES))
def task_and_data(request) -> tuple[Task, TaskData]:
    task = get_task(request.param)
    return task, task.load()


def rows(x: torch.Tensor) -> set[bytes]:
    return {row.numpy().tobytes() for row in x.reshape(len(x), -1)}


PACKAGED = ("fortunes",)  # data from a Debian package: checked before a study like the hub's
OBJECTIVES = {"squad_v2": {"exact", "f1"}, "librispeech": {"wer", "cer"}}


def test_list_tasks_names_every_registered_task():
    assert list_tasks() == sorted({*SIZES, *HUB_TASKS, *FETCHED_TASKS, *PACKAGED}) == sorted(TASKS)


def test_outside_data_is_checked_before_a_study_and_embedded_data_need_not_be():
    for name in list_tasks():
        assert (TASKS[name].ensure_available is not None) == (name in (*HUB_TASKS, *FETCHED_TASKS, *PACKAGED))


@pytest.mark.parametrize("name", sorted({*HUB_TASKS, *FETCHED_TASKS, *PACKAGED}))
def test_metrics_fit_each_task(name):
    task = get_task(name)
    assert task.default_model in task.models
    if name in OBJECTIVES:  # no classes: the objective's own metrics, and no accuracy
        assert not task.classification and OBJECTIVES[name] <= set(task.metrics) <= set(task.metric_choices)
        assert task.model_option == "pretrained"
        return
    assert task.classification and {"loss", "accuracy", "macro_f1"} <= set(task.metrics)
    assert ("roc_auc" in task.metrics) == (name in ("adult", "imdb", "sst2", "ag_news", "fortunes",
                                                    "rotten_tomatoes"))


def test_only_tasks_with_a_model_option_take_hugging_face_models():
    with pytest.raises(ValueError, match="unknown model 'bert-base-uncased': task 'wine' takes lrlab's"):
        get_task("wine").check_model("bert-base-uncased")
    get_task("imdb").check_model("bert-base-uncased")
    get_task("imdb").check_model("bilstm")


def test_unknown_task_names_it_and_the_known_ones():
    with pytest.raises(ValueError, match=r"unknown task 'cifar100'.*breast_cancer, cifar10, digits"):
        get_task("cifar100")


def test_task_rejects_models_and_metrics_that_do_not_exist():
    load = TASKS["wine"].load
    with pytest.raises(ValueError, match="default_model 'vgg'"):
        Task("t", "d", default_model="vgg", models=("mlp",), metrics=("loss",), load=load)
    with pytest.raises(ValueError, match="unknown metrics.*'bleu'"):
        Task("t", "d", default_model="mlp", models=("mlp",), metrics=("bleu",), load=load)


def test_sizes_types_and_labels(task_and_data):
    task, data = task_and_data
    splits = (data.train, data.val, data.test)
    assert tuple(len(s) for s in splits) == SIZES[task.name]
    for split in splits:
        assert split.x.dtype == torch.float32 and split.y.dtype == torch.int64
        assert tuple(split.x.shape[1:]) == data.input_shape
        assert torch.isfinite(split.x).all()
        assert set(split.y.tolist()) == set(range(data.num_classes))


def test_splits_are_disjoint(task_and_data):
    _, data = task_and_data
    train, val, test = rows(data.train.x), rows(data.val.x), rows(data.test.x)
    assert len(train) == len(data.train)  # no repeated examples, so rows identify examples
    assert not train & val and not train & test and not val & test


def test_splits_are_deterministic_and_ignore_the_training_seed(task_and_data):
    task, data = task_and_data
    torch.manual_seed(123)
    np.random.seed(123)
    again = task.load()
    for first, second in zip(
        (data.train, data.val, data.test), (again.train, again.val, again.test), strict=True
    ):
        assert torch.equal(first.x, second.x) and torch.equal(first.y, second.y)


def test_loads_are_independent_copies(task_and_data):
    task, data = task_and_data
    fresh = task.load()
    fresh.train.x.add_(1.0)
    assert torch.equal(task.load().train.x, data.train.x)


def test_metrics_and_models_fit_the_task(task_and_data):
    task, data = task_and_data
    assert task.default_model in task.models
    assert ("roc_auc" in task.metrics) == (data.num_classes == 2)
    assert {"loss", "accuracy"} <= set(task.metrics)
