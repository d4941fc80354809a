"""Opinion-expression data: the kit's own tagged corpus and readers for the real MPQA data.

The task (notebook 06, after Irsoy & Cardie 2014, "Opinion Mining with Deep Recurrent Neural
Networks") is token tagging with BIO labels, ``"O"`` (outside), ``"B"`` (first token of an
expression) and ``"I"`` (inside, after a ``B`` or ``I``), for two kinds of expression, each its
own task (:data:`TASKS`):

- ``"dse"``, direct subjective expressions: explicit mentions of a private state (an opinion,
  belief, fear, wish) or of a speech event that expresses one: "has refused to make any
  statements", "criticized", "fears", "is deeply concerned".
- ``"ese"``, expressive subjective elements: opinion shown only through word choice: "as usual",
  "main impediment", "so-called", "outrageous".

Data sources (:func:`load_opinion` reads any of them into ``{"train", "dev", "test"}`` lists of
``(tokens, labels)``):

- the kit's corpus, generated here by :func:`generate_opinion_corpus` and shipped as three files
  in ``rnnlm/corpora/opinion/`` (see the GUIDE.md there). The file format: a first line
  ``# rnnlm opinion corpus v1: token, DSE, ESE (BIO)``, then one token a line as
  ``token<TAB>dse_tag<TAB>ese_tag``, one blank line between sentences. ``python -m rnnlm.opinion
  --write`` regenerates the files from seed 0.
- column files (:func:`read_columns`), the layout of Irsoy & Cardie's release: one token a
  line, whitespace-separated columns, the token first and the label in the last column (or
  ``label_column``), blank lines between sentences. Labels are ``O``, ``B``, ``I``, or a prefixed
  form such as ``B-DSE`` / ``I_ESE`` (case does not matter); they are normalised to B/I/O and
  otherwise kept as written (an ``I`` after an ``O`` stays an ``I``).
- MPQA 2.0 itself (:func:`read_mpqa2`): ``docs/<parent>/<doc>`` holds a document's text,
  ``man_anns/<parent>/<doc>/gateman.mpqa.lre.2.0`` its annotations and ``gatesentences.mpqa.2.0``
  its sentences, as lines ``id<TAB>start,end<TAB>string<TAB>type<TAB>attributes`` with byte
  offsets. Conversion to BIO: each ``GATE_sentence`` span is tokenised by :data:`TOKEN_PATTERN`;
  a token is inside an expression when its bytes overlap a ``GATE_direct-subjective`` (DSE) or
  ``GATE_expressive-subjectivity`` (ESE) annotation, empty and ``implicit="true"`` annotations
  left out; annotations that share a token merge into one span, annotations that only touch
  stay separate (``B ... B ...``). :func:`load_opinion` splits MPQA documents 80/10/10 by a hash
  of their name (:func:`mpqa_document_split`).

Labels from every reader are plain tuples of ``"O"``, ``"B"``, ``"I"``; the kit's own sentences are
:class:`TaggedSentence` objects carrying both tasks at once.
"""

from __future__ import annotations

import argparse
import hashlib
import random
import re
import sys
from collections import Counter, defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

__all__ = [
    "CORPUS_HEADER",
    "KIT_CORPUS_DIR",
    "KIT_SEED",
    "SPLITS",
    "SPLIT_SIZES",
    "TASKS",
    "TOKEN_PATTERN",
    "TaggedSentence",
    "context_statistics",
    "generate_opinion_corpus",
    "load_opinion",
    "main",
    "mpqa_document_split",
    "read_columns",
    "read_kit_corpus",
    "read_mpqa2",
    "task_pairs",
    "tokenize_with_offsets",
    "write_corpus",
]

#: The two tagging tasks: direct subjective expressions and expressive subjective elements.
TASKS: tuple[str, ...] = ("dse", "ese")

#: The three splits every loader returns, in this order.
SPLITS: tuple[str, ...] = ("train", "dev", "test")

#: Sentences per split of the kit's corpus.
SPLIT_SIZES: dict[str, int] = {"train": 1500, "dev": 300, "test": 300}

#: Seed of the shipped corpus.
KIT_SEED = 0

#: First line of every kit corpus file.
CORPUS_HEADER = "# rnnlm opinion corpus v1: token, DSE, ESE (BIO)"

#: Folder of the shipped corpus files (``train.tsv``, ``dev.tsv``, ``test.tsv``) and GUIDE.md.
KIT_CORPUS_DIR = Path(__file__).parent / "corpora" / "opinion"

_BIO = ("O", "B", "I")
_DATA_CHOICES = ("kit", "mpqa")
_LABEL_RE = re.compile(r"^([BIO])(?:[-_][A-Za-z0-9_.-]+)?$", re.IGNORECASE)

Pair = tuple[tuple[str, ...], tuple[str, ...]]
T = TypeVar("T")


# ---------------------------------------------------------------------------------------------
# validation helpers
# ---------------------------------------------------------------------------------------------


def _check_task(task: object) -> str:
    if not isinstance(task, str) or task not in TASKS:
        raise ValueError(f"task must be one of {TASKS}, got {task!r}")
    return task


def _as_path(path: object, what: str) -> Path:
    if isinstance(path, Path):
        return path
    if isinstance(path, str):
        return Path(path)
    raise TypeError(f"{what} must be a str or pathlib.Path, got {type(path).__name__}")


def _bio_problem(labels: Sequence[str]) -> str | None:
    """Why ``labels`` is not a valid BIO sequence (a label outside B/I/O, an I after O), or None."""
    previous = "O"
    for i, label in enumerate(labels):
        if label not in _BIO:
            return f"label {label!r} at position {i} is not B, I or O"
        if label == "I" and previous == "O":
            return f"'I' at position {i} follows 'O' (a span must start with 'B')"
        previous = label
    return None


# ---------------------------------------------------------------------------------------------
# the sentence type
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TaggedSentence:
    """One sentence of the kit's corpus with its DSE and its ESE labels.

    Attributes:
        tokens: the words and punctuation marks, none empty or containing whitespace.
        dse: one BIO label per token for direct subjective expressions.
        ese: one BIO label per token for expressive subjective elements.

    Both label tuples must be valid BIO: only ``"O"``, ``"B"``, ``"I"``, and never an ``"I"``
    right after an ``"O"`` or at the start. Raises ``TypeError`` / ``ValueError`` otherwise.
    """

    tokens: tuple[str, ...]
    dse: tuple[str, ...]
    ese: tuple[str, ...]

    def __post_init__(self) -> None:
        for name in ("tokens", "dse", "ese"):
            value = getattr(self, name)
            if not isinstance(value, tuple) or not all(isinstance(x, str) for x in value):
                raise TypeError(f"TaggedSentence.{name} must be a tuple of str, got {value!r}")
        if not self.tokens:
            raise ValueError("TaggedSentence.tokens must not be empty")
        for token in self.tokens:
            if not token or any(ch.isspace() for ch in token):
                raise ValueError(f"a token must be non-empty and without whitespace, got {token!r}")
        for name in TASKS:
            labels = getattr(self, name)
            if len(labels) != len(self.tokens):
                raise ValueError(
                    f"TaggedSentence.{name} has {len(labels)} labels for {len(self.tokens)} tokens"
                )
            problem = _bio_problem(labels)
            if problem is not None:
                raise ValueError(f"TaggedSentence.{name}: {problem}")

    def labels(self, task: str) -> tuple[str, ...]:
        """The labels of ``task`` (``"dse"`` or ``"ese"``)."""
        return getattr(self, _check_task(task))

    def for_task(self, task: str) -> Pair:
        """``(tokens, labels)`` for ``task``: the form every reader returns."""
        return self.tokens, self.labels(task)


def task_pairs(sentences: Sequence[TaggedSentence], task: str) -> list[Pair]:
    """``[(tokens, labels), ...]`` of ``task`` for a list of :class:`TaggedSentence`."""
    _check_task(task)
    out = []
    for s in sentences:
        if not isinstance(s, TaggedSentence):
            raise TypeError(f"expected TaggedSentence items, got {type(s).__name__}")
        out.append(s.for_task(task))
    return out


# ---------------------------------------------------------------------------------------------
# the generator: randomness, word lists
# ---------------------------------------------------------------------------------------------


class _Draw:
    """Seeded choices that use only ``random.Random.random()``, whose stream Python keeps stable."""

    def __init__(self, seed: str) -> None:
        self._rng = random.Random(seed)

    def chance(self, p: float) -> bool:
        return self._rng.random() < p

    def pick(self, options: Sequence[T]) -> T:
        return options[min(int(self._rng.random() * len(options)), len(options) - 1)]

    def integer(self, low: int, high: int) -> int:
        return low + min(int(self._rng.random() * (high - low + 1)), high - low)

    def weighted(self, options: Sequence[tuple[float, T]]) -> T:
        total = sum(w for w, _ in options)
        x = self._rng.random() * total
        for w, value in options:
            x -= w
            if x < 0:
                return value
        return options[-1][1]


# Open-class words (names, places, organisations, topics). The training split draws from the
# first 85 % of each list only, so that dev and test hold names never seen in training.
_COUNTRIES = (
    "Iran", "Iraq", "Israel", "Egypt", "Jordan", "Syria", "Lebanon", "Turkey", "Russia", "China",
    "Japan", "India", "Pakistan", "Afghanistan", "France", "Germany", "Britain", "Italy", "Spain",
    "Poland", "Ukraine", "Greece", "Brazil", "Argentina", "Mexico", "Venezuela", "Colombia",
    "Cuba", "Canada", "Nigeria", "Kenya", "Zimbabwe", "South Africa", "Indonesia", "Malaysia",
    "Thailand", "Vietnam", "Australia", "Sweden", "Norway", "Belgium", "Austria", "Hungary",
    "Serbia", "Chile", "Peru", "Algeria", "Morocco", "Libya", "Sudan", "Ethiopia", "Qatar",
    "Yemen", "North Korea", "Saudi Arabia", "Sri Lanka", "Bolivia", "Ghana", "Senegal", "Nepal",
)
_CITIES = (
    "Geneva", "Brussels", "Cairo", "Moscow", "Beijing", "Tokyo", "Paris", "Berlin", "London",
    "Madrid", "Rome", "Vienna", "Ankara", "Tehran", "Baghdad", "Amman", "Beirut", "Damascus",
    "Nairobi", "Lagos", "Harare", "Jakarta", "Bangkok", "Hanoi", "Delhi", "Islamabad", "Kabul",
    "Caracas", "Havana", "Lima", "Santiago", "Ottawa", "Canberra", "Oslo", "Stockholm", "Warsaw",
    "Kiev", "Athens", "Budapest", "Belgrade", "Algiers", "Rabat", "Tripoli", "Doha", "Accra",
    "Dakar", "Kathmandu", "Colombo", "Riyadh", "Khartoum",
)
_SURNAMES = (
    "Haddad", "Petrov", "Chen", "Tanaka", "Sharma", "Khan", "Dupont", "Weber", "Rossi", "Garcia",
    "Kowalski", "Novak", "Silva", "Moreno", "Okafor", "Mwangi", "Moyo", "Santoso", "Nguyen",
    "Larsen", "Jensen", "Papadopoulos", "Horvath", "Ivanov", "Morales", "Torres", "Rahman",
    "Aziz", "Levy", "Karimi", "Hosseini", "Yilmaz", "Demir", "Kuznetsov", "Wang", "Suzuki",
    "Patel", "Gupta", "Martin", "Bernard", "Schmidt", "Fischer", "Bianchi", "Lopez", "Fernandez",
    "Nowak", "Costa", "Pereira", "Adeyemi", "Otieno", "Ncube", "Wijaya", "Tran", "Hansen",
    "Nielsen", "Georgiou", "Nagy", "Popescu", "Ramos", "Vargas", "Castillo", "Mendoza", "Osei",
    "Mensah", "Diallo", "Traore", "Lindqvist", "Hakimi", "Bakr", "Sato",
)
_COMPANIES = (
    "Petrolex", "Transgas", "Unibank", "Medtel", "Agrocorp", "Sinotrade", "Orbitel", "Kamstroy",
    "Vitalis", "Norgaz", "Helion", "Baltrail", "Equinet", "Solmar", "Ferrotec",
)
_TITLES = (
    "foreign minister", "prime minister", "president", "defense minister", "interior minister",
    "finance minister", "trade minister", "ambassador", "chief negotiator", "spokesman",
    "spokeswoman", "envoy", "opposition leader", "army chief", "labor minister", "justice minister",
)
# (words, plural)
_ORGS = (
    ("the United Nations", False), ("the European Union", False), ("NATO", False),
    ("the World Bank", False), ("the IMF", False), ("the Red Cross", False),
    ("Amnesty International", False), ("Human Rights Watch", False), ("the Arab League", False),
    ("the African Union", False), ("OPEC", False), ("the Security Council", False),
    ("the foreign ministry", False), ("the State Department", False), ("the Kremlin", False),
    ("the government", False), ("the cabinet", False), ("parliament", False), ("the army", False),
    ("the central bank", False), ("the opposition", False), ("the White House", False),
    ("the ruling party", False), ("the main opposition party", False), ("the trade unions", True),
    ("the rebels", True), ("the protesters", True), ("the generals", True),
)
_GROUPS = (
    "officials", "diplomats", "analysts", "critics", "rights groups", "aid agencies", "residents",
    "farmers", "business leaders", "lawmakers", "opposition groups", "human rights activists",
    "Western diplomats", "church leaders", "students", "economists", "opposition lawmakers",
    "union leaders", "local officials", "senior officials",
)
# (noun words, plural)
_TOPIC_NOUNS = (
    ("plan", False), ("agreement", False), ("accord", False), ("treaty", False), ("budget", False),
    ("ceasefire", False), ("embargo", False), ("curfew", False), ("blockade", False),
    ("crackdown", False), ("referendum", False), ("constitution", False), ("law", False),
    ("policy", False), ("program", False), ("ruling", False), ("deal", False), ("decision", False),
    ("proposal", False), ("strategy", False), ("operation", False), ("offensive", False),
    ("reform", False), ("package", False), ("settlement", False), ("deployment", False),
    ("resolution", False), ("sanctions", True), ("reforms", True), ("cuts", True),
    ("arrests", True), ("elections", True), ("measures", True), ("restrictions", True),
    ("tariffs", True), ("air strikes", True), ("negotiations", True), ("deportations", True),
)
_TOPIC_DOMAINS = (
    "trade", "peace", "security", "nuclear", "border", "oil", "energy", "pension", "tax", "media",
    "immigration", "water", "farm", "health", "education", "arms", "climate", "debt", "aid",
    "visa", "land", "labor", "election", "privatization", "fishing", "banking",
)
_TOPIC_MODIFIERS = ("new", "proposed", "recent", "planned", "latest", "draft", "revised")
_DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_MONTHS = (
    "January", "February", "March", "April", "May", "June", "July", "August", "September",
    "October", "November", "December",
)
_EVENTS = (
    "a new war", "a wider conflict", "renewed violence", "a recession", "a famine",
    "mass layoffs", "a currency crisis", "a refugee crisis", "an oil shortage", "more attacks",
    "civil unrest", "a military coup", "a trade war", "food shortages", "a debt default",
)
_DEMANDS = (
    "restraint", "new elections", "the release of the prisoners", "an end to the violence",
    "an end to the blockade", "international monitors", "a ceasefire", "tougher sanctions",
    "an apology", "calm", "an independent inquiry", "the withdrawal of foreign troops",
    "early elections", "debt relief", "more aid",
)
_ACTS = (
    "lift the embargo", "resume talks", "release the prisoners", "withdraw its troops",
    "respect the ceasefire", "hold new elections", "open the border", "end the blockade",
    "free the journalists", "reopen the airport",
)
_CALLED_OFF = (
    "the strike", "the talks", "the visit", "the march", "the search", "the summit",
    "the protest", "the trip", "the vote",
)
_COMMODITIES = ("oil", "steel", "housing", "electricity", "grain", "copper", "coffee", "gas")
_CURRENCIES = ("dollars", "euros", "local currency")

# Expressive vocabulary. Evaluative adjectives are always ESEs; intensifiers are part of the ESE
# when they modify one, and plain words before a neutral adjective.
_EVAL_ADJ = (
    "outrageous", "absurd", "shameful", "reckless", "disgraceful", "ridiculous", "irresponsible",
    "unacceptable", "scandalous", "deplorable", "disastrous", "cynical", "hypocritical",
    "arrogant", "foolish", "courageous", "admirable", "excellent", "brilliant", "wise",
    "remarkable", "impressive", "commendable", "shortsighted",
)
_INTENSIFIERS = ("very", "so", "extremely", "truly")
# intensifiers that go only with some adjectives
_SPECIAL_INTENSIFIERS = {
    "utterly": ("absurd", "ridiculous", "unacceptable", "irresponsible", "reckless", "shameful", "foolish"),
    "totally": ("absurd", "ridiculous", "unacceptable", "irresponsible", "reckless", "shortsighted"),
    "deeply": ("cynical", "hypocritical", "shameful", "irresponsible", "deplorable"),
    "highly": ("irresponsible", "commendable", "impressive", "remarkable"),
}
_NEUTRAL_ADJ = ("large", "small", "short", "long", "brief", "late", "early", "busy", "quiet", "technical")
# Adjectives that make an ESE with an evaluative head noun and are plain words otherwise:
# adjective -> (evaluative heads, neutral heads).
_AMBIGUOUS_ADJ: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "main": (("impediment", "obstacle", "culprit", "threat", "danger"),
             ("road", "square", "entrance", "building", "airport", "station", "hospital")),
    "real": (("disaster", "threat", "tragedy", "scandal", "insult", "catastrophe"),
             ("estate", "wages", "income")),
    "total": (("failure", "disaster", "fiasco", "mess"),
              ("cost", "number", "output", "amount", "value")),
    "complete": (("farce", "failure", "mess", "fiasco", "sham"),
                 ("list", "text", "set", "record")),
    "gross": (("violation", "injustice", "distortion", "insult"), ("domestic product", "margin")),
    "absolute": (("disgrace", "farce", "scandal", "nonsense"), ("majority",)),
    "big": (("mistake", "blunder", "lie", "joke"), ("cities", "banks", "companies", "firms")),
}
_BLATANT = ("blatant", ("violation", "lie", "provocation", "attempt"))

# Verbs: (base, third person singular, past, participle).
_Verb = tuple[str, str, str, str]


def _regular(base: str, past: str | None = None) -> _Verb:
    s3 = base + ("es" if base.endswith(("s", "sh", "ch", "x", "z")) else "s")
    if base.endswith("y") and base[-2] not in "aeiou":
        s3 = base[:-1] + "ies"
    if past is None:
        past = base + "d" if base.endswith("e") else base + "ed"
    return base, s3, past, past


_DSE_TRANSITIVE: tuple[_Verb, ...] = tuple(
    _regular(v) for v in (
        "criticize", "condemn", "praise", "welcome", "reject", "oppose", "denounce", "question",
        "defend", "endorse", "applaud", "dismiss", "support", "hail", "deplore", "attack",
    )
)
_FACT_TRANSITIVE: tuple[_Verb, ...] = tuple(
    _regular(v) for v in (
        "sign", "approve", "postpone", "announce", "publish", "suspend", "discuss", "review",
        "present", "finalize", "implement", "delay", "extend", "unveil",
    )
) + (("submit", "submits", "submitted", "submitted"), ("ratify", "ratifies", "ratified", "ratified"))
_SAY: _Verb = ("say", "says", "said", "said")
_SPEECH: tuple[_Verb, ...] = (
    _regular("warn"), _regular("argue"), _regular("insist"), _regular("claim"),
    _regular("stress"), _regular("complain"), _regular("suggest"), _regular("charge"),
)
_STATE: tuple[_Verb, ...] = (
    _regular("believe"), _regular("fear"), _regular("hope"), _regular("doubt"),
    _regular("suspect"), ("think", "thinks", "thought", "thought"), ("feel", "feels", "felt", "felt"),
)
_ADVERBS = ("again", "also", "already", "now", "repeatedly", "publicly", "quickly")

# probabilities of the deliberate annotation noise
_DET_IN_ESE = 0.2  # the article before an ESE noun phrase is included in the span
_NOUN_AFTER_SO_CALLED = 0.2  # "so-called" takes the noun after it into the span
_INTENSIFIER_LEFT_OUT = 0.12  # an intensifier is left out of its ESE
_AUX_LEFT_OUT = 0.08  # the auxiliary is left out of a DSE
_SPAN_MISSED = 0.04  # an expression is not annotated at all

_Tok = tuple[str, str, str]  # (word, dse label, ese label)


def _o(text: str) -> list[_Tok]:
    return [(w, "O", "O") for w in text.split()]


def _span(words: Sequence[str], task: str) -> list[_Tok]:
    out: list[_Tok] = []
    for i, w in enumerate(words):
        tag = "B" if i == 0 else "I"
        out.append((w, tag, "O") if task == "dse" else (w, "O", tag))
    return out


def _dse(text: str) -> list[_Tok]:
    return _span(text.split(), "dse")


def _ese(text: str) -> list[_Tok]:
    return _span(text.split(), "ese")


def _has(toks: Sequence[_Tok], task: str) -> bool:
    col = 1 if task == "dse" else 2
    return any(t[col] != "O" for t in toks)


def _article(word: str) -> str:
    return "an" if word[0] in "aeiou" else "a"


class _Grammar:
    """The sentence grammar of the kit's corpus; every method returns tagged tokens."""

    def __init__(self, draw: _Draw, full_vocabulary: bool) -> None:
        self.d = draw

        def part(items: tuple[T, ...]) -> tuple[T, ...]:
            return items if full_vocabulary else items[: max(1, round(len(items) * 0.85))]

        self.countries = part(_COUNTRIES)
        self.cities = part(_CITIES)
        self.surnames = part(_SURNAMES)
        self.companies = part(_COMPANIES)
        self.orgs = part(_ORGS)
        self.domains = part(_TOPIC_DOMAINS)

    # -- noun phrases -----------------------------------------------------------------------

    def city(self) -> str:
        return self.d.pick(self.cities)

    def country(self) -> str:
        return self.d.pick(self.countries)

    def number(self) -> str:
        return str(self.d.integer(2, 90))

    def subject(self) -> tuple[list[_Tok], bool]:
        d = self.d
        kind = d.weighted([(0.22, "title"), (0.1, "named"), (0.24, "org"), (0.14, "country"), (0.3, "group")])
        if kind == "title":
            text = f"{self.country()} 's {d.pick(_TITLES)}"
            if d.chance(0.5):
                text += " " + d.pick(self.surnames)
            return _o(text), False
        if kind == "named":
            return _o(f"{d.pick(self.surnames)} , {self.country()} 's {d.pick(_TITLES)} ,"), False
        if kind == "org":
            words, plural = d.pick(self.orgs)
            return _o(words), plural
        if kind == "country":
            return _o(self.country()), False
        text = d.pick(_GROUPS)
        if d.chance(0.3):
            text += f" in {self.city()}"
        return _o(text), True

    def topic(self, *, look_alike: float = 0.2) -> tuple[list[_Tok], bool]:
        """A neutral noun phrase for what opinions are about: "the new pension reform".

        With probability ``look_alike`` it is one that holds a word which elsewhere starts an ESE:
        "the main road to Cairo", "the total cost of the project", "a very long meeting".
        """
        d = self.d
        if d.chance(look_alike):
            return self.neutral_np()
        noun, plural = d.pick(_TOPIC_NOUNS)
        words = [noun]
        if d.chance(0.6):
            words.insert(0, d.pick(self.domains))
        if d.chance(0.3):
            words.insert(0, d.pick(_TOPIC_MODIFIERS))
        if d.chance(0.2):
            return _o(f"{self.country()} 's " + " ".join(words)), plural
        return _o("the " + " ".join(words)), plural

    def topic_maybe_so_called(self) -> tuple[list[_Tok], bool]:
        """A topic, one time in eight as "the so-called ..." (an ESE)."""
        if not self.d.chance(0.125):
            return self.topic()
        noun, plural = self.d.pick(_TOPIC_NOUNS)
        words = noun.split()
        if self.d.chance(0.6):
            words.insert(0, self.d.pick(self.domains))
        return _o("the") + self.so_called(words), plural

    def so_called(self, head: Sequence[str]) -> list[_Tok]:
        head = " ".join(head).split()
        if self.d.chance(_NOUN_AFTER_SO_CALLED):
            return _span(["so-called", *head], "ese")
        return _ese("so-called") + _o(" ".join(head))

    # -- expressive elements ----------------------------------------------------------------

    def intensified(self, adjective: str) -> list[_Tok]:
        """"very outrageous": the intensifier belongs to the ESE (and is sometimes left out)."""
        special = tuple(w for w, adjs in _SPECIAL_INTENSIFIERS.items() if adjective in adjs)
        intensifier = self.d.pick(special if special and self.d.chance(0.2) else _INTENSIFIERS)
        if self.d.chance(_INTENSIFIER_LEFT_OUT):
            return _o(intensifier) + _ese(adjective)
        return _ese(f"{intensifier} {adjective}")

    def eval_adjective(self) -> list[_Tok]:
        adjective = self.d.pick(_EVAL_ADJ)
        return self.intensified(adjective) if self.d.chance(0.7) else _ese(adjective)

    def neutral_adjective(self) -> list[_Tok]:
        adjective = self.d.pick(_NEUTRAL_ADJ)
        return _o(f"{self.d.pick(_INTENSIFIERS)} {adjective}") if self.d.chance(0.8) else _o(adjective)

    def modified_np(self, subjective: bool) -> list[_Tok]:
        """"a very reckless decision" (ESE "very reckless") or "a very long meeting" (no ESE)."""
        d = self.d
        if subjective:
            noun = d.pick(("decision", "move", "step", "speech", "statement"))
            adjective = self.eval_adjective()
        else:
            noun = d.pick(("meeting", "session", "visit", "speech"))
            adjective = self.neutral_adjective()
        if adjective[0][0] == "so":  # "a so ... decision" is not English; "a truly ..." is
            adjective = [("truly", adjective[0][1], adjective[0][2]), *adjective[1:]]
        return _o(_article(adjective[0][0])) + adjective + _o(noun)

    def eval_np(self) -> list[_Tok]:
        """An evaluative noun phrase: "the main impediment", "a real disaster"."""
        d = self.d
        if d.chance(0.12):
            adjective, heads = _BLATANT
        else:
            adjective = d.pick(tuple(_AMBIGUOUS_ADJ))
            heads = _AMBIGUOUS_ADJ[adjective][0]
        head = d.pick(heads)
        article = "the" if adjective == "main" or d.chance(0.4) else _article(adjective)
        if d.chance(_DET_IN_ESE):
            np = _ese(f"{article} {adjective} {head}")
        else:
            np = _o(article) + _ese(f"{adjective} {head}")
        if adjective == "main" and d.chance(0.5):
            np += _o(d.pick(("to peace", "to a settlement", "to growth", "to the talks")))
        return np

    def neutral_np(self) -> tuple[list[_Tok], bool]:
        """A plain noun phrase with a look-alike of an ESE word in it: "the closure of the main road"."""
        d = self.d
        kind = d.pick(tuple(_AMBIGUOUS_ADJ))
        if kind == "main":
            head = d.pick(("road to", "airport in", "station in", "hospital in", "square in", "bridge in"))
            return _o(f"the closure of the main {head} {self.city()}"), False
        if kind == "real":
            options = ("the sale of a real estate unit", "the fall in real wages", "a real estate deal",
                       "the real estate market", "a real estate tax")
            return _o(d.pick(options)), False
        if kind == "total":
            noun = d.pick(_TOPIC_NOUNS)[0]
            what = d.pick(("cost", "value"))
            return _o(f"{d.pick(('the', 'a'))} total {what} of the {d.pick(self.domains)} {noun}"), False
        if kind == "complete":
            what = d.pick(("text", "list", "record"))
            return _o(f"{d.pick(('the', 'a'))} complete {what} of the {d.pick(self.domains)} talks"), False
        if kind == "gross":
            return _o(f"the latest figures on {self.country()} 's gross domestic product"), True
        if kind == "absolute":
            return _o("the need for an absolute majority"), False
        return _o(f"the rescue of {d.pick(('the', 'a'))} big {d.pick(('bank', 'lender', 'insurer'))}"), False

    def lookalike_predicate(self, plural: bool) -> list[_Tok]:
        """After a copula, where an evaluative noun phrase also stands ("... is the main obstacle"):
        the same adjective with a plain head, "... is the main road to Cairo", "... is a real estate deal"."""
        d = self.d
        adjective = d.pick(tuple(_AMBIGUOUS_ADJ))
        be = self.copula(plural, embedded=False)
        if adjective == "main":
            head = d.pick(_AMBIGUOUS_ADJ["main"][1])
            return _o(f"{be} the main {head} {d.pick(('to', 'in', 'near'))} {self.city()}")
        if adjective == "real":
            return _o(f"{be} a real estate {d.pick(('deal', 'tax', 'fund', 'project'))}")
        if adjective == "total":
            what = d.pick(("cost", "value", "amount"))
            return _o(f"{be} the total {what} of the {d.pick(self.domains)} plan")
        if adjective == "complete":
            what = d.pick(("list", "record", "text"))
            return _o(f"{be} a complete {what} of the {d.pick(self.domains)} talks")
        if adjective == "gross":
            return _o(f"{be} a gross margin of {self.number()} percent")
        if adjective == "absolute":
            return _o(f"{be} an absolute majority in {self.country()}")
        return _o(f"{be} a big {d.pick(('bank', 'lender', 'insurer', 'firm'))} in {self.country()}")

    def neutral_clause(self) -> list[_Tok]:
        """The same adjectives in plain statements: "the main road in Cairo was closed", "real estate"."""
        d = self.d
        adjective = d.pick(tuple(_AMBIGUOUS_ADJ))
        day, number, place = d.pick(_DAYS), self.number(), self.country()
        if adjective == "main":
            head = d.pick(_AMBIGUOUS_ADJ["main"][1])
            what = d.pick((f"was closed on {day}", "was reopened", "will be rebuilt",
                           f"was evacuated on {day}"))
            return _o(f"the main {head} in {self.city()} {what}")
        if adjective == "real":
            subject = d.pick(("the real estate market", "a real estate deal", "real wages", "real incomes"))
            return _o(f"{subject} in {place} {d.pick(('grew', 'fell', 'rose'))} by {number} percent")
        if adjective == "total":
            if d.chance(0.5):
                what = d.pick(("were evacuated", "were arrested", "voted"))
                return _o(f"a total of {number} people {what} in {self.city()}")
            what = d.pick(("cost of the project", "number of refugees", "output of the mines",
                           "value of exports"))
            return _o(f"the total {what} {d.pick(('rose', 'fell'))} to {number} million")
        if adjective == "complete":
            what = d.pick(("list of the victims", "text of the accord", "set of results",
                           "record of the talks"))
            verb = d.pick(("was published", "was released"))
            return _o(f"{d.pick(('the', 'a'))} complete {what} {verb} on {day}")
        if adjective == "gross":
            if d.chance(0.3):
                return _o(f"the gross margin at {d.pick(self.companies)} fell to {number} percent")
            return _o(f"{place} 's gross domestic product {d.pick(('grew', 'shrank'))} by {number} percent")
        if adjective == "absolute":
            who = d.pick(("the ruling party", "no party", "the coalition"))
            return _o(f"{who} won an absolute majority in {place}")
        what = d.pick(("were hit by the storm", "reported losses", "were closed on " + day))
        return _o(f"{d.pick(('the', 'several'))} big {d.pick(_AMBIGUOUS_ADJ['big'][1])} in {place} {what}")

    # -- verb groups ------------------------------------------------------------------------

    def verb_group(self, verb: _Verb, plural: bool, subjective: bool, *, state: bool = False) -> list[_Tok]:
        """A finite verb group; for a DSE the auxiliaries, negation and adverb are in the span."""
        d = self.d
        base, s3, past, participle = verb
        have = "have" if plural else "has"
        if state:
            form = d.weighted([(0.45, "present"), (0.2, "neg"), (0.2, "past"), (0.15, "long")])
            words = {
                "present": [base if plural else s3],
                "neg": ["do" if plural else "does", "not", base],
                "past": [past],
                "long": [have, "long", participle],
            }[form]
        else:
            form = d.weighted([
                (0.42, "past"), (0.24, "perfect"), (0.12, "adverb"), (0.1, "neg"), (0.12, "will"),
            ])
            words = {
                "past": [past],
                "perfect": [have, participle],
                "adverb": [have, d.pick(_ADVERBS), participle],
                "neg": d.pick((["did", "not", base], ["did", "not", base], [have, "not", participle],
                               [have, "not", "yet", participle])),
                "will": ["will", base],
            }[form]
        if not subjective:
            return _o(" ".join(words))
        if len(words) > 1 and d.chance(_AUX_LEFT_OUT):
            return _o(words[0]) + _span(words[1:], "dse")
        return _span(words, "dse")

    def copula(self, plural: bool, *, embedded: bool = True) -> str:
        options = ("were", "are", "would be") if plural else ("was", "is", "would be")
        if not embedded:
            options = options[:2]
        return self.d.pick(options)

    # -- clauses ----------------------------------------------------------------------------

    def topic_vp(self, plural: bool) -> list[_Tok]:
        """What happens to a plan or a law, no opinion in it: "was approved on Monday"."""
        d = self.d
        be = "were" if plural else "was"
        return _o(d.pick((
            f"{be} approved on {d.pick(_DAYS)}", f"took effect in {d.pick(_MONTHS)}", f"{be} suspended",
            f"will cost {self.number()} million dollars", f"{be} announced in {self.city()}",
            f"{'expire' if plural else 'expires'} in {d.pick(_MONTHS)}",
        )))

    def factual_vp(self, plural: bool) -> list[_Tok]:
        """A verb phrase with no opinion in it."""
        d = self.d
        kind = d.weighted([(0.5, "trans"), (0.2, "travel"), (0.15, "called_off"), (0.15, "meet")])
        if kind == "trans":
            topic, _ = self.topic()
            return self.verb_group(d.pick(_FACT_TRANSITIVE), plural, False) + topic
        if kind == "travel":
            verb = d.pick(("arrived in", "left", "returned to"))
            return _o(f"{'have' if plural else 'has'} {verb} {self.city()}")
        if kind == "called_off":
            return _o(f"called off {d.pick(_CALLED_OFF)}")
        return _o(f"met {d.pick(self.surnames)} in {self.city()}")

    def content(self, subjective: bool) -> list[_Tok]:
        """A reported clause: with an ESE when ``subjective``, purely factual otherwise."""
        d = self.d
        if subjective:
            kind = d.weighted([
                (0.28, "adj"), (0.26, "np"), (0.1, "so_called"), (0.1, "hardly"), (0.07, "at_best"),
                (0.07, "of_course"), (0.05, "slap"), (0.07, "as_usual"), (0.15, "modified"),
                (0.06, "yet_another"), (0.06, "far_too"),
            ])
            if kind == "modified":
                topic, plural = self.topic(look_alike=0.0)
                return topic + _o(self.copula(plural)) + self.modified_np(True)
            if kind == "yet_another":
                topic, plural = self.topic()
                noun = d.pick(("setback", "blunder", "failure", "provocation", "humiliation"))
                return topic + _o(self.copula(False) if not plural else "meant") + _ese(f"yet another {noun}")
            if kind == "far_too":
                topic, plural = self.topic()
                adjective = d.pick(("slow", "timid", "little", "cautious", "weak", "late", "vague"))
                return topic + _o(self.copula(plural)) + _ese(f"far too {adjective}")
            if kind in ("adj", "np", "of_course"):
                topic, plural = self.topic()
                pred = self.eval_adjective() if kind != "np" else self.eval_np()
                if kind == "of_course":
                    be = self.copula(plural, embedded=False)
                    return topic + _o(be + " ,") + _ese("of course") + _o(",") + pred
                return topic + _o(self.copula(plural)) + pred
            if kind == "so_called":
                noun, _ = d.pick(_TOPIC_NOUNS)
                return _o("the") + self.so_called([d.pick(self.domains), noun]) + _o(
                    f"would {d.pick(('hurt', 'help', 'affect', 'reach'))} {d.pick(_GROUPS)}")
            if kind == "hardly":
                topic, _ = self.topic()
                return topic + _o("would") + _ese("hardly") + _o(
                    d.pick(("help", "end the violence", "solve the crisis", "change anything", "work")))
            if kind == "at_best":
                topic, _ = self.topic()
                return topic + _o("would be ,") + _ese("at best") + _o(", a temporary fix")
            if kind == "slap":
                topic, _ = self.topic()
                return topic + _o("was a") + _ese("slap in the face") + _o(f"for {self.country()}")
            subject, plural = self.subject()
            return subject + _o(",") + _ese("as usual") + _o(",") + self.factual_vp(plural)
        kind = d.weighted([
            (0.2, "schedule"), (0.15, "resume"), (0.12, "arrests"), (0.12, "neutral_np"),
            (0.1, "concerned"), (0.15, "neutral_adj"), (0.1, "rates"), (0.11, "at_least"), (0.12, "meeting"),
        ])
        if kind == "meeting":
            subject, _ = self.subject()
            return subject + _o("had held") + self.modified_np(False) + _o(f"in {self.city()}")
        if kind == "schedule":
            topic, plural = self.topic()
            verb = d.pick(("signed", "discussed", "presented", "published"))
            return topic + _o(f"would be {verb} in {self.city()} on {d.pick(_DAYS)}")
        if kind == "resume":
            return _o(f"the {d.pick(('talks', 'meeting', 'summit', 'trial'))} would "
                      f"{d.pick(('resume', 'take place', 'begin', 'end'))} on {d.pick(_DAYS)}")
        if kind == "arrests":
            where = f"in a village not far from {self.city()}" if d.chance(0.4) else f"in {self.city()}"
            what = d.pick(("arrested", "injured", "evacuated"))
            return _o(f"{self.number()} people had been {what} {where}")
        if kind == "neutral_np":
            return self.neutral_clause()
        if kind == "concerned":
            return _o(f"the countries concerned would meet in {self.city()} on {d.pick(_DAYS)}")
        if kind == "neutral_adj":
            topic, plural = self.topic()
            return topic + _o(self.copula(plural)) + self.neutral_adjective()
        if kind == "rates":
            return _o(f"interest rates would {d.pick(('rise', 'fall'))} to {d.integer(2, 15)} percent")
        what = d.pick(("killed", "injured"))
        return _o(f"at least {self.number()} people had been {what} in {self.city()}")

    # -- sentence types ---------------------------------------------------------------------

    def s_dse_transitive(self) -> list[_Tok]:
        subject, plural = self.subject()
        topic, _ = self.topic_maybe_so_called()
        out = subject + self.verb_group(self.d.pick(_DSE_TRANSITIVE), plural, True) + topic
        if self.d.chance(0.25):
            out += _o(",") + _dse("calling") + _o("it") + self.eval_np()
        return out

    def s_factual_transitive(self) -> list[_Tok]:
        subject, plural = self.subject()
        if self.d.chance(0.15):
            return subject + _o(",") + _ese("as usual") + _o(",") + self.factual_vp(plural)
        if self.d.chance(0.12):
            aside = self.d.pick(("as planned", "as agreed", "as a precaution"))
            return subject + _o(f", {aside} ,") + self.factual_vp(plural)
        topic, _ = self.topic_maybe_so_called()
        return subject + self.verb_group(self.d.pick(_FACT_TRANSITIVE), plural, False) + topic

    def s_speech(self) -> list[_Tok]:
        d = self.d
        subject, plural = self.subject()
        kind = d.weighted([(0.5, "say"), (0.3, "speech"), (0.2, "state")])
        subjective = d.chance(0.65) if kind == "say" else d.chance(0.6)
        content = self.content(subjective)
        if kind == "say":
            # "said" is a DSE when what was said carries an opinion, else an objective report
            verb = self.verb_group(_SAY, plural, _has(content, "ese"))
        elif kind == "speech":
            verb = self.verb_group(d.pick(_SPEECH), plural, True)
        else:
            verb = self.verb_group(d.pick(_STATE), plural, True, state=True)
        if d.chance(0.3) and kind != "state":
            verb += _o(f"on {d.pick(_DAYS)}")
        if d.chance(0.6):
            verb += _o("that")
        return subject + verb + content

    def s_inverted(self) -> list[_Tok]:
        d = self.d
        content = self.content(d.chance(0.5))
        subject, _ = self.subject()
        said = _dse("said") if _has(content, "ese") else _o("said")
        if d.chance(0.3):
            return content + _o(",") + said + subject
        return content + _o(",") + subject + said

    def s_refuse(self) -> list[_Tok]:
        d = self.d
        subject, plural = self.subject()
        verb = d.pick(("refused", "declined"))
        aux = d.chance(0.4)
        head = [("have" if plural else "has")] if aux else []
        kind = d.weighted([(0.45, "statement"), (0.55, "act")])
        if kind == "statement":
            rest = "to make any statements" if verb == "refused" and d.chance(0.5) else "to comment"
            words = [*head, verb, *rest.split()]
            out = subject + (_o(words[0]) + _span(words[1:], "dse") if aux and d.chance(_AUX_LEFT_OUT)
                             else _span(words, "dse"))
            if d.chance(0.4):
                topic, _ = self.topic()
                out += _o("on") + topic
            return out
        words = [*head, verb]
        act = d.pick(("to sign", "to approve", "to discuss", "to extend", "to ratify", "to review"))
        topic, _ = self.topic()
        return subject + _span(words, "dse") + _o(act) + topic

    def s_decline_factual(self) -> list[_Tok]:
        d = self.d
        what = d.pick(("Sales at", "Shares in", "Profits at", "Output at"))
        company = d.pick(self.companies)
        if d.chance(0.5):
            return _o(f"{what.lower()} {company} declined by {self.number()} percent in {d.pick(_MONTHS)}")
        if d.chance(0.5):
            subject = _o(company)
            what = d.pick(("merger", "sale", "report", "figures"))
            return subject + _dse("declined to comment") + _o(f"on the {what}")
        return _o(f"exports from {self.country()} declined by {self.number()} percent in {d.pick(_MONTHS)}")

    def s_called(self) -> list[_Tok]:
        d = self.d
        subject, plural = self.subject()
        kind = d.weighted([(0.3, "for"), (0.25, "on"), (0.25, "off"), (0.2, "it")])
        aux = _o("have" if plural else "has") if d.chance(0.25) else []
        if kind == "off":
            return subject + aux + _o(f"called off {d.pick(_CALLED_OFF)}")
        if aux and d.chance(_AUX_LEFT_OUT):
            aux_tag: list[_Tok] = aux
            start = "B"
        elif aux:
            aux_tag = [(aux[0][0], "B", "O")]
            start = "I"
        else:
            aux_tag, start = [], "B"
        if kind == "it":
            topic, _ = self.topic()
            return subject + aux_tag + [("called", start, "O")] + topic + self.eval_np()
        particle = kind
        target = _o(d.pick(_DEMANDS)) if kind == "for" else _o(f"{self.country()} to {d.pick(_ACTS)}")
        return subject + aux_tag + [("called", start, "O"), (particle, "I", "O")] + target

    def s_concerned(self) -> list[_Tok]:
        d = self.d
        kind = d.weighted([(0.55, "about"), (0.25, "as_far"), (0.2, "parties")])
        if kind == "about":
            subject, plural = self.subject()
            words = [self.copula(plural, embedded=False)]
            if d.chance(0.4):
                words.append(d.pick(("deeply", "very", "gravely", "increasingly")))
            words.append("concerned")
            topic, _ = self.topic()
            if d.chance(_AUX_LEFT_OUT):
                group = _o(words[0]) + _span(words[1:], "dse")
            else:
                group = _span(words, "dse")
            return subject + group + _o(d.pick(("about", "over", "by"))) + topic
        if kind == "as_far":
            subject, plural = self.subject()
            be = "are" if plural else "is"
            return _o("as far as") + subject + _o(f"{be} concerned ,") + self.content(d.chance(0.4))
        topic, _ = self.topic()
        return _o(f"the {d.pick(('countries', 'parties', 'companies', 'ministries'))} concerned "
                  f"{d.pick(('will discuss', 'have signed', 'must approve'))}") + topic

    def s_nominal(self) -> list[_Tok]:
        """Nominal DSEs ("fears", "criticism", "opposition to", "demand for") and their look-alikes."""
        d = self.d
        kind = d.weighted([
            (0.14, "fears"), (0.12, "criticism"), (0.14, "opposition"), (0.12, "opposition_o"),
            (0.1, "demand"), (0.1, "demand_o"), (0.1, "interest"), (0.08, "interest_o"), (0.1, "hopes"),
        ])
        if kind == "fears":
            body = self.factual_clause()
            growing = "growing fears" if d.chance(0.3) else "fears"
            if d.chance(0.5):
                return body + _o("amid") + _dse(growing) + _o("of " + d.pick(_EVENTS))
            return body + _o("amid") + _dse(growing) + _o("that") + self.content(False)
        if kind == "criticism":
            subject, plural = self.subject()
            topic, _ = self.topic()
            noun = "criticism" if d.chance(0.6) else f"{d.pick(('strong', 'growing', 'fierce'))} criticism"
            return subject + _o(f"{'have' if plural else 'has'} faced") + _dse(noun) + _o("over") + topic
        if kind == "opposition":
            topic, _ = self.topic()
            verb = d.pick(("has delayed", "could delay", "has stalled"))
            what = d.pick(("talks", "vote", "summit"))
            owner = _o(f"{self.country()} 's")
            return owner + _dse("opposition") + _o("to") + topic + _o(f"{verb} the {what}")
        if kind == "opposition_o":
            return _o(f"the opposition {d.pick(('party', 'leader', 'coalition', 'newspaper'))} "
                      f"{d.pick(('won', 'lost'))} {self.number()} seats in {self.country()}")
        if kind == "demand":
            subject, _ = self.subject()
            if d.chance(0.3):
                return subject + _o("renewed") + _dse("calls") + _o("for " + d.pick(_DEMANDS))
            return subject + _o("repeated the") + _dse("demand") + _o("for " + d.pick(_DEMANDS))
        if kind == "demand_o":
            verb = d.pick(("rose", "fell"))
            what = d.pick(_COMMODITIES)
            return _o(f"the demand for {what} {verb} by {self.number()} percent in {self.country()}")
        if kind == "interest":
            subject, plural = self.subject()
            topic, _ = self.topic()
            return subject + _dse(f"{'have' if plural else 'has'} shown little interest") + _o("in") + topic
        if kind == "interest_o":
            verb = d.pick(("rose", "fell"))
            return _o(f"interest rates in {self.country()} {verb} to {d.integer(2, 15)} percent")
        verb = d.pick(("faded", "grew", "rose"))
        return _o("the") + _dse("hopes") + _o(f"of a settlement {verb} on {d.pick(_DAYS)}")

    def s_expressed(self) -> list[_Tok]:
        d = self.d
        kind = d.weighted([(0.4, "concern"), (0.2, "in_money"), (0.25, "alarm"), (0.15, "sirens")])
        if kind == "concern":
            subject, plural = self.subject()
            adjective = d.pick(("", "", "deep", "grave", "serious"))
            words = [w for w in ("expressed", adjective, "concern") if w]
            topic, _ = self.topic()
            return subject + _span(words, "dse") + _o(d.pick(("over", "about"))) + topic
        if kind == "in_money":
            topic, _ = self.topic()
            return (_o(f"the figures , expressed in {d.pick(_CURRENCIES)} , show that") + topic
                    + _o(f"cost {self.number()} million"))
        if kind == "alarm":
            subject, _ = self.subject()
            topic, _ = self.topic()
            return subject + _dse("sounded the alarm") + _o("over") + topic
        return _o(f"sirens sounded across {self.city()} on {d.pick(_DAYS)}")

    def s_claimed(self) -> list[_Tok]:
        d = self.d
        subject, plural = self.subject()
        if d.chance(0.5):
            verb = self.verb_group(_regular("claim"), plural, True)
            return subject + verb + _o("that") + self.content(d.chance(0.5))
        cause = d.pick(("the fighting", "the clashes", "the floods", "the attack", "the epidemic"))
        return _o(f"{cause} claimed the lives of {self.number()} people in {self.city()}")

    def s_ese_plain(self) -> list[_Tok]:
        """The writer's own opinion, ESEs only."""
        d = self.d
        kind = d.weighted([(0.25, "adj"), (0.25, "np"), (0.15, "so_called"), (0.15, "what_called"),
                           (0.2, "modified")])
        topic, plural = self.topic(look_alike=0.0 if kind == "modified" else 0.2)
        if kind == "modified":
            return topic + _o(self.copula(plural, embedded=False)) + self.modified_np(True)
        if kind == "adj":
            return topic + _o(self.copula(plural, embedded=False)) + self.eval_adjective()
        if kind == "np":
            return topic + _o(self.copula(plural, embedded=False)) + self.eval_np()
        if kind == "so_called":
            noun, _ = d.pick(_TOPIC_NOUNS)
            return _o("the") + self.so_called([d.pick(self.domains), noun]) + self.topic_vp(plural)
        subject, plural = self.subject()
        return subject + self.verb_group(d.pick(_FACT_TRANSITIVE), plural, False) + _o("what critics") + _dse(
            "called") + self.eval_np()

    def s_factual(self) -> list[_Tok]:
        """No expression at all, often with the look-alikes of expressions."""
        d = self.d
        kind = d.weighted([(0.1, "vp"), (0.15, "np"), (0.1, "usual"), (0.1, "course"), (0.2, "neutral_adj"),
                           (0.15, "held"), (0.25, "copula")])
        if kind == "copula":
            topic, plural = self.topic()
            return topic + self.lookalike_predicate(plural)
        if kind == "held":
            subject, _ = self.subject()
            return subject + _o("held") + self.modified_np(False) + _o(f"in {self.city()}")
        if kind == "vp":
            subject, plural = self.subject()
            return subject + self.factual_vp(plural)
        if kind == "np":
            return self.neutral_clause()
        if kind == "usual":
            what = d.pick(("schedule", "route", "procedure", "timetable"))
            verb = d.pick(("was changed", "was followed", "will apply"))
            event = d.pick(("talks", "storm", "strike"))
            return _o(f"the {d.pick(('usual', 'new'))} {what} {verb} after the {event}")
        if kind == "course":
            what = d.pick(("talks", "trial", "inquiry"))
            return _o(f"in the course of the {what} ,") + self.factual_clause()
        topic, plural = self.topic()
        return topic + _o(self.copula(plural, embedded=False)) + self.neutral_adjective()

    def factual_clause(self) -> list[_Tok]:
        subject, plural = self.subject()
        return subject + self.factual_vp(plural)

    # -- whole sentences --------------------------------------------------------------------

    def sentence(self) -> TaggedSentence:
        d = self.d
        maker: Callable[[], list[_Tok]] = d.weighted([
            (0.13, self.s_dse_transitive), (0.11, self.s_factual_transitive), (0.12, self.s_speech),
            (0.07, self.s_inverted), (0.07, self.s_refuse), (0.04, self.s_decline_factual),
            (0.07, self.s_called), (0.06, self.s_concerned), (0.09, self.s_nominal),
            (0.05, self.s_expressed), (0.04, self.s_claimed), (0.08, self.s_ese_plain),
            (0.10, self.s_factual),
        ])
        body = maker()
        times = {*_DAYS, *_MONTHS, "week"}
        words = {t[0] for t in body}
        prefix: list[_Tok] = []
        if d.chance(0.2):
            prefix = d.weighted([
                (0.2, _o(f"on {d.pick(_DAYS)} ,")), (0.2, _o(f"in {self.city()} ,")),
                (0.1, _o("meanwhile ,")), (0.12, _o("as a result ,")), (0.1, _o("as part of the deal ,")),
                (0.06, _o("as planned ,")), (0.12, _ese("as usual") + _o(",")),
                (0.1, _ese("of course") + _o(",")), (0.06, _o("last week ,")),
                (0.1, _o("after") + self.modified_np(False) + _o(",")),
            ])
            if {t[0] for t in prefix} & times and words & times:
                prefix = []
        suffix: list[_Tok] = []
        if maker in self.suffix_makers and not words & {"calling", "amid"} and d.chance(0.3):
            suffix = d.weighted([
                (0.3, _o(f"on {d.pick(_DAYS)}")), (0.2, _o(f"in {d.pick(_MONTHS)}")), (0.15, _o("last week")),
                (0.15, _o(f"after talks in {self.city()}")),
                (0.1, _o("amid") + _dse("fears") + _o("of " + d.pick(_EVENTS))),
                (0.1, _o(f"ahead of the {d.pick(('vote', 'summit', 'deadline'))}")),
                (0.15, _o("after") + self.modified_np(False)),
            ])
            if {t[0] for t in suffix} & times and (words | {t[0] for t in prefix}) & times:
                suffix = []
        toks = prefix + body + suffix + _o(".")
        # a comma closing an apposition disappears before another comma or the full stop
        toks = [t for i, t in enumerate(toks) if not (t[0] == "," and toks[i + 1][0] in (",", "."))]
        toks = self.miss_spans(toks)
        words = [w for w, _, _ in toks]
        words[0] = words[0][0].upper() + words[0][1:]
        return TaggedSentence(tuple(words), tuple(t[1] for t in toks), tuple(t[2] for t in toks))

    @property
    def suffix_makers(self) -> tuple[Callable[[], list[_Tok]], ...]:
        """Sentence types that end in a plain verb phrase and so may take a time or place after it."""
        return (self.s_dse_transitive, self.s_factual_transitive, self.s_called, self.s_refuse,
                self.s_expressed, self.s_concerned)

    def miss_spans(self, toks: list[_Tok]) -> list[_Tok]:
        """Annotator noise: each expression goes unannotated with a small probability."""
        out = [list(t) for t in toks]
        for col in (1, 2):
            i = 0
            while i < len(out):
                if out[i][col] == "B":
                    j = i + 1
                    while j < len(out) and out[j][col] == "I":
                        j += 1
                    if self.d.chance(_SPAN_MISSED):
                        for k in range(i, j):
                            out[k][col] = "O"
                    i = j
                else:
                    i += 1
        return [(w, a, b) for w, a, b in out]


def generate_opinion_corpus(seed: int = KIT_SEED) -> dict[str, list[TaggedSentence]]:
    """The kit's opinion corpus: ``{"train", "dev", "test"}`` lists of :class:`TaggedSentence`.

    News-style sentences from a grammar of attributions, reported speech, evaluations and plain
    reports (see ``corpora/opinion/GUIDE.md``), sized by :data:`SPLIT_SIZES`. The same seed gives the
    same corpus on every platform and Python version (all choices come from
    ``random.Random.random``). The training split draws names, places, organisations and topic
    words from 85 % of each word list, dev and test from all of it, so that they hold unseen words.
    ``generate_opinion_corpus(KIT_SEED)`` is what the shipped files hold.
    """
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise TypeError(f"seed must be an int, got {type(seed).__name__}")
    corpus: dict[str, list[TaggedSentence]] = {}
    for split in SPLITS:
        grammar = _Grammar(_Draw(f"rnnlm-opinion/{seed}/{split}"), full_vocabulary=split != "train")
        corpus[split] = [grammar.sentence() for _ in range(SPLIT_SIZES[split])]
    return corpus


# ---------------------------------------------------------------------------------------------
# the kit's files
# ---------------------------------------------------------------------------------------------


def write_corpus(folder: str | Path, corpus: Mapping[str, Sequence[TaggedSentence]]) -> list[Path]:
    """Write ``corpus`` (``{"train", "dev", "test"}`` -> sentences) as ``<split>.tsv`` in ``folder``.

    Creates ``folder`` if needed and returns the paths written. The format is the one described
    in the module docstring (header line, ``token<TAB>dse<TAB>ese``, blank line between sentences).
    """
    folder = _as_path(folder, "folder")
    if not isinstance(corpus, Mapping) or set(corpus) != set(SPLITS):
        got = sorted(corpus) if isinstance(corpus, Mapping) else type(corpus).__name__
        raise ValueError(f"corpus must map exactly the splits {SPLITS} to sentences, got {got}")
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for split in SPLITS:
        blocks = []
        for s in corpus[split]:
            if not isinstance(s, TaggedSentence):
                raise TypeError(f"corpus[{split!r}] must hold TaggedSentence items, got {type(s).__name__}")
            blocks.append("\n".join(f"{w}\t{a}\t{b}" for w, a, b in zip(s.tokens, s.dse, s.ese, strict=True)))
        path = folder / f"{split}.tsv"
        path.write_text(CORPUS_HEADER + "\n" + "\n\n".join(blocks) + "\n", encoding="utf-8", newline="\n")
        paths.append(path)
    return paths


def _read_kit_file(path: Path) -> list[TaggedSentence]:
    lines = path.read_text(encoding="utf-8").split("\n")
    if not lines or lines[0].rstrip("\r") != CORPUS_HEADER:
        raise ValueError(f"{path.name} line 1: expected the header {CORPUS_HEADER!r}")
    sentences: list[TaggedSentence] = []
    rows: list[list[str]] = []
    start = 2

    def flush() -> None:
        if rows:
            try:
                sentences.append(TaggedSentence(*(tuple(col) for col in zip(*rows, strict=True))))
            except ValueError as exc:
                raise ValueError(f"{path.name} line {start}: {exc}") from None
            rows.clear()

    for line_no, line in enumerate(lines[1:], start=2):
        line = line.rstrip("\r")
        if not line.strip():
            flush()
            start = line_no + 1
            continue
        fields = line.split("\t")
        if len(fields) != 3:
            raise ValueError(
                f"{path.name} line {line_no}: expected 3 tab-separated columns, got {len(fields)}"
            )
        rows.append(fields)
    flush()
    return sentences


def read_kit_corpus(folder: str | Path | None = None) -> dict[str, list[TaggedSentence]]:
    """Read ``train.tsv``, ``dev.tsv``, ``test.tsv`` of the kit's format (default: the shipped corpus).

    Raises ``FileNotFoundError`` naming the missing files, ``ValueError`` naming the file and line
    of a malformed one.
    """
    folder = KIT_CORPUS_DIR if folder is None else _as_path(folder, "folder")
    missing = [f"{split}.tsv" for split in SPLITS if not (folder / f"{split}.tsv").is_file()]
    if missing:
        raise FileNotFoundError(f"kit opinion corpus in {folder}: missing {', '.join(missing)}")
    return {split: _read_kit_file(folder / f"{split}.tsv") for split in SPLITS}


# ---------------------------------------------------------------------------------------------
# column files (Irsoy & Cardie's release)
# ---------------------------------------------------------------------------------------------


def read_columns(path: str | Path, *, label_column: int = -1) -> list[Pair]:
    """Read a column file: one token a line, whitespace-separated columns, blank lines between sentences.

    The token is column 0 and the label is column ``label_column`` (default the last). Labels are
    ``O``, ``B``, ``I`` or prefixed (``B-DSE``, ``I_ESE``; any case) and come back as ``"O"``,
    ``"B"``, ``"I"``; sequences are kept as written (an ``I`` after an ``O`` is not repaired).
    Every token line must have the same number of columns, at least two.

    Returns ``[(tokens, labels), ...]``. Raises ``ValueError`` naming the file and the 1-based
    line number of a malformed line, e.g. ``"dse.txt line 17: label 'X' is not B, I or O"``.
    """
    path = _as_path(path, "path")
    if isinstance(label_column, bool) or not isinstance(label_column, int):
        raise TypeError(f"label_column must be an int, got {type(label_column).__name__}")
    name = path.name
    sentences: list[Pair] = []
    tokens: list[str] = []
    labels: list[str] = []
    n_columns: int | None = None
    first_line: int | None = None
    with path.open(encoding="utf-8") as f:
        for line_no, line in enumerate(f, start=1):
            fields = line.split()
            if not fields:
                if tokens:
                    sentences.append((tuple(tokens), tuple(labels)))
                    tokens, labels = [], []
                continue
            if n_columns is None:
                if len(fields) < 2:
                    raise ValueError(f"{name} line {line_no}: expected a token and a label, got one column")
                if not -len(fields) <= label_column < len(fields) or label_column % len(fields) == 0:
                    raise ValueError(
                        f"{name} line {line_no}: label_column {label_column} does not name a label column "
                        f"of {len(fields)} columns (column 0 is the token)"
                    )
                n_columns, first_line = len(fields), line_no
            elif len(fields) != n_columns:
                raise ValueError(
                    f"{name} line {line_no}: expected {n_columns} columns like line {first_line}, "
                    f"got {len(fields)}"
                )
            match = _LABEL_RE.match(fields[label_column])
            if match is None:
                raise ValueError(f"{name} line {line_no}: label {fields[label_column]!r} is not B, I or O")
            tokens.append(fields[0])
            labels.append(match.group(1).upper())
    if tokens:
        sentences.append((tuple(tokens), tuple(labels)))
    return sentences


# ---------------------------------------------------------------------------------------------
# MPQA 2.0
# ---------------------------------------------------------------------------------------------

#: The tokenizer of :func:`read_mpqa2`, on bytes: dotted abbreviations ("U.S."), numbers with
#: decimal or thousands separators ("3.5", "1,200"), words (letters, digits, underscore and any
#: non-ASCII byte, with inner hyphens or apostrophes: "so-called", "Iran's"), else one
#: punctuation character per token.
TOKEN_PATTERN = (
    rb"(?:[A-Za-z]\.){2,}"
    rb"|[0-9]+(?:[.,][0-9]+)+"
    rb"|[A-Za-z0-9_\x80-\xff]+(?:['\-][A-Za-z0-9_\x80-\xff]+)*"
    rb"|[^\sA-Za-z0-9_\x80-\xff]"
)
_TOKEN_RE = re.compile(TOKEN_PATTERN)
_SPAN_RE = re.compile(r"^\s*(\d+)\s*,\s*(\d+)\s*$")
_ATTR_RE = re.compile(r'([\w-]+)\s*=\s*"([^"]*)"')
_MPQA_TYPES = {"dse": "GATE_direct-subjective", "ese": "GATE_expressive-subjectivity"}
_ANNOTATION_FILE = "gateman.mpqa.lre.2.0"
_SENTENCE_FILE = "gatesentences.mpqa.2.0"


def tokenize_with_offsets(data: bytes, offset: int = 0) -> list[tuple[str, int, int]]:
    """Tokens of ``data`` by :data:`TOKEN_PATTERN`: ``[(token, start, end), ...]``, byte offsets + ``offset``.

    Tokens are decoded as UTF-8 (undecodable bytes become U+FFFD).
    """
    if not isinstance(data, bytes):
        raise TypeError(f"data must be bytes, got {type(data).__name__}")
    return [
        (m.group().decode("utf-8", errors="replace"), m.start() + offset, m.end() + offset)
        for m in _TOKEN_RE.finditer(data)
    ]


def _read_annotation_lines(path: Path) -> list[tuple[int, int, str, dict[str, str]]]:
    """``(start, end, type, attributes)`` of every annotation line of an MPQA 2.0 file."""
    out = []
    with path.open(encoding="utf-8", errors="replace") as f:
        for line_no, line in enumerate(f, start=1):
            line = line.rstrip("\r\n")
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            fields = line.split("\t")
            if len(fields) < 4:
                raise ValueError(
                    f"{path} line {line_no}: expected "
                    "'id<TAB>start,end<TAB>string<TAB>type[<TAB>attributes]', "
                    f"got {len(fields)} tab-separated fields"
                )
            span = _SPAN_RE.match(fields[1])
            if span is None:
                raise ValueError(f"{path} line {line_no}: span {fields[1]!r} is not 'start,end'")
            start, end = int(span.group(1)), int(span.group(2))
            if end < start:
                raise ValueError(f"{path} line {line_no}: span {fields[1]!r} ends before it starts")
            attributes = dict(_ATTR_RE.findall("\t".join(fields[4:])))
            out.append((start, end, fields[3].strip(), attributes))
    return out


def _mpqa_documents(root: Path) -> list[str]:
    docs = root / "docs"
    if not docs.is_dir() or not (root / "man_anns").is_dir():
        raise FileNotFoundError(f"{root} is not an MPQA 2.0 root: it needs docs/ and man_anns/ folders")
    names = sorted(
        f"{parent.name}/{doc.name}"
        for parent in docs.iterdir() if parent.is_dir()
        for doc in parent.iterdir() if doc.is_file()
    )
    if not names:
        raise FileNotFoundError(f"{docs} holds no documents (expected docs/<parent>/<docname>)")
    return names


def _bio_from_annotations(
    tokens: Sequence[tuple[str, int, int]], spans: Sequence[tuple[int, int]]
) -> tuple[str, ...]:
    """B/I/O for tokens given expression spans: overlapping spans merge, adjacent ones give B B."""
    labels: list[str] = []
    previous: set[int] = set()
    for _, t_start, t_end in tokens:
        current = {i for i, (a, b) in enumerate(spans) if t_start < b and a < t_end}
        if not current:
            labels.append("O")
        elif previous & current:
            labels.append("I")
        else:
            labels.append("B")
        previous = current
    return tuple(labels)


def _read_mpqa2_document(root: Path, name: str, task: str) -> list[Pair]:
    text_path = root / "docs" / name
    ann_dir = root / "man_anns" / name
    missing = [p for p in (ann_dir / _ANNOTATION_FILE, ann_dir / _SENTENCE_FILE) if not p.is_file()]
    if missing:
        raise FileNotFoundError(f"MPQA 2.0 document {name}: missing {', '.join(str(p) for p in missing)}")
    data = text_path.read_bytes()
    wanted = _MPQA_TYPES[task]
    spans = [
        (start, end)
        for start, end, kind, attrs in _read_annotation_lines(ann_dir / _ANNOTATION_FILE)
        if kind == wanted and end > start and attrs.get("implicit", "").strip().lower() != "true"
    ]
    sentences = sorted(
        (start, end) for start, end, kind, _ in _read_annotation_lines(ann_dir / _SENTENCE_FILE)
        if kind == "GATE_sentence"
    )
    out = []
    for start, end in sentences:
        tokens = tokenize_with_offsets(data[start:end], start)
        if tokens:
            out.append((tuple(t for t, _, _ in tokens), _bio_from_annotations(tokens, spans)))
    return out


def read_mpqa2(root: str | Path, *, task: str) -> list[Pair]:
    """Read MPQA 2.0 into ``[(tokens, labels), ...]`` for ``task`` (``"dse"`` or ``"ese"``).

    Layout: ``root/docs/<parent>/<docname>`` is a document's raw text;
    ``root/man_anns/<parent>/<docname>/gateman.mpqa.lre.2.0`` its annotations and
    ``.../gatesentences.mpqa.2.0`` its sentences, both as lines
    ``id<TAB>start,end<TAB>string<TAB>type<TAB>attributes`` (attributes ``key="value"``
    separated by spaces; blank lines and lines starting with ``#`` are skipped).

    Conversion rules:

    - offsets are byte offsets into the document; documents are read in sorted order of
      ``<parent>/<docname>``, their ``GATE_sentence`` spans in order of start offset;
    - each sentence span is tokenised by :data:`TOKEN_PATTERN` (sentences without tokens are
      dropped);
    - the expressions are the ``GATE_direct-subjective`` (DSE) or ``GATE_expressive-subjectivity``
      (ESE) annotations, except empty ones (start == end) and ``implicit="true"`` ones (the
      writer's implicit speech event); other annotation types are ignored;
    - a token is inside an expression when their character ranges overlap (a partial overlap is
      enough); a token inside starts a span (``B``) unless the token before it is inside one of
      the same expressions: so overlapping or nested annotations merge into one span, while two
      annotations that merely touch give ``B ... B ...``;
    - an annotation crossing a sentence boundary is cut at it.

    Raises ``FileNotFoundError`` when the layout or a document's files are missing and
    ``ValueError`` naming the file and line of a malformed annotation line.
    """
    root = _as_path(root, "root")
    _check_task(task)
    out: list[Pair] = []
    for name in _mpqa_documents(root):
        out.extend(_read_mpqa2_document(root, name, task))
    return out


def mpqa_document_split(name: str) -> str:
    """The split of MPQA document ``"<parent>/<docname>"``: 80/10/10 train/dev/test by the name's SHA-1."""
    if not isinstance(name, str):
        raise TypeError(f"name must be a str, got {type(name).__name__}")
    bucket = int.from_bytes(hashlib.sha1(name.encode("utf-8")).digest()[:8], "big") % 10
    return "train" if bucket < 8 else ("dev" if bucket == 8 else "test")


# ---------------------------------------------------------------------------------------------
# one entry point
# ---------------------------------------------------------------------------------------------

_COLUMN_NAMES = {
    "train": ("train",),
    "dev": ("dev", "valid", "validation"),
    "test": ("test",),
}
_COLUMN_SUFFIXES = ("", ".txt", ".tsv", ".conll")


def _column_folder(folder: Path, task: str) -> dict[str, list[Pair]]:
    base = folder / task if (folder / task).is_dir() else folder
    found: dict[str, Path] = {}
    for split, stems in _COLUMN_NAMES.items():
        for stem in stems:
            for suffix in _COLUMN_SUFFIXES:
                if split not in found and (base / (stem + suffix)).is_file():
                    found[split] = base / (stem + suffix)
    missing = [s for s in SPLITS if s not in found]
    if missing:
        tried = "; ".join(
            f"{s}: " + ", ".join(stem + suffix for stem in _COLUMN_NAMES[s] for suffix in _COLUMN_SUFFIXES)
            for s in missing
        )
        raise FileNotFoundError(
            f"{base} is neither an MPQA 2.0 root (docs/ and man_anns/) nor a folder of column files: "
            f"missing the {', '.join(missing)} split (tried {tried})"
        )
    return {split: read_columns(found[split]) for split in SPLITS}


def load_opinion(task: str, data: str = "kit", path: str | Path | None = None) -> dict[str, list[Pair]]:
    """``{"train", "dev", "test"}`` -> ``[(tokens, labels), ...]`` for ``task`` (``"dse"``, ``"ese"``).

    ``data="kit"`` reads the shipped corpus (or the kit-format folder ``path``). ``data="mpqa"``
    needs ``path``: either an MPQA 2.0 root (with ``docs/`` and ``man_anns/``), whose documents
    go to splits by :func:`mpqa_document_split`, or a folder of column files (optionally in a
    subfolder named after the task) called ``train``, ``dev`` / ``valid`` / ``validation`` and
    ``test``, bare or ending in ``.txt``, ``.tsv`` or ``.conll``, read by :func:`read_columns`.
    """
    _check_task(task)
    if not isinstance(data, str) or data not in _DATA_CHOICES:
        raise ValueError(f"data must be one of {_DATA_CHOICES}, got {data!r}")
    if data == "kit":
        corpus = read_kit_corpus(path)
        return {split: task_pairs(corpus[split], task) for split in SPLITS}
    if path is None:
        raise ValueError(
            "data='mpqa' needs path=: an MPQA 2.0 root or a folder of train/dev/test column files, got None"
        )
    folder = _as_path(path, "path")
    if not folder.is_dir():
        raise FileNotFoundError(f"{folder} is not a folder")
    if (folder / "docs").is_dir() and (folder / "man_anns").is_dir():
        splits: dict[str, list[Pair]] = {split: [] for split in SPLITS}
        for name in _mpqa_documents(folder):
            splits[mpqa_document_split(name)].extend(_read_mpqa2_document(folder, name, task))
        return splits
    return _column_folder(folder, task)


# ---------------------------------------------------------------------------------------------
# statistics
# ---------------------------------------------------------------------------------------------


def context_statistics(pairs: Sequence[Pair]) -> dict[str, float]:
    """How much a label depends on context, for ``[(tokens, labels), ...]`` of one task.

    Returns fractions of the expression tokens (labels B or I):

    - ``"ambiguous_word"``: whose word also occurs with label O;
    - ``"ambiguous_left"``: whose (previous word, word) pair also occurs with label O;
    - ``"ambiguous_right"``: whose (word, next word) pair also occurs with label O;
    - ``"ambiguous_both"``: whose (previous, word, next) triple also occurs with label O;

    ``"resolved_by_next"``: of the tokens counted in ``ambiguous_left``, the fraction that the
    next word disambiguates (their triple is not ambiguous): labels that a left-to-right reader
    cannot know when it reaches the word; and ``"expression_tokens"``, the number of B and I labels.
    """
    keys: dict[str, Callable[[tuple[str, ...], int], tuple[str, ...]]] = {
        "word": lambda t, i: (t[i],),
        "left": lambda t, i: (t[i - 1] if i else "<s>", t[i]),
        "right": lambda t, i: (t[i], t[i + 1] if i + 1 < len(t) else "</s>"),
        "both": lambda t, i: (t[i - 1] if i else "<s>", t[i], t[i + 1] if i + 1 < len(t) else "</s>"),
    }
    seen: dict[str, defaultdict[tuple[str, ...], set[bool]]] = {k: defaultdict(set) for k in keys}
    for tokens, labels in pairs:
        for i, label in enumerate(labels):
            for k, key in keys.items():
                seen[k][key(tokens, i)].add(label != "O")
    counts: Counter[str] = Counter()
    total = 0
    for tokens, labels in pairs:
        for i, label in enumerate(labels):
            if label == "O":
                continue
            total += 1
            for k, key in keys.items():
                counts[k] += len(seen[k][key(tokens, i)]) == 2
    stats = {f"ambiguous_{k}": counts[k] / total if total else 0.0 for k in keys}
    stats["resolved_by_next"] = (counts["left"] - counts["both"]) / counts["left"] if counts["left"] else 0.0
    stats["expression_tokens"] = float(total)
    return stats


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m rnnlm.opinion [--write] [--folder DIR] [--seed N]``: sizes, or regenerate the files."""
    parser = argparse.ArgumentParser(prog="python -m rnnlm.opinion", description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help="write the corpus files (else: print sizes)")
    parser.add_argument("--folder", default=str(KIT_CORPUS_DIR), help="where to write (default: the kit's)")
    parser.add_argument("--seed", type=int, default=KIT_SEED, help="generator seed (the shipped corpus: 0)")
    args = parser.parse_args(argv)
    corpus = generate_opinion_corpus(args.seed)
    for split in SPLITS:
        sentences = corpus[split]
        n_dse = sum("B" in s.dse for s in sentences)
        n_ese = sum("B" in s.ese for s in sentences)
        n_tokens = sum(len(s.tokens) for s in sentences)
        print(f"{split}: {len(sentences)} sentences, {n_tokens} tokens, {n_dse} with DSE, {n_ese} with ESE")
    if args.write:
        for path in write_corpus(args.folder, corpus):
            print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
