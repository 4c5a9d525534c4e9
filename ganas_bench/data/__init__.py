"""Real data: the three datasets as uint8 tensors, resized copies, and seeded resumable batch streams.

    real = load_real_images("cifar10", root="data", image_size=32, download=False)   # RealImages
    stream = RealBatches(real.resized(16), batch_size=64, seed=0, device="cuda")       # float in [-1, 1]
    x = stream.next()
"""
from .batches import RealBatches
from .digits import DIGITS_N_TEST, DigitsSplit, digits_split
from .images import RealImages
from .loading import DATASET_NAMES, DEFAULT_IMAGE_SIZE, load_real_images

__all__ = [
    "RealImages", "RealBatches", "load_real_images", "DATASET_NAMES", "DEFAULT_IMAGE_SIZE",
    "DigitsSplit", "digits_split", "DIGITS_N_TEST",
]
