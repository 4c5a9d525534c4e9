"""Results of ganas-bench runs as data, apart from any rendering: load them, group them, compare them.

    from ganas_bench.results import load_runs, query, find_best, summarise_groups, compare_strategies
    runs = load_runs("results/runs")            # one row per run directory (columns: keys.py)

- `load_runs` / `load_reevaluations`: run directories (and their eval-<n>.json) as pandas DataFrames (loading.py).
- `summarise_groups`: one row per group of seeds with n, mean, median, sd, 95% t-interval, range (groups.py).
- `compare_strategies`: each pair of strategies within a space, difference with its interval and a Mann-Whitney test.
- `query` / `find_best`: filters and the best run or group (query.py).
- keys.py names every column and metrics.json key; identity.py defines a run's label and a group; protocol.py the
  protocol each profile is compared with; stats.py the statistics; floor.py the digits FID floor.
"""
from . import keys
from .groups import compare_strategies, summarise_groups
from .identity import GROUP_KEYS
from .loading import RUN_COLUMNS, load_reevaluations, load_runs
from .query import find_best, query

__all__ = ["GROUP_KEYS", "RUN_COLUMNS", "compare_strategies", "find_best", "keys", "load_reevaluations", "load_runs",
           "query", "summarise_groups"]
