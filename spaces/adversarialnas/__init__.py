"""The AdversarialNAS search space (`adversarialnas`): importing this package registers it and its published genotype."""
from .space import DEFAULT_D, RELEASED_CIFAR10_G, AdversarialNASSpace

__all__ = ["AdversarialNASSpace", "DEFAULT_D", "RELEASED_CIFAR10_G"]
