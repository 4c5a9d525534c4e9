"""Run directories: how a run is stored (rundir), when it counts as finished (status), and what identifies it (identity)."""
