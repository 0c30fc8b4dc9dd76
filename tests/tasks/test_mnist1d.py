import random

import numpy as np
import torch

from lrlab.tasks import mnist1d


def test_loading_writes_no_file_and_leaves_global_generators_alone(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    mnist1d._generate.cache_clear()
    random.seed(5)
    np.random.seed(5)
    expected = (random.random(), np.random.rand())
    random.seed(5)
    np.random.seed(5)
    data = mnist1d.load_mnist1d()
    assert (random.random(), np.random.rand()) == expected
    assert list(tmp_path.iterdir()) == []
    assert data.input_shape == (40,) and data.num_classes == 10


def test_generation_is_the_same_whatever_the_global_seeds():
    first = mnist1d.load_mnist1d()
    mnist1d._generate.cache_clear()
    torch.manual_seed(9)
    np.random.seed(9)
    random.seed(9)
    second = mnist1d.load_mnist1d()
    assert torch.equal(first.train.x, second.train.x) and torch.equal(first.test.y, second.test.y)


def test_validation_comes_from_the_generator_training_set_not_its_test_set():
    data = mnist1d.load_mnist1d()
    arrays = mnist1d._generate()
    generator_train = {row.tobytes() for row in arrays["x"].astype(np.float32)}
    assert all(row.numpy().tobytes() in generator_train for row in data.val.x)
    np.testing.assert_array_equal(data.test.y.numpy(), arrays["y_test"])
