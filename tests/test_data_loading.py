"""load_real_images: the names it knows and the input it refuses."""
import pytest

from ganas_bench.config import DATASETS
from ganas_bench.data import DATASET_NAMES, load_real_images
from ganas_bench.errors import UserError


def test_loader_knows_exactly_the_configurable_datasets():
    assert set(DATASET_NAMES) == set(DATASETS)


def test_unknown_dataset_lists_the_known_ones(tmp_path):
    with pytest.raises(UserError, match="unknown dataset 'mnist'; choose one of: digits, cifar10, stl10"):
        load_real_images("mnist", tmp_path, 32)


@pytest.mark.parametrize("size", [0, -1, 16.5, "16"])
def test_bad_image_size_is_refused_before_any_loading(tmp_path, size):
    with pytest.raises(UserError, match="image size"):
        load_real_images("cifar10", tmp_path, size)
