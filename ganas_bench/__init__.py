"""ganas-bench: neural architecture search for GANs, benchmarked on equal terms."""
import os

# Before torch starts its OpenMP pool: threads that wait passively instead of spinning. On a machine shared with other
# work (a cluster node, CI, a laptop), spinning threads fight for the cores and made CPU training steps 10-15x slower in
# our measurements; on an idle machine the difference is small. Set OMP_WAIT_POLICY yourself to override.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

__version__ = "0.1.0"
