"""Corpora: registry, data directory, downloads, tokenisation and vocabulary.

(Being filled in; ``read_sentences`` and ``load_corpus`` keep these signatures.)
"""

from __future__ import annotations

from pathlib import Path


def read_sentences(path: str | Path, *, lowercase: bool = False) -> list[list[str]]:
    """Read a whitespace-tokenised text file: one sentence per non-empty line -> list of token lists."""
    path = Path(path)
    sentences: list[list[str]] = []
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            tokens = (line.lower() if lowercase else line).split()
            if tokens:
                sentences.append(tokens)
    return sentences
