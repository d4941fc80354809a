"""Opinion-expression tagging end to end: data to padded batches, training, span scores, ``rnnlm tag``.

The models are :class:`rnnlm.tagging.RNNTagger` (uni-, bi- and deep bidirectional RNNs), the data
:func:`rnnlm.opinion.load_opinion` (the kit's corpus or MPQA), the scores :func:`rnnlm.metrics.tag_prf`.
Training is the kit's one loop, :func:`rnnlm.train.train`, fed the way it reads aligned
``(inputs, targets)`` streams: every sentence padded to one length T (the longest sentence), the
sentences laid end to end so that ``batchify`` into B rows and windows of T give back one whole
sentence per row and window (:func:`sentence_stream`). A tagger carries no state between windows,
and the loop's "perplexity" is then ``exp`` of the weighted per-token cross-entropy of the tags: the
epoch with the lowest one on the dev split is kept.

Shapes: n sentences, T the padded length; ids (n, T) with 0 = ``<pad>``; tags (n, T) in
{0, 1, 2} = :data:`rnnlm.metrics.BIO_TAGS`, -100 at padding (ignored by the loss).
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from rnnlm.data import UNK, Vocab
from rnnlm.metrics import BIO_TAGS, PRF, tag_prf

__all__ = [
    "DEFAULT_BUDGET",
    "PAD",
    "SPLITS",
    "TaggingData",
    "TaggingResult",
    "encode_tagging_data",
    "predict_tags",
    "run_tagger",
    "score_tagger",
    "sentence_stream",
    "train_tagger",
]

PAD = "<pad>"
SPLITS = ("train", "dev", "test")
IGNORE = -100
#: Parameters of the recurrent and output layers (embeddings excluded) of ``rnnlm tag`` by default:
#: every model gets the hidden size that comes closest (:func:`rnnlm.tagging.matched_hidden`).
DEFAULT_BUDGET = 12_000


@dataclass(frozen=True)
class TaggingData:
    """One task's splits, encoded.

    Attributes:
        vocab: the training words (lowercased), ``<pad>`` = 0 and ``<unk>`` = 1 first.
        length: T, every sentence's padded length (the longest sentence of any split).
        ids: split -> (n, T) int64 token ids, 0 at padding.
        tags: split -> (n, T) int64 tag ids (O, B, I = 0, 1, 2), -100 at padding.
        sentences: split -> the ``(tokens, tags)`` pairs as read.
    """

    vocab: Vocab
    length: int
    ids: Mapping[str, np.ndarray]
    tags: Mapping[str, np.ndarray]
    sentences: Mapping[str, Sequence[tuple[Sequence[str], Sequence[str]]]]


def encode_tagging_data(
    splits: Mapping[str, Sequence[tuple[Sequence[str], Sequence[str]]]], *, lowercase: bool = True
) -> TaggingData:
    """Encode ``{"train": [(tokens, tags), ...], "dev": ..., "test": ...}`` (tags "O"/"B"/"I").

    The vocabulary holds every training word (unknown words of dev and test map to ``<unk>``).
    Raises ``ValueError`` for a missing or empty split, tokens and tags of different lengths, an
    empty sentence or a tag outside O, B, I.
    """
    missing = [s for s in SPLITS if not splits.get(s)]
    if missing:
        raise ValueError(f"the tagging data needs non-empty splits {SPLITS}; missing or empty: {missing}")
    tag_id = {t: i for i, t in enumerate(BIO_TAGS)}
    norm = (lambda w: w.lower()) if lowercase else (lambda w: w)
    for split in SPLITS:
        for i, (tokens, tags) in enumerate(splits[split]):
            if len(tokens) == 0 or len(tokens) != len(tags):
                raise ValueError(
                    f"{split} sentence {i}: needs as many tags as tokens (at least one), got "
                    f"{len(tokens)} tokens and {len(tags)} tags"
                )
            bad = next((t for t in tags if t not in tag_id), None)
            if bad is not None:
                raise ValueError(f"{split} sentence {i}: tag {bad!r} is not one of {BIO_TAGS}")
    vocab = Vocab.build([[norm(w) for w in tokens] for tokens, _ in splits["train"]], specials=(PAD, UNK))
    T = max(len(tokens) for split in SPLITS for tokens, _ in splits[split])
    ids, tags = {}, {}
    for split in SPLITS:
        n = len(splits[split])
        ids[split] = np.zeros((n, T), dtype=np.int64)
        tags[split] = np.full((n, T), IGNORE, dtype=np.int64)
        for i, (tokens, labels) in enumerate(splits[split]):
            ids[split][i, : len(tokens)] = vocab.encode([norm(w) for w in tokens])
            tags[split][i, : len(tokens)] = [tag_id[t] for t in labels]
    return TaggingData(vocab, T, ids, tags, {s: list(splits[s]) for s in SPLITS})


def sentence_stream(
    ids: np.ndarray, tags: np.ndarray, rows: int, *, seed: int | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Aligned streams ``(inputs (N,), targets (N,))`` that :func:`rnnlm.train.train` cuts into
    ``rows`` rows and windows of T (``seq_len=T``) so that each window holds one sentence per row.

    ids, tags (n, T). The sentences (shuffled with ``seed``, if given) are laid out so that row b
    holds sentences b, b + rows, b + 2 rows, ...; when n is not a multiple of ``rows`` the last
    window is filled with copies of real sentences whose tags are all ignored (-100), so they add
    nothing to the loss.
    """
    ids, tags = np.asarray(ids), np.asarray(tags)
    if ids.ndim != 2 or ids.shape != tags.shape or ids.shape[0] == 0:
        raise ValueError(
            f"ids and tags must be two (n, T) arrays of one shape, got {ids.shape} and {tags.shape}"
        )
    if isinstance(rows, bool) or not isinstance(rows, (int, np.integer)) or rows < 1:
        raise ValueError(f"rows must be an int >= 1, got {rows!r}")
    n, T = ids.shape
    order = np.arange(n) if seed is None else np.random.default_rng(seed).permutation(n)
    per_row = math.ceil(n / rows)
    filler = (rows * per_row) - n
    order = np.concatenate([order, order[:filler] if filler <= n else np.resize(order, filler)])
    x, y = ids[order].copy(), tags[order].copy()
    y[n:] = IGNORE  # the fillers count for nothing
    # window j, row b is sentence b + j * rows: lay rows out one after the other
    grid = np.arange(rows * per_row).reshape(per_row, rows).T  # (rows, per_row) sentence indices
    return x[grid].reshape(-1), y[grid].reshape(-1)


def predict_tags(model: Any, ids: np.ndarray, *, batch_size: int = 256) -> list[list[int]]:
    """The model's tag ids of every sentence of ``ids`` (n, T), each cut to the sentence's length."""
    import torch

    out: list[list[int]] = []
    for start in range(0, ids.shape[0], batch_size):
        chunk = torch.from_numpy(np.ascontiguousarray(ids[start : start + batch_size])).to(model.device)
        predicted = model.predict(chunk).numpy()
        lengths = (ids[start : start + batch_size] != model.pad_id).sum(axis=1)
        out.extend(row[:n].tolist() for row, n in zip(predicted, lengths, strict=True))
    return out


def score_tagger(model: Any, data: TaggingData, split: str = "test") -> dict[str, PRF]:
    """Span precision, recall and F1 on ``split`` by the three matching rules of :func:`tag_prf`."""
    gold = [[t for t in row if t != IGNORE] for row in data.tags[split].tolist()]
    return tag_prf(gold, predict_tags(model, data.ids[split]))


@dataclass
class TaggingResult:
    """What :func:`run_tagger` measured: the model, its training history, span scores, size, time."""

    model: Any
    history: Any
    dev: dict[str, PRF]
    test: dict[str, PRF]
    parameters: int
    hidden: int
    seconds: float
    settings: dict[str, Any] = field(default_factory=dict)

    def summary(self) -> dict[str, Any]:
        """A JSON-ready dict: settings, size, time and the test (and dev) P/R/F1 of every rule."""
        def table(scores: dict[str, PRF]) -> dict[str, dict[str, float]]:
            return {r: {"precision": s.precision, "recall": s.recall, "f1": s.f1} for r, s in scores.items()}

        return {
            **self.settings,
            "hidden": self.hidden,
            "parameters": self.parameters,
            "seconds": round(self.seconds, 2),
            "epochs_run": len(self.history),
            "f1": {rule: s.f1 for rule, s in self.test.items()},
            "test": table(self.test),
            "dev": table(self.dev),
        }


def train_tagger(
    data: TaggingData,
    *,
    kind: str = "bi",
    layers: int = 1,
    hidden: int | None = None,
    budget: int = DEFAULT_BUDGET,
    embed_dim: int = 32,
    dropout: float = 0.3,
    o_weight: float = 0.5,
    epochs: int = 20,
    batch_size: int = 16,
    lr: float = 5e-3,
    seed: int = 0,
    device: Any = None,
    embeddings: tuple[Any, Sequence[str]] | None = None,
    progress: bool = False,
) -> TaggingResult:
    """Train one tagger with :func:`rnnlm.train.train` and score it on dev and test.

    ``hidden`` None takes the hidden size whose parameter count (embeddings excluded) is closest to
    ``budget`` for this ``kind`` and ``layers``. ``o_weight`` is the cross-entropy weight of gold O
    tags (B and I weigh 1): below 1 it trades precision for recall of the rarer spans. Adam with
    norm clipping at 5; the learning rate halves when the dev loss stalls; the epoch with the best
    dev loss is kept. ``embeddings = (L, itos)`` starts the word vectors from a language model's
    (rows of the words both vocabularies share; ``L`` must be (V_lm, embed_dim)).
    """
    from rnnlm import tagging
    from rnnlm.train import TrainConfig, train

    V, K = len(data.vocab), len(BIO_TAGS)
    if hidden is None:
        hidden = tagging.matched_hidden(kind, layers, budget, V, embed_dim, K)
    model = tagging.RNNTagger(
        V, K, embed_dim=embed_dim, hidden=hidden, kind=kind, layers=layers, dropout=dropout,
        label_weights=[o_weight, 1.0, 1.0], pad_id=0, seed=seed, device=device,
    )
    if embeddings is not None:
        L, itos = embeddings
        model.load_embeddings(L, data.vocab.itos, itos)
    config = TrainConfig(
        epochs=epochs, batch_size=batch_size, seq_len=data.length, lr=lr, clip=5.0, patience=5,
        min_lr_ratio=0.0, eval_batch_size=batch_size, seed=seed, progress=progress,
    )
    start = time.perf_counter()
    history = train(
        model,
        sentence_stream(data.ids["train"], data.tags["train"], batch_size, seed=seed),
        sentence_stream(data.ids["dev"], data.tags["dev"], batch_size),
        config,
    )
    seconds = time.perf_counter() - start
    return TaggingResult(
        model=model, history=history,
        dev=score_tagger(model, data, "dev"), test=score_tagger(model, data, "test"),
        parameters=tagging.count_parameters(kind, layers, hidden, V, embed_dim, K), hidden=hidden,
        seconds=seconds, settings={"model": kind, "layers": layers, "embed_dim": embed_dim, "seed": seed},
    )


def run_tagger(task: str, data: str = "kit", path: Any = None, **options: Any) -> TaggingResult:
    """Load ``task`` ("dse" or "ese") from ``data`` ("kit", or "mpqa" with ``path``) and
    :func:`train_tagger` on it; ``options`` go to :func:`train_tagger`."""
    from rnnlm.opinion import load_opinion

    result = train_tagger(encode_tagging_data(load_opinion(task, data, path)), **options)
    result.settings = {"task": task, "data": data, **result.settings}
    return result


# ============================================================================ command line


def register_cli(subparsers: Any) -> None:
    """Add ``rnnlm tag`` to the ``rnnlm`` command."""
    p = subparsers.add_parser(
        "tag",
        help="train an opinion-expression tagger (DSE or ESE) and report span F1",
        description="Train a uni-, bi- or deep bidirectional RNN tagger for direct subjective "
        "expressions (dse) or expressive subjective elements (ese) and print its test precision, "
        "recall and F1 under exact, binary-overlap and proportional-overlap span matching. By "
        f"default every model's hidden size matches a budget of {DEFAULT_BUDGET:,} parameters "
        "(embeddings excluded), as in Irsoy and Cardie's comparison.",
    )
    p.add_argument("--task", choices=("dse", "ese"), required=True)
    p.add_argument("--model", choices=("uni", "bi", "deep"), default="bi")
    p.add_argument("--layers", type=int, default=1, help="layers (deep: >= 1; uni: stacked; bi: 1)")
    p.add_argument("--hidden", type=int, default=None,
                   help="hidden units per direction (default: matched to --budget)")
    p.add_argument("--budget", type=int, default=DEFAULT_BUDGET,
                   help="parameter budget for the default hidden size")
    p.add_argument("--data", nargs="+", default=["kit"], metavar="SOURCE",
                   help="'kit' (the kit's corpus, default) or 'mpqa PATH' (an MPQA 2.0 root or column files)")
    p.add_argument("--embed", type=int, default=32, help="embedding size D (default 32)")
    p.add_argument("--dropout", type=float, default=0.3)
    p.add_argument("--o-weight", type=float, default=0.5, help="loss weight of O tags (default 0.5)")
    p.add_argument("--epochs", type=int, default=20)
    p.add_argument("--lr", type=float, default=5e-3)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--device", default=None, help="cpu, cuda, mps (default: the best available)")
    p.add_argument("--json", action="store_true", help="end with one JSON line of the results")
    p.set_defaults(func=_cmd_tag)


def _cmd_tag(args: Any) -> int:
    source = args.data
    if source == ["kit"]:
        data, path = "kit", None
    elif len(source) == 2 and source[0] == "mpqa":
        data, path = "mpqa", source[1]
    else:
        raise ValueError(f"--data takes 'kit' or 'mpqa PATH', got {' '.join(source)!r}")
    result = run_tagger(
        args.task, data, path, kind=args.model, layers=args.layers, hidden=args.hidden, budget=args.budget,
        embed_dim=args.embed, dropout=args.dropout, o_weight=args.o_weight, epochs=args.epochs, lr=args.lr,
        seed=args.seed, device=args.device,
    )
    summary = result.summary()
    print(f"rnnlm tag: {args.task} on {data}, {args.model} RNN, {args.layers} layer(s), H = {result.hidden}, "
          f"{result.parameters:,} parameters (embeddings excluded), {len(result.history)} epochs in "
          f"{result.seconds:.1f} s")
    for rule, s in result.test.items():
        print(f"  test {rule:12s} {s}")
    if args.json:
        print(json.dumps(summary))
    return 0
