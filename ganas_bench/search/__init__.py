"""Search services of the harness: the loop that drives a strategy (loop), its budget (budget), candidate scoring with
failure handling (evaluator, candidates), weight-sharing supernet training (supernet) and from-scratch candidates
(scratch)."""
