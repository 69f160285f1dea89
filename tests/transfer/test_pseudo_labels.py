"""Length threshold sampling, length filter, and the exact replay of per-mode early stopping."""

from __future__ import annotations

import numpy as np

from xner.data.conll import Sentence
from xner.transfer.augmented import replay_early_stopping, run_finished
from xner.transfer.pseudo_labels import accuracy_by_length, keep_up_to, length_bounds, sample_threshold


def test_threshold_is_uniform_over_the_closed_range_and_filter_keeps_short_sentences():
    rng = np.random.default_rng(0)
    draws = [sample_threshold(rng, 3, 6) for _ in range(2000)]
    assert set(draws) == {3, 4, 5, 6}
    assert max(abs(draws.count(v) / 2000 - 0.25) for v in (3, 4, 5, 6)) < 0.04
    lengths = np.array([5, 1, 9, 3])
    assert keep_up_to(lengths, 5).tolist() == [0, 1, 3]
    sents = [Sentence(tuple("a" * n), ("O",) * n) for n in (4, 2, 7)]
    assert length_bounds(sents) == (2, 7)


def test_accuracy_by_length_counts_by_hand():
    gold = [["B-PER", "O"], ["O"] * 12]
    pred = [["B-PER", "B-LOC"], ["O"] * 11 + ["B-ORG"]]
    rows = accuracy_by_length(gold, pred, edges=(10,))
    assert rows[0] == {"lengths": "1-10", "sentences": 1, "token_accuracy": 0.5, "entity_token_accuracy": 1.0}
    assert rows[1]["token_accuracy"] == 11 / 12 and rows[1]["entity_token_accuracy"] is None


def _rec(step, f1, end):
    return {"step": step, "iteration_end": end, "scores": {"tgt-dev": {"f1": f1}}}


def test_replay_stops_after_patience_iterations_without_improvement():
    # iteration ends at steps 2, 4, 6, 8, 10; the best value (50) is reached mid-iteration 1 and never beaten.
    recs = [_rec(1, 50, False), _rec(2, 40, True), _rec(3, 45, False), _rec(4, 44, True),
            _rec(5, 49, False), _rec(6, 48, True), _rec(7, 70, False), _rec(8, 10, True), _rec(10, 80, True)]
    seen = replay_early_stopping(recs, "tgt-dev", patience=2)
    assert [r["step"] for r in seen] == [1, 2, 3, 4, 5, 6]  # stalled in iterations 2 and 3 -> stop
    assert [r["step"] for r in replay_early_stopping(recs, "tgt-dev", patience=3)] == [r["step"] for r in recs]


def test_evaluation_before_any_update_is_the_baseline_of_the_first_iteration():
    # Regression: the initial (step 0) evaluation must count, so an iteration that falls below the base stalls.
    recs = [dict(_rec(0, 50, False), initial=True), _rec(2, 40, True), _rec(4, 45, True), _rec(6, 60, True)]
    assert [r["step"] for r in replay_early_stopping(recs, "tgt-dev", patience=2)] == [0, 2, 4]
    assert [r["step"] for r in replay_early_stopping(recs[1:], "tgt-dev", patience=2)] == [2, 4, 6]


def test_a_run_is_finished_when_every_mode_ran_out_of_patience_or_the_iterations_are_spent():
    # Salvaging a run folder made elsewhere: complete only where `train_augmented` itself would have stopped.
    recs = [dict(_rec(0, 50, False), initial=True, iteration=0), dict(_rec(2, 40, True), iteration=1),
            dict(_rec(4, 45, True), iteration=2)]
    assert run_finished(recs, ["tgt-dev"], patience=2, max_iterations=30)
    assert not run_finished(recs, ["tgt-dev"], patience=3, max_iterations=30)
    assert run_finished(recs, ["tgt-dev"], patience=3, max_iterations=2)
    both = [dict(r, scores={"tgt-dev": r["scores"]["tgt-dev"], "src-dev": {"f1": r["step"]}}) for r in recs]
    assert not run_finished(both, ["tgt-dev", "src-dev"], patience=2, max_iterations=30)  # src-dev still improves


def test_iob2_pseudo_labels_become_iobes_training_tags():
    # Pseudo-labels come out of `predict` in IOB2; an IOBES tagger must train on S-/E- ids, not on B-/I- ones.
    from xner.model.vocab import TagVocab

    iobes = TagVocab.build([["B-PER", "I-PER", "O", "B-LOC"]], "IOBES")
    ids = iobes.encode(["B-PER", "O", "B-LOC", "I-LOC", "I-LOC"])
    assert [iobes.tags[i] for i in ids] == ["S-PER", "O", "B-LOC", "I-LOC", "E-LOC"]
    iob2 = TagVocab.build([["B-PER", "I-PER", "O"]], "IOB2")  # Arabic: raw Viterbi paths may start with I-
    assert [iob2.tags[i] for i in iob2.encode(["O", "I-PER", "I-PER"])] == ["O", "B-PER", "I-PER"]
