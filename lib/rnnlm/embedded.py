"""The kit's embedded corpus: English-like sentences drawn from a known hidden Markov model.

The corpus needs no download. Sentences come from a small hidden Markov model (HMM) whose hidden
states are part-of-speech-like classes (pronoun, determiner, adjective, noun, verb, ...) and whose
emissions are a few hundred real English words with Zipf-like probabilities inside each class.
Some words belong to several classes ("light" is an adjective and a noun, "that" a determiner and
a conjunction, "read" a past-tense and a base-form verb), so the class of a word is truly hidden.

The generative story of one sentence ``w_1 ... w_T``:

1. draw the first class ``s_1`` from ``start`` (S,);
2. emit ``w_t`` from ``emission[s_t]`` (V,);
3. from ``s_t`` either move to class ``s_{t+1}`` with probability ``transition[s_t, s_{t+1}]``
   or end the sentence with probability ``end[s_t]`` (each row of ``transition`` plus ``end``
   sums to one).

Because the model is known, the probability of every sentence is known exactly (forward
algorithm), and so is the best perplexity any model can reach on average:
:func:`embedded_perplexity_floor`. Perplexity counts one end-of-sentence event per sentence,
the same convention as the n-gram models and ``rnnlm.data.to_stream``.

Everything is deterministic given a ``numpy.random.Generator``; the kit's splits use fixed seeds.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np

__all__ = [
    "EMBEDDED_SEED",
    "EMBEDDED_SIZES",
    "EmbeddedLanguage",
    "default_language",
    "embedded_perplexity_floor",
    "embedded_splits",
]

#: Seed of the kit's embedded corpus; split ``i`` (train, valid, test) uses ``default_rng([SEED, i])``.
EMBEDDED_SEED = 20130611

#: Number of sentences per split: full size (about 200k training tokens) and fast mode (about 20k).
EMBEDDED_SIZES: dict[bool, dict[str, int]] = {
    False: {"train": 20_000, "valid": 2_000, "test": 2_000},
    True: {"train": 2_000, "valid": 400, "test": 400},
}

_SPLITS = ("train", "valid", "test")

# ---------------------------------------------------------------------------------------------
# The default grammar. Words in each class are listed from most to least frequent.
# ---------------------------------------------------------------------------------------------

_CLASS_WORDS: dict[str, tuple[str, ...]] = {
    "PRON": ("he", "she", "they", "i", "we", "you", "it"),
    "OBJ": ("it", "them", "him", "her", "me", "you", "us"),
    "NAME": (
        "alice", "bob", "mary", "tom", "emma", "jack", "rose", "sam", "kate", "leo",
        "grace", "henry", "iris", "paul", "zoe", "nick", "olivia", "frank", "carol", "david",
    ),
    "DET": (
        "the", "a", "his", "her", "this", "my", "their", "that", "some", "every",
        "our", "your", "one", "no", "each", "another",
    ),
    "ADJ": (
        "old", "little", "small", "new", "big", "young", "good", "dark", "red", "long",
        "happy", "cold", "green", "quiet", "light", "strange", "warm", "bright", "tired", "heavy",
        "short", "clever", "brave", "gentle", "hungry", "busy", "empty", "famous", "careful", "lazy",
        "wooden", "golden", "broken", "hidden", "tall", "narrow", "wide", "clean", "dirty", "soft",
        "loud", "sweet", "bitter", "simple", "friendly", "rich", "poor", "fast", "early", "late",
    ),
    "NOUN": (
        "man", "dog", "woman", "house", "child", "door", "city", "cat", "book", "friend",
        "tree", "river", "car", "road", "garden", "table", "window", "teacher", "letter", "boat",
        "bird", "horse", "king", "queen", "room", "song", "story", "train", "field", "mountain",
        "forest", "village", "market", "bridge", "street", "chair", "bottle", "apple", "bread", "coffee",
        "light", "watch", "box", "key", "hat", "coat", "shoe", "ship", "island", "lake",
        "school", "church", "farmer", "doctor", "soldier", "sailor", "baker", "painter", "girl", "boy",
        "mother", "father", "sister", "brother", "uncle", "aunt", "neighbour", "stranger", "wolf", "fox",
        "mouse", "sheep", "cow", "fish", "flower", "stone", "wall", "hill", "sea", "sky",
        "moon", "sun", "star", "cloud", "rain", "snow", "wind", "fire", "night", "morning",
        "evening", "winter", "summer", "kitchen", "office", "station", "shop", "picture", "lamp", "candle",
        "ring", "coin", "basket", "bag", "cup", "plate", "knife", "spoon", "clock", "bed",
        "paper", "pen", "map", "rope", "ladder", "wheel", "engine", "gate", "saw", "well",
    ),
    "VERB": (
        "saw", "found", "took", "made", "gave", "liked", "wanted", "watched", "opened", "closed",
        "followed", "visited", "carried", "built", "bought", "sold", "read", "wrote", "heard", "loved",
        "helped", "left", "met", "called", "kept", "lost", "cleaned", "painted", "pushed", "pulled",
        "caught", "dropped", "broke", "fixed", "washed", "cooked", "chose", "forgot", "remembered", "missed",
        "walked", "ran", "slept", "laughed", "smiled", "waited", "danced", "sang", "jumped", "stayed",
    ),
    "VBASE": (
        "see", "find", "take", "make", "give", "like", "want", "watch", "open", "close",
        "follow", "visit", "carry", "build", "buy", "sell", "read", "write", "hear", "love",
        "help", "leave", "meet", "call", "keep", "lose", "clean", "paint", "push", "pull",
        "catch", "drop", "break", "fix", "wash", "cook", "choose", "forget", "remember", "miss",
        "walk", "run", "sleep", "laugh", "smile", "wait", "dance", "sing", "jump", "stay",
    ),
    "AUX": ("will", "can", "would", "could", "should", "must", "might", "may"),
    "PREP": (
        "in", "on", "with", "to", "at", "from", "near", "under", "over", "behind",
        "into", "through", "after", "before", "across", "beside", "without", "around", "along", "above",
    ),
    "ADV": (
        "again", "never", "often", "today", "quickly", "slowly", "always", "soon", "there", "here",
        "yesterday", "quietly", "suddenly", "carefully", "finally", "sometimes", "still", "well", "fast",
        "late", "early",
    ),
    "CONJ": ("and", "but", "because", "so", "while", "when", "or", "that", "until", "although"),
}

_START: dict[str, float] = {"PRON": 0.32, "DET": 0.38, "NAME": 0.18, "ADV": 0.07, "PREP": 0.05}

_TRANSITIONS: dict[str, dict[str, float]] = {
    "PRON": {"VERB": 0.60, "AUX": 0.25, "ADV": 0.15},
    "OBJ": {"PREP": 0.25, "ADV": 0.15, "CONJ": 0.15, "END": 0.45},
    "NAME": {"VERB": 0.55, "AUX": 0.20, "ADV": 0.10, "CONJ": 0.15},
    "DET": {"ADJ": 0.35, "NOUN": 0.65},
    "ADJ": {"ADJ": 0.18, "NOUN": 0.82},
    "NOUN": {"VERB": 0.30, "AUX": 0.08, "PREP": 0.22, "CONJ": 0.10, "END": 0.30},
    "VERB": {"DET": 0.38, "NAME": 0.12, "OBJ": 0.15, "PREP": 0.12, "ADV": 0.08, "END": 0.15},
    "VBASE": {"DET": 0.38, "NAME": 0.12, "OBJ": 0.15, "PREP": 0.12, "ADV": 0.08, "END": 0.15},
    "AUX": {"VBASE": 0.80, "ADV": 0.20},
    "PREP": {"DET": 0.75, "NAME": 0.20, "OBJ": 0.05},
    "ADV": {"VERB": 0.30, "DET": 0.12, "PRON": 0.08, "PREP": 0.10, "CONJ": 0.10, "END": 0.30},
    "CONJ": {"PRON": 0.35, "DET": 0.40, "NAME": 0.25},
}

#: Zipf exponent of the emissions inside a class: P(rank r) is proportional to 1 / (r + 1) ** ZIPF_EXPONENT.
ZIPF_EXPONENT = 1.0


def _zipf(n: int, exponent: float) -> np.ndarray:
    """Zipf-like probabilities of ranks 0..n-1: shape (n,), sums to one."""
    weights = 1.0 / np.arange(1, n + 1, dtype=np.float64) ** exponent
    return weights / weights.sum()


class EmbeddedLanguage:
    """A hidden Markov model of sentences: S hidden classes, V words, an explicit end event.

    Parameters (S classes, V words):

    - ``classes``: S class names; ``words``: V distinct words (the vocabulary, without ``<eos>``).
    - ``start`` (S,): probability of the first class.
    - ``transition`` (S, S): ``transition[i, j]`` = P(next class j | class i, sentence goes on).
    - ``end`` (S,): P(sentence ends | class i); each row ``transition[i].sum() + end[i]`` is one.
    - ``emission`` (S, V): P(word | class); rows sum to one.

    The model must end every sentence with probability one (the spectral radius of ``transition``
    is below one); then the probabilities of all finite sentences sum to one.
    """

    def __init__(
        self,
        classes: Sequence[str],
        words: Sequence[str],
        start: np.ndarray,
        transition: np.ndarray,
        end: np.ndarray,
        emission: np.ndarray,
    ) -> None:
        classes = tuple(classes)
        words = tuple(words)
        if not classes or not all(isinstance(c, str) for c in classes):
            raise TypeError(f"classes must be a non-empty sequence of str, got {classes!r}")
        if not words or not all(isinstance(w, str) and w for w in words):
            raise TypeError("words must be a non-empty sequence of non-empty str")
        if len(set(words)) != len(words):
            dup = sorted({w for w in words if words.count(w) > 1})
            raise ValueError(f"words must be distinct, got repeats {dup[:10]}")
        S, V = len(classes), len(words)
        start = self._prob_array("start", start, (S,))
        transition = self._prob_array("transition", transition, (S, S))
        end = self._prob_array("end", end, (S,))
        emission = self._prob_array("emission", emission, (S, V))
        if not np.isclose(start.sum(), 1.0, atol=1e-9):
            raise ValueError(f"start must sum to 1, got {start.sum()!r}")
        rows = transition.sum(axis=1) + end
        if not np.allclose(rows, 1.0, atol=1e-9):
            bad = int(np.argmax(np.abs(rows - 1.0)))
            raise ValueError(
                f"each row transition[i].sum() + end[i] must be 1, "
                f"got {rows[bad]!r} for class {classes[bad]!r}"
            )
        erows = emission.sum(axis=1)
        if not np.allclose(erows, 1.0, atol=1e-9):
            bad = int(np.argmax(np.abs(erows - 1.0)))
            raise ValueError(
                f"each emission row must sum to 1, got {erows[bad]!r} for class {classes[bad]!r}"
            )
        radius = float(np.max(np.abs(np.linalg.eigvals(transition))))
        if radius >= 1.0 - 1e-12:
            raise ValueError(
                "the model must end every sentence: the spectral radius of transition "
                f"must be < 1, got {radius:.6g}"
            )
        self.classes: tuple[str, ...] = classes
        self.words: tuple[str, ...] = words
        self.start = start
        self.transition = transition
        self.end = end
        self.emission = emission
        self.word_index: dict[str, int] = {w: i for i, w in enumerate(words)}
        # Sampling tables: cumulative rows over (next classes..., END), and per-class word lists.
        cum = np.cumsum(np.concatenate([transition, end[:, None]], axis=1), axis=1)
        cum[:, -1] = 1.0
        self._cum_next = cum
        self._cum_start = np.cumsum(start)
        self._cum_start[-1] = 1.0
        self._class_word_ids = [np.flatnonzero(emission[s] > 0) for s in range(S)]
        self._class_word_cdf = []
        for s in range(S):
            c = np.cumsum(emission[s, self._class_word_ids[s]])
            c[-1] = 1.0
            self._class_word_cdf.append(c)

    @staticmethod
    def _prob_array(name: str, value: object, shape: tuple[int, ...]) -> np.ndarray:
        arr = np.array(value, dtype=np.float64)
        if arr.shape != shape:
            raise ValueError(f"{name} must have shape {shape}, got {arr.shape}")
        if not np.all(np.isfinite(arr)) or np.any(arr < 0):
            raise ValueError(f"{name} must hold finite non-negative probabilities")
        arr.setflags(write=False)
        return arr

    @classmethod
    def from_grammar(
        cls,
        class_words: Mapping[str, Sequence[str]],
        start: Mapping[str, float],
        transitions: Mapping[str, Mapping[str, float]],
        *,
        zipf_exponent: float = ZIPF_EXPONENT,
    ) -> EmbeddedLanguage:
        """Build a language from readable tables.

        ``class_words`` maps each class to its words, most frequent first (emission probability of
        rank r proportional to ``1 / (r + 1) ** zipf_exponent``); ``start`` maps classes to first-class
        probabilities; ``transitions`` maps each class to ``{next class or "END": probability}``.
        """
        classes = list(class_words)
        index = {c: i for i, c in enumerate(classes)}
        words = list(dict.fromkeys(w for c in classes for w in class_words[c]))
        windex = {w: i for i, w in enumerate(words)}
        S, V = len(classes), len(words)
        start_v = np.zeros(S)
        for c, p in start.items():
            if c not in index:
                raise ValueError(f"start names unknown class {c!r}; classes are {classes}")
            start_v[index[c]] = p
        trans = np.zeros((S, S))
        end = np.zeros(S)
        for c in classes:
            if c not in transitions:
                raise ValueError(f"transitions has no row for class {c!r}")
            for d, p in transitions[c].items():
                if d == "END":
                    end[index[c]] = p
                elif d in index:
                    trans[index[c], index[d]] = p
                else:
                    raise ValueError(
                        f"transition {c!r} -> {d!r} names an unknown class; classes are {classes}"
                    )
        emission = np.zeros((S, V))
        for c in classes:
            ws = list(class_words[c])
            if not ws:
                raise ValueError(f"class {c!r} has no words")
            emission[index[c], [windex[w] for w in ws]] = _zipf(len(ws), zipf_exponent)
        return cls(classes, words, start_v, trans, end, emission)

    # ----------------------------------------------------------------------------------------
    @property
    def n_classes(self) -> int:
        """S, the number of hidden classes."""
        return len(self.classes)

    @property
    def vocab_size(self) -> int:
        """V, the number of distinct words (without the end-of-sentence event)."""
        return len(self.words)

    def expected_length(self) -> float:
        """Mean number of words per sentence: ``start @ (I - transition)^-1 @ 1``."""
        S = self.n_classes
        visits = np.linalg.solve((np.eye(S) - self.transition).T, self.start)
        return float(visits.sum())

    def length_distribution(self, max_length: int) -> np.ndarray:
        """P(sentence has exactly L words) for L = 0..max_length: shape (max_length + 1,)."""
        if not isinstance(max_length, (int, np.integer)) or max_length < 0:
            raise ValueError(f"max_length must be an int >= 0, got {max_length!r}")
        out = np.zeros(max_length + 1)
        dist = self.start.copy()  # P(sentence has >= L words and class of word L)
        for L in range(1, max_length + 1):
            out[L] = dist @ self.end
            dist = dist @ self.transition
        return out

    # ----------------------------------------------------------------------------------------
    def generate(
        self, n_sentences: int, rng: np.random.Generator, *, return_classes: bool = False
    ) -> list[list[str]] | tuple[list[list[str]], list[list[str]]]:
        """Draw ``n_sentences`` independent sentences (lists of words, no end marker).

        Vectorised over sentences: each time step samples the next class of every unfinished
        sentence at once, then all words are emitted in one pass per class. The result depends
        only on the state of ``rng`` and ``n_sentences``. With ``return_classes=True`` also returns
        the hidden class of every word.
        """
        if not isinstance(rng, np.random.Generator):
            raise TypeError(f"rng must be a numpy.random.Generator, got {type(rng).__name__}")
        if isinstance(n_sentences, bool) or not isinstance(n_sentences, (int, np.integer)) or n_sentences < 0:
            raise ValueError(f"n_sentences must be an int >= 0, got {n_sentences!r}")
        n = int(n_sentences)
        S = self.n_classes
        steps_idx: list[np.ndarray] = []
        steps_state: list[np.ndarray] = []
        lengths = np.zeros(n, dtype=np.int64)
        active = np.arange(n)
        state = np.searchsorted(self._cum_start, rng.random(n), side="right").clip(max=S - 1)
        t = 0
        while active.size:
            steps_idx.append(active)
            steps_state.append(state)
            t += 1
            nxt = (rng.random(active.size)[:, None] >= self._cum_next[state]).sum(axis=1)
            nxt = np.minimum(nxt, S)  # S means END
            done = nxt == S
            lengths[active[done]] = t
            active = active[~done]
            state = nxt[~done]
        offsets = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(lengths, out=offsets[1:])
        total = int(offsets[-1])
        flat_state = np.empty(total, dtype=np.int64)
        for t, (idx, st) in enumerate(zip(steps_idx, steps_state, strict=True)):
            flat_state[offsets[idx] + t] = st
        u = rng.random(total)
        flat_word = np.empty(total, dtype=np.int64)
        for s in range(S):
            mask = flat_state == s
            if mask.any():
                k = np.searchsorted(self._class_word_cdf[s], u[mask], side="right")
                k = np.minimum(k, self._class_word_ids[s].size - 1)
                flat_word[mask] = self._class_word_ids[s][k]
        words = np.asarray(self.words, dtype=object)[flat_word].tolist()
        sentences = [words[offsets[i] : offsets[i + 1]] for i in range(n)]
        if not return_classes:
            return sentences
        cls_names = np.asarray(self.classes, dtype=object)[flat_state].tolist()
        return sentences, [cls_names[offsets[i] : offsets[i + 1]] for i in range(n)]

    # ----------------------------------------------------------------------------------------
    def logprobs(self, sentences: Sequence[Sequence[str]]) -> np.ndarray:
        """Natural-log probability of each sentence, end-of-sentence event included: shape (N,).

        The forward algorithm, vectorised over sentences (sorted by length so that the unfinished
        ones are a prefix) and over classes, with per-step normalisation so long sentences do not
        underflow. A sentence with a word outside the vocabulary, or an empty sentence, has
        probability zero (log -inf).
        """
        if isinstance(sentences, str) or not isinstance(sentences, Sequence):
            raise TypeError(f"sentences must be a sequence of token lists, got {type(sentences).__name__}")
        N = len(sentences)
        lengths = np.empty(N, dtype=np.int64)
        for i, s in enumerate(sentences):
            if isinstance(s, str) or not isinstance(s, Sequence):
                raise TypeError(f"sentence {i} must be a list of str tokens, got {type(s).__name__}")
            lengths[i] = len(s)
        out = np.full(N, -np.inf)
        if N == 0:
            return out
        order = np.argsort(-lengths, kind="stable")
        T = int(lengths.max())
        ids = np.zeros((N, max(T, 1)), dtype=np.int64)
        known = np.ones(N, dtype=bool)
        get = self.word_index.get
        for row, i in enumerate(order):
            for t, w in enumerate(sentences[i]):
                k = get(w)
                if k is None:
                    if not isinstance(w, str):
                        raise TypeError(f"tokens must be str, got {type(w).__name__} in sentence {int(i)}")
                    known[i] = False
                    break
                ids[row, t] = k
        sorted_len = lengths[order]
        n_nonempty = int(np.count_nonzero(sorted_len > 0))
        logp = np.zeros(N)
        with np.errstate(divide="ignore", invalid="ignore"):
            alpha = self.start[None, :] * self.emission[:, ids[:n_nonempty, 0]].T  # (N', S)
            for t in range(T):
                n_act = int(np.count_nonzero(sorted_len > t))
                if t > 0:
                    alpha = (alpha[:n_act] @ self.transition) * self.emission[:, ids[:n_act, t]].T
                logp_act = logp[:n_act]  # a view: updates land in logp
                c = alpha.sum(axis=1)
                logp_act += np.log(c)
                alpha = alpha / np.where(c > 0, c, 1.0)[:, None]
                # sentences whose last word is at position t finish now: add the end event
                fin = sorted_len[:n_act] == t + 1
                if fin.any():
                    logp_act[fin] += np.log(alpha[fin] @ self.end)
            logp[n_nonempty:] = -np.inf
        out[order] = logp
        out[~known] = -np.inf
        return out

    def sentence_logprob(self, tokens: Sequence[str]) -> float:
        """Exact natural-log probability of one sentence (a list of words), end event included."""
        if isinstance(tokens, str):
            raise TypeError("tokens must be a list of str, got a single str (split it into words first)")
        return float(self.logprobs([tokens])[0])

    def perplexity(self, sentences: Sequence[Sequence[str]]) -> float:
        """Per-token perplexity ``exp(-sum log P(s) / (words + sentences))``.

        Each sentence contributes its words plus one end-of-sentence event, as in the n-gram
        models and ``rnnlm.data.to_stream``. Raises ``ValueError`` on an empty list.
        """
        lp = self.logprobs(sentences)
        if lp.size == 0:
            raise ValueError("perplexity needs at least one sentence, got an empty list")
        n_tokens = sum(len(s) for s in sentences) + len(sentences)
        return math.exp(-float(lp.sum()) / n_tokens)


_DEFAULT: EmbeddedLanguage | None = None


def default_language() -> EmbeddedLanguage:
    """The kit's embedded language (built once from the grammar tables in this module)."""
    global _DEFAULT
    if _DEFAULT is None:
        _DEFAULT = EmbeddedLanguage.from_grammar(_CLASS_WORDS, _START, _TRANSITIONS)
    return _DEFAULT


def _resolve_fast(fast: bool | None) -> bool:
    if fast is None:
        from rnnlm import fast_mode

        return fast_mode()
    if not isinstance(fast, bool):
        raise TypeError(f"fast must be True, False or None, got {fast!r}")
    return fast


def embedded_splits(fast: bool | None = None) -> dict[str, list[list[str]]]:
    """The embedded corpus: ``{"train", "valid", "test"}`` -> list of sentences (lists of words).

    Deterministic: split number i of ("train", "valid", "test") is drawn with
    ``numpy.random.default_rng([EMBEDDED_SEED, i])``; sizes come from ``EMBEDDED_SIZES[fast]``
    (``fast`` defaults to ``rnnlm.fast_mode()``).
    """
    fast = _resolve_fast(fast)
    lang = default_language()
    return {
        split: lang.generate(EMBEDDED_SIZES[fast][split], np.random.default_rng([EMBEDDED_SEED, i]))
        for i, split in enumerate(_SPLITS)
    }


def embedded_perplexity_floor(split: str = "test", fast: bool | None = None) -> float:
    """Perplexity of the true generating model on a split of the embedded corpus.

    No model beats it on average: it is the per-token perplexity (one end-of-sentence event per
    sentence) of the exact sentence probabilities.
    """
    if split not in _SPLITS:
        raise ValueError(f"split must be one of {_SPLITS}, got {split!r}")
    return default_language().perplexity(embedded_splits(fast)[split])
