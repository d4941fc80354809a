"""The RNN language model in PyTorch, mirroring :mod:`rnnlm.rnn_numpy`.

The parameters carry the lecture's names and the NumPy layout, so weights copy both ways::

    L     (V, D)   embeddings (row i is the vector of word i)
    W_hx  (H, D)   input-to-hidden
    W_hh  (H, H)   hidden-to-hidden
    b_h   (H,)     hidden bias
    W_S   (V, H)   output (softmax) weights
    b_S   (V,)     output bias

With row-vector batches, one step is ``h_t = f(h_{t-1} @ W_hh.T + x_t @ W_hx.T + b_h)`` and the
scores are ``h_t @ W_S.T + b_S``; ``f`` is tanh, sigmoid or relu. Two forward paths compute the
same numbers:

* ``"explicit"``: a Python loop over time that reads like the NumPy code (every activation);
* ``"fast"``: ``torch.nn.RNN`` (cuDNN on a GPU), called through :func:`torch.func.functional_call`
  with this module's own ``W_hx``, ``W_hh`` and ``b_h`` (the second ``nn.RNN`` bias is a zero
  buffer), so gradients land on the named parameters. ``nn.RNN`` knows only tanh and relu.

``"auto"`` (the default) takes the fast path when the activation allows it. Dropout (default 0)
and weight tying (``W_S`` and ``L`` one tensor, only when D == H; off by default) are options.

The output layer is the full softmax over V words (the default) or, with ``softmax="class"``, the
class-factored softmax of :mod:`rnnlm.class_softmax`, ``P(w | h) = P(c(w) | h) P(w | c(w), h)``,
which adds ``W_C`` (C, H) and ``b_C`` (C,) and uses only the target class's rows of ``W_S``::

    counts = np.bincount(train_stream, minlength=V)           # unigram counts of the word ids
    model = RNNLM(V, D, H, softmax="class", classes=100, counts=counts)
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import torch
from torch import nn
from torch.func import functional_call

from rnnlm.class_softmax import (
    BINNINGS,
    ClassTables,
    WordClasses,
    class_log_prob_torch,
    class_nll,
    frequency_classes,
)

ACTIVATIONS = ("tanh", "sigmoid", "relu")
PATHS = ("auto", "explicit", "fast")
#: activations torch.nn.RNN (and so the fast path) supports
FAST_ACTIVATIONS = ("tanh", "relu")
PARAM_NAMES = ("L", "W_hx", "W_hh", "b_h", "W_S", "b_S")
#: the parameters a class-factored output layer adds (``softmax="class"``)
CLASS_PARAM_NAMES = ("W_C", "b_C")
SOFTMAXES = ("full", "class")

_ACT_FN = {"tanh": torch.tanh, "sigmoid": torch.sigmoid, "relu": torch.relu}


def _resolve_device(device: str | torch.device | None) -> torch.device:
    """``None``/"auto" -> :func:`rnnlm.device` (cuda, mps, cpu); anything else as given (checked)."""
    from rnnlm import device as pick_device

    if isinstance(device, torch.device):
        return pick_device(str(device))
    if device is not None and not isinstance(device, str):
        raise TypeError(f"device must be a str, torch.device or None, got {type(device).__name__}")
    return pick_device(device)


def _check_positive_int(name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name} must be a positive int, got {type(value).__name__}")
    if value < 1:
        raise ValueError(f"{name} must be >= 1, got {value}")
    return int(value)


class RNNLM(nn.Module):
    """Elman RNN language model with the NumPy reference's parameter names and layout.

    Args:
        vocab_size: V, the number of word types.
        embed_dim: D, the embedding (input) size.
        hidden_dim: H, the hidden state size.
        activation: ``"tanh"``, ``"sigmoid"`` or ``"relu"``.
        path: default forward path, ``"auto"``, ``"explicit"`` or ``"fast"`` (see the module doc).
        dropout: probability of zeroing an embedding or hidden-output unit in training mode
            (default 0: the model then computes exactly what the NumPy reference computes).
        tie_weights: share one tensor between ``L`` and ``W_S`` (needs D == H).
        init_range: embeddings ``L`` and output weights ``W_S`` start uniform in
            ``[-init_range, init_range]``; ``W_hx`` and ``W_hh`` uniform in ``+-1/sqrt(H)``; biases 0.
        seed: seed for the initial weights (``None``: torch's global generator).
        device: where the parameters live; ``None`` or ``"auto"`` picks :func:`rnnlm.device`.
        dtype: ``torch.float32`` (default) or ``torch.float64`` (for checks against NumPy).
        softmax: the output layer, ``"full"`` (default: ``softmax(h @ W_S.T + b_S)`` over all V
            words) or ``"class"`` (the class-factored softmax of :mod:`rnnlm.class_softmax`, which
            adds ``W_C`` (C, H), uniform in ``+-init_range``, and ``b_C`` (C,), zero).
        classes: with ``softmax="class"``: the number of classes C (then ``counts`` is needed),
            or a ready class map, a :class:`rnnlm.class_softmax.WordClasses` or the class id of
            every word, (V,) ints (what :meth:`config` stores).
        counts: with ``classes`` an int: the unigram count of every word id, (V,), e.g.
            ``np.bincount(train_stream, minlength=V)``; the classes are
            ``frequency_classes(counts, classes, binning)``.
        binning: ``"sqrt"`` (default, the RNNLM toolkit's) or ``"mass"``: equal classes of
            sqrt(p) or of p (see :func:`rnnlm.class_softmax.frequency_classes`).
    """

    def __init__(
        self,
        vocab_size: int,
        embed_dim: int,
        hidden_dim: int,
        activation: str = "tanh",
        *,
        path: str = "auto",
        dropout: float = 0.0,
        tie_weights: bool = False,
        init_range: float = 0.1,
        seed: int | None = None,
        device: str | torch.device | None = None,
        dtype: torch.dtype = torch.float32,
        softmax: str = "full",
        classes: int | WordClasses | Sequence[int] | np.ndarray | None = None,
        counts: Sequence[float] | np.ndarray | None = None,
        binning: str = "sqrt",
    ) -> None:
        super().__init__()
        V = _check_positive_int("vocab_size", vocab_size)
        D = _check_positive_int("embed_dim", embed_dim)
        H = _check_positive_int("hidden_dim", hidden_dim)
        if activation not in ACTIVATIONS:
            raise ValueError(f"activation must be one of {ACTIVATIONS}, got {activation!r}")
        self._check_path(path, activation)
        if not isinstance(dropout, (int, float)) or not 0.0 <= float(dropout) < 1.0:
            raise ValueError(f"dropout must be a float in [0, 1), got {dropout!r}")
        if tie_weights and D != H:
            raise ValueError(f"tie_weights needs embed_dim == hidden_dim, got D={D}, H={H}")
        if dtype not in (torch.float32, torch.float64):
            raise TypeError(f"dtype must be torch.float32 or torch.float64, got {dtype}")
        if not isinstance(init_range, (int, float)) or not init_range > 0:
            raise ValueError(f"init_range must be a positive number, got {init_range!r}")
        word_classes = self._word_classes(softmax, classes, counts, binning, V)
        dev = _resolve_device(device)
        if dev.type == "mps" and dtype == torch.float64:
            raise TypeError("MPS has no float64; use dtype=torch.float32 or device='cpu'")

        self.vocab_size, self.embed_dim, self.hidden_dim = V, D, H
        self.activation = activation
        self.path = path
        self.dropout = float(dropout)
        self.tie_weights = bool(tie_weights)
        self.init_range = float(init_range)

        def empty(*shape: int) -> nn.Parameter:
            return nn.Parameter(torch.empty(*shape, device=dev, dtype=dtype))

        self.L = empty(V, D)
        self.W_hx = empty(H, D)
        self.W_hh = empty(H, H)
        self.b_h = empty(H)
        self.W_S = self.L if self.tie_weights else empty(V, H)
        self.b_S = empty(V)
        self.softmax = softmax
        if word_classes is not None:  # the class-factored output layer
            self.W_C = empty(word_classes.num_classes, H)
            self.b_C = empty(word_classes.num_classes)
            self.class_tables = ClassTables(word_classes, dev)
        # nn.RNN's second bias (bias_hh): always zero, never trained.
        self.register_buffer("_zero_bias", torch.zeros(H, device=dev, dtype=dtype), persistent=False)
        # The fast path's nn.RNN holds no storage of its own (meta device): every call passes
        # this module's tensors in through functional_call. Kept out of the module tree on purpose.
        object.__setattr__(
            self,
            "_rnn_shell",
            nn.RNN(D, H, nonlinearity=activation if activation in FAST_ACTIVATIONS else "tanh",
                   batch_first=True, device="meta", dtype=dtype),
        )
        self.reset_parameters(seed)

    # ------------------------------------------------------------------ construction

    @staticmethod
    def _check_path(path: str, activation: str) -> None:
        if path not in PATHS:
            raise ValueError(f"path must be one of {PATHS}, got {path!r}")
        if path == "fast" and activation not in FAST_ACTIVATIONS:
            raise ValueError(
                f"the fast path (torch.nn.RNN) supports only {FAST_ACTIVATIONS} activations, "
                f"got {activation!r}; use path='explicit' (or 'auto', which falls back to it)"
            )

    @staticmethod
    def _word_classes(softmax: str, classes: Any, counts: Any, binning: str, V: int) -> WordClasses | None:
        """The class map of a ``softmax="class"`` model (None for the full softmax); checks the options."""
        if softmax not in SOFTMAXES:
            raise ValueError(f"softmax must be one of {SOFTMAXES}, got {softmax!r}")
        if softmax == "full":
            if classes is not None or counts is not None:
                raise ValueError(
                    "classes and counts are options of softmax='class'; the full softmax takes neither"
                )
            return None
        if binning not in BINNINGS:
            raise ValueError(f"binning must be one of {BINNINGS}, got {binning!r}")
        if classes is None:
            raise ValueError(
                "softmax='class' needs classes: a number of classes C (with counts) or a class map"
            )
        if isinstance(classes, (int, np.integer)) and not isinstance(classes, bool):
            if counts is None:
                raise ValueError(
                    f"softmax='class' with classes={int(classes)} needs counts, the unigram count of every "
                    "word id (V,), e.g. np.bincount(train_stream, minlength=V)"
                )
            if np.shape(counts) != (V,):
                raise ValueError(f"counts must have shape (V,) = ({V},), got {np.shape(counts)}")
            return frequency_classes(counts, int(classes), binning)
        if counts is not None:
            raise ValueError("counts are used only with classes given as a number C; this class map is ready")
        wc = classes if isinstance(classes, WordClasses) else WordClasses.from_assignment(classes)
        if wc.vocab_size != V:
            raise ValueError(f"the class map covers {wc.vocab_size} words, but vocab_size is {V}")
        return wc

    @property
    def word_classes(self) -> WordClasses | None:
        """The class map of the class-factored output layer (None for the full softmax)."""
        return self.class_tables.classes if self.softmax == "class" else None

    @property
    def param_names(self) -> tuple[str, ...]:
        """The parameter names: :data:`PARAM_NAMES`, plus ``W_C``, ``b_C`` with ``softmax="class"``."""
        return PARAM_NAMES + (CLASS_PARAM_NAMES if self.softmax == "class" else ())

    def reset_parameters(self, seed: int | None = None) -> None:
        """Re-draw the weights (see the class doc for the distributions); ``seed`` makes it repeatable."""
        gen = None
        if seed is not None:
            gen = torch.Generator(device="cpu")
            gen.manual_seed(int(seed))
        a = 1.0 / math.sqrt(self.hidden_dim)
        with torch.no_grad():
            for p, bound in ((self.L, self.init_range), (self.W_hx, a), (self.W_hh, a)):
                p.copy_(torch.rand(p.shape, generator=gen, dtype=p.dtype) * (2 * bound) - bound)
            if not self.tie_weights:
                r = self.init_range
                self.W_S.copy_(torch.rand(self.W_S.shape, generator=gen, dtype=self.W_S.dtype) * (2 * r) - r)
            self.b_h.zero_()
            self.b_S.zero_()
            if self.softmax == "class":  # drawn last: the other weights match a full model's
                r = self.init_range
                self.W_C.copy_(torch.rand(self.W_C.shape, generator=gen, dtype=self.W_C.dtype) * (2 * r) - r)
                self.b_C.zero_()

    @classmethod
    def from_numpy_params(
        cls,
        params: Mapping[str, np.ndarray],
        activation: str = "tanh",
        *,
        device: str | torch.device | None = None,
        dtype: torch.dtype | None = None,
        **kwargs: Any,
    ) -> RNNLM:
        """A model holding copies of NumPy parameters (``rnn_numpy.RNNLM.params`` layout).

        Sizes come from the arrays: ``L`` (V, D), ``W_hh`` (H, H). ``dtype`` defaults to float64
        when ``L`` is float64, else float32. Other keyword arguments go to the constructor
        (``softmax="class", classes=...`` for a class-factored model, whose ``params`` then hold
        ``W_C`` and ``b_C`` too).
        """
        missing = [k for k in PARAM_NAMES if k not in params]
        if missing:
            raise ValueError(f"params must have keys {PARAM_NAMES}, missing {missing}")
        L = np.asarray(params["L"])
        W_hh = np.asarray(params["W_hh"])
        if L.ndim != 2 or W_hh.ndim != 2:
            raise ValueError(f"L must be (V, D) and W_hh (H, H), got {L.shape} and {W_hh.shape}")
        if dtype is None:
            dtype = torch.float64 if L.dtype == np.float64 else torch.float32
        model = cls(L.shape[0], L.shape[1], W_hh.shape[0], activation, device=device, dtype=dtype, **kwargs)
        model.load_numpy_params(params)
        return model

    def load_numpy_params(self, params: Mapping[str, np.ndarray]) -> None:
        """Copy NumPy arrays (names and shapes as in :mod:`rnnlm.rnn_numpy`) into the parameters."""
        expected = self._shapes()
        names = self.param_names
        for name in names:
            if name not in params:
                raise ValueError(f"params is missing {name!r}; expected keys {names}")
            arr = np.asarray(params[name])
            if arr.shape != expected[name]:
                raise ValueError(f"{name} must have shape {expected[name]}, got {arr.shape}")
            if not np.issubdtype(arr.dtype, np.floating):
                raise TypeError(f"{name} must be a float array, got dtype {arr.dtype}")
            if not np.all(np.isfinite(arr)):
                raise ValueError(f"{name} contains NaN or inf")
        if self.tie_weights and not np.array_equal(np.asarray(params["L"]), np.asarray(params["W_S"])):
            raise ValueError("this model ties W_S to L, but the given W_S differs from L")
        with torch.no_grad():
            for name in names:
                p = getattr(self, name)
                p.copy_(torch.as_tensor(np.asarray(params[name]), dtype=p.dtype, device=p.device))

    def numpy_params(self) -> dict[str, np.ndarray]:
        """Copies of the parameters as NumPy arrays (float64 or float32, as the model), keyed by name."""
        return {name: getattr(self, name).detach().cpu().numpy().copy() for name in self.param_names}

    def _shapes(self) -> dict[str, tuple[int, ...]]:
        V, D, H = self.vocab_size, self.embed_dim, self.hidden_dim
        shapes = {"L": (V, D), "W_hx": (H, D), "W_hh": (H, H), "b_h": (H,), "W_S": (V, H), "b_S": (V,)}
        if self.softmax == "class":
            C = self.W_C.shape[0]
            shapes.update(W_C=(C, H), b_C=(C,))
        return shapes

    def config(self) -> dict[str, Any]:
        """The constructor arguments that rebuild this architecture (plain Python types); a
        class-factored model adds ``softmax="class"`` and ``classes``, the class of every word id."""
        config = {
            "vocab_size": self.vocab_size,
            "embed_dim": self.embed_dim,
            "hidden_dim": self.hidden_dim,
            "activation": self.activation,
            "path": self.path,
            "dropout": self.dropout,
            "tie_weights": self.tie_weights,
            "init_range": self.init_range,
        }
        if self.softmax == "class":
            config["softmax"] = "class"
            config["classes"] = self.class_tables.classes.word_class.tolist()
        return config

    @property
    def device(self) -> torch.device:
        """The device the parameters live on."""
        return self.L.device

    def num_parameters(self) -> int:
        """Number of trainable scalars (a tied ``L``/``W_S`` counts once)."""
        return sum(p.numel() for p in self.parameters())

    # ------------------------------------------------------------------ forward

    def _check_ids(self, ids: Any, name: str) -> torch.Tensor:
        if isinstance(ids, np.ndarray):
            ids = torch.from_numpy(ids)
        if not isinstance(ids, torch.Tensor):
            raise TypeError(f"{name} must be a torch.Tensor or numpy array of ints, got {type(ids).__name__}")
        if ids.dtype not in (torch.int64, torch.int32, torch.int16, torch.uint8, torch.int8):
            raise TypeError(f"{name} must hold integer token ids, got dtype {ids.dtype}")
        if ids.dim() != 2:
            raise ValueError(f"{name} must be 2-D (B, T), got shape {tuple(ids.shape)}")
        if ids.numel() == 0:
            raise ValueError(f"{name} is empty (shape {tuple(ids.shape)})")
        lo, hi = int(ids.min()), int(ids.max())
        if lo < 0 or hi >= self.vocab_size:
            raise ValueError(f"{name} has token ids in [{lo}, {hi}], expected ids in [0, {self.vocab_size})")
        return ids.to(device=self.device, dtype=torch.long)

    def _check_h0(self, h0: torch.Tensor | None, B: int) -> torch.Tensor:
        if h0 is None:
            return torch.zeros(B, self.hidden_dim, device=self.device, dtype=self.L.dtype)
        if isinstance(h0, np.ndarray):
            h0 = torch.from_numpy(h0)
        if not isinstance(h0, torch.Tensor):
            raise TypeError(f"h0 must be a torch.Tensor of shape (B, H) or None, got {type(h0).__name__}")
        if tuple(h0.shape) != (B, self.hidden_dim):
            raise ValueError(f"h0 must have shape (B, H) = {(B, self.hidden_dim)}, got {tuple(h0.shape)}")
        return h0.to(device=self.device, dtype=self.L.dtype)

    def _resolve_path(self, path: str | None) -> str:
        path = self.path if path is None else path
        self._check_path(path, self.activation)
        if path == "auto":
            return "fast" if self.activation in FAST_ACTIVATIONS else "explicit"
        return path

    def _drop(self, x: torch.Tensor) -> torch.Tensor:
        if self.dropout > 0 and self.training:
            return nn.functional.dropout(x, p=self.dropout, training=True)
        return x

    def hidden_states(
        self, ids: Any, h0: torch.Tensor | None = None, *, path: str | None = None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Run the recurrence: ids (B, T) -> (hidden states (B, T, H), h_last (B, H)).

        The returned hidden states are before output dropout; ``h_last`` is the state to carry
        into the next chunk (detach it there for truncated BPTT).
        """
        ids = self._check_ids(ids, "ids")
        B, T = ids.shape
        h = self._check_h0(h0, B)
        x = self._drop(self.L[ids])  # (B, T, D)
        if self._resolve_path(path) == "fast":
            weights = {
                "weight_ih_l0": self.W_hx,
                "weight_hh_l0": self.W_hh,
                "bias_ih_l0": self.b_h,
                "bias_hh_l0": self._zero_bias,
            }
            hs, h_last = functional_call(self._rnn_shell, weights, (x, h.unsqueeze(0).contiguous()))
            return hs, h_last.squeeze(0)
        f = _ACT_FN[self.activation]
        states = []
        for t in range(T):
            h = f(h @ self.W_hh.T + x[:, t] @ self.W_hx.T + self.b_h)  # (B, H)
            states.append(h)
        return torch.stack(states, dim=1), h

    def forward(
        self, ids: Any, h0: torch.Tensor | None = None, *, path: str | None = None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """ids (B, T) int, h0 (B, H) or None (zeros) -> (scores (B, T, V), h_last (B, H)).

        ``path`` overrides the model's default (``"auto"``, ``"explicit"`` or ``"fast"``).
        Scores are unnormalised (apply ``log_softmax`` over the last axis for log-probabilities);
        with ``softmax="class"`` they are the log-probabilities ``log P(w | h)`` themselves (a full
        ``h @ W_S.T``; ``log_softmax`` leaves them unchanged). Training uses :meth:`loss`, which
        scores only each target's class.
        """
        hs, h_last = self.hidden_states(ids, h0, path=path)
        return self._scores(self._drop(hs)), h_last

    def _scores(self, hs: torch.Tensor) -> torch.Tensor:
        """(..., H) -> (..., V): ``hs @ W_S.T + b_S``, or the class model's ``log P(w | h)``."""
        if self.softmax == "full":
            return nn.functional.linear(hs, self.W_S, self.b_S)  # hs @ W_S.T + b_S
        flat = hs.reshape(-1, self.hidden_dim)
        logp = class_log_prob_torch(flat, self.W_C, self.b_C, self.W_S, self.b_S, self.class_tables)
        return logp.reshape(*hs.shape[:-1], self.vocab_size)

    def loss(
        self,
        x_ids: Any,
        y_ids: Any,
        h0: torch.Tensor | None = None,
        mask: Any = None,
        *,
        path: str | None = None,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Mean cross-entropy in nats over unmasked positions.

        x_ids, y_ids (B, T) int; h0 (B, H) or None; mask (B, T) bool/0-1 or None (all positions).
        Returns (scalar loss tensor, h_last (B, H)); call ``loss.backward()`` for gradients.
        Perplexity is ``exp(loss)``. With ``softmax="class"`` the loss is that of the
        class-factored softmax (:func:`rnnlm.class_softmax.class_nll`, the target class only).
        """
        if self.softmax == "class":
            hs, h_last = self.hidden_states(x_ids, h0, path=path)
            y = self._check_ids(y_ids, "y_ids")
            if y.shape != hs.shape[:2]:
                raise ValueError(
                    f"y_ids must have the shape of x_ids {tuple(hs.shape[:2])}, got {tuple(y.shape)}"
                )
            flat = self._drop(hs).reshape(-1, self.hidden_dim)  # (B*T, H)
            nll = class_nll(flat, y.reshape(-1), self.W_C, self.b_C, self.W_S, self.b_S, self.class_tables)
            return self._masked_mean(nll, mask, y, nll.dtype, h_last)
        scores, h_last = self.forward(x_ids, h0, path=path)
        y = self._check_ids(y_ids, "y_ids")
        if y.shape != scores.shape[:2]:
            raise ValueError(
                f"y_ids must have the shape of x_ids {tuple(scores.shape[:2])}, got {tuple(y.shape)}"
            )
        nll = nn.functional.cross_entropy(
            scores.reshape(-1, self.vocab_size), y.reshape(-1), reduction="none"
        )  # (B*T,)
        return self._masked_mean(nll, mask, y, scores.dtype, h_last)

    def _masked_mean(
        self, nll: torch.Tensor, mask: Any, y: torch.Tensor, dtype: torch.dtype, h_last: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """(mean of ``nll`` (B*T,) over the positions ``mask`` (B, T) selects, h_last)."""
        if mask is None:
            return nll.mean(), h_last
        if isinstance(mask, np.ndarray):
            mask = torch.from_numpy(mask)
        if not isinstance(mask, torch.Tensor):
            raise TypeError(f"mask must be a torch.Tensor or numpy array, got {type(mask).__name__}")
        if tuple(mask.shape) != tuple(y.shape):
            raise ValueError(f"mask must have shape {tuple(y.shape)}, got {tuple(mask.shape)}")
        m = mask.to(device=self.device, dtype=dtype).reshape(-1)
        count = m.sum()
        if float(count) == 0:
            raise ValueError("mask selects no positions; the loss would be 0/0")
        return (nll * m).sum() / count, h_last

    # ------------------------------------------------------------------ sampling

    @torch.no_grad()
    def sample(
        self,
        n: int,
        *,
        start_ids: Sequence[int] | np.ndarray | torch.Tensor | None = None,
        h0: torch.Tensor | None = None,
        rng: int | torch.Generator | None = None,
        temperature: float = 1.0,
        eos_id: int | None = None,
    ) -> torch.Tensor:
        """Generate ``n`` token ids, each drawn from ``softmax(scores / temperature)`` and fed back in.

        Mirrors ``rnn_numpy.RNNLM.sample``: ``start_ids`` (T0,) or (B, T0) is a prompt run through
        the model first (from ``h0``, else zeros); without it, ``h0`` (H,) or (B, H) must be given
        and the first token is drawn from its prediction. ``rng`` is a seed or a ``torch.Generator``
        on the model's device: the same seed gives the same sample. Temperatures below 1 sharpen the
        distribution (towards greedy decoding), above 1 flatten it. With ``eos_id``, generation
        stops once every row has produced it and later positions of a finished row hold ``eos_id``
        (a single sequence is cut just after it). Returns int64 on the CPU, (n,) or (B, n) as the
        prompt. Runs in eval mode (no dropout); the previous mode is restored.
        """
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 0:
            raise ValueError(f"n must be a non-negative int, got {n!r}")
        if isinstance(temperature, bool) or not isinstance(temperature, (int, float)) or not temperature > 0:
            raise ValueError(f"temperature must be a positive number, got {temperature!r}")
        if isinstance(rng, torch.Generator):
            gen = rng
        elif rng is None or (isinstance(rng, (int, np.integer)) and not isinstance(rng, bool)):
            gen = torch.Generator(device=self.device)
            if rng is None:
                gen.seed()
            else:
                gen.manual_seed(int(rng))
        else:
            raise TypeError(f"rng must be an int seed, a torch.Generator or None, got {type(rng).__name__}")
        if start_ids is None and h0 is None:
            raise ValueError("give start_ids (a prompt) or h0 (a state to continue from)")
        if start_ids is not None:
            ids = start_ids if isinstance(start_ids, torch.Tensor) else torch.as_tensor(np.asarray(start_ids))
            single = ids.dim() == 1
            ids = ids.reshape(1, -1) if single else ids
        else:
            ids = None
        if h0 is not None:
            h0 = torch.as_tensor(h0)
            if ids is None:
                single = h0.dim() == 1
            h0 = h0.reshape(1, -1) if h0.dim() == 1 else h0
        was_training = self.training
        self.eval()
        try:
            if ids is not None:
                scores, h = self.forward(ids, h0)
                logits = scores[:, -1]  # (B, V)
            else:
                h = self._check_h0(h0, h0.shape[0])
                logits = self._scores(h)
            Bn = logits.shape[0]
            out = torch.zeros(Bn, n, dtype=torch.long, device=self.device)
            done = torch.zeros(Bn, dtype=torch.bool, device=self.device)
            steps = n
            for i in range(n):
                probs = torch.softmax(logits.double() / temperature, dim=-1)
                tok = torch.multinomial(probs, 1, generator=gen).squeeze(1)  # (B,)
                if eos_id is not None:
                    tok = torch.where(done, torch.full_like(tok, eos_id), tok)
                    done |= tok == eos_id
                out[:, i] = tok
                if eos_id is not None and bool(done.all()):
                    steps = i + 1
                    break
                scores, h = self.forward(tok.reshape(Bn, 1), h)
                logits = scores[:, -1]
            out = out[:, :steps].cpu()
            return out[0] if single else out
        finally:
            self.train(was_training)


__all__ = [
    "ACTIVATIONS", "CLASS_PARAM_NAMES", "FAST_ACTIVATIONS", "PARAM_NAMES", "PATHS", "RNNLM", "SOFTMAXES",
]
