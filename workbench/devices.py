"""Where models run: ``cpu``, ``cuda`` or ``auto`` (a GPU when the engine sees one).

CTranslate2 and torch each report their own GPUs (a CUDA build of one does not make the other
one see the device), so each engine is asked about itself. Compute types follow the device and
the --quality setting (translate.QUALITY_SETTINGS).
"""
from __future__ import annotations

DEVICES = ("auto", "cpu", "cuda")


class DeviceError(ValueError):
    """A device was asked for that this machine or engine does not have."""


def ctranslate2_gpus() -> int:
    import ctranslate2

    return int(ctranslate2.get_cuda_device_count())


def torch_gpus() -> int:
    import torch

    return torch.cuda.device_count() if torch.cuda.is_available() else 0


def resolve(requested: str, engine: str, gpus: int) -> str:
    """The concrete device for ``requested`` given the ``gpus`` ``engine`` sees; ``cuda``
    without one is an error, not a silent fallback (a run meant for the GPU would crawl)."""
    if requested not in DEVICES:
        raise DeviceError(f"--device {requested}: use one of {', '.join(DEVICES)}")
    if requested == "auto":
        return "cuda" if gpus else "cpu"
    if requested == "cuda" and not gpus:
        raise DeviceError(f"--device cuda: {engine} sees no CUDA GPU on this machine (use --device cpu or auto)")
    return requested

