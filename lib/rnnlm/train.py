"""One training loop for the kit's models, and the ``rnnlm train`` command.

A token stream (N,) is cut into B rows (:func:`rnnlm.data.batchify`) and walked in windows of T
steps (:func:`rnnlm.data.bptt_batches`). The hidden state carries from one window to the next but
is *detached* there: truncated backpropagation through time, so each backward pass covers at most
T steps and the graph never grows across windows. Each step clips the global gradient norm, then
takes an Adam or SGD (optionally momentum) step. After every epoch the validation perplexity
decides: a new best is kept (in memory and, with a path, in an atomically written checkpoint);
an epoch that improves by less than ``decay_threshold`` decays the learning rate (restarting from
the best weights when it made things worse) until it would fall below its floor (``min_lr``,
``min_lr_ratio``), which ends training; ``patience`` epochs without progress stop training early,
and ``max_minutes`` bounds the wall time. :func:`train` returns a
:class:`rnnlm.history.History` (one :class:`~rnnlm.history.EpochRecord` per epoch), the same
record :func:`rnnlm.rnn_numpy.train_numpy` returns.

    model = RNNLM(len(vocab), 200, 200, device="cpu", seed=0)
    history = train(model, train_stream, valid_stream, TrainConfig(epochs=5))
    test_ppl = evaluate(model, test_stream)

**Which models train here.** :func:`train`, :func:`train_step` and :func:`evaluate` need only a
``torch.nn.Module`` with one method::

    model.loss(inputs, targets, state) -> (loss, new_state)            # or
    model.loss(inputs, targets, state) -> (loss, new_state, n_targets)

``inputs`` and ``targets`` are (B, T) int64 tensors on the model's device; ``state`` is what the
previous window returned (``None`` at the start of each epoch and evaluation). ``loss`` is a scalar
tensor, the *mean* loss in nats over the window's ``n_targets`` target tokens (default
``targets.numel()``; return it when some positions are masked, e.g. padding). ``new_state`` is
anything the model carries to the next window: a tensor, a tuple of tensors (an LSTM's (h, c)) or
``None`` (a model without memory); the loop detaches it. Perplexity is ``exp`` of the mean loss
per target token. An optional attribute ``vocab_size`` bounds the input ids, which are then
checked before training (targets are the model's to check: a tagger may mark padding with
``-100``). :class:`rnnlm.rnn_torch.RNNLM` follows this protocol; so can a class-factored softmax
LM or a sequence tagger.

**Data.** ``train_stream`` and ``valid_stream`` (and :func:`evaluate`'s ``stream``) are either

- one stream of token ids (N,): language modelling, the target of each token is the next one
  (windows ``x = rows[:, i:i+T]``, ``y = rows[:, i+1:i+T+1]``); or
- a tuple ``(inputs, targets)`` of two aligned streams (N,): tagging, the target of ``inputs[i]``
  is ``targets[i]`` (windows ``x = inputs[:, i:i+T]``, ``y = targets[:, i:i+T]``).

Checkpoints hold plain types only (state dicts, the config as a dict, the vocabulary's ``itos`` as a
list of str, the history as a dict) and load with ``torch.load(weights_only=True)``. Saving needs
``model.config()``; :func:`load_checkpoint` rebuilds an :class:`rnnlm.rnn_torch.RNNLM`.
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import dataclasses
import json
import math
import os
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from rnnlm.history import EpochRecord, History

CHECKPOINT_FORMAT = "rnnlm-checkpoint-1"
OPTIMIZERS = ("adam", "sgd")

# Defaults of ``rnnlm train`` (and TrainConfig) for ``rnnlm train --corpus ptb --model rnn --hidden 200``:
# tied 200-d embeddings, dropout 0.4, Adam 2e-3 halved whenever an epoch gains less than 2 % (back to
# the best weights if it got worse), down to a floor of 2e-3 / 8: the stall after that ends the run
# ("min-lr"), so no epoch runs at a near-zero rate; clip 0.5, B=32, T=35, validation with 10 rows. The
# length of a run is set by its schedule and early stopping, not by a wall-clock budget
# (``--max-minutes`` sets one, and a run it cuts says so). Measured in float32 (``--amp off``, as on
# an AVX2 CPU) on a 2-core AMD EPYC, torch 2.13, 2 threads, the machine shared with other work: 13
# epochs, stopped by min-lr, valid 133.7, test 126.5, 55.7 minutes in all (an epoch took 141 s, 6,700
# tokens/s, when the machine was quiet and 155-510 s under load; Mikolov et al. 2011 report 123 for an
# RNN LM with 200 hidden units). The earlier schedule (1 % threshold, no floor) took 24 epochs to test
# 122.0 in 47.8 minutes under bfloat16 autocast, which is chosen only where it is fast
# (:func:`choose_precision`).
DEFAULT_MAX_MINUTES: float | None = None
DEFAULT_DROPOUT = 0.4
DEFAULT_AMP = "auto"
AMP_CHOICES = ("auto", "on", "off")

#: How a run's end is reported (``stopped_by`` in the JSON), by :attr:`History.stop_reason`.
STOPPED_BY = {
    "epochs": "epochs", "early_stopping": "patience", "min_lr": "min-lr", "time_budget": "time budget",
}


@dataclass(frozen=True)
class Precision:
    """The precision a training run uses, and why it was chosen."""

    bf16_autocast: bool
    reason: str

    @property
    def name(self) -> str:
        """``"bfloat16 autocast"`` or ``"float32"``."""
        return "bfloat16 autocast" if self.bf16_autocast else "float32"


def _cpu_flags() -> set[str] | None:
    """The CPU's feature flags from ``/proc/cpuinfo`` (None where there is no such file)."""
    try:
        text = Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    for line in text.splitlines():
        if line.startswith("flags"):
            return set(line.split(":", 1)[1].split())
    return set()


def _bf16_probe(shape: tuple[int, int, int], seconds: float = 0.3) -> tuple[float, float]:
    """(float32, bfloat16-autocast) seconds per (m, k) @ (k, n) matmul on the CPU, ``shape`` =
    ``(m, k, n)``, each timed for about ``seconds`` after a warm-up."""
    import torch

    m, k, n = shape
    a, b = torch.randn(m, k), torch.randn(k, n)

    def timed(autocast: bool) -> float:
        ctx = torch.autocast("cpu", dtype=torch.bfloat16) if autocast else contextlib.nullcontext()
        with ctx:
            (a @ b).sum().item()  # warm-up
            count, start = 0, time.perf_counter()
            while time.perf_counter() - start < seconds:
                (a @ b).sum().item()
                count += 1
        return (time.perf_counter() - start) / count

    return timed(False), timed(True)


def choose_precision(
    device: Any, amp: str = "auto", *, shape: tuple[int, int, int] = (1120, 200, 10_000)
) -> Precision:
    """Whether training on ``device`` runs its forward passes under bfloat16 autocast.

    ``amp`` ``"on"``/``"off"`` force it. ``"auto"`` turns it on only where it is fast: on a CUDA
    device that supports bfloat16, and on a CPU that does bfloat16 natively (``avx512_bf16`` or
    ``amx_bf16`` among its flags) *and* whose measured bfloat16 matmul of the model's output layer
    (``shape`` = (B * T, H, V), about a second of probing) beats float32 by 10 %. Elsewhere (an AVX2
    CPU emulates bfloat16, many times slower) it is float32.
    """
    import torch

    if amp not in AMP_CHOICES:
        raise ValueError(f"amp must be one of {AMP_CHOICES}, got {amp!r}")
    if amp != "auto":
        return Precision(amp == "on", f"--amp {amp}")
    kind = torch.device(device).type
    if kind == "cuda":
        if torch.cuda.is_bf16_supported():
            return Precision(True, "auto: this CUDA device computes bfloat16 natively")
        return Precision(False, "auto: this CUDA device has no fast bfloat16")
    if kind != "cpu":
        return Precision(False, f"auto: bfloat16 autocast is not used on {kind}")
    flags = _cpu_flags()
    if flags is not None and not flags & {"avx512_bf16", "amx_bf16"}:
        return Precision(False, "auto: the CPU has no native bfloat16 (no avx512_bf16 or amx_bf16 flag)")
    f32, bf16 = _bf16_probe(shape)
    if bf16 < 0.9 * f32:
        return Precision(True, f"auto: a bfloat16 matmul took {bf16 / f32:.2f}x the float32 time here")
    return Precision(False, f"auto: a bfloat16 matmul took {bf16 / f32:.2f}x the float32 time here")


@dataclass
class TrainConfig:
    """Hyper-parameters of :func:`train` (plain types, so a checkpoint can store them).

    Attributes:
        epochs: passes over the training stream (upper bound; early stopping or the time budget
            may end sooner).
        batch_size: B, parallel rows of the stream.
        seq_len: T, BPTT window length (gradients flow back at most T steps).
        optimizer: ``"adam"`` or ``"sgd"``.
        lr: initial learning rate.
        momentum: SGD momentum (0 for plain SGD; ignored by Adam).
        weight_decay: L2 penalty passed to the optimizer.
        clip: cap on the global gradient norm (``None`` or 0: no clipping).
        lr_decay: factor in (0, 1] applied to the learning rate when validation perplexity stalls
            (1: never decay).
        decay_threshold: an epoch *stalls* when it lowers the best validation perplexity by less
            than this fraction (0.02: by less than 2 %), or raises it.
        lr_patience: stalled epochs tolerated before each decay (0: decay at once).
        restore_best_on_decay: when decaying after an epoch that made things worse, go back to
            the best weights so far.
        min_lr: stop once the learning rate falls below this (0: never).
        min_lr_ratio: the same floor relative to the initial rate: stop once the learning rate falls
            below ``min_lr_ratio * lr`` (0: never). With the default 1/8 and halving, the run trains
            at ``lr``, ``lr/2``, ``lr/4`` and ``lr/8`` and ends at the next stall (``stopped_by``
            "min-lr") instead of spending epochs at a near-zero rate. The higher of the two floors
            applies.
        patience: stop after this many consecutive epochs without progress (early stopping).
        min_improvement: relative drop of the best validation perplexity that counts as progress
            for early stopping. (Any drop at all makes a new best, which the model keeps.)
        max_minutes: wall-clock budget for training (``None``: unbounded); checked every step.
        eval_batch_size: rows used by :func:`evaluate` on the validation stream.
        amp: run training forward passes under ``torch.autocast`` with bfloat16 (matrix products in
            bfloat16, weights, loss and updates in float32): about twice as fast on CPUs with
            AVX512-BF16 and on recent GPUs. Evaluation always runs in full precision.
        seed: seeds torch and NumPy at the start of :func:`train` (dropout, any sampling).
        progress: show a ``tqdm.auto`` progress bar per epoch.
    """

    epochs: int = 40
    batch_size: int = 32
    seq_len: int = 35
    optimizer: str = "adam"
    lr: float = 2e-3
    momentum: float = 0.0
    weight_decay: float = 0.0
    clip: float | None = 0.5
    lr_decay: float = 0.5
    decay_threshold: float = 0.02
    lr_patience: int = 0
    restore_best_on_decay: bool = True
    min_lr: float = 0.0
    min_lr_ratio: float = 0.125
    patience: int = 4
    min_improvement: float = 1e-3
    max_minutes: float | None = None
    eval_batch_size: int = 10
    amp: bool = False
    seed: int = 0
    progress: bool = True

    def __post_init__(self) -> None:
        def pos_int(name: str) -> None:
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 1:
                raise ValueError(f"{name} must be an int >= 1, got {v!r}")

        def nonneg(name: str) -> None:
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not (v >= 0 and math.isfinite(v)):
                raise ValueError(f"{name} must be a finite number >= 0, got {v!r}")

        for name in ("epochs", "batch_size", "seq_len", "eval_batch_size"):
            pos_int(name)
        if not isinstance(self.patience, int) or isinstance(self.patience, bool) or self.patience < 1:
            raise ValueError(f"patience must be an int >= 1, got {self.patience!r}")
        if not isinstance(self.lr_patience, int) or self.lr_patience < 0:
            raise ValueError(f"lr_patience must be an int >= 0, got {self.lr_patience!r}")
        if self.optimizer not in OPTIMIZERS:
            raise ValueError(f"optimizer must be one of {OPTIMIZERS}, got {self.optimizer!r}")
        for name in ("lr", "momentum", "weight_decay", "min_lr", "min_lr_ratio", "min_improvement",
                     "decay_threshold"):
            nonneg(name)
        if self.min_lr_ratio >= 1:
            raise ValueError(f"min_lr_ratio must be in [0, 1), got {self.min_lr_ratio!r}")
        if self.momentum >= 1:
            raise ValueError(f"momentum must be in [0, 1), got {self.momentum!r}")
        if self.clip is not None:
            nonneg("clip")
        if not isinstance(self.lr_decay, (int, float)) or not 0 < self.lr_decay <= 1:
            raise ValueError(f"lr_decay must be in (0, 1], got {self.lr_decay!r}")
        if self.max_minutes is not None:
            nonneg("max_minutes")
        if isinstance(self.seed, bool) or not isinstance(self.seed, (int, np.integer)):
            raise TypeError(f"seed must be an int, got {type(self.seed).__name__}")

    def to_dict(self) -> dict[str, Any]:
        """The config as a dict of plain Python values."""
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> TrainConfig:
        """Rebuild a config from :meth:`to_dict` output (unknown keys are an error)."""
        names = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(d) - names)
        if unknown:
            raise ValueError(f"unknown TrainConfig fields {unknown}; expected a subset of {sorted(names)}")
        return cls(**d)


@dataclass
class StepResult:
    """One optimisation step: the mean loss (nats per target token), the carried state detached
    (ready for the next window; ``None`` for a model without one), the global gradient norm before
    clipping, and the number of target tokens the mean is over."""

    loss: float
    state: Any
    grad_norm: float
    tokens: int


# ============================================================================ helpers


def seed_everything(seed: int) -> None:
    """Seed torch (CPU and every GPU) and NumPy's global generator."""
    import torch

    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise TypeError(f"seed must be an int, got {type(seed).__name__}")
    torch.manual_seed(int(seed))
    np.random.seed(int(seed) % 2**32)  # noqa: NPY002 - the global generator, for code that uses it


def _as_stream(stream: Any, name: str) -> np.ndarray:
    """A 1-D int64 NumPy array from a NumPy array, list or torch tensor (N,)."""
    try:
        import torch

        if isinstance(stream, torch.Tensor):
            stream = stream.detach().cpu().numpy()
    except ImportError:  # pragma: no cover
        pass
    arr = np.asarray(stream)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be a 1-D stream of token ids (N,), got shape {arr.shape}")
    if not np.issubdtype(arr.dtype, np.integer):
        raise TypeError(f"{name} must hold integer token ids, got dtype {arr.dtype}")
    if arr.size < 2:
        raise ValueError(f"{name} needs at least 2 tokens, got {arr.size}")
    return arr.astype(np.int64, copy=False)


def _check_ids_in_vocab(arr: np.ndarray, V: int, name: str) -> None:
    lo, hi = int(arr.min()), int(arr.max())
    if lo < 0 or hi >= V:
        raise ValueError(f"{name} has token ids in [{lo}, {hi}], expected ids in [0, {V}) for this model")


def _ndim(obj: Any) -> int:
    return int(obj.ndim) if hasattr(obj, "ndim") else int(np.ndim(obj))


def _as_data(data: Any, name: str) -> np.ndarray | tuple[np.ndarray, np.ndarray]:
    """A stream of ids (N,), or a pair ``(inputs, targets)`` of aligned streams (N,), as int64 NumPy."""
    if isinstance(data, tuple) and len(data) == 2 and all(_ndim(d) >= 1 for d in data):
        inputs = _as_stream(data[0], f"{name} inputs")
        targets = _as_stream(data[1], f"{name} targets")
        if inputs.shape != targets.shape:
            raise ValueError(
                f"{name}: inputs and targets must be aligned streams of one length, got {inputs.shape[0]} "
                f"and {targets.shape[0]} tokens"
            )
        return inputs, targets
    return _as_stream(data, name)


def _check_data(model: Any, data: np.ndarray | tuple[np.ndarray, np.ndarray], name: str) -> None:
    """Check the input ids against the model's ``vocab_size``, if it has one."""
    V = getattr(model, "vocab_size", None)
    if V is None:
        return
    if isinstance(data, tuple):
        _check_ids_in_vocab(data[0], V, f"{name} inputs")
    else:
        _check_ids_in_vocab(data, V, name)


def _batchify(data: np.ndarray | tuple[np.ndarray, np.ndarray], batch_size: int) -> Any:
    """(N,) -> (B, N // B), for a stream or for both streams of a pair."""
    from rnnlm.data import batchify

    if isinstance(data, tuple):
        return batchify(data[0], batch_size), batchify(data[1], batch_size)
    return batchify(data, batch_size)


def _n_windows(batched: Any, seq_len: int) -> int:
    if isinstance(batched, tuple):
        return math.ceil(batched[0].shape[1] / seq_len)
    return math.ceil((batched.shape[1] - 1) / seq_len)


def _windows(batched: Any, seq_len: int) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """(x, y) windows, each (B, T) with T <= seq_len: shifted by one for a stream, aligned for a pair."""
    from rnnlm.data import bptt_batches

    if isinstance(batched, tuple):
        xs, ys = batched
        for i in range(0, xs.shape[1], seq_len):
            yield xs[:, i : i + seq_len], ys[:, i : i + seq_len]
    else:
        yield from bptt_batches(batched, seq_len)


def _loss(model: Any, x: Any, y: Any, state: Any) -> tuple[Any, Any, int]:
    """Call ``model.loss`` and return (mean loss tensor, new state, number of target tokens)."""
    out = model.loss(x, y, state)
    if not isinstance(out, tuple) or len(out) not in (2, 3):
        raise TypeError(
            f"{type(model).__name__}.loss(inputs, targets, state) must return (loss, state) or "
            f"(loss, state, n_targets), got {type(out).__name__}"
        )
    return out[0], out[1], int(out[2]) if len(out) == 3 else int(y.numel())


def _has_graph(state: Any) -> bool:
    import torch

    if isinstance(state, torch.Tensor):
        return state.requires_grad
    if isinstance(state, (tuple, list)):
        return any(_has_graph(s) for s in state)
    return False


def _detach(state: Any, dtype: Any) -> Any:
    """The state with every tensor detached (floating ones cast to ``dtype``): None, a tensor, or
    a (named) tuple or list of them; anything else passes through."""
    import torch

    if isinstance(state, torch.Tensor):
        state = state.detach()
        return state.to(dtype) if state.is_floating_point() else state
    if isinstance(state, (tuple, list)):
        items = [_detach(s, dtype) for s in state]
        return type(state)(*items) if hasattr(state, "_fields") else type(state)(items)
    return state


def _move(model: Any, device: Any) -> Any:
    """Move ``model`` to ``device`` (None: leave it); returns the device the model is on."""
    from rnnlm.rnn_torch import _resolve_device

    if device is not None:
        model.to(_resolve_device(device))
    return next(model.parameters()).device


def make_optimizer(model: Any, config: TrainConfig) -> Any:
    """The optimizer ``config`` names, over ``model.parameters()``."""
    import torch

    if config.optimizer == "adam":
        return torch.optim.Adam(model.parameters(), lr=config.lr, weight_decay=config.weight_decay)
    return torch.optim.SGD(
        model.parameters(), lr=config.lr, momentum=config.momentum, weight_decay=config.weight_decay
    )


def global_grad_norm(model: Any) -> float:
    """Euclidean norm of all parameter gradients taken together (0 when there are none)."""
    import torch

    grads = [p.grad.detach().reshape(-1) for p in model.parameters() if p.grad is not None]
    if not grads:
        return 0.0
    return float(torch.linalg.vector_norm(torch.cat(grads)))


# ============================================================================ steps and evaluation


def train_step(
    model: Any,
    optimizer: Any,
    x: Any,
    y: Any,
    state: Any = None,
    *,
    clip: float | None = None,
    amp: bool = False,
) -> StepResult:
    """One truncated-BPTT step on a window: x, y (B, T) ids, ``state`` carried from the last window.

    ``state`` is what the previous step returned (an RNN's h (B, H); ``None``: the model's initial
    state) and must not carry a graph. Calls ``model.loss(x, y, state)`` (see the module docstring),
    backward through these T steps only, clips the global gradient norm to ``clip`` (if given and
    > 0), updates. Returns the loss, the new state *detached* (ready to carry into the next
    window), the pre-clipping norm and the number of target tokens. With ``amp`` the forward pass
    runs under bfloat16 autocast (see :class:`TrainConfig`). Raises ``ValueError`` when the loss or
    the gradient is not finite.
    """
    import torch

    if _has_graph(state):
        raise ValueError("the carried state must be detached (h.detach()) before the next window")
    param = next(model.parameters())
    ctx = torch.autocast(param.device.type, dtype=torch.bfloat16) if amp else contextlib.nullcontext()
    with ctx:
        loss, new_state, tokens = _loss(model, x, y, state)
    if not torch.isfinite(loss.detach()):
        raise ValueError(
            f"the training loss is not finite ({loss.detach().item()}); lower the learning rate or clip"
        )
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    if clip:
        # the kit's one norm clip (rnnlm.rnn_numpy's formula, also on tensors), not a second copy
        from rnnlm.pathologies import _clip_grad_norm_

        try:
            norm = _clip_grad_norm_(model, clip, where="train_step")
        except ValueError as exc:
            raise ValueError(f"{exc}; lower the learning rate or clip") from None
    else:
        norm = global_grad_norm(model)
    if not math.isfinite(norm):
        raise ValueError(f"the gradient norm is not finite ({norm}); lower the learning rate or clip")
    optimizer.step()
    return StepResult(loss.detach().item(), _detach(new_state, param.dtype), norm, tokens)


def evaluate(
    model: Any,
    stream: Any,
    *,
    batch_size: int = 10,
    seq_len: int = 35,
    device: Any = None,
) -> float:
    """Perplexity of ``model`` on data: exp(mean loss in nats per target token).

    ``stream`` is a token stream (N,) or an ``(inputs, targets)`` pair of aligned streams (see the
    module docstring). It is cut into ``batch_size`` rows and read in windows of ``seq_len`` with
    the state carried across windows, in eval mode (no dropout) and without gradients. For a stream,
    every token but the first of each row (and the ``N % batch_size`` dropped at the end) is
    predicted once. ``device`` moves the model first (``None``: where it is). The model's mode is
    restored.
    """
    import torch

    data = _as_data(stream, "stream")
    dev = _move(model, device)
    _check_data(model, data, "stream")
    batched = _batchify(data, batch_size)
    was_training = model.training
    model.eval()
    total, count, state = 0.0, 0, None
    try:
        with torch.no_grad():
            for x, y in _windows(batched, seq_len):
                xt = torch.from_numpy(np.ascontiguousarray(x)).to(dev)
                yt = torch.from_numpy(np.ascontiguousarray(y)).to(dev)
                loss, state, n = _loss(model, xt, yt, state)
                total += float(loss) * n
                count += n
    finally:
        model.train(was_training)
    return math.exp(total / count)


# ============================================================================ checkpoints


def save_checkpoint(
    path: str | Path,
    model: Any,
    optimizer: Any = None,
    config: TrainConfig | None = None,
    itos: Sequence[str] | None = None,
    history: History | None = None,
    extra: dict[str, Any] | None = None,
) -> Path:
    """Write a checkpoint atomically (temporary file in the same folder, then ``os.replace``).

    Holds the model's architecture (``model.config()``) and state dict, the optimizer state, the
    train config and history as dicts, and the vocabulary as a list of str: all loadable with
    ``torch.load(weights_only=True)``. Returns the path.
    """
    import torch

    path = Path(path)
    if path.exists() and path.is_dir():
        raise ValueError(f"checkpoint path must be a file, got the directory {path}")
    if itos is not None:
        itos = [str(w) for w in itos]
        if len(itos) != model.vocab_size:
            raise ValueError(
                f"itos has {len(itos)} entries, but the model's vocabulary has {model.vocab_size}"
            )
    payload = {
        "format": CHECKPOINT_FORMAT,
        "model_class": type(model).__name__,
        "model_config": model.config(),
        "model_state": {k: v.detach().cpu() for k, v in model.state_dict().items()},
        "optimizer_state": optimizer.state_dict() if optimizer is not None else None,
        "train_config": config.to_dict() if config is not None else None,
        "itos": itos,
        "history": history.to_dict() if history is not None else None,
        "extra": dict(extra) if extra else {},
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            torch.save(payload, fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


@dataclass
class Checkpoint:
    """A loaded checkpoint: the rebuilt model (on ``device``) and the rest as plain values."""

    model: Any
    optimizer_state: dict[str, Any] | None
    config: TrainConfig | None
    itos: list[str] | None
    history: History | None
    extra: dict[str, Any]


def load_checkpoint(path: str | Path, *, device: Any = None) -> Checkpoint:
    """Load a checkpoint written by :func:`save_checkpoint` (``torch.load(weights_only=True)``).

    The model is rebuilt from its stored architecture on ``device`` (``None``/"auto":
    :func:`rnnlm.device`). Restore an optimizer with
    ``make_optimizer(ckpt.model, ckpt.config).load_state_dict(ckpt.optimizer_state)``.
    """
    import torch

    from rnnlm.rnn_torch import RNNLM, _resolve_device

    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no checkpoint at {path}")
    payload = torch.load(path, map_location="cpu", weights_only=True)
    if not isinstance(payload, dict) or payload.get("format") != CHECKPOINT_FORMAT:
        raise ValueError(f"{path} is not an rnnlm checkpoint (expected format {CHECKPOINT_FORMAT!r})")
    if payload.get("model_class") != "RNNLM":
        raise ValueError(f"checkpoint holds a {payload.get('model_class')!r}, expected 'RNNLM'")
    state = payload["model_state"]
    dev = _resolve_device(device)
    model = RNNLM(**payload["model_config"], device=dev, dtype=state["L"].dtype)
    model.load_state_dict(state)
    cfg = payload.get("train_config")
    hist = payload.get("history")
    return Checkpoint(
        model=model,
        optimizer_state=payload.get("optimizer_state"),
        config=TrainConfig.from_dict(cfg) if cfg is not None else None,
        itos=list(payload["itos"]) if payload.get("itos") is not None else None,
        history=History.from_dict(hist) if hist is not None else None,
        extra=payload.get("extra") or {},
    )


# ============================================================================ the loop


def train(
    model: Any,
    train_stream: Any,
    valid_stream: Any,
    config: TrainConfig | None = None,
    *,
    device: Any = None,
    checkpoint_path: str | Path | None = None,
    itos: Sequence[str] | None = None,
    on_epoch: Callable[[EpochRecord], None] | None = None,
) -> History:
    """Train ``model`` and pick the epoch with the best validation perplexity.

    ``model`` is any ``torch.nn.Module`` with ``loss(inputs, targets, state)`` and the data are token
    streams (N,) or ``(inputs, targets)`` pairs of aligned streams (see the module docstring).
    ``device`` moves the model first (``None``: leave it where it is). With ``checkpoint_path``
    every new best is saved there atomically (model, optimizer, config, ``itos``, history).
    ``on_epoch`` is called with each :class:`~rnnlm.history.EpochRecord` (the CLI prints them). At
    the end the model holds the best weights and is in eval mode. Returns the
    :class:`~rnnlm.history.History`, whose ``stop_reason`` says why training ended.
    """
    import torch
    from tqdm.auto import tqdm

    config = TrainConfig() if config is None else config
    if not isinstance(config, TrainConfig):
        raise TypeError(f"config must be a TrainConfig, got {type(config).__name__}")
    tr = _as_data(train_stream, "train_stream")
    va = _as_data(valid_stream, "valid_stream")
    dev = _move(model, device)
    _check_data(model, tr, "train_stream")
    _check_data(model, va, "valid_stream")
    seed_everything(config.seed)
    batched = _batchify(tr, config.batch_size)  # (B, N // B), or a pair of them
    n_windows = _n_windows(batched, config.seq_len)
    optimizer = make_optimizer(model, config)
    history = History(device=str(dev))
    best_state = copy.deepcopy(model.state_dict())
    deadline = None if config.max_minutes is None else time.perf_counter() + 60.0 * config.max_minutes
    lr_floor = max(config.min_lr, config.min_lr_ratio * config.lr)  # below it, training stops
    bad_epochs = 0  # consecutive epochs without improvement (early stopping)
    since_decay = 0  # the same, reset at each decay (learning-rate schedule)

    for epoch in range(1, config.epochs + 1):
        model.train()
        t0 = time.perf_counter()
        total, count, norms, steps, state, partial = 0.0, 0, 0.0, 0, None, False
        bar = tqdm(
            total=n_windows, desc=f"epoch {epoch}/{config.epochs}", unit="batch",
            disable=not config.progress, leave=False, mininterval=1.0,
        )
        for x, y in _windows(batched, config.seq_len):
            xt = torch.from_numpy(np.ascontiguousarray(x)).to(dev)
            yt = torch.from_numpy(np.ascontiguousarray(y)).to(dev)
            step = train_step(model, optimizer, xt, yt, state, clip=config.clip, amp=config.amp)
            state = step.state
            total += step.loss * step.tokens
            count += step.tokens
            norms += step.grad_norm
            steps += 1
            bar.update(1)
            if bar.n % 20 == 0:
                bar.set_postfix(ppl=f"{math.exp(total / count):.1f}", refresh=False)
            if deadline is not None and time.perf_counter() > deadline:
                partial = True
                break
        bar.close()
        train_s = time.perf_counter() - t0
        lr = optimizer.param_groups[0]["lr"]
        valid_ppl = evaluate(model, va, batch_size=config.eval_batch_size, seq_len=config.seq_len)
        best_before = history.best_valid_perplexity
        improved = valid_ppl < best_before  # a new best: keep these weights
        progress = valid_ppl < best_before * (1.0 - config.min_improvement)  # for early stopping
        stalled = not valid_ppl < best_before * (1.0 - config.decay_threshold)  # for the lr schedule
        record = EpochRecord(
            epoch=epoch,
            train_perplexity=math.exp(total / count),
            valid_perplexity=valid_ppl,
            learning_rate=lr,
            seconds=time.perf_counter() - t0,
            tokens=count,
            tokens_per_second=count / train_s if train_s > 0 else 0.0,
            grad_norm=norms / steps,
            improved=improved,
            partial=partial,
        )
        history.append(record)
        if improved:
            best_state = copy.deepcopy(model.state_dict())
        bad_epochs = 0 if progress else bad_epochs + 1
        since_decay = since_decay + 1 if stalled else 0
        if improved and checkpoint_path is not None:
            save_checkpoint(checkpoint_path, model, optimizer, config, itos, history)
        if on_epoch is not None:
            on_epoch(record)

        if partial:
            history.stop_reason = "time_budget"
            break
        if bad_epochs >= config.patience:
            history.stop_reason = "early_stopping"
            break
        if stalled and since_decay > config.lr_patience and config.lr_decay < 1:
            for group in optimizer.param_groups:
                group["lr"] *= config.lr_decay
            since_decay = 0
            if config.restore_best_on_decay and not improved:
                model.load_state_dict(best_state)
            if lr_floor and optimizer.param_groups[0]["lr"] < lr_floor:
                history.stop_reason = "min_lr"
                break
    else:
        history.stop_reason = "epochs"

    model.load_state_dict(best_state)
    model.eval()
    if checkpoint_path is not None and history.best_epoch > 0:
        save_checkpoint(checkpoint_path, model, optimizer, config, itos, history)
    return history


# ============================================================================ command line

_CORPORA = ("ptb", "tinyshakespeare", "embedded")


def register_cli(subparsers: Any) -> None:
    """Add ``rnnlm train`` to the ``rnnlm`` command."""
    d = TrainConfig()
    p = subparsers.add_parser(
        "train",
        help="train a language model and report validation and test perplexity",
        description=(
            "Train an RNN language model on a corpus and print per-epoch perplexities. With no "
            "options beyond --corpus ptb --model rnn --hidden 200 the run reproduces the published "
            "PTB RNN LM (test perplexity 123-124.7; the kit measured 126.5 in float32 in 56 minutes on "
            "a shared 2-core CPU, 13 epochs of about 2.5 minutes) within an hour on a 2-core CPU."
        ),
    )
    p.add_argument("--corpus", choices=_CORPORA, default="embedded", help="corpus (default: embedded)")
    p.add_argument("--model", choices=("rnn",), default="rnn", help="model family (default: rnn)")
    p.add_argument("--hidden", type=int, default=200, help="hidden size H (default: 200)")
    p.add_argument("--embed", type=int, default=None, help="embedding size D (default: H)")
    p.add_argument("--activation", choices=("tanh", "relu", "sigmoid"), default="tanh")
    p.add_argument("--path", choices=("auto", "explicit", "fast"), default="auto",
                   help="forward path: explicit cell loop or torch.nn.RNN (default: auto)")
    p.add_argument("--softmax", choices=("full", "class"), default="full",
                   help="output layer: full softmax over V, or class-based (rnnlm.class_softmax)")
    p.add_argument("--classes", type=int, default=100,
                   help="word classes C for --softmax class, by frequency binning (default: 100)")
    p.add_argument("--dropout", type=float, default=DEFAULT_DROPOUT,
                   help=f"dropout on embeddings and outputs (default: {DEFAULT_DROPOUT})")
    p.add_argument("--tie", dest="tie", action=argparse.BooleanOptionalAction, default=True,
                   help="tie W_S to L (needs D == H; default: on)")
    p.add_argument("--epochs", type=int, default=d.epochs, help=f"maximum epochs (default: {d.epochs})")
    p.add_argument("--batch-size", type=int, default=d.batch_size, help=f"B (default: {d.batch_size})")
    p.add_argument("--seq-len", type=int, default=d.seq_len, help=f"BPTT length T (default: {d.seq_len})")
    p.add_argument("--optimizer", choices=OPTIMIZERS, default=d.optimizer)
    p.add_argument("--lr", type=float, default=None,
                   help=f"learning rate (default: {d.lr} for adam, 1.0 for sgd)")
    p.add_argument("--momentum", type=float, default=d.momentum, help="SGD momentum (default: 0)")
    p.add_argument("--clip", type=float, default=d.clip,
                   help=f"gradient norm cap, 0 = off (default: {d.clip})")
    p.add_argument("--lr-decay", type=float, default=d.lr_decay,
                   help="learning-rate factor after an epoch that lowers validation perplexity by "
                        f"less than {100 * d.decay_threshold:g} %% (default: {d.lr_decay})")
    p.add_argument("--min-lr-ratio", type=float, default=d.min_lr_ratio,
                   help="stop once the learning rate has decayed below this fraction of --lr, 0 = never "
                        f"(default: {d.min_lr_ratio:g})")
    p.add_argument("--patience", type=int, default=d.patience,
                   help=f"early stopping after this many epochs without progress (default: {d.patience})")
    p.add_argument("--max-minutes", type=float, default=DEFAULT_MAX_MINUTES,
                   help="time budget in minutes for loading and training (default: none, the run ends "
                        "by its epochs or early stopping); a run the budget cuts says so, and the final "
                        "evaluation comes after it")
    p.add_argument("--amp", choices=AMP_CHOICES, default=DEFAULT_AMP,
                   help="bfloat16 autocast for training steps; auto (the default) only where it is fast: "
                        "CUDA with bfloat16, CPUs with native bfloat16 that a short probe finds faster "
                        "(evaluation always runs in float32)")
    p.add_argument("--seed", type=int, default=d.seed, help=f"random seed (default: {d.seed})")
    p.add_argument("--device", default="auto", help="auto, cpu, cuda, cuda:N or mps (default: auto)")
    p.add_argument("--threads", type=int, default=None, help="torch CPU threads (default: torch's choice)")
    p.add_argument("--save", default=None, metavar="PATH", help="write the best checkpoint here")
    p.add_argument("--fast", action="store_true", help="shrink the corpus (as RNNLM_FAST=1 does)")
    p.add_argument("--no-progress", action="store_true", help="no progress bars")
    p.add_argument("--json", action="store_true", help="print a JSON summary as the last line")
    p.set_defaults(func=_cmd_train)


def _cmd_train(args: Any) -> int:
    # OpenMP threads that spin while they wait take the cores from whatever else runs (the other
    # thread of this process included): on a shared 2-core machine passive waiting trained 2-3x
    # faster. Set before torch loads its OpenMP runtime; an OMP_WAIT_POLICY already set is kept.
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    import torch

    import rnnlm
    from rnnlm.data import Vocab, load_corpus, to_stream
    from rnnlm.rnn_torch import RNNLM

    t_start = time.perf_counter()
    if args.threads is not None:
        if args.threads < 1:
            raise ValueError(f"--threads must be >= 1, got {args.threads}")
        torch.set_num_threads(args.threads)
    dev = rnnlm.device(args.device)
    embed = args.hidden if args.embed is None else args.embed
    tie = bool(args.tie) and embed == args.hidden
    lr = args.lr if args.lr is not None else (TrainConfig.lr if args.optimizer == "adam" else 1.0)
    config = TrainConfig(
        epochs=args.epochs, batch_size=args.batch_size, seq_len=args.seq_len, optimizer=args.optimizer,
        lr=lr, momentum=args.momentum, clip=args.clip or None, lr_decay=args.lr_decay,
        min_lr_ratio=args.min_lr_ratio, patience=args.patience, seed=args.seed,
        progress=not args.no_progress and sys.stderr.isatty(),
    )
    if args.max_minutes is not None and args.max_minutes < 0:
        raise ValueError(f"--max-minutes must be >= 0, got {args.max_minutes}")
    splits = load_corpus(args.corpus, fast=True if args.fast else None)
    vocab = Vocab.build(splits["train"])
    streams = {k: to_stream(v, vocab) for k, v in splits.items()}
    shape = (config.batch_size * config.seq_len, args.hidden, len(vocab))  # the output layer's matmul
    precision = choose_precision(dev, args.amp, shape=shape)
    config = dataclasses.replace(config, amp=precision.bf16_autocast)
    if args.max_minutes:  # the budget counts from the start of the command
        used = (time.perf_counter() - t_start) / 60.0
        config = dataclasses.replace(config, max_minutes=max(args.max_minutes - used, 0.0))
    output_layer: dict[str, Any] = {}
    if args.softmax == "class":  # classes by frequency binning of the training stream's counts
        counts = np.bincount(streams["train"], minlength=len(vocab))
        output_layer = {"softmax": "class", "classes": args.classes, "counts": counts}
    model = RNNLM(
        len(vocab), embed, args.hidden, args.activation, path=args.path, dropout=args.dropout,
        tie_weights=tie, seed=args.seed, device=dev, **output_layer,
    )
    out = sys.stdout
    print(
        f"rnnlm train: corpus {args.corpus} ({len(streams['train'])} train tokens, V={len(vocab)}), "
        f"RNN {args.activation} D={embed} H={args.hidden}{' tied' if tie else ''}, "
        f"{'class softmax C=' + str(args.classes) if args.softmax == 'class' else 'full softmax'}, "
        f"{model.num_parameters()} parameters, device {dev}, {torch.get_num_threads()} threads, "
        f"{precision.name} ({precision.reason})",
        file=out, flush=True,
    )

    def report(r: EpochRecord) -> None:
        print(
            f"epoch {r.epoch:3d}  train ppl {r.train_perplexity:9.2f}  valid ppl {r.valid_perplexity:9.2f}"
            f"  lr {r.learning_rate:.3g}  {r.seconds:6.1f} s  {r.tokens_per_second:7.0f} tok/s"
            f"{'  *' if r.improved else ''}{'  (cut by time budget)' if r.partial else ''}",
            file=out, flush=True,
        )

    history = train(model, streams["train"], streams["valid"], config, checkpoint_path=args.save,
                    itos=vocab.itos, on_epoch=report)
    valid_ppl = evaluate(model, streams["valid"], batch_size=1, seq_len=config.seq_len)
    test_ppl = evaluate(model, streams["test"], batch_size=1, seq_len=config.seq_len)
    seconds = time.perf_counter() - t_start
    stopped_by = STOPPED_BY.get(history.stop_reason, history.stop_reason)
    if history.stop_reason == "time_budget":
        print(
            f"STOPPED BY THE TIME BUDGET: --max-minutes {args.max_minutes:g} ended training after "
            f"{len(history)} of {config.epochs} epochs, before early stopping; the numbers below are "
            "those of a shortened run",
            file=out, flush=True,
        )
    print(
        f"stopped by {stopped_by} after {len(history)} epoch(s); "
        f"best epoch {history.best_epoch}: valid ppl {valid_ppl:.2f}, "
        f"test ppl {test_ppl:.2f}, {seconds / 60:.1f} min, {history.overall_tokens_per_second:.0f} tok/s",
        file=out, flush=True,
    )
    if args.json:
        summary = {
            "corpus": args.corpus,
            "model": args.model,
            "activation": args.activation,
            "hidden": args.hidden,
            "embed": embed,
            "tied": tie,
            "softmax": args.softmax,
            "classes": args.classes if args.softmax == "class" else None,
            "params": model.num_parameters(),
            "vocab_size": len(vocab),
            "valid_perplexity": valid_ppl,
            "test_perplexity": test_ppl,
            "best_epoch": history.best_epoch,
            "epochs": len(history),
            "stop_reason": history.stop_reason,
            "stopped_by": stopped_by,
            "epochs_run": len(history),
            "max_minutes": args.max_minutes,
            "precision": precision.name,
            "precision_reason": precision.reason,
            "seconds": seconds,
            "train_seconds": history.total_seconds,
            "tokens_per_second": history.overall_tokens_per_second,
            "device": str(dev),
            "threads": torch.get_num_threads(),
            "config": config.to_dict(),
            "dropout": args.dropout,
            "history": [r.to_dict() for r in history],
            "checkpoint": str(args.save) if args.save else None,
        }
        print(json.dumps(summary), file=out, flush=True)
    return 0


__all__ = [
    "CHECKPOINT_FORMAT",
    "Checkpoint",
    "DEFAULT_MAX_MINUTES",
    "Precision",
    "STOPPED_BY",
    "choose_precision",
    "EpochRecord",  # re-exported from rnnlm.history
    "History",  # re-exported from rnnlm.history
    "StepResult",
    "TrainConfig",
    "evaluate",
    "global_grad_norm",
    "load_checkpoint",
    "make_optimizer",
    "register_cli",
    "save_checkpoint",
    "seed_everything",
    "train",
    "train_step",
]
