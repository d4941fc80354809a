# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#       jupytext_version: 1.19.6
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown] nbgrader={"grade": false, "grade_id": "nb06_intro", "locked": true, "schema_version": 3, "solution": false, "task": false}
# # 06 · Bidirectional and deep RNNs for opinion mining
#
# The language models of notebooks 02 to 05 read a sentence left to right and predict the next word: the
# state $h_t$ has seen the words up to $t$ and nothing after. For **tagging**, where every word gets a
# label, that is a handicap: whether *has* starts an opinion (*has **criticized***) or not (*has signed*)
# is settled by the word after it. A **bidirectional** RNN runs a second RNN from right to left and gives
# every word both states; a **deep** bidirectional RNN stacks such layers. This notebook follows Irsoy and
# Cardie (2014, "Opinion Mining with Deep Recurrent Neural Networks"), who tag the opinion expressions of
# the MPQA corpus with exactly these models.
#
# In this notebook you will
#
# 1. meet the shapes of RNN use: one-to-many (generation), many-to-one (classifying a sentence from its
#    final state) and many-to-many (tagging), each with a small model of the kit;
# 2. see opinion mining as tagging direct subjective expressions (DSE) and expressive subjective
#    elements (ESE) with B, I and O tags, on the kit's corpus;
# 3. decode tags into spans (**exercise 1**) and score predicted spans against true ones by
#    proportional overlap, beside the exact and binary rules (**exercise 2**);
# 4. see what a left-to-right tagger cannot know, and write the states of a bidirectional layer
#    (**exercise 3**);
# 5. go deep: write one layer of Irsoy and Cardie's deep bidirectional RNN (**exercise 4**), and check
#    a stack of them against the kit's PyTorch tagger;
# 6. train unidirectional, bidirectional and deep taggers with the same number of parameters on both
#    tasks and compare them in a table like theirs.
#
# | exercise | you write | points |
# | --- | --- | --- |
# | 1 | `bio_to_spans(tags)` | 2 |
# | 2 | `proportional_prf(true_spans, pred_spans)` | 3 |
# | 3 | `birnn_states(x, lengths, params_f, params_b, activation="tanh")` | 3 |
# | 4 | `deep_layer_states(h_below, lengths, params, activation="tanh")` | 2 |
#
# **How to work.** In each answer cell, replace `raise NotImplementedError()` with your code; keep the
# function's name and parameters (they are those of the library's `rnnlm.metrics.bio_to_spans`,
# `rnnlm.metrics.proportional_prf`, `rnnlm.tagging.birnn_states` and `rnnlm.tagging.deep_layer_states`).
# Then run the cell right below it, `rnnlm.check("nb06_bio_to_spans")` for exercise 1: it runs the
# exercise's visible checks and prints `PASSED`, or the first check that fails with a hint, without
# stopping the notebook. The test cell after it runs the same checks, and more (hidden) tests run when
# your notebook is graded. The demonstrations use the library: with the full kit they run even before you
# finish an exercise; in a student bundle the library runs your own functions, and a cell that needs an
# unfinished one says so and lets the notebook run on.
# A warning your code prints costs no points: the grader shows it in your feedback as a note.
#
# *Fast mode.* With the environment variable `RNNLM_FAST=1` the experiments shrink so that the whole
# notebook runs in well under a minute; the grader always uses it. Without it, expect about ten minutes
# on a laptop CPU, nearly all of it the taggers of section 7, which then train for 20 epochs with three
# seeds each.

# %% nbgrader={"grade": false, "grade_id": "nb06_setup", "locked": true, "schema_version": 3, "solution": false, "task": false}
import dataclasses
import time

import numpy as np
import torch

import rnnlm
from rnnlm import data, metrics, opinion, rnn_numpy, rnn_torch, tag, tagging, train
from rnnlm.metrics import BIO_TAGS, PRF

FAST = rnnlm.fast_mode()
SEED = 0
rng = np.random.default_rng(SEED)
torch.set_num_threads(1)  # one thread: the timings of the grader, and the other cores free
DEVICE = rnnlm.device()
print(f"rnnlm {rnnlm.__version__}, fast mode: {FAST}, device: {DEVICE}")

# %% [markdown] nbgrader={"grade": false, "grade_id": "nb06_shapes", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## 1. The shapes of RNN use
#
# An RNN turns a sequence of inputs $x_1, \dots, x_T$ into a sequence of states $h_1, \dots, h_T$. What we
# read off those states, and where, gives the task its shape:
#
# - **one-to-many**: one input (a prompt, or just a start state) and a sequence out. The language model of
#   notebook 03 *generates*: it samples a word from $\hat y_t$, feeds it back in as $x_{t+1}$, and goes on.
# - **many-to-one**: a sequence in and one output: the final state $h_T$, which has read the whole
#   sentence, goes through a softmax layer to classify the sentence (its sentiment, its topic, ...).
# - **many-to-many**, aligned: one output per input, $\hat y_t = \operatorname{softmax}(W_S h_t + b_S)$ at
#   every $t$: **tagging**, the subject of the rest of this notebook. (The unaligned kind, where the output
#   sequence has its own length, is translation; not here.)
#
# First, one-to-many: notebook 03's `rnn_torch.RNNLM`, trained for a few seconds on the kit's embedded corpus
# (generated sentences over a few hundred words), then asked to continue two prompts.

# %%
lm_splits = data.load_corpus("embedded")
lm_vocab = data.Vocab.build(lm_splits["train"])
lm_streams = {split: data.to_stream(sentences, lm_vocab) for split, sentences in lm_splits.items()}
lm = rnn_torch.RNNLM(len(lm_vocab), 32, 64, seed=SEED, device=DEVICE)
lm_config = train.TrainConfig(epochs=4, batch_size=32, seq_len=20, lr=1e-2, seed=SEED, progress=False,
                              max_minutes=0.02 if FAST else 0.5)  # at most 1.2 seconds (30 s)
lm_history = train.train(lm, lm_streams["train"], lm_streams["valid"][:5_000], lm_config)
print(f"language model: V = {len(lm_vocab)}, validation perplexity {lm_history.best_valid_perplexity:.1f} "
      f"after {lm_history.total_seconds:.1f} s")
for prompt in (lm_splits["test"][0][:1], lm_splits["test"][1][:2], lm_splits["test"][2][:1]):
    sample = lm.sample(12, start_ids=lm_vocab.encode(prompt), rng=SEED, temperature=0.8,
                       eos_id=lm_vocab.eos_id)
    print(f"  {' '.join(prompt)!r} -> {' '.join(lm_vocab.decode(sample.numpy()))}")

# %% [markdown] nbgrader={"grade": false, "grade_id": "nb06_many_to_one", "locked": true, "schema_version": 3, "solution": false, "task": false}
# Many-to-one: does a sentence of the kit's opinion corpus (section 2) contain a direct subjective
# expression? The same `RNNLM` class serves as the reader (`hidden_states` only; its output layer stays
# unused), and a linear layer on the state after the sentence's **last real word** gives two scores. The
# sentences are padded to one length at the end, so the left-to-right states of the real words never see
# the padding; we pick each sentence's state at `lengths - 1`.

# %%
tagging_data = {task: tag.encode_tagging_data(opinion.load_opinion(task)) for task in opinion.TASKS}
dse_data = tagging_data["dse"]


class FinalStateClassifier(torch.nn.Module):
    # many-to-one: an RNN reads the sentence; its state after the last real token -> class scores
    def __init__(self, vocab_size, embed_dim, hidden_dim, n_classes=2):
        super().__init__()
        self.reader = rnn_torch.RNNLM(vocab_size, embed_dim, hidden_dim, seed=SEED, device=DEVICE)
        self.out = torch.nn.Linear(hidden_dim, n_classes, device=DEVICE)

    def forward(self, ids, lengths):
        hs, _ = self.reader.hidden_states(ids)  # (B, T, H)
        return self.out(hs[torch.arange(len(ids), device=DEVICE), lengths - 1])


ids_of = {s: torch.from_numpy(dse_data.ids[s]).to(DEVICE) for s in tag.SPLITS}
lengths_of = {s: (ids_of[s] != 0).sum(dim=1) for s in tag.SPLITS}
has_dse = {s: torch.tensor([int(any(t != "O" for t in tags)) for _, tags in dse_data.sentences[s]],
                           device=DEVICE) for s in tag.SPLITS}
torch.manual_seed(SEED)
classifier = FinalStateClassifier(len(dse_data.vocab), 32, 32)
optimizer = torch.optim.Adam(classifier.parameters(), lr=1e-2)
start = time.perf_counter()
for _epoch in range(2 if FAST else 6):
    classifier.train()
    for batch in torch.randperm(len(has_dse["train"])).split(32):
        scores = classifier(ids_of["train"][batch], lengths_of["train"][batch])
        loss = torch.nn.functional.cross_entropy(scores, has_dse["train"][batch])
        optimizer.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(classifier.parameters(), 5.0)
        optimizer.step()
classifier.eval()
with torch.no_grad():
    predicted = classifier(ids_of["test"], lengths_of["test"]).argmax(dim=1)
    accuracy = (predicted == has_dse["test"]).float().mean()
majority = max(has_dse["test"].float().mean().item(), 1 - has_dse["test"].float().mean().item())
print(f"sentence has a DSE: test accuracy {accuracy:.1%} after {time.perf_counter() - start:.1f} s "
      f"(always answering the majority class: {majority:.1%})")

# %% [markdown] nbgrader={"grade": false, "grade_id": "nb06_opinion", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## 2. Opinion mining as tagging
#
# Fine-grained opinion analysis finds the **expressions** of opinion in a text, not just whether the text
# is positive or negative. The MPQA corpus (Wiebe et al., 2005) marks two kinds, which Irsoy and Cardie tag
# as two separate tasks:
#
# - **direct subjective expressions (DSE)**: explicit mentions of a private state (an opinion, belief,
#   fear, intention) or of a speech event that expresses one: *criticized*, *fears*,
#   *has refused to make any statements*;
# - **expressive subjective elements (ESE)**: opinion shown only by the choice of words: *as usual*,
#   *so-called*, *the main impediment*, *utterly absurd*.
#
# The lecture's example: in *The committee, as usual, has refused to make any statements.* the DSE is
# *has refused to make any statements* and the ESE *as usual*. Each expression is a **span** of tokens,
# encoded for a tagger with one label per token: **B** for the first token of an expression, **I** for the
# tokens inside it after the first, **O** for every token outside. Two expressions side by side are
# `B I B`, so the tags say where each one starts.
#
# MPQA comes under its own license and is not shipped with the kit. Its stand-in is the kit's own corpus:
# 2,100 news-style English sentences (1,500 train, 300 dev, 300 test), generated by `rnnlm.opinion.generate_opinion_corpus(0)`,
# every token tagged for both tasks. Its annotation guide, `GUIDE.md` in `opinion.KIT_CORPUS_DIR`, tells
# what is tagged and where spans end; like MPQA it has deliberate noise (boundaries drawn differently in a
# few percent of cases, expressions left unannotated), so no tagger reaches 100.

# %%
lecture = "The committee , as usual , has refused to make any statements .".split()
lecture_tags = {"DSE": metrics.spans_to_bio([(6, 12)], len(lecture)),
                "ESE": metrics.spans_to_bio([(3, 5)], len(lecture))}


def show_tags(tokens, columns):
    # one token a line, one column of tags per task
    print(f"{'token':14s} " + " ".join(f"{name:4s}" for name in columns))
    for i, token in enumerate(tokens):
        print(f"{token:14s} " + " ".join(f"{tags[i]:4s}" for tags in columns.values()))


def bracketed(tokens, spans):
    # the sentence with every span (start, end) in [brackets]
    words = list(tokens)
    for start, end in spans:
        words[start] = "[" + words[start]
        words[end - 1] = words[end - 1] + "]"
    return " ".join(words)


show_tags(lecture, lecture_tags)
kit = opinion.read_kit_corpus()
print(f"\nthe kit's corpus: {', '.join(f'{s} {len(kit[s]):,}' for s in opinion.SPLITS)} sentences; "
      f"guide: {opinion.KIT_CORPUS_DIR / 'GUIDE.md'}")
for task in opinion.TASKS:
    train_tags = [tags for _, tags in tagging_data[task].sentences["train"]]
    print(f"{task.upper()}: {sum(t.count('B') for t in train_tags):,} expressions in "
          f"{sum('B' in t for t in train_tags):,} of {len(train_tags):,} training sentences")
print()
examples = [s for s in kit["train"] if "B" in s.labels("dse") or "B" in s.labels("ese")][:6]
for sentence in examples[2:4]:
    show_tags(sentence.tokens, {"DSE": sentence.labels("dse"), "ESE": sentence.labels("ese")})
    print()

# %% [markdown] nbgrader={"grade": false, "grade_id": "nb06_spans", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## 3. From tags to spans
#
# A tagger outputs tags, but it is judged on the spans they stand for. A tagger's tags need not be
# well-formed: it may output `I` after `O`. Like Irsoy and Cardie's scorer, the kit reads such an `I` as the
# start of a new span (the *lenient* rule) rather than dropping it.
#
# ### Exercise 1 (2 points): `bio_to_spans`
#
# Write `bio_to_spans(tags)`. `tags` holds the tags of one sentence of T ≥ 0 tokens: a list, a tuple or a
# 1-D NumPy array. Each tag is one of the strings `"O"`, `"B"`, `"I"` (a Python `str` or a NumPy string) or
# one of their ids in `BIO_TAGS = ("O", "B", "I")`, the integers 0 (O), 1 (B), 2 (I) (a Python `int` or a
# NumPy integer, as in an array of dtype `int64` or `int8`). Return the spans as a **list of tuples**
# `(start, end)` of ints, **half-open**: the span covers the tokens `start, ..., end - 1`, so its length
# is `end - start`; in order of `start`, and `[]` when there is none (also for T = 0). Going through the
# tags from left to right:
#
# - `B` starts a new span (and ends the span that is open, if any);
# - `I` continues the open span; an `I` with **no** span open (at the start of the sentence, or after an
#   `O`) starts a new span;
# - `O` ends the open span, if any;
# - a span still open after the last tag ends at T.
#
# For example `B I O O I I B O B` gives `[(0, 2), (4, 6), (6, 7), (8, 9)]`, and the ids `[0, 1, 2]` give
# `[(1, 3)]`. Raise a `ValueError` if any tag is something else: another string (`"b"`, `"B-DSE"`, `""`),
# another integer (3, −1), or any float or boolean, Python or NumPy (`1.0`, `True`), although `1.0 == 1`
# and `True == 1` in Python. Do not modify `tags`.

# %% nbgrader={"grade": false, "grade_id": "nb06_bio_to_spans", "locked": false, "schema_version": 3, "solution": true, "task": false}
def bio_to_spans(tags):
    """The spans [(start, end), ...] (half-open, in order) of one sentence's BIO tags.

    tags (T,): "O"/"B"/"I" strings or their ids 0/1/2 (list, tuple or 1-D NumPy array). B opens a
    span, I continues the open one (or opens one when none is open), O closes it. Raises ValueError
    for any other tag (floats and booleans included).
    """
    ### BEGIN SOLUTION
    ids = []
    for pos, tag_ in enumerate(tags):
        if isinstance(tag_, str) and tag_ in BIO_TAGS:
            ids.append(BIO_TAGS.index(tag_))
        elif (isinstance(tag_, (int, np.integer)) and not isinstance(tag_, (bool, np.bool_))
              and 0 <= tag_ < len(BIO_TAGS)):
            ids.append(int(tag_))
        else:
            raise ValueError(f"tag {tag_!r} at position {pos} is not one of O, B, I (or 0, 1, 2)")
    spans, start = [], None
    for pos, tag_ in enumerate(ids):
        if tag_ == 0:  # O ends the open span
            if start is not None:
                spans.append((start, pos))
                start = None
        elif tag_ == 1 or start is None:  # B, or an I with no span open: a new span
            if start is not None:
                spans.append((start, pos))
            start = pos
    if start is not None:
        spans.append((start, len(ids)))
    return spans
    ### END SOLUTION


# %%
rnnlm.check("nb06_bio_to_spans")

# %% nbgrader={"grade": true, "grade_id": "nb06_bio_to_spans_test", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
# Visible checks: the rules one at a time, ids and arrays, the empty sentence, errors, tags unchanged.
_spans = bio_to_spans(["B", "I", "O"])
assert isinstance(_spans, list), f"return a list of (start, end) tuples, got {type(_spans).__name__}"
assert _spans != [(0, 1)], "spans are half-open: B I covers tokens 0 and 1, so it is (0, 2), not (0, 1)"
assert _spans == [(0, 2)] and all(isinstance(_s, tuple) for _s in _spans), (
    f"B I O is one span of tokens 0 and 1: expected [(0, 2)] (a list of tuples), got {_spans!r}")
assert bio_to_spans(["B", "B", "I"]) == [(0, 1), (1, 3)], (
    f"B always starts a new span, even right after another: B B I is [(0, 1), (1, 3)], "
    f"got {bio_to_spans(['B', 'B', 'I'])!r}")
assert bio_to_spans(["O", "I", "I", "O"]) == [(1, 3)], (
    f"an I after O starts a span (the lenient rule): O I I O is [(1, 3)], "
    f"got {bio_to_spans(['O', 'I', 'I', 'O'])!r}")
assert bio_to_spans(["I", "O"]) == [(0, 1)], (
    f"an I at the start of the sentence starts a span: I O is [(0, 1)], got {bio_to_spans(['I', 'O'])!r}")
assert bio_to_spans(["O", "B", "I"]) == [(1, 3)], (
    f"a span still open after the last tag ends at T: O B I is [(1, 3)], "
    f"got {bio_to_spans(['O', 'B', 'I'])!r}")
_example = "B I O O I I B O B".split()
assert bio_to_spans(_example) == [(0, 2), (4, 6), (6, 7), (8, 9)], (
    f"B I O O I I B O B: expected [(0, 2), (4, 6), (6, 7), (8, 9)], got {bio_to_spans(_example)!r}")
assert bio_to_spans(tuple(_example)) == [(0, 2), (4, 6), (6, 7), (8, 9)], "tags may come as a tuple"
assert bio_to_spans(np.array(_example)) == [(0, 2), (4, 6), (6, 7), (8, 9)], (
    "tags may come as a NumPy array of strings")
assert bio_to_spans([0, 1, 2]) == [(1, 3)], (
    f"ids: O = 0, B = 1, I = 2, so [0, 1, 2] is [(1, 3)]; got {bio_to_spans([0, 1, 2])!r}")
_ids = np.array([1, 2, 0, 0, 2, 2, 1, 0, 1])
assert bio_to_spans(_ids) == [(0, 2), (4, 6), (6, 7), (8, 9)], (
    "tags may come as a NumPy integer array (its elements are NumPy integers, not Python ints)")
assert bio_to_spans(_ids.astype(np.int8)) == [(0, 2), (4, 6), (6, 7), (8, 9)], "an int8 array holds ids too"
assert bio_to_spans([]) == [] and bio_to_spans(np.array([], dtype=np.int64)) == [], (
    "an empty sentence has no spans: []")
assert bio_to_spans(["O", "O"]) == [], "a sentence of O tags has no spans: []"
for _bad in (["O", "b"], ["B", "B-DSE"], [""], [0, 3], [-1], [1.0], [True], ["O", None]):
    try:
        bio_to_spans(_bad)
    except ValueError:
        pass
    else:
        raise AssertionError(f"bio_to_spans({_bad!r}) should raise ValueError: {_bad[-1]!r} is not a tag "
                             "(floats and booleans are not ids, although 1.0 == 1 and True == 1)")
_tags = ["I", "B", "O", "I"]
bio_to_spans(_tags)
assert _tags == ["I", "B", "O", "I"], "tags was modified: read it, do not change it"
print("bio_to_spans: visible checks passed")

### BEGIN HIDDEN TESTS
_hidden_data = globals().get("_hidden_data") or {  # the corpus, read here: no demo cell needed
    _t: tag.encode_tagging_data(opinion.load_opinion(_t)) for _t in opinion.TASKS}
_rng_h = np.random.default_rng(606)
for _trial in range(600):
    _T = int(_rng_h.integers(0, 30))
    _ids = _rng_h.choice(3, size=_T, p=_rng_h.dirichlet(np.ones(3)))
    _want = metrics.bio_to_spans(_ids)
    _forms = [list(_ids.tolist()), [BIO_TAGS[i] for i in _ids], tuple(BIO_TAGS[i] for i in _ids),
              _ids.copy(), _ids.astype(np.int8), _ids.astype(np.uint8),
              np.array([BIO_TAGS[i] for i in _ids], dtype=str), list(_ids)]
    for _form in _forms:
        _got = bio_to_spans(_form)
        assert isinstance(_got, list), type(_got)
        assert [tuple(_s) for _s in _got] == _want and all(isinstance(_s, tuple) for _s in _got), (
            _ids.tolist(), _got, _want)
    if _T:  # a bad tag anywhere
        _pos = int(_rng_h.integers(_T))
        for _bad in ("x", "i", "B-ESE", 3, -1, 2.0, np.float64(1.0), False, np.True_, None):
            _tags = [BIO_TAGS[i] for i in _ids]
            _tags[_pos] = _bad
            try:
                bio_to_spans(_tags)
            except ValueError:
                pass
            else:
                raise AssertionError(f"no ValueError for {_bad!r} at {_pos}")
for _bad_array in (np.array([0.0, 1.0]), np.array([True, False]), np.array([0, 1, 5]), np.array(["O", "X"])):
    try:
        bio_to_spans(_bad_array)
    except ValueError:
        pass
    else:
        raise AssertionError(f"no ValueError for {_bad_array!r}")
# the corpus: every sentence of both tasks
for _task in opinion.TASKS:
    for _tokens, _tags in _hidden_data[_task].sentences["train"]:
        assert bio_to_spans(list(_tags)) == metrics.bio_to_spans(list(_tags))
print("bio_to_spans: hidden tests passed")
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "nb06_spans_look", "locked": true, "schema_version": 3, "solution": false, "task": false}
# With your decoder, the sentences above with their expressions in brackets, and how long the expressions
# of each task are: DSEs are mostly one to three tokens, ESEs one or two.

# %%
with rnnlm.uses_exercises():  # runs your exercise 1 in a student bundle
    print(bracketed(lecture, bio_to_spans(lecture_tags["DSE"])), " (DSE)")
    print(bracketed(lecture, bio_to_spans(lecture_tags["ESE"])), " (ESE)")
    for sentence in examples:
        print(f"DSE: {bracketed(sentence.tokens, bio_to_spans(sentence.labels('dse')))}")
        print(f"ESE: {bracketed(sentence.tokens, bio_to_spans(sentence.labels('ese')))}")
    for task in opinion.TASKS:
        span_lengths = [end - start for _, tags in tagging_data[task].sentences["train"]
                        for start, end in bio_to_spans(tags)]
        counts = np.bincount(span_lengths)
        print(f"{task.upper()} span lengths: " + ", ".join(f"{n}: {c}" for n, c in enumerate(counts) if c))

# %% [markdown] nbgrader={"grade": false, "grade_id": "nb06_scores", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## 4. Scoring spans: exact, binary and proportional overlap
#
# When is a predicted expression right? The boundaries of opinion expressions are vague (does the DSE of
# *is deeply concerned about* include *deeply*? *about*?), and annotators disagree on them, so demanding
# the exact span is harsh. Irsoy and Cardie, after Johansson and Moschitti (2010), report two softer
# measures. Over a corpus with predicted spans P and true spans T (spans only match within their own
# sentence):
#
# - **exact**: a span counts if the other side has the very same `(start, end)`;
# - **binary overlap**: a predicted span counts as correct if it shares at least one token with a true
#   span of its sentence; a true span counts as found if some predicted span shares a token with it;
# - **proportional overlap**: each span counts for the **fraction** of its tokens that the other side
#   covers. With $|s|$ the length of span $s$, $T_s$ the union of the true spans of the sentence of a
#   predicted span $p$ and $P_s$ the union of the predicted spans of the sentence of a true span $t$:
#
# $$\text{precision} = \frac{1}{|P|} \sum_{p \in P} \frac{|p \cap T_s|}{|p|}, \qquad
#   \text{recall} = \frac{1}{|T|} \sum_{t \in T} \frac{|t \cap P_s|}{|t|}, \qquad
#   F_1 = \frac{2\,\text{precision}\cdot\text{recall}}{\text{precision} + \text{recall}}.$$
#
# For every corpus exact ≤ proportional ≤ binary. **Worked example**, one sentence of 12 tokens:
#
#     position   0 1 2 3 4 5 6 7 8 9 10 11
#     true       B I O O B I I O O B O  O     spans (0, 2) (4, 7) (9, 10)
#     predicted  B I O O O B I I I O O  B     spans (0, 2) (5, 9) (11, 12)
#
# (0, 2) is found exactly; (5, 9) covers tokens 5 and 6 of (4, 7); (11, 12) is spurious and (9, 10) missed.
# Exact: precision and recall 1/3. Binary: 2/3 and 2/3. Proportional: precision (2/2 + 2/4 + 0/1) / 3 = 1/2,
# recall (2/2 + 2/3 + 0/1) / 3 = 5/9, $F_1$ = 10/19 ≈ 0.526.
#
# ### Exercise 2 (3 points): `proportional_prf`
#
# Write `proportional_prf(true_spans, pred_spans)`. Both arguments are sequences (lists or tuples) with
# one entry per sentence, N ≥ 1 of them; entry i is a sequence of the spans of sentence i, each a
# tuple `(start, end)` of ints with `0 <= start < end`, half-open as in exercise 1. The spans of one side of
# one sentence do not overlap each other (they may touch, as `(0, 2)` and `(2, 3)`) and come in any order.
# Return `PRF(precision, recall, f1)`, the proportional-overlap scores of the formulas above, floats in
# [0, 1]; `PRF` is `rnnlm.metrics.PRF`, imported in the setup cell (it refuses values outside [0, 1]); the
# tests read its attributes `.precision`, `.recall` and `.f1` and compare them to within a relative $10^{-9}$.
#
# - The averages run over **all the spans of the corpus** (every predicted span weighs the same, whatever
#   its sentence), not sentence by sentence.
# - A span is compared only with the spans of **its own sentence**: `true_spans[i]` with `pred_spans[i]`.
# - Precision is 1 when nothing is predicted in the whole corpus (no prediction was wrong), recall is 1
#   when there is nothing to find; $F_1$ is 0 when precision and recall are both 0.
#
# Raise a `ValueError` if the two arguments hold different numbers of sentences. Do not modify them.

# %% nbgrader={"grade": false, "grade_id": "nb06_proportional_prf", "locked": false, "schema_version": 3, "solution": true, "task": false}
def proportional_prf(true_spans, pred_spans):
    """Proportional-overlap precision, recall and F1 of predicted spans against true spans: a PRF.

    true_spans, pred_spans: N sentences each, every sentence a sequence of (start, end) spans.
    Precision: the mean over all predicted spans p of |p ∩ T_s| / |p| (1 when none is predicted);
    recall: the mean over all true spans t of |t ∩ P_s| / |t| (1 when there is none). Raises
    ValueError for different sentence counts.
    """
    ### BEGIN SOLUTION
    if len(true_spans) != len(pred_spans):
        raise ValueError(f"true_spans has {len(true_spans)} sentences but pred_spans has {len(pred_spans)}")
    p_sum = r_sum = 0.0
    n_pred = n_true = 0
    for t_sent, p_sent in zip(true_spans, pred_spans):
        t_tokens = {i for start, end in t_sent for i in range(start, end)}  # the union T_s
        p_tokens = {i for start, end in p_sent for i in range(start, end)}  # the union P_s
        for start, end in p_sent:
            p_sum += sum(i in t_tokens for i in range(start, end)) / (end - start)
            n_pred += 1
        for start, end in t_sent:
            r_sum += sum(i in p_tokens for i in range(start, end)) / (end - start)
            n_true += 1
    precision = p_sum / n_pred if n_pred else 1.0
    recall = r_sum / n_true if n_true else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall > 0 else 0.0
    return PRF(precision, recall, f1)
    ### END SOLUTION


# %%
rnnlm.check("nb06_proportional_prf")

# %% nbgrader={"grade": true, "grade_id": "nb06_proportional_prf_test", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false}
# Visible checks: the worked example, micro averages, unions, sentences apart, the empty cases, errors.
def _prf_of(true, pred):
    _s = proportional_prf(true, pred)
    for _name in ("precision", "recall", "f1"):
        assert hasattr(_s, _name), f"return a PRF(precision, recall, f1); the result has no .{_name}"
    return float(_s.precision), float(_s.recall), float(_s.f1)


def _close(a, b):
    return abs(a - b) <= 1e-9 * max(1.0, abs(b))


_P, _R, _F = _prf_of([[(0, 2), (4, 7), (9, 10)]], [[(0, 2), (5, 9), (11, 12)]])
assert not (_close(_P, 2 / 3) and _close(_R, 2 / 3)), (
    "that is binary overlap: under proportional overlap a span counts for the FRACTION of its tokens covered")
assert not (_close(_P, 5 / 9) and _close(_R, 1 / 2)), "precision and recall are swapped"
assert _close(_P, 1 / 2) and _close(_R, 5 / 9), (
    f"worked example: precision (2/2 + 2/4 + 0/1) / 3 = 0.5, recall (2/2 + 2/3 + 0/1) / 3 = 0.5556; "
    f"got {_P:.4f}, {_R:.4f}")
assert _close(_F, 10 / 19), f"F1 = 2 P R / (P + R) = 10/19 = 0.5263, got {_F:.4f}"
_P, _R, _F = _prf_of([[(0, 4)]], [[(0, 2)]])
assert _close(_P, 1.0) and _close(_R, 0.5), (
    f"true (0, 4), predicted (0, 2): the prediction lies inside the truth (precision 1) and covers half "
    f"of it (recall 1/2); got precision {_P:.4f}, recall {_R:.4f}")
_P, _R, _F = _prf_of([[(0, 1), (2, 4)]], [[(0, 4)]])
assert not _close(_P, 0.5), (
    "a predicted span is covered by ALL the true spans of its sentence together (their union T_s), not by "
    "the one it overlaps most")
assert _close(_P, 0.75) and _close(_R, 1.0), (
    f"true (0, 1), (2, 4), predicted (0, 4): tokens 0, 2, 3 of the 4 predicted are true (precision 3/4), "
    f"both true spans are covered (recall 1); got {_P:.4f}, {_R:.4f}")
_P, _R, _F = _prf_of([[(0, 2), (2, 4)]], [[(1, 3)]])
assert _close(_P, 1.0) and _close(_R, 0.5), (
    f"touching true spans (0, 2), (2, 4), predicted (1, 3): precision 1, recall (1/2 + 1/2) / 2; "
    f"got {_P}, {_R}")
_P, _R, _F = _prf_of([[(0, 1)], [(0, 4)]], [[(0, 1)], [(0, 1), (2, 3), (5, 6)]])
assert not _close(_P, 5 / 6), (
    "precision is the mean over ALL predicted spans of the corpus (3/4 here), not a mean of per-sentence "
    "precisions (5/6)")
assert _close(_P, 0.75) and _close(_R, 0.75), (
    f"two sentences: predicted fractions 1, 1, 1, 0 -> precision 3/4; true fractions 1, 2/4 -> recall 3/4; "
    f"got {_P:.4f}, {_R:.4f}")
_P, _R, _F = _prf_of([[(0, 2)], []], [[], [(0, 2)]])
assert _P == 0.0 and _R == 0.0, (
    "a span is compared with the spans of its own sentence only: (0, 2) of sentence 1 does not cover (0, 2) "
    f"of sentence 0; expected precision 0 and recall 0, got {_P}, {_R}")
assert _F == 0.0, f"F1 is 0 when precision and recall are both 0, got {_F}"
assert _prf_of([[(0, 2)]], [[]]) == (1.0, 0.0, 0.0), (
    f"nothing predicted: precision 1, recall 0, F1 0; got {_prf_of([[(0, 2)]], [[]])}")
assert _prf_of([[], []], [[(0, 1)], []]) == (0.0, 1.0, 0.0), (
    f"nothing to find, one span predicted: precision 0, recall 1, F1 0; "
    f"got {_prf_of([[], []], [[(0, 1)], []])}")
assert _prf_of([[]], [[]]) == (1.0, 1.0, 1.0), (
    f"nothing to find and nothing predicted: precision 1, recall 1, F1 1; got {_prf_of([[]], [[]])}")
_true, _pred = [[(4, 7), (0, 2)], [(1, 3)]], [[(5, 9)], [(0, 2), (2, 3)]]
_prf_of(_true, _pred)
assert _true == [[(4, 7), (0, 2)], [(1, 3)]] and _pred == [[(5, 9)], [(0, 2), (2, 3)]], (
    "true_spans or pred_spans was modified")
try:
    proportional_prf([[(0, 1)], []], [[(0, 1)]])
except ValueError:
    pass
else:
    raise AssertionError("2 sentences of true spans but 1 of predicted spans should raise ValueError")
print("proportional_prf: visible checks passed")

### BEGIN HIDDEN TESTS
_hidden_data = globals().get("_hidden_data") or {  # the corpus, read here: no demo cell needed
    _t: tag.encode_tagging_data(opinion.load_opinion(_t)) for _t in opinion.TASKS}
_rng_h = np.random.default_rng(6060)
for _trial in range(400):
    _N = int(_rng_h.integers(1, 12))
    _true, _pred = [], []
    for _i in range(_N):
        _T = int(_rng_h.integers(0, 20))
        for _side in (_true, _pred):
            _spans = metrics.bio_to_spans(_rng_h.choice(3, size=_T, p=[0.6, 0.25, 0.15]))
            _order = _rng_h.permutation(len(_spans))
            _side.append([_spans[int(j)] for j in _order])  # any order
    if _trial % 3 == 1:  # tuples instead of lists
        _true, _pred = tuple(tuple(s) for s in _true), tuple(tuple(s) for s in _pred)
    _want = metrics.proportional_prf(_true, _pred)
    _got = proportional_prf(_true, _pred)
    for _name in ("precision", "recall", "f1"):
        _a, _b = float(getattr(_got, _name)), getattr(_want, _name)
        assert abs(_a - _b) <= 1e-9 * max(1.0, abs(_b)), (_name, _a, _b, _true, _pred)
# the scores of a real tagger's predictions: the library's tag_prf, proportional rule
_tg_true = [[t for t in row if t != -100] for row in _hidden_data["dse"].tags["test"].tolist()]
_tg_pred = [list(_rng_h.choice(3, size=len(row), p=[0.8, 0.12, 0.08])) for row in _tg_true]
_want = metrics.tag_prf(_tg_true, _tg_pred)["proportional"]
_got = proportional_prf([metrics.bio_to_spans(r) for r in _tg_true],
                        [metrics.bio_to_spans(r) for r in _tg_pred])
assert abs(float(_got.f1) - _want.f1) <= 1e-9 and abs(float(_got.precision) - _want.precision) <= 1e-9
for _bad in (([[]], [[], []]), ([[(0, 1)], [], []], [[]])):
    try:
        proportional_prf(*_bad)
    except ValueError:
        pass
    else:
        raise AssertionError(f"no ValueError for {_bad}")
print("proportional_prf: hidden tests passed")
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "nb06_rules", "locked": true, "schema_version": 3, "solution": false, "task": false}
# The three rules side by side on the worked example, and on a "tagger" that finds every true DSE of the
# test split but draws its boundaries one token too wide on the right: exact matching gives it nothing,
# binary overlap everything, proportional overlap something in between. `metrics.tag_prf` decodes tag
# sequences and scores them under all three rules; the training code of section 7 reports it.

# %%
worked_true, worked_pred = [[(0, 2), (4, 7), (9, 10)]], [[(0, 2), (5, 9), (11, 12)]]
print(f"worked example by hand, proportional: {PRF(precision=1 / 2, recall=5 / 9, f1=10 / 19)}")
print(f"worked example   exact: {metrics.exact_prf(worked_true, worked_pred)}   "
      f"binary: {metrics.binary_prf(worked_true, worked_pred)}")
with rnnlm.uses_exercises():
    print(f"                 proportional (yours): {proportional_prf(worked_true, worked_pred)}")
    test_sentences = tagging_data["dse"].sentences["test"]
    true_test = [bio_to_spans(tags) for _, tags in test_sentences]
    wide = [[(start, min(end + 1, len(tokens))) for start, end in spans]
            for (tokens, _), spans in zip(test_sentences, true_test, strict=True)]
    print(f"one token too wide   exact: {metrics.exact_prf(true_test, wide)}   "
          f"binary: {metrics.binary_prf(true_test, wide)}   "
          f"proportional: {proportional_prf(true_test, wide)}")

# %% [markdown] nbgrader={"grade": false, "grade_id": "nb06_unidirectional", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## 5. What a left-to-right tagger cannot see
#
# The simplest tagger is the RNN of notebook 02 with a softmax over the K = 3 tags at every step instead
# of over the vocabulary (the kit's `tagging.RNNTagger(kind="uni")`):
#
# $$h_t = f(W_{hh} h_{t-1} + W_{hx} x_t + b_h), \qquad \hat y_t = \operatorname{softmax}(W_S h_t + b_S).$$
#
# Its tag for word t is decided by $h_t$, which has read words 1 to t only. In the kit's corpus (as in
# English) many words are tagged by what comes **after** them: *has* begins a DSE in *has criticized* and
# *has refused to make any statements*, but not in *has signed*; *main* begins an ESE in *the main
# obstacle* but not in *the main road*. `opinion.context_statistics` measures it over the training
# sentences: of the tokens inside expressions, how many share their word, and even the pair (previous
# word, word), with tokens tagged O; and of the latter, how many the next word tells apart.

# %%
for task in opinion.TASKS:
    stats = opinion.context_statistics(tagging_data[task].sentences["train"])
    print(f"{task.upper()}: of {stats['expression_tokens']:.0f} expression tokens, "
          f"{stats['ambiguous_word']:.0%} have a word also tagged O, {stats['ambiguous_left']:.0%} a "
          f"(previous word, word) pair also tagged O; the next word settles {stats['resolved_by_next']:.0%} "
          "of these")
print()
shown = {"B": 0, "O": 0}
for tokens, tags in tagging_data["dse"].sentences["test"]:
    if "has" in tokens and shown[tags[tokens.index("has")]] < 3:
        shown[tags[tokens.index("has")]] += 1
        where = tokens.index("has")
        print(f"'has' tagged {tags[where]}: {' '.join(tokens[: where + 3])} ...")

# %% [markdown] nbgrader={"grade": false, "grade_id": "nb06_bidirectional", "locked": true, "schema_version": 3, "solution": false, "task": false}
# **The bidirectional RNN** (Schuster and Paliwal, 1997) adds a second RNN that reads the sentence from right
# to left, with its own weights, and tags word t from both states. In the lecture's notation
#
# $$\overrightarrow h_t = f(\overrightarrow W x_t + \overrightarrow V \overrightarrow h_{t-1} + \overrightarrow b),
#   \qquad
#   \overleftarrow h_t = f(\overleftarrow W x_t + \overleftarrow V \overleftarrow h_{t+1} + \overleftarrow b),
#   \qquad
#   \hat y_t = \operatorname{softmax}\big(U [\overrightarrow h_t; \overleftarrow h_t] + c\big):$$
#
# $\overrightarrow h_t$ has read words 1 to t, $\overleftarrow h_t$ words t to T, so together they have read the whole
# sentence, and most of all the words near t. The tagger has twice the recurrent weights and an output layer
# that reads 2H numbers.
#
# **Padding.** A batch holds sentences of different lengths, padded at the end to one length T. The forward
# RNN is not bothered: padding comes after every real word. The backward RNN must **start at the last real
# word** of each sentence, not at position T − 1: run over the padded row as it is, its first steps would
# read padding and carry it into the states of the real words. So each row is reversed *within its length*
# (`tagging.reverse_padded(x, lengths)` does exactly that, and is its own inverse), and the states at
# padding positions are set to zero.
#
# ### Exercise 3 (3 points): `birnn_states`
#
# Write `birnn_states(x, lengths, params_f, params_b, activation="tanh")`, in NumPy, with the kit's names and
# row-vector layout. The inputs:
#
# - `x`, a float array (B, T, D): B sentences of input vectors, padded to T steps;
# - `lengths`, a NumPy integer array (B,) with `1 <= lengths[b] <= T`: the real tokens of row b are
#   `t < lengths[b]`. What `x` holds at the padding positions `t >= lengths[b]` is arbitrary (finite numbers,
#   not necessarily 0) and must not change any output;
# - `params_f` and `params_b`, the weights of the forward and of the backward direction, each a dict with the
#   keys `"W_hx"` (H, D), `"W_hh"` (H, H) and `"b_h"` (H,);
# - `activation`, `"tanh"`, `"sigmoid"` or `"relu"`: $f$ is `rnn_numpy.get_activation(activation).f`.
#
# For each row b with n = `lengths[b]`, with $x_t$ = `x[b, t]`:
#
# - the forward states, from $\overrightarrow h_{-1} = 0$, for t = 0, 1, ..., n − 1:
#   `hf_t = f(x_t @ W_hx.T + hf_{t-1} @ W_hh.T + b_h)` with the weights of `params_f`;
# - the backward states, from $\overleftarrow h_n = 0$, for t = n − 1, n − 2, ..., 0:
#   `hb_t = f(x_t @ W_hx.T + hb_{t+1} @ W_hh.T + b_h)` with the weights of `params_b`.
#
# Return a NumPy float array `h` (B, T, 2H) with `h[b, t, :H]` = hf_t and `h[b, t, H:]` = hb_t for every real
# token t < n, and `h[b, t] = 0` at the padding positions t ≥ n. Do not modify `x`, `lengths` or the dicts.
# You may use notebook 02's `rnn_numpy.rnn_forward(x, h0, W_hx, W_hh, b_h, activation)` (it returns
# `(h, cache)`) and `tagging.reverse_padded`, or write the loops yourself. The tests compare your states to
# within a relative $10^{-9}$ (any order of the additions is fine).

# %% nbgrader={"grade": false, "grade_id": "nb06_birnn_states", "locked": false, "schema_version": 3, "solution": true, "task": false}
def birnn_states(x, lengths, params_f, params_b, activation="tanh"):
    """States h (B, T, 2H) = [forward, backward] of one bidirectional RNN layer, 0 at padding.

    x (B, T, D); lengths (B,) ints in [1, T]; params_f, params_b: {"W_hx" (H, D), "W_hh" (H, H),
    "b_h" (H,)}. The forward direction reads t = 0 .. lengths[b] - 1, the backward direction
    t = lengths[b] - 1 .. 0, each from a zero state.
    """
    ### BEGIN SOLUTION
    lengths = np.asarray(lengths)
    B, T, _ = x.shape
    H = params_f["W_hh"].shape[0]
    h0 = np.zeros((B, H))
    hf, _ = rnn_numpy.rnn_forward(x, h0, params_f["W_hx"], params_f["W_hh"], params_f["b_h"], activation)
    x_rev = tagging.reverse_padded(x, lengths)  # every row reversed within its length; padding stays last
    hb_rev, _ = rnn_numpy.rnn_forward(x_rev, h0, params_b["W_hx"], params_b["W_hh"], params_b["b_h"],
                                      activation)
    hb = tagging.reverse_padded(hb_rev, lengths)  # back to the sentence's order
    real = np.arange(T)[None, :, None] < lengths[:, None, None]
    return np.concatenate([hf, hb], axis=-1) * real
    ### END SOLUTION


# %%
rnnlm.check("nb06_birnn_states")

# %% nbgrader={"grade": true, "grade_id": "nb06_birnn_states_test", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": false}
# Visible checks: shape, padding, the forward half, where the backward half starts, the whole backward
# half, junk at padding, the activation, inputs unchanged.
_r = np.random.default_rng(63)
_B, _T, _D, _H = 3, 5, 4, 2
_lengths = np.array([5, 3, 1])
_real = np.arange(_T)[None, :] < _lengths[:, None]  # (B, T): the real tokens


def _direction(r):
    return {"W_hx": 0.6 * r.standard_normal((_H, _D)), "W_hh": 0.6 * r.standard_normal((_H, _H)),
            "b_h": 0.3 * r.standard_normal(_H)}


_pf, _pb = _direction(_r), _direction(_r)
_x = _r.standard_normal((_B, _T, _D))
_x[~_real] = 3.0 * _r.standard_normal((int((~_real).sum()), _D))  # padding holds junk, not zeros
_x_before, _pf_before, _pb_before = _x.copy(), {k: v.copy() for k, v in _pf.items()}, {
    k: v.copy() for k, v in _pb.items()}
_h = birnn_states(_x, _lengths, _pf, _pb)
assert isinstance(_h, np.ndarray) and _h.shape == (_B, _T, 2 * _H), (
    f"return a NumPy array (B, T, 2H) = {(_B, _T, 2 * _H)}, got {type(_h).__name__} {np.shape(_h)}")
assert np.all(_h[~_real] == 0), "the states at padding positions t >= lengths[b] must be 0 (both halves)"
_hf_want = rnn_numpy.rnn_forward(_x, np.zeros((_B, _H)), _pf["W_hx"], _pf["W_hh"], _pf["b_h"])[0]
if np.allclose(_h[..., _H:][_real], _hf_want[_real]):
    raise AssertionError("h[..., H:] holds the forward states: h is [hf, hb], the forward states first")
assert np.allclose(_h[..., :_H][_real], _hf_want[_real], rtol=1e-9, atol=1e-12), (
    "h[..., :H] must be the forward states, hf_t = f(x_t @ W_hx.T + hf_{t-1} @ W_hh.T + b_h) from a zero "
    "state with the weights of params_f (notebook 02's rnn_forward over x)")
for _b, _n in enumerate(_lengths):
    _first = np.tanh(_x[_b, _n - 1] @ _pb["W_hx"].T + _pb["b_h"])  # the backward RNN's first step
    if not np.allclose(_h[_b, _n - 1, _H:], _first, rtol=1e-9, atol=1e-12):
        if np.allclose(_h[_b, _n - 1, _H:], np.tanh(_x[_b, _n - 1] @ _pf["W_hx"].T + _pf["b_h"])):
            raise AssertionError("the backward direction has its own weights: use params_b for it")
        raise AssertionError(
            f"row {_b} has lengths[{_b}] = {_n} of T = {_T}: its backward state at its last real token "
            f"t = {_n - 1} has read that token only, f(x_t @ W_hx.T + b_h) with params_b. The backward RNN "
            "starts at the LAST REAL token from a zero state (did you reverse the whole padded row, padding "
            "included?)")
    _rev = rnn_numpy.rnn_forward(_x[_b : _b + 1, :_n][:, ::-1].copy(), np.zeros((1, _H)), _pb["W_hx"],
                                 _pb["W_hh"], _pb["b_h"])[0][0, ::-1]
    assert np.allclose(_h[_b, :_n, _H:], _rev, rtol=1e-9, atol=1e-12), (
        f"row {_b}: hb_t = f(x_t @ W_hx.T + hb_(t+1) @ W_hh.T + b_h) for t = {_n - 1} down to 0, so hb_t has "
        "read tokens t .. lengths[b] - 1 (the forward RNN over the reversed sentence, reversed back)")
_x_junk = _x.copy()
_x_junk[~_real] = 100.0 * _r.standard_normal((int((~_real).sum()), _D))
assert np.allclose(birnn_states(_x_junk, _lengths, _pf, _pb), _h, rtol=1e-9, atol=1e-12), (
    "changing x at padding positions changed the states: the padding must not reach any real token")
_h_relu = birnn_states(_x, _lengths, _pf, _pb, "relu")
_hf_relu = rnn_numpy.rnn_forward(_x, np.zeros((_B, _H)), _pf["W_hx"], _pf["W_hh"], _pf["b_h"], "relu")[0]
assert np.allclose(_h_relu[..., :_H][_real], _hf_relu[_real], rtol=1e-9, atol=1e-12), (
    "activation='relu': use the activation argument, f = rnn_numpy.get_activation(activation).f")
assert np.array_equal(_x, _x_before), "x was modified"
assert all(np.array_equal(_pf[k], _pf_before[k]) and np.array_equal(_pb[k], _pb_before[k]) for k in _pf), (
    "params_f or params_b was modified")
print("birnn_states: visible checks passed")

### BEGIN HIDDEN TESTS
_hidden_data = globals().get("_hidden_data") or {  # the corpus, read here: no demo cell needed
    _t: tag.encode_tagging_data(opinion.load_opinion(_t)) for _t in opinion.TASKS}
_rng_h = np.random.default_rng(60606)
for _trial in range(60):
    _B, _T = int(_rng_h.integers(1, 7)), int(_rng_h.integers(1, 10))
    _D, _H = int(_rng_h.integers(1, 5)), int(_rng_h.integers(1, 5))
    _lengths = _rng_h.integers(1, _T + 1, _B)
    if _trial % 4 == 0:
        _lengths[int(_rng_h.integers(_B))] = _T  # a row without padding
    _lengths = _lengths.astype(np.int32 if _trial % 5 == 0 else np.int64)
    _x = _rng_h.standard_normal((_B, _T, _D)) * 1.5
    _pf = {"W_hx": _rng_h.standard_normal((_H, _D)), "W_hh": _rng_h.standard_normal((_H, _H)) * 0.7,
           "b_h": _rng_h.standard_normal(_H) * 0.5}
    _pb = {"W_hx": _rng_h.standard_normal((_H, _D)), "W_hh": _rng_h.standard_normal((_H, _H)) * 0.7,
           "b_h": _rng_h.standard_normal(_H) * 0.5}
    _act = ("tanh", "sigmoid", "relu")[_trial % 3]
    _want = tagging.birnn_forward(_x, _lengths, _pf, _pb, _act)[0]
    assert np.array_equal(_want, tagging.birnn_states(_x, _lengths, _pf, _pb, _act))
    _x_copy, _l_copy = _x.copy(), _lengths.copy()
    _got = np.asarray(birnn_states(_x, _lengths, _pf, _pb, _act) if _act != "tanh"
                      else birnn_states(_x, _lengths, _pf, _pb))
    assert _got.shape == _want.shape, (_got.shape, _want.shape)
    assert np.allclose(_got, _want, rtol=1e-9, atol=1e-10), (_trial, _B, _T, _lengths, _act)
    assert np.array_equal(_x, _x_copy) and np.array_equal(_lengths, _l_copy)
# the kit's tagger: the same states as RNNTagger(kind="bi") on real sentences
_model = tagging.RNNTagger(len(_hidden_data["dse"].vocab), 3, embed_dim=6, hidden=4, kind="bi", seed=6,
                           device="cpu", dtype=torch.float64)
_p = _model.to_numpy_params()
_ids = _hidden_data["dse"].ids["dev"][:20]
_len = (_ids != 0).sum(axis=1)
_got = birnn_states(_p["L"][_ids], _len, *({k: _p[f"{k}_{d}_l0"] for k in ("W_hx", "W_hh", "b_h")}
                                          for d in ("f", "b")))
assert np.allclose(_got, _model.hidden_states(torch.from_numpy(_ids))[0].detach().numpy(), rtol=1e-9,
                   atol=1e-10)
print("birnn_states: hidden tests passed")
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "nb06_birnn_look", "locked": true, "schema_version": 3, "solution": false, "task": false}
# What the two halves see: two sentences that differ only in their third word, *criticized* or *signed*.
# With random weights and embeddings, the forward states of the first two words (*Chile has*) are the same
# for both sentences (the forward RNN has not read the third word yet), the backward states differ at
# every word up to the third: at *has*, only the backward half knows which verb follows.

# %%
with rnnlm.uses_exercises():  # runs your exercise 3 in a student bundle
    pair = ["Chile has criticized the plan .".split(), "Chile has signed the plan .".split()]
    words = sorted({w for s in pair for w in s})
    E = {w: v for w, v in zip(words, rng.standard_normal((len(words), 8)), strict=True)}
    x_pair = np.array([[E[w] for w in s] for s in pair])  # (2, 6, 8)
    demo_f = {"W_hx": 0.4 * rng.standard_normal((5, 8)), "W_hh": 0.4 * rng.standard_normal((5, 5)),
              "b_h": np.zeros(5)}
    demo_b = {"W_hx": 0.4 * rng.standard_normal((5, 8)), "W_hh": 0.4 * rng.standard_normal((5, 5)),
              "b_h": np.zeros(5)}
    h_pair = birnn_states(x_pair, np.array([6, 6]), demo_f, demo_b)
    diff = np.abs(h_pair[0] - h_pair[1])  # (T, 2H)
    for t, word in enumerate(pair[0]):
        print(f"{word:12s} forward states differ by {diff[t, :5].max():.3f}, "
              f"backward by {diff[t, 5:].max():.3f}")

# %% [markdown] nbgrader={"grade": false, "grade_id": "nb06_deep", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## 6. Going deep
#
# Irsoy and Cardie stack bidirectional layers. Layer 0 is the bidirectional layer of exercise 3 over the
# word vectors. In every layer i ≥ 1, **each direction reads both directions of the layer below** at the
# same position t, through two matrices, and its own previous state; in their notation (column vectors,
# their eq. 3):
#
# $$\overrightarrow h^{(i)}_t = f\big(\overrightarrow W^{(i)}_{\rightarrow} \overrightarrow h^{(i-1)}_t + \overrightarrow W^{(i)}_{\leftarrow} \overleftarrow h^{(i-1)}_t + \overrightarrow V^{(i)} \overrightarrow h^{(i)}_{t-1} + \overrightarrow b^{(i)}\big),$$
# $$\overleftarrow h^{(i)}_t = f\big(\overleftarrow W^{(i)}_{\rightarrow} \overrightarrow h^{(i-1)}_t + \overleftarrow W^{(i)}_{\leftarrow} \overleftarrow h^{(i-1)}_t + \overleftarrow V^{(i)} \overleftarrow h^{(i)}_{t+1} + \overleftarrow b^{(i)}\big),$$
#
# and the output layer reads the top layer's $[\overrightarrow h^{(L)}_t; \overleftarrow h^{(L)}_t]$. The kit names the matrices
# of direction d ∈ {f, b} of a deep layer `W_d` (from the forward states below), `V_d` (from the backward
# states below) and `W_hh_d` (its own recurrence), with the bias `b_h_d`. The lower layers can build
# features of the words and their contexts, the upper ones combine them; with a fixed number of parameters,
# a deeper network has fewer units per layer.
#
# ### Exercise 4 (2 points): `deep_layer_states`
#
# Write `deep_layer_states(h_below, lengths, params, activation="tanh")`: the states of one deep layer i ≥ 1.
#
# - `h_below`, a float array (B, T, 2H′): the states of the layer below, `h_below[..., :H′]` its forward
#   states $\overrightarrow h^{(i-1)}$ and `h_below[..., H′:]` its backward states $\overleftarrow h^{(i-1)}$
#   (what exercise 3 or this function returns). Its padding positions may hold anything (finite), as `x` in
#   exercise 3;
# - `lengths`, as in exercise 3;
# - `params`, a dict with the keys `"W_f"`, `"V_f"` (H, H′), `"W_hh_f"` (H, H), `"b_h_f"` (H,) and the same
#   four for the backward direction, `"W_b"`, `"V_b"`, `"W_hh_b"`, `"b_h_b"`;
# - `activation`, as in exercise 3.
#
# With $a_t$ = `h_below[b, t, :H′]` and $c_t$ = `h_below[b, t, H′:]`, for each row b with n = `lengths[b]`:
#
# - `hf_t = f(a_t @ W_f.T + c_t @ V_f.T + hf_{t-1} @ W_hh_f.T + b_h_f)`, from hf_{−1} = 0, for t = 0, ..., n − 1;
# - `hb_t = f(a_t @ W_b.T + c_t @ V_b.T + hb_{t+1} @ W_hh_b.T + b_h_b)`, from hb_n = 0, for t = n − 1, ..., 0.
#
# Return a NumPy float array (B, T, 2H), `[hf, hb]` along the last axis at the real tokens and 0 at the padding
# positions, as in exercise 3. Do not modify the inputs. A hint: `a_t @ W.T + c_t @ V.T` is
# `[a_t, c_t] @ [W, V].T`, so one deep layer is exercise 3 over `h_below` with
# `W_hx = np.concatenate([W, V], axis=1)` (H, 2H′); you may call your `birnn_states`.

# %% nbgrader={"grade": false, "grade_id": "nb06_deep_layer_states", "locked": false, "schema_version": 3, "solution": true, "task": false}
def deep_layer_states(h_below, lengths, params, activation="tanh"):
    """States h (B, T, 2H) of a deep bidirectional layer over h_below (B, T, 2H'), 0 at padding.

    params: W_f, V_f (H, H'), W_hh_f (H, H), b_h_f (H,) and the same for b. Each direction reads
    the forward states below through W_d, the backward states below through V_d.
    """
    ### BEGIN SOLUTION
    def direction(d):
        return {"W_hx": np.concatenate([params[f"W_{d}"], params[f"V_{d}"]], axis=1),
                "W_hh": params[f"W_hh_{d}"], "b_h": params[f"b_h_{d}"]}

    return birnn_states(h_below, lengths, direction("f"), direction("b"), activation)
    ### END SOLUTION


# %%
rnnlm.check("nb06_deep_layer_states")

# %% nbgrader={"grade": true, "grade_id": "nb06_deep_layer_states_test", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
# Visible checks: shape, padding, W against V, both whole directions, junk at padding, inputs unchanged.
# They run your deep_layer_states with the library's birnn_states in place of yours (in the
# namespace your function looks it up in, and put back afterwards), so that a mistake in exercise 3
# costs no points here. (A student bundle leaves the library's version out; there yours runs.)
_ns = getattr(deep_layer_states, "__globals__", globals())
_yours = _ns.get("birnn_states")
if not getattr(tagging.birnn_states, "__rnnlm_stub__", False):
    _ns["birnn_states"] = tagging.birnn_states
try:
    _r = np.random.default_rng(64)
    _B, _T, _P, _H = 3, 6, 3, 2  # H' = 3 units per direction below, H = 2 in this layer
    _lengths = np.array([6, 4, 2])
    _real = np.arange(_T)[None, :] < _lengths[:, None]
    _below = _r.standard_normal((_B, _T, 2 * _P))
    _below[~_real] = 5.0 * _r.standard_normal((int((~_real).sum()), 2 * _P))  # junk at padding
    _p = {}
    for _d in ("f", "b"):
        _p.update({f"W_{_d}": 0.6 * _r.standard_normal((_H, _P)),
                   f"V_{_d}": 0.6 * _r.standard_normal((_H, _P)),
                   f"W_hh_{_d}": 0.6 * _r.standard_normal((_H, _H)),
                   f"b_h_{_d}": 0.3 * _r.standard_normal(_H)})
    _below_before, _p_before = _below.copy(), {k: v.copy() for k, v in _p.items()}
    _h = deep_layer_states(_below, _lengths, _p)
    assert isinstance(_h, np.ndarray) and _h.shape == (_B, _T, 2 * _H), (
        f"return a NumPy array (B, T, 2H) = {(_B, _T, 2 * _H)} (H from W_hh_f), got {type(_h).__name__} "
        f"{np.shape(_h)}")
    assert np.all(_h[~_real] == 0), "the states at padding positions t >= lengths[b] must be 0"
    _a0, _c0 = _below[:, 0, :_P], _below[:, 0, _P:]  # forward and backward states below at t = 0
    _want = np.tanh(_a0 @ _p["W_f"].T + _c0 @ _p["V_f"].T + _p["b_h_f"])
    if np.allclose(_h[:, 0, :_H], np.tanh(_c0 @ _p["W_f"].T + _a0 @ _p["V_f"].T + _p["b_h_f"])):
        raise AssertionError("W_f multiplies the FORWARD states below, h_below[..., :H'], and V_f the "
                             "backward "
                             "ones, h_below[..., H':]")
    assert np.allclose(_h[:, 0, :_H], _want, rtol=1e-9, atol=1e-12), (
        "at t = 0 the forward state is f(a_0 @ W_f.T + c_0 @ V_f.T + b_h_f), a_0 = h_below[:, 0, :H'] and "
        "c_0 = h_below[:, 0, H':]")
    for _b, _n in enumerate(_lengths):
        _cat = _below[_b : _b + 1, :_n]
        _hf = rnn_numpy.rnn_forward(_cat, np.zeros((1, _H)), np.concatenate([_p["W_f"], _p["V_f"]], axis=1),
                                    _p["W_hh_f"], _p["b_h_f"])[0][0]
        _hb = rnn_numpy.rnn_forward(_cat[:, ::-1].copy(), np.zeros((1, _H)),
                                    np.concatenate([_p["W_b"], _p["V_b"]], axis=1), _p["W_hh_b"],
                                    _p["b_h_b"])[0][0, ::-1]
        assert np.allclose(_h[_b, :_n, :_H], _hf, rtol=1e-9, atol=1e-12), (
            f"row {_b}: hf_t = f(a_t @ W_f.T + c_t @ V_f.T + hf_(t-1) @ W_hh_f.T + b_h_f) "
            f"for t = 0 .. {_n - 1}")
        assert np.allclose(_h[_b, :_n, _H:], _hb, rtol=1e-9, atol=1e-12), (
            f"row {_b} (length {_n}): hb_t = f(a_t @ W_b.T + c_t @ V_b.T + hb_(t+1) @ W_hh_b.T + b_h_b) for "
            f"t = {_n - 1} down to 0, from a zero state at the last real token")
    _junk = _below.copy()
    _junk[~_real] = -50.0
    assert np.allclose(deep_layer_states(_junk, _lengths, _p), _h, rtol=1e-9, atol=1e-12), (
        "changing h_below at padding positions changed the states: the padding must not reach any real token")
    assert np.array_equal(_below, _below_before), "h_below was modified"
    assert all(np.array_equal(_p[k], _p_before[k]) for k in _p), "params was modified"
finally:
    _ns["birnn_states"] = _yours
print("deep_layer_states: visible checks passed")

### BEGIN HIDDEN TESTS
_hidden_data = globals().get("_hidden_data") or {  # the corpus, read here: no demo cell needed
    _t: tag.encode_tagging_data(opinion.load_opinion(_t)) for _t in opinion.TASKS}
_ns["birnn_states"] = tagging.birnn_states
try:
    _rng_h = np.random.default_rng(606060)
    for _trial in range(50):
        _B, _T = int(_rng_h.integers(1, 6)), int(_rng_h.integers(1, 9))
        _P, _H = int(_rng_h.integers(1, 5)), int(_rng_h.integers(1, 5))
        _lengths = _rng_h.integers(1, _T + 1, _B)
        _below = _rng_h.standard_normal((_B, _T, 2 * _P))
        _p = {}
        for _d in ("f", "b"):
            _p.update({f"W_{_d}": _rng_h.standard_normal((_H, _P)),
                       f"V_{_d}": _rng_h.standard_normal((_H, _P)),
                       f"W_hh_{_d}": 0.7 * _rng_h.standard_normal((_H, _H)),
                       f"b_h_{_d}": _rng_h.standard_normal(_H)})
        _act = ("tanh", "sigmoid", "relu")[_trial % 3]
        _want = tagging.deep_birnn_layer_forward(_below, _lengths, _p, _act)[0]
        assert np.array_equal(_want, tagging.deep_layer_states(_below, _lengths, _p, _act))
        _b_copy = _below.copy()
        _got = np.asarray(deep_layer_states(_below, _lengths, _p, _act) if _act != "tanh"
                          else deep_layer_states(_below, _lengths, _p))
        assert _got.shape == _want.shape, (_got.shape, _want.shape)
        assert np.allclose(_got, _want, rtol=1e-9, atol=1e-10), (_trial, _lengths, _act)
        assert np.array_equal(_below, _b_copy)
    # a 3-layer stack on the library's layer 0 (so exercise 3 is not needed here) against RNNTagger
    _model = tagging.RNNTagger(len(_hidden_data["ese"].vocab), 3, embed_dim=5, hidden=3, kind="deep",
                               layers=3, seed=66, device="cpu", dtype=torch.float64)
    _p = _model.to_numpy_params()
    _ids = _hidden_data["ese"].ids["test"][:16]
    _len = (_ids != 0).sum(axis=1)
    _h = tagging.birnn_forward(_p["L"][_ids], _len, *({k: _p[f"{k}_{d}_l0"] for k in ("W_hx", "W_hh", "b_h")}
                                                      for d in ("f", "b")))[0]
    for _i in (1, 2):
        _keys = ("W_f", "V_f", "W_hh_f", "b_h_f", "W_b", "V_b", "W_hh_b", "b_h_b")
        _h = deep_layer_states(_h, _len, {k: _p[f"{k}_l{_i}"] for k in _keys})
    assert np.allclose(_h, _model.hidden_states(torch.from_numpy(_ids))[0].detach().numpy(), rtol=1e-9,
                       atol=1e-10)
finally:
    _ns["birnn_states"] = _yours
print("deep_layer_states: hidden tests passed")
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "nb06_stack", "locked": true, "schema_version": 3, "solution": false, "task": false}
# Your two functions make the whole deep network. Below, the weights of a small 3-layer deep tagger of the
# kit (`tagging.RNNTagger(kind="deep", layers=3)`, the PyTorch model that section 7 trains; `float64` here so
# that the two agree to rounding) run through your exercise 3 for layer 0 and your exercise 4 for layers
# 1 and 2, on a batch of padded test sentences, against the model's own states.

# %%
with rnnlm.uses_exercises():  # runs your exercises 3 and 4 in a student bundle
    deep_model = tagging.RNNTagger(len(dse_data.vocab), 3, embed_dim=8, hidden=6, kind="deep", layers=3,
                                   seed=SEED, device="cpu", dtype=torch.float64)
    deep_params = deep_model.to_numpy_params()
    batch_ids = dse_data.ids["test"][:8]
    batch_lengths = (batch_ids != 0).sum(axis=1)
    layer0 = [{k: deep_params[f"{k}_{d}_l0"] for k in ("W_hx", "W_hh", "b_h")} for d in ("f", "b")]
    h_mine = birnn_states(deep_params["L"][batch_ids], batch_lengths, *layer0)
    deep_keys = ("W_f", "V_f", "W_hh_f", "b_h_f", "W_b", "V_b", "W_hh_b", "b_h_b")
    for i in (1, 2):
        h_mine = deep_layer_states(h_mine, batch_lengths, {k: deep_params[f"{k}_l{i}"] for k in deep_keys})
    h_torch = deep_model.hidden_states(torch.from_numpy(batch_ids))[0].detach().numpy()
    print(f"8 sentences of lengths {batch_lengths.tolist()} padded to T = {batch_ids.shape[1]}: top states "
          f"{h_mine.shape}, largest difference from RNNTagger {np.abs(h_mine - h_torch).max():.1e}")

# %% [markdown] nbgrader={"grade": false, "grade_id": "nb06_experiment", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## 7. Uni, bi or deep: the comparison
#
# Irsoy and Cardie compare their models **at the same number of parameters**: a deeper network gets fewer
# hidden units per layer. We do the same with the kit's `tag.train_tagger`: every model gets the hidden size H
# (per direction) whose parameter count, embeddings excluded, is closest to 12,000
# (`tagging.matched_hidden`), with 32-dimensional word vectors learned from scratch, dropout 0.3, a loss
# weight of 0.5 on gold O tags (to trade some precision for recall of the rarer expressions), Adam, and
# the epoch with the best dev loss kept. The test scores are proportional and binary
# overlap; the exact rule is in `result.test["exact"]` too.
#
# In fast mode each model trains once, on the first 500 training sentences for 3 epochs with batches of 32;
# without it, on all of them for 20 epochs with batches of 16 and three seeds, and the table shows the
# means. On the kit's corpus, where every sentence follows a grammar, all the scores are much higher than on MPQA; what carries over is the
# order: the bidirectional models clearly ahead of the unidirectional one, most of all for DSEs, whose
# first word is so often settled by the next, and depth helping a little more. (In fast mode, with so few
# epochs, the deep models' lead is within the noise of one seed.)

# %%
EPOCHS = 3 if FAST else 20
SEEDS = [SEED] if FAST else [0, 1, 2]
TRAIN_SENTENCES = 500 if FAST else None  # fast mode trains on the first 500 training sentences
OPTIONS = {"batch_size": 32, "lr": 1e-2} if FAST else {"batch_size": 16, "lr": 5e-3}
MODELS = [("uni", 1), ("bi", 1), ("deep", 2), ("deep", 3)]


def first_training_sentences(task_data, n):
    # the same data with only the first n training sentences (all of them for n = None)
    keep = slice(None, n)
    return dataclasses.replace(
        task_data, ids={**task_data.ids, "train": task_data.ids["train"][keep]},
        tags={**task_data.tags, "train": task_data.tags["train"][keep]},
        sentences={**task_data.sentences, "train": task_data.sentences["train"][keep]})


results = {}
start = time.perf_counter()
for task in opinion.TASKS:
    task_data = first_training_sentences(tagging_data[task], TRAIN_SENTENCES)
    for kind, layers in MODELS:
        results[task, kind, layers] = [
            tag.train_tagger(task_data, kind=kind, layers=layers, epochs=EPOCHS, seed=seed,
                             device=DEVICE, **OPTIONS)
            for seed in SEEDS]
print(f"{len(results) * len(SEEDS)} taggers trained in {time.perf_counter() - start:.0f} s "
      f"({EPOCHS} epochs each, {len(SEEDS)} seed{'s' * (len(SEEDS) > 1)})")


def mean_scores(runs, rule):
    # (P, R, F1) in percent, averaged over the runs
    return [100 * np.mean([getattr(r.test[rule], name) for r in runs])
            for name in ("precision", "recall", "f1")]


RULES = ("proportional", "binary")
head = "".join(f"{task.upper() + ' ' + rule:^18s}" for task in opinion.TASKS for rule in RULES)
print(f"\n{'':24s}{head}")
print(f"{'model':6s}{'layers':>7s}{'H':>4s}{'params':>7s}" + "     P     R    F1" * 4)
for kind, layers in MODELS:
    first = results["dse", kind, layers][0]
    cells = "".join(f"{v:6.1f}" for task in opinion.TASKS for rule in RULES
                    for v in mean_scores(results[task, kind, layers], rule))
    print(f"{kind:6s}{layers:7d}{first.hidden:4d}{first.parameters:7,d}{cells}")

# %% [markdown] nbgrader={"grade": false, "grade_id": "nb06_examples", "locked": true, "schema_version": 3, "solution": false, "task": false}
# Where the models differ: test sentences on which the unidirectional and the 3-layer deep DSE taggers
# disagree, with the true spans, decoded by your exercise 1. Then the word of section 5: how often each
# model gets the tag of *has* right in the test sentences. Last, your exercises 1 and 2 score the deep
# tagger's predictions: the same proportional numbers as the library's.

# %%
with rnnlm.uses_exercises():  # runs your exercises 1 and 2 in a student bundle
    uni_model, deep3_model = results["dse", "uni", 1][0].model, results["dse", "deep", 3][0].model
    test_ids = dse_data.ids["test"]
    uni_tags, deep_tags = tag.predict_tags(uni_model, test_ids), tag.predict_tags(deep3_model, test_ids)
    gold_tags = [list(tags) for _, tags in dse_data.sentences["test"]]
    shown = 0
    for (tokens, _), gold, u, d in zip(dse_data.sentences["test"], gold_tags, uni_tags, deep_tags):
        if bio_to_spans(u) != bio_to_spans(d) and shown < 4:
            shown += 1
            print(f"true:    {bracketed(tokens, bio_to_spans(gold))}")
            print(f"uni:     {bracketed(tokens, bio_to_spans(u))}")
            print(f"deep 3:  {bracketed(tokens, bio_to_spans(d))}\n")
    bi_tags = tag.predict_tags(results["dse", "bi", 1][0].model, test_ids)
    for name, predicted in (("uni", uni_tags), ("bi", bi_tags), ("deep 3", deep_tags)):
        right = [BIO_TAGS[p[i]] == g[i]
                 for (tokens, _), g, p in zip(dse_data.sentences["test"], gold_tags, predicted)
                 for i, w in enumerate(tokens) if w == "has"]
        print(f"{name:7s} tags 'has' right {sum(right)} times of {len(right)}")
    mine = proportional_prf([bio_to_spans(g) for g in gold_tags], [bio_to_spans(d) for d in deep_tags])
    print(f"\ndeep 3 on the DSE test split, proportional: yours {mine}, the library's "
          f"{results['dse', 'deep', 3][0].test['proportional']}")

# %% [markdown] nbgrader={"grade": false, "grade_id": "nb06_summary", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## 8. Summary, and the real data
#
# - An RNN's states can be read once at the end (many-to-one), fed back as the next input (one-to-many) or
#   read at every position (many-to-many): tagging.
# - Opinion expressions are spans, tagged B/I/O; they are scored as spans, and since their boundaries are
#   vague, by binary and proportional overlap as well as exactly.
# - A left-to-right tagger decides a word's tag before it reads the words after it. A bidirectional RNN adds
#   a right-to-left RNN, run within each sentence's length, and tags from both states.
# - A deep bidirectional RNN feeds both directions of each layer to both directions of the next; at the same
#   number of parameters, Irsoy and Cardie's best results came from three layers.
#
# **With MPQA.** Irsoy and Cardie's results on MPQA (deep bidirectional RNNs with 3 layers, pre-trained
# word vectors) are the target for a full-size run: DSE proportional F1 **66.01** and
# binary F1 **71.72**; ESE proportional F1 **56.26** and binary F1 **67.18**. If you have the MPQA 2.0 corpus
# (its root folder, with `docs/` and `man_anns/`) or their column files, `rnnlm.opinion.load_opinion("dse",
# data="mpqa", path=PATH)` reads it, and from a terminal
#
#     rnnlm tag --task dse --model deep --layers 3 --data mpqa PATH
#
# trains and scores one tagger (`--task ese` for the other task, `--model uni` or `--model bi` for the
# others, `--hidden`, `--epochs` and `--embed` to size it up towards the paper's; `--help` lists them all).
# The kit's models learn their embeddings from scratch; `RNNTagger.load_embeddings(L, tagger_itos, lm_itos)`
# starts them from a language model's instead (a notebook 03 or 05 model's `L`, or `train_tagger(...,
# embeddings=(L, itos))`), which is what the pre-trained vectors did for the paper.
