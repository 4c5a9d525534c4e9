"""Every builder refuses a non-positive width with the same one-line message."""
import pytest

from ganas_bench.errors import UserError
from ganas_bench.registry import SPACES, get_architecture
from ganas_bench.genotype import Genotype
from ganas_bench.contracts.space import Widths


@pytest.mark.parametrize("arch", ["autogan_cifar10_a", "adversarialnas_cifar10"])
def test_a_zero_width_is_refused_by_name(arch):
    a = get_architecture(arch)
    widths = Widths(latent_dim=32, bottom_width=2, gf_dim=0, df_dim=8, channels=1, image_size=16)
    with pytest.raises(UserError, match=r"invalid gf_dim=0; accepted: an integer >= 1"):
        SPACES.get(a.space)().build_generator(Genotype(a.space, a.choices), widths)
