"""rnnlm.opinion: the kit's opinion corpus, its files, and the column and MPQA 2.0 readers."""

from __future__ import annotations

import re
import subprocess
import sys
from collections import Counter, defaultdict
from pathlib import Path

import pytest

from rnnlm import opinion
from rnnlm.opinion import (
    CORPUS_HEADER,
    KIT_CORPUS_DIR,
    SPLIT_SIZES,
    SPLITS,
    TASKS,
    TaggedSentence,
    context_statistics,
    generate_opinion_corpus,
    load_opinion,
    mpqa_document_split,
    read_columns,
    read_kit_corpus,
    read_mpqa2,
    task_pairs,
    tokenize_with_offsets,
    write_corpus,
)


@pytest.fixture(scope="module")
def corpus() -> dict[str, list[TaggedSentence]]:
    return generate_opinion_corpus(0)


@pytest.fixture(scope="module")
def every_sentence(corpus) -> list[TaggedSentence]:
    return [s for split in SPLITS for s in corpus[split]]


def _spans(labels) -> list[tuple[int, int]]:
    """(start, end) of each B I* run; the test's own reading of BIO."""
    out, start = [], None
    for i, label in enumerate([*labels, "O"]):
        if label in ("B", "O") and start is not None:
            out.append((start, i))
            start = None
        if label == "B":
            start = i
    return out


# --------------------------------------------------------------------------------------------
# the generator and the shipped files


def test_generator_is_deterministic_and_seeded(corpus):
    again = generate_opinion_corpus(0)
    assert again == corpus
    other = generate_opinion_corpus(1)
    assert other["train"] != corpus["train"]
    assert {split: len(other[split]) for split in SPLITS} == SPLIT_SIZES


def test_shipped_files_equal_the_generated_corpus(corpus, tmp_path):
    written = write_corpus(tmp_path, corpus)
    assert [p.name for p in written] == ["train.tsv", "dev.tsv", "test.tsv"]
    for path in written:
        shipped = KIT_CORPUS_DIR / path.name
        assert shipped.read_bytes() == path.read_bytes(), (
            f"{shipped} is stale: regenerate it with `python -m rnnlm.opinion --write`"
        )
    assert read_kit_corpus() == corpus
    assert read_kit_corpus(tmp_path) == corpus
    total = sum(p.stat().st_size for p in written)
    assert total < 500_000


def test_file_format(corpus):
    text = (KIT_CORPUS_DIR / "dev.tsv").read_text(encoding="utf-8")
    lines = text.split("\n")
    assert lines[0] == CORPUS_HEADER == "# rnnlm opinion corpus v1: token, DSE, ESE (BIO)"
    assert text.endswith("\n") and not text.endswith("\n\n")
    blocks = "\n".join(lines[1:]).strip("\n").split("\n\n")
    assert len(blocks) == len(corpus["dev"])
    first = [line.split("\t") for line in blocks[0].split("\n")]
    sentence = corpus["dev"][0]
    assert first == [list(row) for row in zip(sentence.tokens, sentence.dse, sentence.ese, strict=True)]


def test_module_entry_point_regenerates_the_files(tmp_path):
    folder = tmp_path / "out"
    result = subprocess.run(
        [sys.executable, "-m", "rnnlm.opinion", "--write", "--folder", str(folder)],
        capture_output=True, text=True, timeout=60, check=True,
    )
    assert "train: 1500 sentences" in result.stdout
    for split in SPLITS:
        assert (folder / f"{split}.tsv").read_bytes() == (KIT_CORPUS_DIR / f"{split}.tsv").read_bytes()


def test_sizes_and_spans_in_every_split(corpus):
    assert sum(len(v) for v in corpus.values()) >= 600
    assert {split: len(corpus[split]) for split in SPLITS} == SPLIT_SIZES
    for split in SPLITS:
        sentences = corpus[split]
        for task in TASKS:
            with_spans = sum("B" in s.labels(task) for s in sentences)
            assert 0.2 * len(sentences) < with_spans < 0.8 * len(sentences), (split, task)
        plain = sum("B" not in s.dse and "B" not in s.ese for s in sentences)
        assert plain >= 0.15 * len(sentences), split


def test_every_label_sequence_is_valid_bio(every_sentence):
    for s in every_sentence:
        assert len(s.tokens) == len(s.dse) == len(s.ese)
        for labels in (s.dse, s.ese):
            assert set(labels) <= {"O", "B", "I"}
            previous = "O"
            for label in labels:
                assert not (label == "I" and previous == "O"), s
                previous = label
        assert all(t and not re.search(r"\s", t) for t in s.tokens)
        assert s.tokens[-1] == "."
        assert s.tokens[0][0].isupper() or s.tokens[0][0].isdigit(), s.tokens


def test_guide_states_the_sizes(corpus):
    guide = (KIT_CORPUS_DIR / "GUIDE.md").read_text(encoding="utf-8")
    for split in SPLITS:
        sentences = corpus[split]
        n_tokens = sum(len(s.tokens) for s in sentences)
        dse = f"{sum('B' in s.dse for s in sentences)} ({sum(s.dse.count('B') for s in sentences)})"
        ese = f"{sum('B' in s.ese for s in sentences)} ({sum(s.ese.count('B') for s in sentences)})"
        plain = sum("B" not in s.dse and "B" not in s.ese for s in sentences)
        row = f"| {split} | {len(sentences)} | {n_tokens} | {dse} | {ese} | {plain} |"
        assert row in guide, f"GUIDE.md's size table should have the row {row}"
    assert "python -m rnnlm.opinion --write" in guide


# --------------------------------------------------------------------------------------------
# context: labels that depend on the words around them


def test_words_are_expressions_in_some_sentences_and_not_in_others(every_sentence):
    for task, words in (
        ("dse", ("has", "have", "said", "called", "declined", "concerned", "opposition", "expressed")),
        ("ese", ("main", "real", "total", "very", "so", "as", "of", "at")),
    ):
        counts: dict[str, Counter] = defaultdict(Counter)
        for s in every_sentence:
            for word, label in zip(s.tokens, s.labels(task), strict=True):
                counts[word.lower()][label != "O"] += 1
        mixed = [w for w, c in counts.items() if c[True] and c[False]]
        assert len(mixed) >= 30, task
        for word in words:
            assert counts[word][True] >= 10 and counts[word][False] >= 10, (task, word, counts[word])


def _left_right_ambiguity(pairs):
    """Share of expression tokens whose (previous, word) pair also occurs with O; of those, the
    share whose (previous, word, next) triple never does."""
    def key(tokens, i, width):
        padded = ("<s>", *tokens, "</s>")
        return padded[i : i + 2] if width == 2 else padded[i : i + 3]

    seen = {2: defaultdict(set), 3: defaultdict(set)}
    for tokens, labels in pairs:
        for i, label in enumerate(labels):
            for width in (2, 3):
                seen[width][key(tokens, i, width)].add(label != "O")
    n = left = resolved = 0
    for tokens, labels in pairs:
        for i, label in enumerate(labels):
            if label != "O":
                n += 1
                if len(seen[2][key(tokens, i, 2)]) == 2:
                    left += 1
                    resolved += len(seen[3][key(tokens, i, 3)]) == 1
    return left / n, resolved / left


def test_right_context_decides_many_labels(every_sentence):
    for task in TASKS:
        pairs = task_pairs(every_sentence, task)
        left, resolved = _left_right_ambiguity(pairs)
        # many expression tokens share their (previous, word) pair with O tokens, and for a good
        # part of those the next word settles it: a left-to-right reader cannot know yet
        assert left > 0.3, (task, left)
        assert resolved > 0.4, (task, resolved)
        stats = context_statistics(pairs)
        assert stats["ambiguous_left"] == pytest.approx(left)
        assert stats["resolved_by_next"] == pytest.approx(resolved)
        assert stats["ambiguous_both"] < stats["ambiguous_left"]


def test_designed_contrasts(every_sentence):
    def labels_after(task, word, nexts):
        out = Counter()
        for s in every_sentence:
            labels = s.labels(task)
            for i, token in enumerate(s.tokens[:-1]):
                if token.lower() == word and s.tokens[i + 1] in nexts:
                    out[labels[i] != "O"] += 1
        return out

    off = labels_after("dse", "called", {"off"})
    appeal = labels_after("dse", "called", {"for", "on"})
    assert off[True] == 0 and off[False] >= 10
    assert appeal[True] >= 0.9 * sum(appeal.values()) and appeal[True] >= 20
    usual = labels_after("ese", "as", {"usual"})
    other = labels_after("ese", "as", {"a", "part", "far", "planned", "agreed"})
    assert usual[True] >= 0.9 * sum(usual.values()) and other[True] == 0 and other[False] >= 20
    places = {"road", "square", "entrance", "building", "airport", "station", "hospital"}
    road = labels_after("ese", "main", places)
    impediment = labels_after("ese", "main", {"impediment", "obstacle", "culprit", "threat", "danger"})
    assert road[True] == 0 and road[False] >= 5
    assert impediment[True] >= 0.85 * sum(impediment.values())
    # "said": a DSE when what was said carries an opinion, not when it is a plain report
    said = Counter(
        label != "O"
        for s in every_sentence for token, label in zip(s.tokens, s.dse, strict=True) if token == "said"
    )
    assert said[True] >= 50 and said[False] >= 50


def test_annotation_noise(every_sentence):
    # articles are inside some ESE noun phrases and outside most
    article_in = article_out = 0
    for s in every_sentence:
        for start, _ in _spans(s.ese):
            if s.tokens[start].lower() in ("a", "an", "the"):
                article_in += 1
            elif start and s.tokens[start - 1].lower() in ("a", "an", "the"):
                article_out += 1
    share = article_in / (article_in + article_out)
    assert 0.08 < share < 0.35, share
    # evaluative adjectives are ESEs, but annotators miss a few
    evaluative = Counter(
        label != "O"
        for s in every_sentence for token, label in zip(s.tokens, s.ese, strict=True)
        if token in ("outrageous", "absurd", "shameful", "reckless", "disgraceful", "ridiculous")
    )
    assert 0 < evaluative[False] <= 0.12 * sum(evaluative.values())


def test_test_split_has_unseen_words_and_combinations(corpus):
    train_words = {w for s in corpus["train"] for w in s.tokens}
    unseen = {w for s in corpus["test"] for w in s.tokens} - train_words
    assert len(unseen) >= 20
    train_sentences = {s.tokens for s in corpus["train"]}
    assert sum(s.tokens in train_sentences for s in corpus["test"]) <= 3
    assert len({w for s in corpus["train"] for w in s.tokens}) >= 500


# --------------------------------------------------------------------------------------------
# the sentence type


def test_tagged_sentence_validates():
    s = TaggedSentence(("Critics", "fear", "it", "."), ("O", "B", "O", "O"), ("O", "O", "O", "O"))
    assert s.for_task("dse") == (s.tokens, ("O", "B", "O", "O"))
    assert s.labels("ese") == ("O",) * 4
    assert task_pairs([s], "ese") == [(s.tokens, ("O",) * 4)]
    with pytest.raises(ValueError, match="follows 'O'"):
        TaggedSentence(("a", "b"), ("O", "I"), ("O", "O"))
    with pytest.raises(ValueError, match="follows 'O'"):
        TaggedSentence(("a", "b"), ("I", "I"), ("O", "O"))
    with pytest.raises(ValueError, match="2 labels for 3 tokens"):
        TaggedSentence(("a", "b", "c"), ("O", "O"), ("O", "O", "O"))
    with pytest.raises(ValueError, match="'X'"):
        TaggedSentence(("a",), ("X",), ("O",))
    with pytest.raises(ValueError, match="whitespace"):
        TaggedSentence(("a b",), ("O",), ("O",))
    with pytest.raises(TypeError, match="tuple of str"):
        TaggedSentence(["a"], ("O",), ("O",))
    with pytest.raises(ValueError, match="task must be one of"):
        s.labels("opinion")
    with pytest.raises(TypeError, match="TaggedSentence"):
        task_pairs([("a",)], "dse")


# --------------------------------------------------------------------------------------------
# column files


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_read_columns_plain_and_prefixed(tmp_path):
    path = _write(
        tmp_path / "dse.txt",
        "The O\nminister O\nsaid B-DSE\n. O\n\n\n"
        "Critics O\nfear b_dse\nnew I-DSE\ntaxes I_ESE\n",
    )
    assert read_columns(path) == [
        (("The", "minister", "said", "."), ("O", "O", "B", "O")),
        (("Critics", "fear", "new", "taxes"), ("O", "B", "I", "I")),
    ]
    three = _write(tmp_path / "three.txt", "Critics\tNNS\tO\nfear\tVBP\tB\n\nIt PRP o\n")
    assert read_columns(str(three)) == [(("Critics", "fear"), ("O", "B")), (("It",), ("O",))]
    middle = _write(tmp_path / "middle.txt", "so-called B JJ\nreforms O NNS\n")
    assert read_columns(middle, label_column=1) == [(("so-called", "reforms"), ("B", "O"))]
    assert read_columns(_write(tmp_path / "empty.txt", "\n\n")) == []
    # an I after an O is kept as written
    assert read_columns(_write(tmp_path / "loose.txt", "a O\nb I\n")) == [(("a", "b"), ("O", "I"))]


def test_read_columns_malformed(tmp_path):
    bad = _write(tmp_path / "dse.txt", "The O\nminister O\nsaid X\n")
    with pytest.raises(ValueError, match=r"^dse\.txt line 3: label 'X' is not B, I or O$"):
        read_columns(bad)
    one = _write(tmp_path / "one.txt", "\nsaid\nfear B\n")
    with pytest.raises(ValueError, match=r"one\.txt line 2: .*one column"):
        read_columns(one)
    ragged = _write(tmp_path / "ragged.txt", "The O\nminister O\n\nsaid VBD B\n")
    with pytest.raises(ValueError, match=r"ragged\.txt line 4: expected 2 columns like line 1, got 3"):
        read_columns(ragged)
    ok = _write(tmp_path / "ok.txt", "The O\n")
    with pytest.raises(ValueError, match="label_column 0"):
        read_columns(ok, label_column=0)
    with pytest.raises(ValueError, match="label_column 5"):
        read_columns(ok, label_column=5)
    with pytest.raises(TypeError, match="label_column"):
        read_columns(ok, label_column="1")
    with pytest.raises(TypeError, match="path"):
        read_columns(17)


# --------------------------------------------------------------------------------------------
# MPQA 2.0


def _find(data: bytes, piece: str, start: int = 0) -> tuple[int, int]:
    i = data.index(piece.encode("utf-8"), start)
    return i, i + len(piece.encode("utf-8"))


def _ann_line(n: int, span: tuple[int, int], kind: str, attributes: str = "") -> str:
    return f"{n}\t{span[0]},{span[1]}\tstring\t{kind}\t{attributes}\n"


DOC_A = "20020101/21.00.00-1111"
DOC_B = "20020102/03.15.22-2222"
DSE_TYPE = "GATE_direct-subjective"
ESE_TYPE = "GATE_expressive-subjectivity"


def _mpqa_tree(root: Path) -> dict[str, dict[str, list]]:
    """Two documents in MPQA 2.0's layout; returns each one's expected sentences per task."""
    a1 = "The minister said the plan was a complete failure."
    a2 = "Critics fear and loathe new taxes, officials said."
    text_a = (a1 + "  " + a2 + "\n").encode("utf-8")
    s1, s2 = _find(text_a, a1), _find(text_a, a2)
    said_1 = _find(text_a, "said")
    said_2 = _find(text_a, "said", s2[0])
    anns_a = [
        "# annotations of document A\n",
        _ann_line(1, s1, DSE_TYPE, 'nested-source="w" implicit="true"'),  # the writer: skipped
        _ann_line(2, said_1, DSE_TYPE, 'nested-source="w,minister" intensity="medium"'),
        _ann_line(3, _find(text_a, "a complete"), ESE_TYPE, 'nested-source="w,minister"'),
        _ann_line(4, _find(text_a, "complete failure"), ESE_TYPE, 'intensity="high"'),  # overlaps 3
        _ann_line(5, (text_a.index(b"plan"), text_a.index(b"plan")), DSE_TYPE),  # empty: skipped
        _ann_line(6, _find(text_a, "The minister"), "GATE_agent", 'nested-source="w,minister"'),
        _ann_line(7, _find(text_a, "fear"), DSE_TYPE, 'nested-source="w,critics"'),
        _ann_line(8, _find(text_a, "and loathe"), DSE_TYPE, 'nested-source="w,critics"'),  # touches 7
        _ann_line(9, said_2, DSE_TYPE, 'nested-source="w,officials"'),
        _ann_line(10, (_find(text_a, "taxes")[0] + 2, _find(text_a, "taxes")[1]), ESE_TYPE),  # part of a word
    ]
    sentences_a = ["# sentences\n", _ann_line(1, s1, "GATE_sentence"), _ann_line(2, s2, "GATE_sentence")]

    b1 = "Müller has refused to comment on the so-called reforms."
    b2 = "Prices rose 3.5 percent in the U.S. last year."
    text_b = (b1 + "\n\n" + b2 + "\n").encode("utf-8")
    t1, t2 = _find(text_b, b1), _find(text_b, b2)
    anns_b = [
        _ann_line(1, t1, DSE_TYPE, 'implicit="true"'),
        _ann_line(2, _find(text_b, "has refused to comment"), DSE_TYPE, 'nested-source="w,muller"'),
        _ann_line(3, _find(text_b, "so-called"), ESE_TYPE, 'nested-source="w,muller"'),
    ]
    blank = (len(b1.encode("utf-8")), len(b1.encode("utf-8")) + 2)  # only whitespace: no sentence
    sentences_b = [_ann_line(2, t2, "GATE_sentence"), _ann_line(1, t1, "GATE_sentence"),
                   _ann_line(3, blank, "GATE_sentence")]

    documents = ((DOC_A, text_a, anns_a, sentences_a), (DOC_B, text_b, anns_b, sentences_b))
    for name, text, anns, sentences in documents:
        (root / "docs" / name).parent.mkdir(parents=True, exist_ok=True)
        (root / "docs" / name).write_bytes(text)
        folder = root / "man_anns" / name
        folder.mkdir(parents=True)
        (folder / "gateman.mpqa.lre.2.0").write_text("".join(anns), encoding="utf-8")
        (folder / "gatesentences.mpqa.2.0").write_text("".join(sentences), encoding="utf-8")

    tok_a1 = ("The", "minister", "said", "the", "plan", "was", "a", "complete", "failure", ".")
    tok_a2 = ("Critics", "fear", "and", "loathe", "new", "taxes", ",", "officials", "said", ".")
    tok_b1 = ("Müller", "has", "refused", "to", "comment", "on", "the", "so-called", "reforms", ".")
    tok_b2 = ("Prices", "rose", "3.5", "percent", "in", "the", "U.S.", "last", "year", ".")
    o10 = ("O",) * 10
    return {
        DOC_A: {
            "dse": [(tok_a1, ("O", "O", "B", "O", "O", "O", "O", "O", "O", "O")),
                    (tok_a2, ("O", "B", "B", "I", "O", "O", "O", "O", "B", "O"))],
            "ese": [(tok_a1, ("O", "O", "O", "O", "O", "O", "B", "I", "I", "O")),
                    (tok_a2, ("O", "O", "O", "O", "O", "B", "O", "O", "O", "O"))],
        },
        DOC_B: {
            "dse": [(tok_b1, ("O", "B", "I", "I", "I", "O", "O", "O", "O", "O")), (tok_b2, o10)],
            "ese": [(tok_b1, ("O", "O", "O", "O", "O", "O", "O", "B", "O", "O")), (tok_b2, o10)],
        },
    }


def test_read_mpqa2(tmp_path):
    expected = _mpqa_tree(tmp_path)
    for task in TASKS:
        assert read_mpqa2(tmp_path, task=task) == expected[DOC_A][task] + expected[DOC_B][task], task
    assert read_mpqa2(str(tmp_path), task="dse")[0][0][2] == "said"


def test_tokenizer_offsets_are_bytes():
    data = "Müller's so-called 1,200 U.S. plan!".encode()
    tokens = tokenize_with_offsets(data, 100)
    assert [t for t, _, _ in tokens] == ["Müller's", "so-called", "1,200", "U.S.", "plan", "!"]
    assert all(data[a - 100 : b - 100].decode() == t for t, a, b in tokens)
    with pytest.raises(TypeError, match="bytes"):
        tokenize_with_offsets("text")


def test_read_mpqa2_malformed(tmp_path):
    _mpqa_tree(tmp_path)
    ann = tmp_path / "man_anns" / DOC_B / "gateman.mpqa.lre.2.0"
    lines = ann.read_text(encoding="utf-8").splitlines(keepends=True)
    ann.write_text("".join([lines[0], "# comment\n", "3\t12-15\tstring\tGATE_direct-subjective\t\n"]),
                   encoding="utf-8")
    with pytest.raises(ValueError, match=r"gateman\.mpqa\.lre\.2\.0 line 3: span '12-15'"):
        read_mpqa2(tmp_path, task="dse")
    ann.write_text("1\t12,15\tstring\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"gateman\.mpqa\.lre\.2\.0 line 1: expected"):
        read_mpqa2(tmp_path, task="ese")
    ann.write_text("1\t15,12\tstring\tGATE_expressive-subjectivity\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"line 1: .*ends before it starts"):
        read_mpqa2(tmp_path, task="ese")
    ann.unlink()
    with pytest.raises(FileNotFoundError, match="gateman"):
        read_mpqa2(tmp_path, task="ese")
    with pytest.raises(FileNotFoundError, match="docs/ and man_anns/"):
        read_mpqa2(tmp_path / "nowhere", task="ese")
    with pytest.raises(ValueError, match="task must be one of"):
        read_mpqa2(tmp_path, task="DSE")


# --------------------------------------------------------------------------------------------
# load_opinion


def test_load_opinion_kit(corpus):
    for task in TASKS:
        splits = load_opinion(task)
        assert list(splits) == list(SPLITS)
        assert splits == {split: task_pairs(corpus[split], task) for split in SPLITS}
    assert load_opinion("ese", "kit", KIT_CORPUS_DIR)["dev"][0] == corpus["dev"][0].for_task("ese")


def test_load_opinion_mpqa_root(tmp_path):
    expected = _mpqa_tree(tmp_path)
    for task in TASKS:
        splits = load_opinion(task, "mpqa", tmp_path)
        assert list(splits) == list(SPLITS)
        want: dict[str, list] = {split: [] for split in SPLITS}
        for name in (DOC_A, DOC_B):
            want[mpqa_document_split(name)].extend(expected[name][task])
        assert splits == want


def test_mpqa_document_split_is_stable_and_about_80_10_10():
    names = [f"2002{i:04d}/doc-{i}" for i in range(2000)]
    shares = Counter(mpqa_document_split(n) for n in names)
    assert 0.75 < shares["train"] / 2000 < 0.85 and 0.07 < shares["dev"] / 2000 < 0.13
    assert mpqa_document_split("20020101/21.00.00-1111") == mpqa_document_split("20020101/21.00.00-1111")
    with pytest.raises(TypeError):
        mpqa_document_split(3)


def test_load_opinion_mpqa_columns(tmp_path):
    _write(tmp_path / "train.txt", "Critics O\nfear B-DSE\n.\tO\n")
    _write(tmp_path / "valid.txt", "Officials O\nsaid B\n")
    _write(tmp_path / "test.txt", "It O\nrained O\n")
    splits = load_opinion("dse", "mpqa", tmp_path)
    assert splits == {
        "train": [(("Critics", "fear", "."), ("O", "B", "O"))],
        "dev": [(("Officials", "said"), ("O", "B"))],
        "test": [(("It", "rained"), ("O", "O"))],
    }
    # one subfolder per task, bare names
    (tmp_path / "ese").mkdir()
    for split in SPLITS:
        _write(tmp_path / "ese" / split, "so-called B-ESE\nreforms O\n")
    assert load_opinion("ese", "mpqa", str(tmp_path))["dev"] == [(("so-called", "reforms"), ("B", "O"))]
    (tmp_path / "test.txt").unlink()
    with pytest.raises(FileNotFoundError, match=r"missing the test split \(tried test: test, test\.txt"):
        load_opinion("dse", "mpqa", tmp_path)
    _write(tmp_path / "test.txt", "bad X\n")
    with pytest.raises(ValueError, match=r"test\.txt line 1: label 'X'"):
        load_opinion("dse", "mpqa", tmp_path)


def test_load_opinion_bad_arguments(tmp_path):
    with pytest.raises(ValueError, match=r"task must be one of \('dse', 'ese'\), got 'opinion'"):
        load_opinion("opinion")
    with pytest.raises(ValueError, match=r"data must be one of \('kit', 'mpqa'\), got 'mpqa2'"):
        load_opinion("dse", "mpqa2")
    with pytest.raises(ValueError, match="needs path="):
        load_opinion("dse", "mpqa")
    with pytest.raises(TypeError, match="path must be a str or pathlib.Path"):
        load_opinion("dse", "mpqa", 3)
    with pytest.raises(FileNotFoundError, match="is not a folder"):
        load_opinion("dse", "mpqa", tmp_path / "absent")
    with pytest.raises(FileNotFoundError, match="missing train.tsv, dev.tsv, test.tsv"):
        load_opinion("dse", "kit", tmp_path)


def test_write_and_read_kit_errors(corpus, tmp_path):
    with pytest.raises(ValueError, match="exactly the splits"):
        write_corpus(tmp_path, {"train": corpus["train"]})
    with pytest.raises(TypeError, match="TaggedSentence"):
        write_corpus(tmp_path, {"train": [("a",)], "dev": [], "test": []})
    with pytest.raises(TypeError, match="seed must be an int"):
        generate_opinion_corpus("0")
    write_corpus(tmp_path, {split: corpus[split][:3] for split in SPLITS})
    dev = tmp_path / "dev.tsv"
    lines = dev.read_text(encoding="utf-8").split("\n")
    lines[1] = "The\tI\tO"
    dev.write_text("\n".join(lines), encoding="utf-8")
    with pytest.raises(ValueError, match=r"dev\.tsv line 2: TaggedSentence\.dse"):
        read_kit_corpus(tmp_path)
    lines[2] = "word\tO"
    dev.write_text("\n".join(lines), encoding="utf-8")
    with pytest.raises(ValueError, match=r"dev\.tsv line 3: expected 3 tab-separated columns, got 2"):
        read_kit_corpus(tmp_path)
    dev.write_text("no header\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"dev\.tsv line 1: expected the header"):
        read_kit_corpus(tmp_path)


def test_public_names():
    assert set(opinion.__all__) <= set(dir(opinion))
    assert opinion.TASKS == ("dse", "ese") and opinion.SPLITS == ("train", "dev", "test")
