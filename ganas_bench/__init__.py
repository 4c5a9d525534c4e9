"""ganas-bench: neural architecture search for GANs, benchmarked on equal terms."""
__version__ = "0.1.0"
