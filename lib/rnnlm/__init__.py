"""rnnlm: a course kit on recurrent neural network language models.

NumPy reference code (float64, pure functions), PyTorch modules that mirror it,
corpora and n-gram baselines, and the nbgrader plumbing behind the notebooks.
``rnnlm.check("nb03_rnn_step_backward")`` runs one exercise's visible checks from a notebook;
``with rnnlm.uses_exercises():`` marks a demonstration cell that runs the student's own code.
"""

from __future__ import annotations

import os

from rnnlm._exercise import uses_exercises

__version__ = "0.1.0"


def fast_mode() -> bool:
    """True when notebooks and the grader should shrink data and epochs (``RNNLM_FAST=1``)."""
    return os.environ.get("RNNLM_FAST", "").strip().lower() not in ("", "0", "false", "no")


def device(prefer: str | None = None):
    """The torch device to use: ``prefer`` if given, else cuda, then mps, then cpu.

    ``prefer`` may be ``"auto"`` (same as ``None``), ``"cpu"``, ``"cuda"``, ``"cuda:1"``, ``"mps"``.
    Raises ``ValueError`` when an explicitly requested accelerator is not available.
    """
    import torch

    if prefer is None or prefer == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        mps = getattr(torch.backends, "mps", None)
        if mps is not None and mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    dev = torch.device(prefer)
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"device {prefer!r} was requested but CUDA is not available; use 'auto' or 'cpu'")
    if dev.type == "mps" and not (getattr(torch.backends, "mps", None) and torch.backends.mps.is_available()):
        raise ValueError(f"device {prefer!r} was requested but MPS is not available; use 'auto' or 'cpu'")
    return dev


def __getattr__(name: str) -> object:
    """Lazy attributes: ``rnnlm.check`` (imported on first use, so ``import rnnlm`` stays fast)."""
    if name == "check":
        import importlib

        # the module rnnlm.check is callable: rnnlm.check("nb03_rnn_step_backward") runs the checks
        return importlib.import_module("rnnlm.check")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["__version__", "check", "device", "fast_mode", "uses_exercises"]
