"""Speed measurements (pytest-benchmark), run by `make bench`. Each reports images per second in extra_info."""
