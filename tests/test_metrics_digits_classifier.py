"""The digits classifier behind the tiny profile's metrics: its shipped weights, its features, its input handling."""
import numpy as np
import pytest
import torch

from ganas_bench.data.digits import digits_split, load_digits_images
from ganas_bench.errors import UserError
from ganas_bench.metrics.digits_classifier import WEIGHTS_PATH, load_digits_classifier, resize_uint8
from ganas_bench.metrics.train_digits_classifier import SHIPPED_HELD_OUT, digits_train_test, held_out_fingerprint, train


@pytest.fixture(scope="module")
def classifier():
    return load_digits_classifier()


def test_shipped_classifier_reaches_97_percent_on_held_out_digits(classifier):
    _, _, x_test, y_test = digits_train_test()
    assert len(y_test) == 297
    with torch.no_grad():
        accuracy = (classifier(x_test)[0].argmax(1) == y_test).float().mean().item()
    assert accuracy >= 0.97


def test_shipped_weights_were_trained_without_the_current_held_out_split():
    split = digits_split()
    assert len(split.train) == 1500 and not set(split.train.tolist()) & set(split.test.tolist())
    assert held_out_fingerprint() == SHIPPED_HELD_OUT, "digits_split() changed: retrain the shipped classifier"


def test_shipped_weights_are_a_small_plain_state_dict():
    assert WEIGHTS_PATH.stat().st_size < 500 * 1024
    state = torch.load(WEIGHTS_PATH, weights_only=True)
    assert all(torch.is_tensor(v) for v in state.values())


def test_penultimate_features_have_no_dead_units_so_fid_covariance_is_full_rank(classifier):
    x_train, _, _, _ = digits_train_test()
    with torch.no_grad():
        features = classifier(x_train)[1].double().numpy()
    eigenvalues = np.linalg.eigvalsh(np.cov(features, rowvar=False))
    assert features.shape[1] == 128
    assert eigenvalues.min() > 1e-7 * eigenvalues.max()


def test_digits_of_other_sides_are_resized_to_16_and_still_recognised(classifier):
    _, _, x_test, y_test = digits_train_test()
    small = load_digits_images(8).uint8[digits_split().test]
    assert resize_uint8(small).shape == x_test.shape
    with torch.no_grad():
        accuracy = (classifier(small)[0].argmax(1) == y_test).float().mean().item()
    assert accuracy >= 0.9


def test_training_script_is_deterministic_under_a_seed():
    a, b = train(epochs=1, seed=3), train(epochs=1, seed=3)
    assert all(torch.equal(a.state_dict()[k], b.state_dict()[k]) for k in a.state_dict())


def test_classifier_weights_with_wrong_keys_are_refused_naming_the_file(tmp_path):
    path = tmp_path / "not_digits.pt"
    torch.save({"weight": torch.zeros(3)}, path)
    with pytest.raises(UserError, match="not_digits.pt.*conv1.weight"):
        load_digits_classifier(path)
