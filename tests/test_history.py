"""The one training history record: rows, columns, the best epoch, totals, plain-data round trips."""

from __future__ import annotations

import dataclasses
import json
import math
import subprocess
import sys

import pytest

from rnnlm.history import EpochRecord, History


def row(epoch, train, valid, **kw):
    base = dict(epoch=epoch, train_perplexity=train, valid_perplexity=valid, learning_rate=0.1,
                seconds=2.0, tokens=1000, tokens_per_second=1000.0, grad_norm=1.5)
    base.update(kw)
    return EpochRecord(**base)


def three_epochs() -> History:
    h = History(device="cpu")
    h.append(row(1, 30.0, 20.0, improved=True))
    h.append(row(2, 15.0, 12.0, learning_rate=0.05, improved=True, tokens_per_second=500.0))
    h.append(row(3, 11.0, 12.0, seconds=4.0, grad_norm=0.5, partial=True))
    h.stop_reason = "time_budget"
    return h


def test_columns_follow_the_row_fields():
    h = three_epochs()
    assert len(h) == 3 and [r.epoch for r in h] == h.epoch == [1, 2, 3]
    assert h.train_perplexity == [30.0, 15.0, 11.0]
    assert h.valid_perplexity == [20.0, 12.0, 12.0]
    assert h.learning_rate == [0.1, 0.05, 0.1]
    assert h.seconds == [2.0, 2.0, 4.0] and h.tokens == [1000] * 3
    assert h.tokens_per_second == [1000.0, 500.0, 1000.0] and h.grad_norm == [1.5, 1.5, 0.5]
    assert h.improved == [True, True, False] and h.partial == [False, False, True]
    # every row field has a column of the same name
    for name in EpochRecord.__dataclass_fields__:
        assert getattr(h, name) == [getattr(r, name) for r in h.records], name


def test_totals_and_the_best_epoch():
    h = three_epochs()
    assert h.total_seconds == 8.0 and h.total_tokens == 3000
    # 3000 tokens over 1 + 2 + 1 training seconds
    assert h.overall_tokens_per_second == pytest.approx(750.0)
    # a tie keeps the first epoch, whose weights rnnlm.train.train keeps
    assert h.best is h.records[1] and h.best_epoch == 2 and h.best_valid_perplexity == 12.0
    empty = History()
    assert len(empty) == 0 and empty.best is None and empty.best_epoch == 0
    assert empty.best_valid_perplexity == math.inf and empty.total_seconds == 0.0
    assert empty.overall_tokens_per_second == 0.0
    diverged = History([row(1, 9.0, math.nan), row(2, 9.0, math.inf)])
    assert diverged.best_epoch == 0


def test_json_round_trip():
    h = three_epochs()
    text = json.dumps(h.to_dict())
    back = History.from_dict(json.loads(text))
    assert back == h and back.records[2].partial and back.stop_reason == "time_budget"
    assert set(h.to_dict()) == {"records", "stop_reason", "device"}
    assert h.to_dict()["records"][0]["learning_rate"] == 0.1


def test_old_checkpoint_histories_still_load():
    old = {
        "records": [{"epoch": 1, "train_perplexity": 9.0, "valid_perplexity": 8.0, "lr": 0.002,
                     "seconds": 1.0, "tokens": 10, "tokens_per_second": 20.0, "improved": True,
                     "partial": False}],
        "best_epoch": 1, "best_valid_perplexity": 8.0, "stop_reason": "epochs", "seconds": 1.2,
        "device": "cpu",
    }
    h = History.from_dict(old)
    assert h.learning_rate == [0.002] and math.isnan(h.grad_norm[0]) and h.best_epoch == 1


def test_bad_input_is_refused():
    with pytest.raises(ValueError, match="unknown EpochRecord fields"):
        EpochRecord.from_dict({**row(1, 2.0, 2.0).to_dict(), "loss": 1.0})
    with pytest.raises(ValueError, match="unknown History keys"):
        History.from_dict({"records": [], "extra": 1})
    with pytest.raises(TypeError, match="EpochRecord"):
        History().append({"epoch": 1})  # type: ignore[arg-type]
    with pytest.raises(dataclasses.FrozenInstanceError):
        row(1, 2.0, 2.0).epoch = 2  # type: ignore[misc]


def test_the_module_does_not_import_torch():
    code = "import sys, rnnlm.history, rnnlm.rnn_numpy; assert 'torch' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)
