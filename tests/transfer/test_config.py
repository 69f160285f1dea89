"""Transfer configs: paper defaults, budget tags that round-trip, bad input rejected."""

from __future__ import annotations

import pytest

from xner.errors import XnerError
from xner.transfer.config import (
    BUDGET_PRESETS, Budget, SpaceConfig, TransferConfig, budget_from_name,
)


def test_paper_defaults_and_directions():
    assert Budget().is_full and Budget().name == "full"
    assert Budget().epochs == 30 and Budget().eval_every == 150
    assert [SpaceConfig().resolved_direction(l) for l in ("es", "nl", "de", "ar", "fi")] == ["s2t"] * 3 + ["t2s"] * 2
    assert SpaceConfig(direction="t2s").resolved_direction("es") == "t2s"
    with pytest.raises(XnerError):
        SpaceConfig(direction="sideways").resolved_direction("es")


def test_budget_names_round_trip_and_describe_cuts():
    for budget in list(BUDGET_PRESETS.values()) + [Budget(epochs=3, max_vocab=1000), Budget(eval_every=75)]:
        assert budget_from_name(budget.name) == budget
    assert "paper: 30" in Budget(epochs=2).describe()
    assert "not comparable" in Budget(max_eval_sentences=10).describe()
    with pytest.raises(XnerError):
        budget_from_name("e2-zz9")


def test_transfer_config_json_round_trip_and_validation():
    cfg = TransferConfig(lang="fi", variant="cross-augmented", seed=4, modes=("src-dev",),
                         budget=Budget(epochs=2))
    back = TransferConfig.from_dict(cfg.to_dict())
    assert back == cfg
    for bad in ("en", "Spanish"):  # any other language code is fine (`xner transfer`); the grid checks its own list
        with pytest.raises(XnerError):
            TransferConfig(lang=bad)
    with pytest.raises(XnerError, match="unknown TaggerConfig"):  # override typos fail when the config is built
        TransferConfig(tagger={"char_dimm": 30})
    with pytest.raises(XnerError, match="word_lookup"):
        TransferConfig(tagger={"word_lookup": "fuzzy"})
    with pytest.raises(XnerError, match="unknown TrainConfig"):
        TransferConfig(train={"learning_rate": 0.2})
    old = cfg.to_dict()
    old["augment"]["pseudo_batch_size"] = 256  # a removed field in an older saved config is ignored
    assert TransferConfig.from_dict(old) == cfg
    with pytest.raises(XnerError):
        TransferConfig(variant="cross-nothing")
    with pytest.raises(XnerError):
        TransferConfig(modes=("tgt-train",))
    with pytest.raises(XnerError):
        TransferConfig.from_dict({"lang": "es", "colour": "red"})


def test_tagger_and_train_overrides_are_typed_and_saved_as_the_values_set():
    import pickle

    from xner.transfer.config import TaggerOverrides, TrainOverrides

    cfg = TransferConfig(lang="es", tagger={"char_dim": 30}, train={"num_threads": 1})
    assert isinstance(cfg.tagger, TaggerOverrides) and cfg.tagger.char_dim == 30 and cfg.tagger.dropout is None
    assert isinstance(cfg.train, TrainOverrides)
    assert cfg.to_dict()["tagger"] == {"char_dim": 30} and cfg.to_dict()["train"] == {"num_threads": 1}
    assert TransferConfig().to_dict()["tagger"] == {}  # as results saved before the typed overrides
    assert pickle.loads(pickle.dumps(cfg)) == cfg  # grid workers are spawned processes
    with pytest.raises(XnerError, match="dropout"):
        TransferConfig(tagger={"dropout": 2.0})
