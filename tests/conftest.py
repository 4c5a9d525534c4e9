"""Test-wide settings.

One torch thread: the suite's networks are tiny, so a second thread costs more in synchronisation than it gives, and on a
machine shared with other work it costs far more. Every comparison inside the suite is made under this same setting.
"""
import torch

torch.set_num_threads(1)
