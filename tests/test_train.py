"""The training loop: it learns, clips, truncates BPTT, checkpoints, stops early; the CLI reports JSON."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
import torch

from rnnlm import train as train_mod
from rnnlm.cli import main as cli_main
from rnnlm.data import Vocab, load_corpus, to_stream
from rnnlm.history import History
from rnnlm.rnn_torch import RNNLM
from rnnlm.train import (
    TrainConfig,
    evaluate,
    global_grad_norm,
    load_checkpoint,
    make_optimizer,
    save_checkpoint,
    train,
    train_step,
)

pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.fixture(scope="module")
def corpus():
    """The embedded corpus in its fast size: (vocab, {"train", "valid", "test"} streams)."""
    splits = load_corpus("embedded", fast=True)
    vocab = Vocab.build(splits["train"])
    return vocab, {k: to_stream(v, vocab) for k, v in splits.items()}


def small_model(vocab, seed=0, **kw):
    return RNNLM(len(vocab), 24, 24, device="cpu", seed=seed, **kw)


def quick_config(**kw):
    base = dict(epochs=2, batch_size=16, seq_len=20, lr=5e-3, progress=False, seed=0)
    base.update(kw)
    return TrainConfig(**base)


def test_training_lowers_validation_perplexity(corpus):
    vocab, s = corpus
    model = small_model(vocab)
    before = evaluate(model, s["valid"])
    assert before > 0.5 * len(vocab)  # untrained: close to uniform over V
    history = train(model, s["train"], s["valid"], quick_config())
    assert len(history.records) == 2 and history.stop_reason == "epochs"
    assert history.valid_perplexity[-1] < history.valid_perplexity[0] < 0.6 * before
    assert history.best_valid_perplexity == min(history.valid_perplexity)
    # the model ends with the best epoch's weights
    assert evaluate(model, s["valid"], seq_len=20) == pytest.approx(history.best_valid_perplexity, rel=1e-6)
    assert all(r.tokens > 0 and r.tokens_per_second > 0 and r.seconds > 0 for r in history.records)
    assert all(g > 0 and math.isfinite(g) for g in history.grad_norm)
    assert history.learning_rate == [5e-3, 5e-3] and history.epoch == [1, 2]
    assert history.overall_tokens_per_second > 0 and history.device == "cpu"
    assert history.total_seconds == pytest.approx(sum(history.seconds))


def test_evaluate_is_exp_of_the_mean_loss(corpus):
    vocab, s = corpus
    model = small_model(vocab, seed=1)
    stream = s["test"][:301]
    x = torch.from_numpy(stream[:-1]).reshape(1, -1)
    y = torch.from_numpy(stream[1:]).reshape(1, -1)
    with torch.no_grad():
        loss, _ = model.loss(x, y)
    # one row, windows of 37 with the state carried: the same as one pass over the whole stream
    assert evaluate(model, stream, batch_size=1, seq_len=37) == pytest.approx(math.exp(loss.item()), rel=1e-5)


def test_clipping_caps_the_global_norm(corpus):
    vocab, s = corpus
    model = small_model(vocab)
    opt = torch.optim.SGD(model.parameters(), lr=0.0)
    x = torch.from_numpy(s["train"][:200].reshape(4, 50)[:, :-1])
    y = torch.from_numpy(s["train"][:200].reshape(4, 50)[:, 1:])
    unclipped = train_step(model, opt, x, y, clip=None)
    assert global_grad_norm(model) == pytest.approx(unclipped.grad_norm, rel=1e-5)
    cap = unclipped.grad_norm / 10
    clipped = train_step(model, opt, x, y, clip=cap)
    assert clipped.grad_norm == pytest.approx(unclipped.grad_norm, rel=1e-5)  # lr 0: same weights
    assert global_grad_norm(model) <= cap * (1 + 1e-5)
    assert global_grad_norm(model) == pytest.approx(cap, rel=1e-3)


def test_truncated_bptt_carries_a_detached_state(corpus, monkeypatch):
    vocab, s = corpus
    model = small_model(vocab)
    seen = []
    original = model.loss

    def recording_loss(x, y, h0=None, *args, **kwargs):
        if torch.is_grad_enabled():  # training windows (evaluation runs under no_grad)
            seen.append(h0)
        loss, h_last = original(x, y, h0, *args, **kwargs)
        if torch.is_grad_enabled():
            assert h_last.grad_fn is not None  # a graph, reaching back only to this window's start
        return loss, h_last

    monkeypatch.setattr(model, "loss", recording_loss)
    train(model, s["train"][:3000], s["valid"][:500], quick_config(epochs=1, eval_batch_size=4))
    assert len(seen) == 10  # 3000 tokens in 16 rows of 187: 10 windows of at most 20 steps
    assert seen[0] is None  # each epoch starts from zeros
    carried = seen[1:]
    assert all(h is not None and not h.requires_grad and h.grad_fn is None for h in carried)
    # a state that still holds a graph is refused
    h = torch.zeros(2, 24, requires_grad=True) * 2
    opt = make_optimizer(model, quick_config())
    x = torch.from_numpy(s["train"][:10].reshape(2, 5))
    with pytest.raises(ValueError, match="detach"):
        train_step(model, opt, x, x, h)


def test_checkpoint_round_trip_gives_identical_evaluation(corpus, tmp_path):
    vocab, s = corpus
    model = small_model(vocab, dropout=0.1)
    path = tmp_path / "ckpt" / "model.pt"
    cfg = quick_config(epochs=1)
    history = train(model, s["train"], s["valid"], cfg, checkpoint_path=path, itos=vocab.itos)
    assert path.is_file()
    assert [p.name for p in path.parent.iterdir()] == ["model.pt"]  # no temporary file left behind
    payload = torch.load(path, weights_only=True)
    assert payload["itos"] == list(vocab.itos)
    ck = load_checkpoint(path, device="cpu")
    assert ck.itos == list(vocab.itos)
    assert ck.config == cfg
    assert ck.history.valid_perplexity == history.valid_perplexity
    assert ck.history == history and isinstance(payload["history"]["records"][0], dict)
    assert ck.model.config() == model.config()
    for k, v in model.state_dict().items():
        torch.testing.assert_close(ck.model.state_dict()[k], v, rtol=0, atol=0)
    assert evaluate(ck.model, s["test"]) == evaluate(model, s["test"])
    opt = make_optimizer(ck.model, ck.config)
    opt.load_state_dict(ck.optimizer_state)
    assert opt.state_dict()["state"].keys() == ck.optimizer_state["state"].keys()


def test_save_checkpoint_checks_the_vocabulary_and_load_rejects_other_files(corpus, tmp_path):
    vocab, _ = corpus
    model = small_model(vocab)
    with pytest.raises(ValueError, match="itos has 3 entries"):
        save_checkpoint(tmp_path / "a.pt", model, itos=["a", "b", "c"])
    torch.save({"something": torch.zeros(2)}, tmp_path / "other.pt")
    with pytest.raises(ValueError, match="not an rnnlm checkpoint"):
        load_checkpoint(tmp_path / "other.pt", device="cpu")
    with pytest.raises(FileNotFoundError):
        load_checkpoint(tmp_path / "missing.pt", device="cpu")


def scripted_validation(monkeypatch, values):
    """Make the loop see these validation perplexities, epoch after epoch."""
    it = iter(values)
    monkeypatch.setattr(train_mod, "evaluate", lambda *a, **k: next(it))


def test_plateau_decays_the_learning_rate_and_patience_stops_early(corpus, monkeypatch):
    vocab, s = corpus
    # epoch 3 is a new best but gains under 1 %: it is kept, and the learning rate decays
    scripted_validation(monkeypatch, [50.0, 40.0, 39.9, 45.0, 39.0, 41.0, 42.0, 43.0, 1.0])
    cfg = quick_config(epochs=9, lr=1e-3, lr_decay=0.5, decay_threshold=0.01, patience=3, min_lr_ratio=0.0)
    history = train(small_model(vocab), s["train"][:2000], s["valid"][:500], cfg)
    assert history.learning_rate == [1e-3, 1e-3, 1e-3, 5e-4, 2.5e-4, 2.5e-4, 1.25e-4, 6.25e-5]
    assert history.improved == [True, True, True, False, True, False, False, False]
    assert history.stop_reason == "early_stopping"
    assert history.best_epoch == 5 and history.best_valid_perplexity == 39.0


def test_the_learning_rate_floor_ends_training(corpus, monkeypatch):
    vocab, s = corpus
    # every epoch after the first gains under 1 %: the rate halves each time, down to its floor
    # lr / 4 (the last rate trained at), and the decay that would go below it ends the run
    scripted_validation(monkeypatch, [50.0, 49.9, 49.8, 49.7, 49.6, 49.5])
    cfg = quick_config(epochs=6, lr=1e-3, lr_decay=0.5, min_lr_ratio=0.25, patience=10)
    history = train(small_model(vocab), s["train"][:2000], s["valid"][:500], cfg)
    assert history.learning_rate == [1e-3, 1e-3, 5e-4, 2.5e-4]
    assert history.stop_reason == "min_lr" and train_mod.STOPPED_BY["min_lr"] == "min-lr"
    assert history.best_epoch == 4 and history.best_valid_perplexity == 49.7
    # an absolute min_lr above the relative floor wins
    scripted_validation(monkeypatch, [50.0, 49.9, 49.8, 49.7])
    cfg = quick_config(epochs=4, lr=1e-3, lr_decay=0.5, min_lr=6e-4, min_lr_ratio=0.25, patience=10)
    history = train(small_model(vocab), s["train"][:2000], s["valid"][:500], cfg)
    assert history.learning_rate == [1e-3, 1e-3] and history.stop_reason == "min_lr"


def test_a_real_run_decays_to_the_floor_and_stops(corpus):
    vocab, s = corpus
    # decay_threshold 1: no epoch gains "enough", so every epoch decays the rate
    cfg = quick_config(epochs=10, lr=5e-3, lr_decay=0.5, decay_threshold=1.0, min_lr_ratio=0.25, patience=10)
    model = small_model(vocab)
    history = train(model, s["train"][:2000], s["valid"][:500], cfg)
    assert history.learning_rate == pytest.approx([5e-3, 2.5e-3, 1.25e-3])
    assert history.stop_reason == "min_lr" and len(history.records) == 3
    final = evaluate(model, s["valid"][:500], batch_size=cfg.eval_batch_size, seq_len=cfg.seq_len)
    assert final == pytest.approx(history.best_valid_perplexity, rel=1e-5)  # the best epoch's weights


def test_the_floor_defaults_to_an_eighth_and_is_checked():
    assert TrainConfig().min_lr_ratio == 1 / 8 and TrainConfig().min_lr == 0.0
    for bad in (-0.1, 1.0, float("nan")):
        with pytest.raises(ValueError, match="min_lr_ratio"):
            TrainConfig(min_lr_ratio=bad)
    assert TrainConfig(min_lr_ratio=0.0).min_lr_ratio == 0.0  # 0: no floor


def test_early_stopping_on_a_real_plateau(corpus):
    vocab, s = corpus
    # lr 0: the weights never change, so validation perplexity never improves after epoch 1
    cfg = quick_config(epochs=10, lr=0.0, patience=2)
    history = train(small_model(vocab), s["train"][:2000], s["valid"][:500], cfg)
    assert history.stop_reason == "early_stopping"
    assert len(history.records) == 3 and history.best_epoch == 1


def test_time_budget_ends_training(corpus):
    vocab, s = corpus
    history = train(small_model(vocab), s["train"], s["valid"], quick_config(epochs=5, max_minutes=0.0))
    assert history.stop_reason == "time_budget"
    assert len(history.records) == 1 and history.records[0].partial
    assert history.records[0].tokens == 16 * 20  # stopped after the first window


def test_same_seed_same_training(corpus):
    vocab, s = corpus
    runs = []
    for _ in range(2):
        model = small_model(vocab, seed=3, dropout=0.2)
        h = train(model, s["train"][:4000], s["valid"][:500], quick_config(epochs=1, seed=5))
        runs.append((h.train_perplexity, h.valid_perplexity, model.numpy_params()["W_hh"]))
    assert runs[0][0] == runs[1][0] and runs[0][1] == runs[1][1]
    np.testing.assert_array_equal(runs[0][2], runs[1][2])


def test_inputs_are_checked(corpus):
    vocab, s = corpus
    with pytest.raises(ValueError, match="batch_size must be an int >= 1, got 0"):
        TrainConfig(batch_size=0)
    with pytest.raises(ValueError, match="optimizer must be one of"):
        TrainConfig(optimizer="rmsprop")
    with pytest.raises(ValueError, match="lr_decay"):
        TrainConfig(lr_decay=0.0)
    bad = s["valid"].copy()
    bad[3] = len(vocab)
    with pytest.raises(ValueError, match=rf"expected ids in \[0, {len(vocab)}\)"):
        train(small_model(vocab), s["train"], bad, quick_config())
    with pytest.raises(TypeError, match="integer token ids"):
        evaluate(small_model(vocab), np.zeros(10))
    with pytest.raises(TypeError, match="TrainConfig"):
        train(small_model(vocab), s["train"], s["valid"], {"epochs": 1})


def test_sgd_with_momentum_learns(corpus):
    vocab, s = corpus
    model = small_model(vocab)
    cfg = quick_config(epochs=1, optimizer="sgd", lr=0.5, momentum=0.9, clip=1.0)
    opt = make_optimizer(model, cfg)
    assert isinstance(opt, torch.optim.SGD) and opt.param_groups[0]["momentum"] == 0.9
    before = evaluate(model, s["valid"])
    history = train(model, s["train"], s["valid"], cfg)
    assert history.best_valid_perplexity < 0.7 * before


def test_bfloat16_autocast_trains_in_float32_weights(corpus):
    vocab, s = corpus
    model = small_model(vocab)
    before = evaluate(model, s["valid"])
    history = train(model, s["train"], s["valid"], quick_config(epochs=1, amp=True))
    assert model.L.dtype == torch.float32
    assert history.best_valid_perplexity < 0.7 * before
    x = torch.from_numpy(s["train"][:100].reshape(4, 25))
    step = train_step(model, make_optimizer(model, quick_config()), x[:, :-1], x[:, 1:], amp=True)
    assert step.state.dtype == torch.float32 and not step.state.requires_grad and math.isfinite(step.loss)
    assert step.tokens == 4 * 24


def test_cli_json_last_line(tmp_path, capsys):
    ckpt = tmp_path / "cli.pt"
    status = cli_main([
        "train", "--corpus", "embedded", "--model", "rnn", "--hidden", "16", "--epochs", "1",
        "--fast", "--json", "--no-progress", "--device", "cpu", "--batch-size", "16",
        "--save", str(ckpt),
    ])
    assert status == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert any(line.startswith("epoch   1") for line in lines)
    summary = json.loads(lines[-1])
    for key in ("valid_perplexity", "test_perplexity", "epochs", "seconds", "tokens_per_second",
                "device", "hidden", "params", "corpus"):
        assert key in summary, key
    assert summary["epochs"] == 1 and summary["hidden"] == 16 and summary["device"] == "cpu"
    assert summary["test_perplexity"] < 400  # learned something: V is 365 + specials
    assert summary["train_seconds"] > 0 and summary["best_epoch"] == 1
    (row,) = summary["history"]  # one EpochRecord.to_dict() per epoch
    assert row["epoch"] == 1 and row["learning_rate"] == pytest.approx(2e-3) and row["grad_norm"] > 0
    assert row["valid_perplexity"] > 1 and row["tokens_per_second"] > 0
    ck = load_checkpoint(ckpt, device="cpu")
    assert ck.model.num_parameters() == summary["params"]
    assert summary["stopped_by"] == "epochs" and summary["epochs_run"] == 1 and summary["max_minutes"] is None
    assert summary["precision"] in ("float32", "bfloat16 autocast") and summary["precision_reason"]
    assert any(line.startswith("stopped by epochs after 1 epoch(s)") for line in lines)


def test_cli_trains_a_class_softmax_model_and_says_so(tmp_path, capsys):
    ckpt = tmp_path / "class.pt"
    status = cli_main([
        "train", "--corpus", "embedded", "--hidden", "16", "--epochs", "1", "--fast", "--json",
        "--no-progress", "--device", "cpu", "--batch-size", "16", "--softmax", "class", "--classes", "12",
        "--save", str(ckpt),
    ])
    assert status == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert "class softmax C=12" in lines[0]
    summary = json.loads(lines[-1])
    assert summary["softmax"] == "class" and summary["classes"] == 12
    assert 1 < summary["test_perplexity"] < 400  # a distribution over V, and it learned something
    ck = load_checkpoint(ckpt, device="cpu")
    assert ck.model.num_parameters() == summary["params"]


def test_cli_says_when_the_time_budget_cut_the_run(capsys):
    status = cli_main([
        "train", "--corpus", "embedded", "--model", "rnn", "--hidden", "16", "--epochs", "3", "--fast",
        "--json", "--no-progress", "--device", "cpu", "--max-minutes", "0.0001", "--amp", "off",
    ])
    assert status == 0
    lines = capsys.readouterr().out.strip().splitlines()
    summary = json.loads(lines[-1])
    assert summary["stopped_by"] == "time budget" and summary["epochs_run"] < 3
    assert summary["precision"] == "float32" and summary["precision_reason"] == "--amp off"
    assert any(line.startswith("STOPPED BY THE TIME BUDGET") for line in lines[-4:])


def test_auto_precision_is_float32_where_bfloat16_is_not_fast(monkeypatch):
    from rnnlm import train as T

    def no_probe(shape):
        raise AssertionError("no probe is needed on a CPU without native bfloat16")

    monkeypatch.setattr(T, "_cpu_flags", lambda: {"fpu", "avx", "avx2", "fma"})  # an AVX2 laptop
    monkeypatch.setattr(T, "_bf16_probe", no_probe)
    p = T.choose_precision("cpu", "auto")
    assert not p.bf16_autocast and p.name == "float32" and "no native bfloat16" in p.reason
    monkeypatch.setattr(T, "_cpu_flags", lambda: {"avx2", "avx512_bf16"})
    monkeypatch.setattr(T, "_bf16_probe", lambda shape: (1.0, 3.0))  # emulated: three times slower
    assert T.choose_precision("cpu", "auto").name == "float32"
    monkeypatch.setattr(T, "_bf16_probe", lambda shape: (1.0, 0.4))
    fast = T.choose_precision("cpu", "auto")
    assert fast.bf16_autocast and "0.40x" in fast.reason
    assert T.choose_precision("cpu", "on").bf16_autocast
    assert not T.choose_precision("cpu", "off").bf16_autocast
    with pytest.raises(ValueError, match="amp must be one of"):
        T.choose_precision("cpu", "yes")


def test_cli_rejects_an_unavailable_device(capsys):
    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA; the error path needs a machine without it")
    status = cli_main(["train", "--corpus", "embedded", "--fast", "--epochs", "1", "--device", "cuda"])
    assert status == 2
    assert "CUDA is not available" in capsys.readouterr().err


# -- other models through the same loop: the model protocol of rnnlm.train ---------------------

PAD = -100  # a tag the toy tagger does not score


class ToyTagger(torch.nn.Module):
    """A sequence tagger, not a language model: word ids (B, T) -> one of K tags per word.

    Its loss skips ``PAD`` targets, so it returns the number of scored positions as the third
    element; its state is the GRU's (1, B, H) hidden state.
    """

    def __init__(self, vocab_size: int, num_tags: int, hidden: int = 16, seed: int = 0) -> None:
        super().__init__()
        torch.manual_seed(seed)
        self.vocab_size, self.num_tags = vocab_size, num_tags
        self.embed = torch.nn.Embedding(vocab_size, hidden)
        self.rnn = torch.nn.GRU(hidden, hidden, batch_first=True)
        self.out = torch.nn.Linear(hidden, num_tags)

    def loss(self, words, tags, state=None):
        hs, h_last = self.rnn(self.embed(words), state)
        scores = self.out(hs)  # (B, T, K)
        loss = torch.nn.functional.cross_entropy(
            scores.reshape(-1, self.num_tags), tags.reshape(-1), ignore_index=PAD
        )
        return loss, h_last, int((tags != PAD).sum())


class BigramLM(torch.nn.Module):
    """A language model without memory (its state is None) and another loss: label smoothing."""

    def __init__(self, vocab_size: int) -> None:
        super().__init__()
        self.vocab_size = vocab_size
        self.scores = torch.nn.Embedding(vocab_size, vocab_size)
        torch.nn.init.zeros_(self.scores.weight)

    def loss(self, x, y, state=None):
        assert state is None
        scores = self.scores(x)  # (B, T, V)
        loss = torch.nn.functional.cross_entropy(
            scores.reshape(-1, self.vocab_size), y.reshape(-1), label_smoothing=0.05
        )
        return loss, None


def test_a_tagger_trains_through_the_same_loop():
    rng = np.random.default_rng(0)
    words = rng.integers(0, 8, 3000)
    tags = np.concatenate([[0], words[:-1] % 2])  # the tag is the parity of the *previous* word
    tags[rng.random(3000) < 0.1] = PAD
    train_pair, valid_pair = (words[:2400], tags[:2400]), (words[2400:], tags[2400:])
    model = ToyTagger(8, 2)
    before = evaluate(model, valid_pair, batch_size=4, seq_len=10)
    assert before > 1.8  # two tags, untrained: about uniform
    cfg = TrainConfig(epochs=2, batch_size=8, seq_len=10, lr=2e-2, progress=False)
    history = train(model, train_pair, valid_pair, cfg)
    assert isinstance(history, History) and len(history) == 2 and history.stop_reason == "epochs"
    # the loss's own token count (PAD skipped) is what an epoch counts
    assert history.tokens == [int((tags[:2400] != PAD).sum())] * 2
    # the previous word of a window's first position lies in the last window: the carried state helps
    assert history.best_valid_perplexity < 1.2
    assert evaluate(model, valid_pair, batch_size=cfg.eval_batch_size, seq_len=10) == pytest.approx(
        history.best_valid_perplexity, rel=1e-6
    )
    with pytest.raises(ValueError, match="aligned streams"):
        train(model, (words[:100], tags[:99]), valid_pair, cfg)
    with pytest.raises(ValueError, match=r"train_stream inputs has token ids in \[1, 8\]"):
        train(model, (words[:100] + 1, tags[:100]), valid_pair, cfg)


def test_a_model_without_state_trains_through_the_same_loop(corpus):
    vocab, s = corpus
    model = BigramLM(len(vocab))
    before = evaluate(model, s["valid"])
    assert before == pytest.approx(len(vocab), rel=1e-6)  # zero scores: uniform
    history = train(model, s["train"], s["valid"], quick_config(epochs=1, lr=0.1))
    assert history.epoch == [1] and history.best_valid_perplexity < 0.5 * before
    with pytest.raises(TypeError, match=r"must return \(loss, state\)"):
        model.loss = lambda x, y, state=None: torch.zeros(())
        evaluate(model, s["valid"])
