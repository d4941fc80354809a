"""The training history of every trainer in the kit: one row per epoch, columns by name.

Both trainers return a :class:`History`: :func:`rnnlm.rnn_numpy.train_numpy` (NumPy, CPU) and
:func:`rnnlm.train.train` (PyTorch, any device). A row is an :class:`EpochRecord`; every field of a
row is also a property of the history of the same name that returns the column, one value per
epoch (index 0 is epoch 1)::

    history = train(model, train_stream, valid_stream, config)
    history.valid_perplexity          # [412.3, 201.7, ...]   one float per epoch
    history.learning_rate             # [0.002, 0.002, 0.001, ...]
    history.best_epoch, history.best_valid_perplexity
    history.total_seconds             # float, wall time of all epochs
    plots.training_curves_plot({"NumPy": np_history, "PyTorch": torch_history})

Units: perplexities are ``exp(mean cross-entropy in nats per target token)``; times are wall-clock
seconds; throughput is target tokens per second of training (evaluation excluded). A history is
plain data: :meth:`History.to_dict` gives a dict of Python numbers, strings and lists (JSON-able
when the perplexities are finite; ``json`` writes ``inf`` as ``Infinity``), which
:meth:`History.from_dict` reads back, as checkpoints and ``rnnlm train --json`` do.

This module needs only the standard library (no torch), so the NumPy trainer can use it.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = ["EpochRecord", "History", "STOP_REASONS"]

#: Why training ended: all epochs ran; no progress for ``patience`` epochs; the time budget ran out
#: (the last epoch is then ``partial``); the learning rate fell below ``min_lr``.
STOP_REASONS: tuple[str, ...] = ("epochs", "early_stopping", "time_budget", "min_lr")

# field names of histories written before rnnlm.history existed (old checkpoints) -> today's names
_OLD_ROW_NAMES = {"lr": "learning_rate"}
# keys of old History.to_dict() output that are now derived from the rows
_DERIVED_KEYS = ("best_epoch", "best_valid_perplexity", "seconds")


@dataclass(frozen=True)
class EpochRecord:
    """What one epoch of training did.

    Attributes:
        epoch: the epoch's number, 1-based.
        train_perplexity: ``exp`` of the mean training loss over the epoch's target tokens, as
            measured during the epoch (weights moving, dropout on): an optimistic running figure.
        valid_perplexity: perplexity on the validation data after the epoch (eval mode).
        learning_rate: the learning rate the epoch's steps used.
        seconds: wall time of the epoch in seconds, its validation included.
        tokens: target tokens trained on in the epoch (the denominator of the mean loss).
        tokens_per_second: ``tokens`` over the epoch's training time (validation excluded).
        grad_norm: mean over the epoch's steps of the global gradient norm, measured before
            clipping (the Euclidean norm of all parameter gradients together).
        improved: the epoch set a new best (lowest) validation perplexity.
        partial: the epoch was cut short by a time budget.
    """

    epoch: int
    train_perplexity: float
    valid_perplexity: float
    learning_rate: float
    seconds: float
    tokens: int
    tokens_per_second: float
    grad_norm: float
    improved: bool = False
    partial: bool = False

    def to_dict(self) -> dict[str, Any]:
        """The row as a dict of plain Python values, keyed by field name."""
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> EpochRecord:
        """Rebuild a row from :meth:`to_dict` output (also reads rows of old checkpoints, whose
        learning rate was ``lr`` and which had no ``grad_norm``: it becomes NaN)."""
        d = {_OLD_ROW_NAMES.get(k, k): v for k, v in d.items()}
        d.setdefault("grad_norm", math.nan)
        names = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(d) - names)
        if unknown:
            raise ValueError(f"unknown EpochRecord fields {unknown}; expected a subset of {sorted(names)}")
        return cls(**d)


@dataclass
class History:
    """The rows of one training run, in epoch order, and how the run ended.

    Attributes:
        records: one :class:`EpochRecord` per epoch (``len(history)`` epochs).
        stop_reason: one of :data:`STOP_REASONS` (``""`` while training runs).
        device: where the model trained, as ``str(torch.device)`` (``"cpu"`` for NumPy).

    Columns (lists, one entry per epoch): :attr:`epoch`, :attr:`train_perplexity`,
    :attr:`valid_perplexity`, :attr:`learning_rate`, :attr:`seconds`, :attr:`tokens`,
    :attr:`tokens_per_second`, :attr:`grad_norm`, :attr:`improved`, :attr:`partial`.
    Totals: :attr:`total_seconds`, :attr:`total_tokens`, :attr:`overall_tokens_per_second`.
    The best epoch is the first one with the lowest finite validation perplexity
    (:attr:`best`, :attr:`best_epoch`, :attr:`best_valid_perplexity`); ``rnnlm.train.train``
    leaves the model holding that epoch's weights.
    """

    records: list[EpochRecord] = field(default_factory=list)
    stop_reason: str = ""
    device: str = ""

    def append(self, record: EpochRecord) -> None:
        """Add the next epoch's row."""
        if not isinstance(record, EpochRecord):
            raise TypeError(f"record must be an EpochRecord, got {type(record).__name__}")
        self.records.append(record)

    def __len__(self) -> int:
        return len(self.records)

    def __iter__(self) -> Iterator[EpochRecord]:
        return iter(self.records)

    # ------------------------------------------------------------------ columns

    @property
    def epoch(self) -> list[int]:
        """Epoch numbers, 1-based."""
        return [r.epoch for r in self.records]

    @property
    def train_perplexity(self) -> list[float]:
        """Running training perplexity of each epoch."""
        return [r.train_perplexity for r in self.records]

    @property
    def valid_perplexity(self) -> list[float]:
        """Validation perplexity after each epoch."""
        return [r.valid_perplexity for r in self.records]

    @property
    def learning_rate(self) -> list[float]:
        """Learning rate of each epoch."""
        return [r.learning_rate for r in self.records]

    @property
    def seconds(self) -> list[float]:
        """Wall time of each epoch in seconds, validation included."""
        return [r.seconds for r in self.records]

    @property
    def tokens(self) -> list[int]:
        """Target tokens trained on in each epoch."""
        return [r.tokens for r in self.records]

    @property
    def tokens_per_second(self) -> list[float]:
        """Training throughput of each epoch, target tokens per second (validation excluded)."""
        return [r.tokens_per_second for r in self.records]

    @property
    def grad_norm(self) -> list[float]:
        """Mean pre-clipping global gradient norm of each epoch."""
        return [r.grad_norm for r in self.records]

    @property
    def improved(self) -> list[bool]:
        """Whether each epoch set a new best validation perplexity."""
        return [r.improved for r in self.records]

    @property
    def partial(self) -> list[bool]:
        """Whether each epoch was cut short by the time budget."""
        return [r.partial for r in self.records]

    # ------------------------------------------------------------------ totals and the best epoch

    @property
    def total_seconds(self) -> float:
        """Wall time of all epochs in seconds (training and validation), 0 with no epochs."""
        return float(sum(r.seconds for r in self.records))

    @property
    def total_tokens(self) -> int:
        """Target tokens trained on over all epochs."""
        return int(sum(r.tokens for r in self.records))

    @property
    def overall_tokens_per_second(self) -> float:
        """Training throughput over all epochs together: tokens over training seconds (validation
        excluded); 0 when nothing was timed."""
        train_s = sum(r.tokens / r.tokens_per_second for r in self.records if r.tokens_per_second > 0)
        return self.total_tokens / train_s if train_s > 0 else 0.0

    @property
    def best(self) -> EpochRecord | None:
        """The first epoch with the lowest finite validation perplexity (None if there is none)."""
        finite = [r for r in self.records if math.isfinite(r.valid_perplexity)]
        return min(finite, key=lambda r: r.valid_perplexity) if finite else None

    @property
    def best_epoch(self) -> int:
        """Number of the best epoch (0 when there is none)."""
        best = self.best
        return best.epoch if best is not None else 0

    @property
    def best_valid_perplexity(self) -> float:
        """Validation perplexity of the best epoch (``inf`` when there is none)."""
        best = self.best
        return best.valid_perplexity if best is not None else math.inf

    # ------------------------------------------------------------------ plain data

    def to_dict(self) -> dict[str, Any]:
        """``{"records": [row dicts], "stop_reason": str, "device": str}``, plain Python values."""
        return {
            "records": [r.to_dict() for r in self.records],
            "stop_reason": self.stop_reason,
            "device": self.device,
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> History:
        """Rebuild a history from :meth:`to_dict` output (or from an old checkpoint's history, whose
        best epoch and total seconds were stored and are now derived from the rows)."""
        names = {"records", "stop_reason", "device"}
        unknown = sorted(set(d) - names - set(_DERIVED_KEYS))
        if unknown:
            raise ValueError(f"unknown History keys {unknown}; expected a subset of {sorted(names)}")
        return cls(
            records=[EpochRecord.from_dict(r) for r in d.get("records", [])],
            stop_reason=str(d.get("stop_reason", "")),
            device=str(d.get("device", "")),
        )
