"""Test-wide settings.

One torch thread and one BLAS thread: the suite's networks are tiny, so a second thread costs more in synchronisation
than it gives, and on a machine shared with other work it costs far more. Every comparison inside the suite is made under
this same setting (the `make repro` check runs the CLI with its default threads, as its references were made).
"""
import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # as ganas_bench/__init__.py; must precede torch's import

import pytest  # noqa: E402
import torch  # noqa: E402
from threadpoolctl import threadpool_limits  # noqa: E402

torch.set_num_threads(1)
threadpool_limits(1)


@pytest.fixture
def results(tmp_path):
    """A results folder that already holds something, so that a refusal that writes anywhere in it is seen."""
    folder = tmp_path / "results"
    (folder / "runs").mkdir(parents=True)
    (folder / "runs" / "note.txt").write_text("kept")
    return folder
