"""Speed measurements (pytest-benchmark), run by `make bench`. Each reports images per second in extra_info.

OMP_WAIT_POLICY is set as ganas_bench/__init__.py sets it, before anything imports torch, so that the numbers measure
what the CLI runs.
"""
import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import pytest  # noqa: E402

SPEED_LINES = pytest.StashKey[list]()


@pytest.fixture
def speed_report(request):
    """`speed_report(line)`: a line for the summary `make bench` prints at its end (figures of extra_info)."""
    lines = request.config.stash.setdefault(SPEED_LINES, [])
    return lambda line: lines.append(f"{request.node.name}: {line}")


def pytest_terminal_summary(terminalreporter, config):
    lines = config.stash.get(SPEED_LINES, [])
    if lines:
        terminalreporter.section("speed: seconds per unit, images/s, GFLOP/s, ratio = baseline s / candidate s")
        for line in lines:
            terminalreporter.write_line(line)
