"""The digits FID floor: what a perfect generator scores at the runs' own protocol, measured and committed.

A run on a digits profile is scored on n_fake generated images against all 1,797 real digits with the shipped digits
classifier. A generator that reproduced the data exactly would still not reach FID 0: n_fake images drawn *with
replacement* from the 1,797 (the best a generator of the training distribution can do) score a FID of their own, and
that floor is what a digits table's FIDs should be read against. (The README's earlier "held-out vs train FID 6.2"
compared a class-balanced held-out split; random 297-image subsets give 16.2 ± 5.0, range 9.4-27.6: neither is this
protocol.)

`measure_floor` computes it with torch-fidelity for one protocol; `python -m ganas_bench.results.floor` measures every
digits profile's protocol and rewrites the committed `digits_fid_floor.json` beside this module; `floor_for` reads the
entry matching a protocol, and says when the shipped classifier weights changed since it was measured.
"""
from __future__ import annotations

import datetime
import json
import platform
import sys
import tempfile
from pathlib import Path
from typing import Any, Mapping

import numpy as np

from ..config import PROFILES, profile_defaults
from ..runs.rundir import atomic_write_json
from .keys import KEY_BACKBONE, KEY_IMAGE_SIZE, KEY_METRIC_FID, KEY_METRIC_IS_MEAN, KEY_METRIC_KID_MEAN, KEY_N_FAKE
from .stats import summarise

FLOOR_FILE = Path(__file__).with_name("digits_fid_floor.json")
DRAWS = 10
BACKBONE = "digits-classifier"


def _weights() -> tuple[Path, str]:
    from ..metrics.digits_classifier import WEIGHTS_PATH
    from ..metrics.evaluate import weights_fingerprint

    return WEIGHTS_PATH, weights_fingerprint(WEIGHTS_PATH)


def measure_floor(n_fake: int, image_size: int, kid_subset_size: int, draws: int = DRAWS, seed: int = 0) -> dict:
    """FID / KID / IS of `draws` sets of n_fake real digits drawn with replacement (numpy RandomState(seed + i)),
    each against all 1,797 digits, with the digits classifier: per-draw values and their mean, sd, min and max."""
    import torch_fidelity
    from torch_fidelity import KEY_METRIC_FID as TF_FID
    from torch_fidelity import KEY_METRIC_ISC_MEAN, KEY_METRIC_KID_MEAN as TF_KID

    from ..data.digits import load_digits_images
    from ..metrics import feature_extractor_digits  # noqa: F401  (registers the extractor with torch-fidelity)
    from ..metrics.generated_images import UInt8Images

    real = load_digits_images(image_size).uint8
    weights, _ = _weights()
    values: dict[str, list[float]] = {KEY_METRIC_FID: [], KEY_METRIC_KID_MEAN: [], KEY_METRIC_IS_MEAN: []}
    with tempfile.TemporaryDirectory() as cache:  # the real side's features are computed once for all draws
        for i in range(draws):
            index = np.random.RandomState(seed + i).randint(0, real.shape[0], size=n_fake)
            out = torch_fidelity.calculate_metrics(
                input1=UInt8Images(real[index]), input2=UInt8Images(real), input2_cache_name="digits-floor-real",
                cache=True, cache_root=cache, fid=True, kid=True, isc=True, isc_splits=10, kid_subsets=100,
                kid_subset_size=kid_subset_size, feature_extractor=BACKBONE,
                feature_extractor_weights_path=str(weights), cuda=False, batch_size=250, rng_seed=0,
                save_cpu_ram=True, samples_shuffle=False, verbose=False)
            values[KEY_METRIC_FID].append(float(out[TF_FID]))
            values[KEY_METRIC_KID_MEAN].append(float(out[TF_KID]))
            values[KEY_METRIC_IS_MEAN].append(float(out[KEY_METRIC_ISC_MEAN]))
    result: dict[str, Any] = {KEY_N_FAKE: n_fake, KEY_IMAGE_SIZE: image_size, KEY_BACKBONE: BACKBONE,
                              "n_real": int(real.shape[0]), "kid_subset_size": kid_subset_size, "draws": draws,
                              "seed": seed}
    for key, measured in values.items():
        s = summarise(measured)
        result[key] = {"mean": s.mean, "sd": s.sd, "min": s.min, "max": s.max, "values": measured}
    return result


def digits_protocols() -> list[dict]:
    """The evaluation protocol of every profile that runs on digits: {profile, n_fake, image_size, kid_subset_size}."""
    protocols = []
    for profile in PROFILES:
        cfg = profile_defaults(profile)
        if cfg.dataset == "digits" and cfg.backbone == BACKBONE:
            protocols.append({"profile": profile, KEY_N_FAKE: cfg.n_fake, KEY_IMAGE_SIZE: cfg.image_size,
                              "kid_subset_size": cfg.kid_subset_size})
    return protocols


def write_floor_file(path: Path = FLOOR_FILE, draws: int = DRAWS) -> dict:
    """Measure the floor at every digits profile's protocol and write it (atomically) to `path`."""
    import torch
    import torch_fidelity

    _, fingerprint = _weights()
    floors = []
    for protocol in digits_protocols():
        floor = measure_floor(protocol[KEY_N_FAKE], protocol[KEY_IMAGE_SIZE], protocol["kid_subset_size"], draws)
        floors.append({"profile": protocol["profile"], **floor})
    data = {
        "what": "FID / KID / IS of n_fake real digits drawn with replacement vs all 1,797 (digits classifier): the "
                "floor a perfect generator reaches at the runs' own protocol; regenerate with "
                "`python -m ganas_bench.results.floor`",
        "backbone_weights": fingerprint, "measured": datetime.date.today().isoformat(),
        "versions": {"python": platform.python_version(), "torch": torch.__version__,
                     "torch_fidelity": torch_fidelity.__version__},
        "floors": floors,
    }
    atomic_write_json(path, data)
    return data


def floor_for(protocol: Mapping[str, Any], path: Path = FLOOR_FILE) -> dict | None:
    """The committed floor entry measured at `protocol` (n_fake, image_size, backbone), or None.

    The entry gets "stale": True when the shipped classifier weights are not those it was measured with.
    """
    try:
        data = json.loads(Path(path).read_text())
    except (OSError, ValueError):
        return None
    for floor in data.get("floors", []):
        if all(str(floor.get(k)) == str(protocol.get(k)) for k in (KEY_N_FAKE, KEY_IMAGE_SIZE, KEY_BACKBONE)):
            return {**floor, "stale": data.get("backbone_weights") != _weights()[1]}
    return None


def floor_text(floor: dict | None) -> str:
    """One sentence for the notes under a digits table."""
    if floor is None:
        return ("Digits FID floor: not measured at this protocol (the committed floors cover the digits profiles' "
                "defaults; see ganas_bench/results/floor.py).")
    fid, kid = floor[KEY_METRIC_FID], floor[KEY_METRIC_KID_MEAN]
    text = (f"Digits FID floor at this protocol: FID {fid['mean']:.2f} ± {fid['sd']:.2f} (range {fid['min']:.2f}-"
            f"{fid['max']:.2f}), KID {kid['mean']:.2f} ± {kid['sd']:.2f} (unscaled), from {floor['draws']} draws of "
            f"{floor[KEY_N_FAKE]:,} real digits with replacement against all {floor['n_real']:,} "
            f"({floor[KEY_BACKBONE]}): "
            "what a generator that reproduced the data exactly would score; FIDs near it cannot be told apart.")
    if floor.get("stale"):
        text += " The shipped classifier weights changed since it was measured: regenerate it."
    return text


if __name__ == "__main__":
    written = write_floor_file()
    for entry in written["floors"]:
        print(floor_text(entry))
    sys.exit(0)
