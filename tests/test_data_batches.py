"""RealBatches: seeded epochs of real batches that leave the global RNG alone and resume to the same batches."""
import pytest
import torch

from ganas_bench.data import RealBatches, RealImages
from ganas_bench.errors import UserError


def numbered_images(n=10):
    """Image i is filled with the value i, so a batch tells which images it holds."""
    return RealImages(torch.arange(n, dtype=torch.uint8).view(n, 1, 1, 1).expand(n, 1, 4, 4).contiguous(),
                      "digits", "train")


def ids(batch: torch.Tensor) -> list[int]:
    return ((batch[:, 0, 0, 0] + 1) * 127.5).round().to(torch.int64).tolist()


def test_batches_are_float_in_minus_one_one_on_the_device():
    batch = RealBatches(numbered_images(), batch_size=4, seed=0, device="cpu").next()
    assert batch.shape == (4, 1, 4, 4) and batch.dtype == torch.float32 and batch.device.type == "cpu"
    assert batch.min() >= -1 and batch.max() <= 1


def test_each_epoch_is_a_fresh_permutation_without_the_incomplete_tail():
    stream = RealBatches(numbered_images(10), batch_size=3, seed=0)
    assert stream.batches_per_epoch == 3
    epochs = []
    for epoch in range(3):
        seen = [i for _ in range(3) for i in ids(stream.next())]
        assert len(set(seen)) == 9  # 9 distinct images, the 10th dropped
        epochs.append(seen)
        assert stream.epochs_done == epoch + 1
    assert epochs[0] != epochs[1] != epochs[2]


def test_same_seed_same_batches_other_seed_other_batches():
    def draw(seed):
        stream = RealBatches(numbered_images(), batch_size=4, seed=seed)
        return [ids(stream.next()) for _ in range(5)]

    assert draw(3) == draw(3) and draw(3) != draw(4)


def test_drawing_batches_leaves_the_global_rng_alone():
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    stream = RealBatches(numbered_images(), batch_size=4, seed=0)
    for _ in range(6):
        stream.next()
    assert torch.equal(torch.rand(3), expected)


@pytest.mark.parametrize("drawn", [1, 3, 4])  # mid-epoch, at the epoch boundary, into the second epoch
def test_resumed_stream_continues_with_the_same_batches(tmp_path, drawn):
    original = RealBatches(numbered_images(), batch_size=3, seed=7)
    for _ in range(drawn):
        original.next()
    torch.save(original.state_dict(), tmp_path / "state.pt")
    following = [ids(original.next()) for _ in range(7)]

    resumed = RealBatches(numbered_images(), batch_size=3, seed=999)  # the seed is in the state
    resumed.load_state_dict(torch.load(tmp_path / "state.pt", weights_only=True))
    assert resumed.epochs_done == drawn // 3
    assert [ids(resumed.next()) for _ in range(7)] == following
    assert resumed.epochs_done == original.epochs_done


def test_resuming_with_other_data_or_batch_size_is_refused():
    state = RealBatches(numbered_images(10), batch_size=3, seed=0).state_dict()
    with pytest.raises(UserError, match="saved for 10 images in batches of 3"):
        RealBatches(numbered_images(10), batch_size=2, seed=0).load_state_dict(state)


@pytest.mark.parametrize("batch_size", [0, 11, 2.0])
def test_batch_size_must_fit_the_data(batch_size):
    with pytest.raises(UserError, match="batch size"):
        RealBatches(numbered_images(10), batch_size=batch_size, seed=0)
