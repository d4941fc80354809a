"""rnnlm.data: registry, data directory, downloads, loading, vocabulary and batching."""

from __future__ import annotations

import hashlib
import os
import random
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np
import pytest

from rnnlm import data
from rnnlm.cli import main
from rnnlm.data import (
    Corpus,
    CorpusFile,
    CorpusNotFoundError,
    DownloadError,
    Vocab,
    available,
    batchify,
    bptt_batches,
    corpus_path,
    fetch,
    load_corpus,
    to_stream,
    verify,
)

# --------------------------------------------------------------------------------------------
# a small test corpus, served by a local HTTP server

WORDS = "the cat sat on a mat and dog ran to big red house".split()


def _text(n_lines: int, seed: int) -> bytes:
    rng = random.Random(seed)
    lines = (" ".join(rng.choice(WORDS) for _ in range(rng.randint(3, 12))) for _ in range(n_lines))
    return ("\n".join(lines) + "\n").encode()


DEMO_BYTES = {
    "demo/demo.train.txt": _text(4000, 1),  # about 100 kB: several read chunks
    "demo/demo.valid.txt": _text(50, 2),
    "demo/demo.test.txt": _text(50, 3),
}


def _corpus(name: str = "demo-test") -> Corpus:
    return Corpus(
        name=name,
        description="test corpus made by tests/test_data.py",
        homepage="",
        citation="",
        files=tuple(
            CorpusFile(
                split, rel, len(DEMO_BYTES[rel]), hashlib.sha256(DEMO_BYTES[rel]).hexdigest(),
                f"http://127.0.0.1:9/unused/{rel}",
            )
            for split, rel in zip(("train", "valid", "test"), DEMO_BYTES, strict=True)
        ),
    )


DEMO = _corpus()


class _Handler(BaseHTTPRequestHandler):
    """Routes: /good/<rel>, /corrupt/<rel> (same size, one byte changed), /cut/<rel>
    (announces the full Content-Length, sends half, closes), /long/<rel> (more bytes than
    expected); everything else is a 404."""

    def log_message(self, *args):  # keep test output quiet
        pass

    def do_GET(self):  # noqa: N802 - http.server's name
        srv = self.server
        srv.requests.append(self.path)
        route, _, rel = self.path.lstrip("/").partition("/")
        body = DEMO_BYTES.get(rel)
        if body is None or route not in ("good", "corrupt", "cut", "long"):
            self.send_error(404, "Not Found")
            return
        if route == "corrupt":
            body = body[:100] + bytes([body[100] ^ 0xFF]) + body[101:]
        elif route == "long":
            body = body + b"extra bytes\n" * 10
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        half = len(body) // 2
        self.wfile.write(body[:half])
        self.wfile.flush()
        if srv.watch_dir is not None:  # what the client's data directory holds mid-transfer
            target = srv.watch_dir / rel
            srv.mid_transfer.append((target.exists(), sorted(p.name for p in target.parent.iterdir())))
        if route == "cut":
            return  # HTTP/1.0: the server closes the connection after the handler returns
        self.wfile.write(body[half:])


@pytest.fixture(scope="module")
def server():
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    httpd.requests = []
    httpd.watch_dir = None
    httpd.mid_transfer = []
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield httpd
    finally:
        httpd.shutdown()
        httpd.server_close()


@pytest.fixture
def srv(server, tmp_path):
    server.requests.clear()
    server.mid_transfer.clear()
    server.watch_dir = tmp_path
    yield server
    server.watch_dir = None


def base(server, route: str) -> str:
    return f"http://127.0.0.1:{server.server_address[1]}/{route}"


def all_files(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch):
    monkeypatch.delenv("RNNLM_MIRROR", raising=False)
    monkeypatch.delenv("RNNLM_FAST", raising=False)


@pytest.fixture
def registered():
    """DEMO registered under its name for the CLI, and removed afterwards."""
    data.register_corpus(DEMO)
    try:
        yield DEMO
    finally:
        data.unregister_corpus(DEMO.name)


def real_corpus_dir(*rel: str) -> Path:
    """The data directory if it holds the given real corpus files, else skip the test."""
    root = data.data_dir()
    missing = [r for r in rel if not (root / r).is_file()]
    if missing:
        pytest.skip(f"real corpus files {missing} not in the data directory {root} (set RNNLM_DATA)")
    return root


# --------------------------------------------------------------------------------------------
# registry


def test_registry_knows_the_kit_corpora():
    assert {"ptb", "tinyshakespeare", "embedded"} <= set(data.CORPORA)
    ptb = data.get_corpus("ptb")
    assert [f.split for f in ptb.files] == ["train", "valid", "test"]
    assert all(f.url.startswith("https://") and f.path.startswith("ptb/") for f in ptb.files)
    ts = data.get_corpus("tinyshakespeare")
    assert len(ts.files) == 1 and ts.file_for("valid") is ts.file_for("train")
    assert data.get_corpus("embedded").generated and data.get_corpus("embedded").files == ()
    assert data.get_corpus(DEMO) is DEMO


def test_registry_rejects_bad_entries_and_names():
    sha = "0" * 64
    with pytest.raises(ValueError, match="unknown corpus 'nope'.*ptb"):
        data.get_corpus("nope")
    with pytest.raises(TypeError, match="Corpus"):
        data.get_corpus(3)
    with pytest.raises(ValueError, match="relative path"):
        CorpusFile("train", "/etc/passwd", 1, sha, "http://x/")
    with pytest.raises(ValueError, match="relative path"):
        CorpusFile("train", "../up.txt", 1, sha, "http://x/")
    with pytest.raises(ValueError, match="sha256"):
        CorpusFile("train", "a.txt", 1, "abc", "http://x/")
    with pytest.raises(ValueError, match="split"):
        CorpusFile("dev", "a.txt", 1, sha, "http://x/")
    f = CorpusFile("train", "a.txt", 1, sha, "http://x/")
    with pytest.raises(ValueError, match="exactly one file"):
        Corpus("dup", "", "", "", files=(f, f))
    with pytest.raises(ValueError, match="no files"):
        Corpus("empty", "", "", "")
    with pytest.raises(ValueError, match="already registered"):
        data.register_corpus(Corpus("ptb", "other", "", "", files=(f,)))
    with pytest.raises(ValueError, match="generated"):
        corpus_path("embedded", "train")
    with pytest.raises(ValueError, match="split must be one of"):
        corpus_path("ptb", "dev")


# --------------------------------------------------------------------------------------------
# data directory and the missing-corpus message


def test_data_dir_comes_from_rnnlm_data_or_the_cache(monkeypatch, tmp_path):
    monkeypatch.setenv("RNNLM_DATA", str(tmp_path / "corpora"))
    assert data.data_dir() == tmp_path / "corpora"
    monkeypatch.setenv("RNNLM_DATA", "  ")  # blank counts as unset
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert data.data_dir() == tmp_path / "xdg" / "rnnlm"
    monkeypatch.delenv("RNNLM_DATA")
    monkeypatch.setenv("XDG_CACHE_HOME", "relative/ignored")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert data.data_dir() == tmp_path / "home" / ".cache" / "rnnlm"


def test_corpus_path_finds_files_under_rnnlm_data(monkeypatch, tmp_path):
    monkeypatch.setenv("RNNLM_DATA", str(tmp_path))
    rel = DEMO.file_for("valid").path
    (tmp_path / rel).parent.mkdir(parents=True)
    (tmp_path / rel).write_bytes(DEMO_BYTES[rel])
    assert corpus_path(DEMO, "valid") == tmp_path / rel
    with pytest.raises(CorpusNotFoundError):
        corpus_path(DEMO, "train")


def test_missing_corpus_error_is_one_helpful_paragraph(monkeypatch, tmp_path):
    monkeypatch.setenv("RNNLM_DATA", str(tmp_path))
    with pytest.raises(CorpusNotFoundError) as info:
        corpus_path("ptb", "valid")
    err = info.value
    assert isinstance(err, FileNotFoundError)
    msg = str(err)
    assert "\n" not in msg
    assert "ptb/ptb.valid.txt" in msg
    assert str(tmp_path / "ptb" / "ptb.valid.txt") in msg  # where it looked
    assert "rnnlm data fetch ptb" in msg
    assert data.get_corpus("ptb").file_for("valid").url in msg
    assert "by hand" in msg and "RNNLM_DATA" in msg
    assert err.path == tmp_path / "ptb" / "ptb.valid.txt"
    # load_corpus raises the same error
    with pytest.raises(CorpusNotFoundError, match="rnnlm data fetch tinyshakespeare"):
        load_corpus("tinyshakespeare")


# --------------------------------------------------------------------------------------------
# downloads


def test_fetch_downloads_verifies_and_places_files_atomically(srv, tmp_path):
    paths = fetch(DEMO, data_dir=tmp_path, base_url=base(srv, "good"), progress=False)
    assert paths == [tmp_path / f.path for f in DEMO.files]
    for f, p in zip(DEMO.files, paths, strict=True):
        assert p.read_bytes() == DEMO_BYTES[f.path]
        assert hashlib.sha256(p.read_bytes()).hexdigest() == f.sha256
    assert all_files(tmp_path) == sorted(DEMO_BYTES)  # no temporary files left
    # mid-transfer the final name did not exist yet; the bytes went to a temporary file beside it
    assert len(srv.mid_transfer) == 3
    for exists, names in srv.mid_transfer:
        assert not exists
        assert any(n.endswith(".part") for n in names)
    assert all(v.ok for v in verify(DEMO, data_dir=tmp_path))
    assert available(DEMO, data_dir=tmp_path)


def test_fetch_skips_verified_files_and_replaces_corrupt_ones(srv, tmp_path):
    fetch(DEMO, data_dir=tmp_path, base_url=base(srv, "good"), progress=False)
    assert len(srv.requests) == 3
    fetch(DEMO, data_dir=tmp_path, base_url=base(srv, "good"), progress=False)
    assert len(srv.requests) == 3  # nothing downloaded again
    bad = tmp_path / DEMO.file_for("test").path
    bad.write_bytes(b"garbage")
    fetch(DEMO, data_dir=tmp_path, base_url=base(srv, "good"), progress=True)
    assert srv.requests[3:] == ["/good/" + DEMO.file_for("test").path]
    assert bad.read_bytes() == DEMO_BYTES[DEMO.file_for("test").path]


def test_mirror_environment_variable_replaces_the_url(srv, tmp_path, monkeypatch):
    monkeypatch.setenv("RNNLM_MIRROR", base(srv, "good") + "/")
    fetch(DEMO, data_dir=tmp_path, progress=False)
    assert srv.requests == ["/good/" + f.path for f in DEMO.files]
    with pytest.raises(ValueError, match="base_url"):
        fetch(DEMO, data_dir=tmp_path / "other", base_url="ftp://mirror.example/", progress=False)


def test_corrupted_download_leaves_nothing(srv, tmp_path):
    with pytest.raises(DownloadError) as info:
        fetch(DEMO, data_dir=tmp_path, base_url=base(srv, "corrupt"), progress=False)
    msg = str(info.value)
    f = DEMO.file_for("train")
    assert base(srv, "corrupt") + "/" + f.path in msg
    assert f.sha256 in msg  # expected
    bad = DEMO_BYTES[f.path][:100] + bytes([DEMO_BYTES[f.path][100] ^ 0xFF]) + DEMO_BYTES[f.path][101:]
    assert hashlib.sha256(bad).hexdigest() in msg  # got
    assert all_files(tmp_path) == []


def test_truncated_download_leaves_nothing(srv, tmp_path):
    with pytest.raises(DownloadError, match="truncated") as info:
        fetch(DEMO, data_dir=tmp_path, base_url=base(srv, "cut"), progress=False, timeout=10)
    assert base(srv, "cut") in str(info.value)
    assert all_files(tmp_path) == []


def test_oversized_download_leaves_nothing(srv, tmp_path):
    with pytest.raises(DownloadError, match="more than the expected"):
        fetch(DEMO, data_dir=tmp_path, base_url=base(srv, "long"), progress=False)
    assert all_files(tmp_path) == []


def test_http_404_names_the_url(srv, tmp_path):
    with pytest.raises(DownloadError, match="404") as info:
        fetch(DEMO, data_dir=tmp_path, base_url=base(srv, "missing"), progress=False)
    assert base(srv, "missing") + "/" + DEMO.file_for("train").path in str(info.value)
    assert all_files(tmp_path) == []


def test_connection_error_names_the_url(tmp_path):
    with socket.socket() as s:  # a port that nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    url = f"http://127.0.0.1:{port}/x"
    with pytest.raises(DownloadError, match="cannot connect") as info:
        fetch(DEMO, data_dir=tmp_path, base_url=url, progress=False, timeout=5)
    assert url in str(info.value)
    assert all_files(tmp_path) == []


def test_verify_and_available_report_each_file(tmp_path):
    assert [v.status for v in verify(DEMO, data_dir=tmp_path)] == ["missing"] * 3
    assert not available(DEMO, data_dir=tmp_path)
    for rel, body in DEMO_BYTES.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_bytes(body)
    assert available(DEMO, data_dir=tmp_path)
    train = tmp_path / DEMO.file_for("train").path
    flipped = bytearray(train.read_bytes())
    flipped[0] ^= 1
    train.write_bytes(bytes(flipped))  # same size, wrong sha256: available() cannot tell, verify() can
    assert available(DEMO, data_dir=tmp_path)
    status = {v.split: v for v in verify(DEMO, data_dir=tmp_path)}
    assert status["train"].status == "corrupt" and "sha256" in status["train"].detail
    assert status["valid"].ok and status["test"].ok
    (tmp_path / DEMO.file_for("test").path).unlink()
    assert not available(DEMO, data_dir=tmp_path)
    assert verify("embedded") == [] and available("embedded")


def test_real_corpora_match_the_registry():
    real_corpus_dir("ptb/ptb.train.txt", "ptb/ptb.valid.txt", "ptb/ptb.test.txt")
    assert [v.status for v in verify("ptb")] == ["ok"] * 3
    assert available("ptb")
    real_corpus_dir("tinyshakespeare/input.txt")
    assert [v.status for v in verify("tinyshakespeare")] == ["ok"]


# --------------------------------------------------------------------------------------------
# command line


def test_cli_list_shows_every_corpus(tmp_path, capsys, registered):
    (tmp_path / DEMO.file_for("train").path).parent.mkdir(parents=True)
    (tmp_path / DEMO.file_for("train").path).write_bytes(DEMO_BYTES[DEMO.file_for("train").path])
    assert main(["data", "list", "--data-dir", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    lines = {tuple(line.split()[:3]) for line in out.splitlines()}
    assert ("demo-test", "train", "yes") in lines
    assert ("demo-test", "valid", "no") in lines
    assert ("ptb", "test", "no") in lines
    assert any(line.startswith("embedded") for line in out.splitlines())
    assert str(tmp_path / "ptb" / "ptb.test.txt") in out


def test_cli_fetch_then_verify(srv, tmp_path, capsys, registered):
    args = ["--data-dir", str(tmp_path)]
    assert main(["data", "fetch", DEMO.name, "--base-url", base(srv, "good"), "--no-progress", *args]) == 0
    assert all_files(tmp_path) == sorted(DEMO_BYTES)
    assert main(["data", "verify", DEMO.name, *args]) == 0
    capsys.readouterr()
    (tmp_path / DEMO.file_for("valid").path).write_bytes(b"x" * DEMO.file_for("valid").size)
    assert main(["data", "verify", DEMO.name, *args]) == 1
    out = capsys.readouterr().out
    assert "corrupt" in out and "valid" in out
    assert main(["data", "verify", *args]) == 1  # all corpora: the corrupt file still fails


def test_cli_fetch_failure_and_unknown_corpus(srv, tmp_path, capsys, registered):
    code = main(["data", "fetch", DEMO.name, "--base-url", base(srv, "nothing"), "--data-dir", str(tmp_path)])
    assert code == 1
    assert base(srv, "nothing") in capsys.readouterr().err
    assert all_files(tmp_path) == []
    assert main(["data", "fetch", "no-such-corpus", "--data-dir", str(tmp_path)]) == 2
    assert "unknown corpus" in capsys.readouterr().err
    assert main(["data", "verify", "ptb", "--data-dir", str(tmp_path)]) == 1  # named and missing
    assert main(["data", "fetch", "embedded"]) == 0  # generated: nothing to do


def test_cli_fetches_real_ptb_from_a_mirror(tmp_path, capsys):
    """Serve the real PTB files from the data directory over HTTP and fetch them by name."""
    root = real_corpus_dir("ptb/ptb.train.txt", "ptb/ptb.valid.txt", "ptb/ptb.test.txt")

    class Files(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_GET(self):  # noqa: N802
            body = (root / self.path.lstrip("/")).read_bytes()
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Files)
    threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{httpd.server_address[1]}"
        dest = tmp_path / "data"
        fetch_args = ["data", "fetch", "ptb", "--base-url", url, "--no-progress", "--data-dir", str(dest)]
        assert main(fetch_args) == 0
        assert main(["data", "verify", "ptb", "--data-dir", str(dest)]) == 0
    finally:
        httpd.shutdown()
        httpd.server_close()
    assert all_files(dest) == ["ptb/ptb.test.txt", "ptb/ptb.train.txt", "ptb/ptb.valid.txt"]


# --------------------------------------------------------------------------------------------
# loading corpora


def test_load_embedded_corpus_is_deterministic_and_smaller_when_fast(monkeypatch):
    a = load_corpus("embedded", fast=True)
    assert a == load_corpus("embedded", fast=True)
    assert set(a) == {"train", "valid", "test"}
    monkeypatch.setenv("RNNLM_FAST", "1")
    assert load_corpus("embedded") == a
    monkeypatch.setenv("RNNLM_FAST", "0")
    full = load_corpus("embedded")
    assert len(full["train"]) > 5 * len(a["train"])
    chars = load_corpus("embedded", fast=True, level="char", max_sentences=5)
    assert chars["train"] == [list(" ".join(s)) for s in a["train"][:5]]


def test_load_corpus_from_files_in_the_data_directory(tmp_path):
    for rel, body in DEMO_BYTES.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_bytes(body)
    splits = load_corpus(DEMO, data_dir=tmp_path, fast=False)
    for f in DEMO.files:
        lines = DEMO_BYTES[f.path].decode().splitlines()
        assert splits[f.split] == [line.split() for line in lines]
    small = load_corpus(DEMO, data_dir=tmp_path, fast=False, max_sentences=7)
    assert {k: len(v) for k, v in small.items()} == {"train": 7, "valid": 7, "test": 7}
    assert small["train"] == splits["train"][:7]
    fast = load_corpus(DEMO, data_dir=tmp_path, fast=True)
    assert len(fast["train"]) == min(data.FAST_MAX_SENTENCES, len(splits["train"]))
    chars = load_corpus(DEMO, data_dir=tmp_path, fast=False, level="char")
    assert chars["valid"][0] == list(DEMO_BYTES["demo/demo.valid.txt"].decode().splitlines()[0])
    with pytest.raises(ValueError, match="level"):
        load_corpus(DEMO, data_dir=tmp_path, level="byte")
    with pytest.raises(ValueError, match="max_sentences"):
        load_corpus(DEMO, data_dir=tmp_path, max_sentences=0)


def test_single_file_corpus_is_split_contiguously(tmp_path):
    lines = [f"line {i} , {'abcdefg'[i % 7]}x !" for i in range(200)]
    text = "\n\n".join(lines) + "\n"  # blank lines between are skipped
    body = text.encode()
    one = Corpus(
        "one-file", "", "", "",
        files=(CorpusFile("all", "one/all.txt", len(body), hashlib.sha256(body).hexdigest(), "http://x/"),),
    )
    (tmp_path / "one").mkdir()
    (tmp_path / "one" / "all.txt").write_bytes(body)
    splits = load_corpus(one, data_dir=tmp_path, fast=False)
    n = {k: len(v) for k, v in splits.items()}
    assert n == {"train": 180, "valid": 10, "test": 10}  # 90 / 5 / 5 of the non-empty lines
    joined = splits["train"] + splits["valid"] + splits["test"]
    assert [" ".join(s) for s in joined] == lines  # contiguous, in order, nothing lost
    assert splits["valid"][0] == ["line", "180", ",", "fx", "!"]  # punctuation is its own token


def test_real_ptb_counts():
    real_corpus_dir("ptb/ptb.train.txt", "ptb/ptb.valid.txt", "ptb/ptb.test.txt")
    splits = load_corpus("ptb", fast=False)
    assert [len(splits[k]) for k in ("train", "valid", "test")] == [42068, 3370, 3761]
    vocab = Vocab.build(splits["train"])
    assert len(vocab) == 10_000
    stream = to_stream(splits["train"], vocab)
    assert stream.shape == (929_589,) and stream.dtype == np.int64
    assert np.count_nonzero(stream == vocab.eos_id) == 42068
    valid = to_stream(splits["valid"], vocab)
    assert valid.size == 70_390 + 3_370
    assert set(w for s in splits["test"] for w in s) <= set(vocab.itos)  # closed 10k vocabulary
    fast = load_corpus("ptb", fast=True)
    assert fast["train"] == splits["train"][: data.FAST_MAX_SENTENCES]


def test_real_tinyshakespeare_char_level():
    real_corpus_dir("tinyshakespeare/input.txt")
    chars = load_corpus("tinyshakespeare", level="char", fast=False)
    total = sum(len(v) for v in chars.values())
    assert total == 32777  # the file's non-empty lines
    assert len(chars["train"]) == int(total * 0.9)
    assert chars["train"][0] == list("First Citizen:")
    vocab = Vocab.build(chars["train"])
    assert 50 <= len(vocab) <= 80
    words = load_corpus("tinyshakespeare", fast=True)
    assert words["train"][0] == ["First", "Citizen", ":"]


# --------------------------------------------------------------------------------------------
# vocabulary


SENTS = [["b", "a", "c", "a"], ["d", "a", "b"], ["e", "c"], ["rare"]]


def test_vocab_orders_specials_then_frequency_then_alphabet():
    v = Vocab.build(SENTS)
    assert v.itos[:2] == ("<unk>", "<eos>")
    words = v.itos[2:]
    keys = [(-v.counts[w], w) for w in words]
    assert keys == sorted(keys)
    assert set(words) == {w for s in SENTS for w in s}
    assert v.unk_id == 0 and v.eos_id == 1 and len(v) == 2 + len(words)
    assert all(v.stoi[w] == i for i, w in enumerate(v.itos))
    shuffled = [list(reversed(s)) for s in reversed(SENTS)]
    assert Vocab.build(shuffled) == v  # independent of order


def test_vocab_min_count_max_size_and_unknown_words():
    v = Vocab.build(SENTS, min_count=2)
    assert "rare" not in v and "e" not in v and "d" not in v and {"a", "b", "c"} <= set(v.itos)
    ids = v.encode(["a", "rare", "never-seen"])
    assert ids.dtype == np.int64 and ids.shape == (3,)
    assert ids[1] == ids[2] == v.unk_id
    assert v.counts["rare"] == 1  # counts keep dropped words
    assert v.id_counts()[v.unk_id] == 3  # "d", "e" and "rare" folded into <unk>
    assert v.id_counts().sum() == sum(len(s) for s in SENTS)
    small = Vocab.build(SENTS, max_size=4)
    assert small.itos == ("<unk>", "<eos>", "a", "b")
    custom = Vocab.build(SENTS, specials=("<pad>", "<unk>", "<eos>"))
    assert custom.itos[:3] == ("<pad>", "<unk>", "<eos>") and custom.unk_id == 1


def test_vocab_round_trip_and_bad_inputs():
    v = Vocab.build(SENTS)
    for s in SENTS:
        assert v.decode(v.encode(s)) == s
    assert v.decode(np.array([], dtype=np.int64)) == []
    with pytest.raises(TypeError, match="split it first"):
        v.encode("a b")
    with pytest.raises(ValueError, match="out of range"):
        v.decode([0, len(v)])
    with pytest.raises(ValueError, match="out of range"):
        v.decode([-1])
    with pytest.raises(TypeError, match="integer"):
        v.decode(np.array([0.5]))
    with pytest.raises(ValueError, match="empty corpus"):
        Vocab.build([])
    with pytest.raises(TypeError, match="sentence 1"):
        Vocab.build([["a"], "b c"])
    with pytest.raises(ValueError, match="min_count"):
        Vocab.build(SENTS, min_count=0)
    with pytest.raises(ValueError, match="max_size"):
        Vocab.build(SENTS, max_size=1)
    no_unk = Vocab.build(SENTS, specials=("<eos>",))
    with pytest.raises(ValueError, match="no <unk>"):
        no_unk.encode(["zzz"])
    with pytest.raises(ValueError, match="<unk>"):
        _ = no_unk.unk_id
    with pytest.raises(ValueError, match="distinct"):
        Vocab(["a", "a"])


# --------------------------------------------------------------------------------------------
# streams and batches


def test_to_stream_puts_one_eos_after_each_sentence():
    v = Vocab.build(SENTS)
    stream = to_stream(SENTS, v)
    assert stream.dtype == np.int64
    assert stream.size == sum(len(s) for s in SENTS) + len(SENTS)
    ends = np.flatnonzero(stream == v.eos_id)
    assert list(ends) == list(np.cumsum([len(s) + 1 for s in SENTS]) - 1)
    assert v.decode(stream[: len(SENTS[0])]) == SENTS[0]
    plain = to_stream(SENTS, v, eos=False)
    assert plain.size == sum(len(s) for s in SENTS) and v.eos_id not in plain
    with pytest.raises(ValueError, match="at least one sentence"):
        to_stream([], v)
    with pytest.raises(TypeError, match="Vocab"):
        to_stream(SENTS, {"a": 1})


def test_batchify_cuts_contiguous_rows_and_drops_the_rest():
    stream = np.arange(103, dtype=np.int64)
    b = batchify(stream, 4)
    assert b.shape == (4, 25)
    assert np.array_equal(b.reshape(-1), stream[:100])
    assert all(np.all(np.diff(row) == 1) for row in b)  # each row is a contiguous piece of text
    assert batchify(stream, 1).shape == (1, 103)
    with pytest.raises(ValueError, match="batch_size"):
        batchify(stream, 0)
    with pytest.raises(ValueError, match="too short"):
        batchify(stream[:3], 4)
    with pytest.raises(ValueError, match="1-D"):
        batchify(b, 2)
    with pytest.raises(TypeError, match="integer"):
        batchify(stream.astype(float), 2)


@pytest.mark.parametrize("seq_len", [1, 5, 7, 24, 100])
def test_bptt_batches_cover_the_stream_with_targets_shifted_by_one(seq_len):
    batched = batchify(np.arange(1000, dtype=np.int64) * 3, 8)  # (8, 125)
    pairs = list(bptt_batches(batched, seq_len))
    assert len(pairs) == -(-(batched.shape[1] - 1) // seq_len)
    for x, y in pairs:
        assert x.shape == y.shape and x.shape[0] == 8 and 1 <= x.shape[1] <= seq_len
        assert np.array_equal(y[:, :-1], x[:, 1:])
    assert np.array_equal(np.concatenate([x for x, _ in pairs], axis=1), batched[:, :-1])
    assert np.array_equal(np.concatenate([y for _, y in pairs], axis=1), batched[:, 1:])


def test_bptt_batches_checks_arguments_when_called():
    with pytest.raises(ValueError, match="seq_len"):
        bptt_batches(np.zeros((2, 10), dtype=np.int64), 0)
    with pytest.raises(ValueError, match="2-D"):
        bptt_batches(np.zeros(10, dtype=np.int64), 3)
    with pytest.raises(ValueError, match="at least 2"):
        bptt_batches(np.zeros((4, 1), dtype=np.int64), 3)


def test_module_keeps_no_temporary_state(tmp_path):
    """fetch of a generated corpus writes nothing; paths are never created by look-ups."""
    assert fetch("embedded", data_dir=tmp_path) == []
    assert not available(DEMO, data_dir=tmp_path / "absent")
    assert not (tmp_path / "absent").exists()
    assert os.listdir(tmp_path) == []
