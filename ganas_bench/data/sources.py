"""Where a torchvision dataset lives on disk, and getting it there: download on request, else one clear message.

Downloads use torchvision's own URL, archive name and archive md5 (read from its dataset class), so there is one source
of truth for them. Without `download`, nothing touches the network or torchvision: a missing file is a UserError naming
the dataset, the root it was looked for under, and the two ways to fix it.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..errors import UserError, first_line, preview


@dataclass(frozen=True)
class DatasetFiles:
    """The files a loader reads: `<root>/<folder>/<files>`, shipped in torchvision's `archive`."""

    label: str  # human name, e.g. "CIFAR-10"
    folder: str  # torchvision's base_folder
    files: tuple[str, ...]  # the files we read, relative to folder
    archive: str  # the archive torchvision downloads and extracts into root
    torchvision_name: str  # class in torchvision.datasets holding url / filename / tgz_md5


def missing_files(spec: DatasetFiles, root: Path) -> list[str]:
    folder = root / spec.folder
    return [name for name in spec.files if not (folder / name).is_file()]


def ensure_downloaded(spec: DatasetFiles, root: str | Path, download: bool) -> Path:
    """The dataset folder under root, after downloading the archive if files are missing and `download` is set."""
    root = Path(root).expanduser()
    missing = missing_files(spec, root)
    if missing and download:
        _download(spec, root)
        missing = missing_files(spec, root)
        if missing:
            raise UserError(f"{spec.label}: the downloaded {spec.archive} did not yield "
                            f"{preview(', '.join(missing), 60)} under {preview(str(root / spec.folder), 80)}")
    if missing:
        folder = root / spec.folder
        absent = (f"has no folder {spec.folder}" if not folder.is_dir()
                  else f"lacks {', '.join(spec.folder + '/' + name for name in missing)}")
        raise UserError(
            f"{spec.label} not found: data root {preview(str(root.absolute()), 90)} {preview(absent, 60)[1:-1]}; "
            f"pass --download (with internet) or extract {spec.archive} there (or give another --data-root)"
        )
    return root / spec.folder


def _download(spec: DatasetFiles, root: Path) -> None:
    import torchvision.datasets
    from torchvision.datasets.utils import download_and_extract_archive

    source = getattr(torchvision.datasets, spec.torchvision_name)
    try:
        download_and_extract_archive(source.url, str(root), filename=source.filename, md5=source.tgz_md5)
    except Exception as exc:  # network, disk or checksum failure: one line, not torchvision's traceback
        raise UserError(
            f"could not download {spec.label} from {source.url} into {preview(str(root), 80)}: {first_line(exc, 80)}; "
            f"on a machine without internet, extract {spec.archive} there yourself"
        ) from None
