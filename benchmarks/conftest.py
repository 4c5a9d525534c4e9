"""Speed measurements (pytest-benchmark), run by `make bench`. Each reports images per second in extra_info.

OMP_WAIT_POLICY is set as ganas_bench/__init__.py sets it, before anything imports torch, so that the numbers measure
what the CLI runs.
"""
import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
