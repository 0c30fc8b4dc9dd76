import pytest
import torch

from lrlab.tasks import Split, TaskData


def test_split_length_is_number_of_examples():
    split = Split(torch.zeros(5, 3), torch.arange(5))
    assert len(split) == 5


def test_split_rejects_mismatched_lengths():
    with pytest.raises(ValueError, match=r"x \(4, 3\) and y \(5,\)"):
        Split(torch.zeros(4, 3), torch.arange(5))


def test_task_data_is_frozen():
    split = Split(torch.zeros(2, 3), torch.tensor([0, 1]))
    data = TaskData(split, split, split, num_classes=2, input_shape=(3,))
    with pytest.raises(AttributeError):
        data.num_classes = 3  # type: ignore[misc]
