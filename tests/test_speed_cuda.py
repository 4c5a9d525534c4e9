"""The GPU path is the CPU path: the same trainer and metrics code on CUDA, with fp16 (gradient scaler) and bf16.
Runs where a CUDA device is present, skipped elsewhere (this repository's machines have none)."""
import pytest
import torch

from ganas_bench.config import profile_defaults
from ganas_bench.metrics import inception_score
from ganas_bench.training import GANTrainer, xavier_init
from ganas_bench.training.precision import bf16_supported

from test_speed_options import ConvD, ConvG

pytestmark = pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device")


@pytest.mark.parametrize("precision", ["fp16", "bf16", "fp32"])
def test_a_short_training_step_on_cuda_in_each_precision(precision):
    device = torch.device("cuda")
    if precision == "bf16" and not bf16_supported(device):
        pytest.skip("this GPU has no bfloat16")
    cfg = profile_defaults("smoke").replace(device="cuda", precision=precision, channels_last=True)
    torch.manual_seed(0)
    trainer = GANTrainer(xavier_init(ConvG(cfg.latent_dim)), xavier_init(ConvD()), cfg, device)
    assert (trainer.scalers["G"] is not None) == (precision == "fp16")
    before = trainer.G.conv.weight.detach().clone()
    real = torch.rand(8, 1, 8, 8, device=device) * 2 - 1
    losses = [trainer.d_step(real), trainer.g_step(), trainer.d_step(real), trainer.g_step()]
    assert torch.isfinite(torch.tensor(losses)).all()
    assert trainer.G.conv.weight.dtype == torch.float32 and not torch.equal(trainer.G.conv.weight, before)
    state = trainer.state_dict()
    assert ("scalers" in state) == (precision == "fp16")
    trainer.load_state_dict(state)


def test_the_proxy_score_runs_on_cuda_with_the_reused_extractor():
    torch.manual_seed(0)
    generator = ConvG(16).cuda()  # 8 px grey images: the digits backbone resizes them
    scores = [inception_score(generator, 16, n=20, backbone="digits-classifier", device="cuda") for _ in range(2)]
    assert scores[0] == scores[1] and scores[0][0] >= 1.0
