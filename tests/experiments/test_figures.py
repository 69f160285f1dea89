"""Figure data and rendering (`xner/experiments/figures/`): numbers checked by hand, PNGs written; no model trained."""

from __future__ import annotations

import re

import pytest

from xner.errors import XnerError
from xner.experiments.figures import analysis, data, files, plot
from xner.experiments.models import require_results


def test_length_accuracy_rows_counts_by_hand():
    gold = [["B-PER", "O", "O"], ["O"] * 7, ["B-LOC", "I-LOC"] + ["O"] * 10]
    pred = [["B-PER", "O", "B-ORG"], ["O"] * 6 + ["B-MISC"], ["B-LOC", "O"] + ["O"] * 10]
    rows = {r["bin"]: r for r in analysis.length_accuracy_rows("es", gold, pred)}
    assert rows["1-5"]["sentences"] == 1 and rows["1-5"]["correct"] == 2 and rows["1-5"]["tokens"] == 3
    assert rows["1-5"]["entity_tokens"] == 2 and rows["1-5"]["entity_correct"] == 1  # B-PER right, B-ORG wrong
    assert rows["6-10"]["ratio"] == pytest.approx(6 / 7)
    assert rows["6-10"]["entity_ratio"] == 0.0
    assert rows["11-15"]["ratio"] == pytest.approx(11 / 12)
    assert rows["11-15"]["entity_ratio"] == pytest.approx(1 / 2)
    assert rows["151+"]["sentences"] == 0 and rows["151+"]["ratio"] is None
    with pytest.raises(XnerError):
        analysis.length_accuracy_rows("es", [["O"]], [["O", "O"]])


def test_length_bins_cover_everything():
    assert analysis.length_bin(1) == (1, 5)
    assert analysis.length_bin(150) == (101, 150)
    assert analysis.length_bin(1238) == (151, None)


def test_csv_round_trip_and_plots(tmp_path):
    gold = [["O", "B-PER"] * (n // 2) for n in range(2, 140, 1)]
    pred = [[t if i % 5 else "O" for i, t in enumerate(g)] for g in gold]
    rows = analysis.length_accuracy_rows("es", gold, pred)
    files.write_csv(tmp_path / "f2.csv", rows, header="test\nsecond line")
    back = files.read_csv(tmp_path / "f2.csv")
    assert (tmp_path / "f2.csv").read_text().startswith("# test\n# second line\n")
    assert [r["bin"] for r in back] == [r["bin"] for r in rows]
    plot.plot_fig2(back, tmp_path / "f2.png")
    assert (tmp_path / "f2.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

    points = [
        {"panel": p, "lang": lang, "word": f"w{i}", "entity": e, "x": i * 0.1, "y": -i * 0.2}
        for p in ("mono", "mapped", "encoder") for lang in ("en", "es") for i, e in enumerate(plot.ENTITY_COLOURS)
    ]
    plot.plot_fig3(points, tmp_path / "f3.png")
    assert (tmp_path / "f3.png").stat().st_size > 1000

    curve = [
        {"pair": "en-es", "phase": ph, "step": s, "criterion": 0.1 * s, "p1_csls": 10.0 * s, "p1_nn": "", "selected": s == 2}
        for ph in ("adversarial", "refinement") for s in range(3)
    ]
    plot.plot_align_curve(curve, tmp_path / "a.png")
    assert (tmp_path / "a.png").stat().st_size > 1000
    with pytest.raises(XnerError):
        plot.plot_align_curve([], tmp_path / "b.png")
    assert not (tmp_path / "b.png").exists()


def test_tsne_is_deterministic():
    import numpy as np

    x = np.random.default_rng(0).standard_normal((40, 10))
    a = analysis.tsne_2d(x, seed=3, max_iter=250)
    b = analysis.tsne_2d(x, seed=3, max_iter=250)
    assert a.shape == (40, 2)
    np.testing.assert_allclose(a, b)


def test_align_curve_data_reads_logs(tmp_path):
    import json

    folder = tmp_path / "en-es"
    folder.mkdir()
    entries = [
        {"stage": "null-refinement", "try": -1, "iteration": 0, "criterion": 0.3},
        {"stage": "baseline", "random_rotation_criterion": 0.2, "null_criterion": 0.3, "collapse_below": 0.35},
        {"stage": "adversarial", "try": 0, "epoch": 0, "criterion": 0.25},
        {"stage": "adversarial", "try": 0, "epoch": 1, "criterion": 0.41},
        {"stage": "refinement", "try": 0, "iteration": 0, "dictionary": 900, "criterion": 0.45},
        {"stage": "refinement", "try": 0, "iteration": 1, "dictionary": 950, "criterion": 0.44,
         "csls_knn_10": {"P@1": 31.5}, "nn": {"P@1": 25.0}},
        {"stage": "try", "try": 0, "criterion": 0.45, "collapsed": False},
        {"stage": "evaluation", "csls_knn_10": {"P@1": 33.0}, "nn": {"P@1": 28.0}},
    ]
    (folder / "log.jsonl").write_text("".join(json.dumps(e) + "\n" for e in entries))
    (tmp_path / "en-nl").mkdir()  # no log: ignored
    rows = analysis.align_curve_data(tmp_path)
    assert [(r["phase"], r["step"]) for r in rows] == [("adversarial", 1), ("adversarial", 2), ("refinement", 1),
                                                      ("refinement", 2)]
    assert [r["selected"] for r in rows] == [False, False, True, False]
    assert rows[3]["p1_csls"] == 31.5 and rows[0]["p1_csls"] is None
    assert all(r["final_p1_csls"] == 33.0 and r["null_criterion"] == 0.3 for r in rows)
    plot.plot_align_curve(rows, tmp_path / "a.png")
    (folder / "log.jsonl").write_text('{"stage": "adversarial"\n')
    with pytest.raises(XnerError, match="log.jsonl:1"):
        analysis.align_curve_data(tmp_path)
    with pytest.raises(XnerError):
        analysis.align_curve_data(tmp_path / "nothing")


def _tiny_table(words, dim=6, seed=0):
    import numpy as np

    from xner.embeddings.table import EmbeddingTable

    return EmbeddingTable(list(words), np.random.default_rng(seed).standard_normal((len(words), dim)).astype("float32"))


def test_sample_tagged_words_quota_and_vocabulary():
    from xner.data.conll import Sentence

    sents = [
        Sentence(("Juan", "vive", "en", "Madrid", "."), ("B-PER", "O", "O", "B-LOC", "O")),
        Sentence(("Ana", "y", "Pedro", "van", "a", "Roma", "con", "Telefónica"),
                 ("B-PER", "O", "B-PER", "O", "O", "B-LOC", "O", "B-ORG")),
        Sentence(("Madrid", "gana", "."), ("B-ORG", "O", "O")),
    ]
    table = _tiny_table(["juan", "vive", "en", "madrid", "Ana", "y", "Pedro", "van", "a", "Roma", "con", "gana"])
    picks = analysis.sample_tagged_words(sents, "es", table, n=8, seed=1, o_share=0.25)
    words = [p["word"] for p in picks]
    assert len(words) == len(set(words)) <= 8
    assert "Telefónica" not in words and "." not in words  # not in the table / no letter
    assert sum(p["entity"] == "O" for p in picks) == 2
    madrid = [p for p in picks if p["word"] == "Madrid"]
    assert not madrid or madrid[0]["entity"] == "LOC"  # first occurrence decides
    for p in picks:
        assert sents[p["sentence"]].tokens[p["position"]] == p["word"]


def test_encoder_features_match_the_model():
    import torch

    from xner.data.conll import Sentence
    from xner.model.batching import make_batch
    from xner.model.config import TaggerConfig
    from xner.model.tagger import build_tagger

    sents = [Sentence(("a", "b", "c"), ("B-PER", "O", "O")), Sentence(("b", "d"), ("O", "B-LOC"))]
    torch.manual_seed(0)
    model = build_tagger(TaggerConfig(word_hidden=4, char_hidden=3, char_dim=3, dense_dim=0), {"xx": _tiny_table("abcd")},
                         sents, "IOBES", default_lang="xx")
    picks = [{"sentence": 1, "position": 1}, {"sentence": 0, "position": 0}]
    feats = analysis.encoder_features(model, sents, picks, "xx")
    assert feats.shape == (2, 8)
    with torch.no_grad():
        direct = model.features(make_batch([sents[1]], "xx", model.vocab, with_tags=False))[0, 1]
    torch.testing.assert_close(torch.from_numpy(feats[0]), direct)


def test_missing_models_are_named_with_the_command_that_makes_them(tmp_path):
    from xner.experiments.grid import GridConfig

    base = GridConfig(tag="supmap", results_root=str(tmp_path / "results")).with_overrides(
        {"space": {"align_suffix": ".supervised"}, "train": {"length_buckets": 20}})
    grid = data.figure_grid(base, langs=["es"], variants=["cross-shared"], seed=1, mode="src-dev", budget="smoke")
    expected = ("xner experiment run --budget smoke --lang es --variant cross-shared --seed 1 --tag supmap "
                "--set space.align_suffix=.supervised --set train.length_buckets=20")
    with pytest.raises(XnerError, match=r"es/cross-shared\+supmap/seed1 .*" + re.escape(expected)):
        require_results(grid)


def test_a_result_without_its_run_folder_says_how_to_get_the_model(tmp_path):
    from xner.experiments.grid import GridConfig, expand
    from xner.experiments.models import load_cell_model

    grid = GridConfig(langs=["es"], variants=["cross-shared"], seeds=[1], results_root=str(tmp_path / "results"),
                      runs_root=str(tmp_path / "runs"))
    (cell,) = expand(grid)
    with pytest.raises(XnerError, match=r"es/cross-shared/seed1 has a result but no trained model here"):
        load_cell_model(cell, "src-dev")


def test_figure_data_reads_the_models_of_finished_cells_and_trains_nothing(tiny_root, ner_align_root, tmp_path,
                                                                          monkeypatch):
    """A finished tiny cell: Fig. 2's numbers come from its saved model (the same predictions as loading it
    directly), and a cell of another seed (never run) is an error naming the command that makes it."""
    from xner.data.registry import load_split
    from xner.experiments.grid import GridConfig, expand
    from xner.experiments.models import load_cell_model
    from xner.experiments.runner import run_grid
    from xner.model.predictor import predict
    from xner.transfer.config import Budget

    monkeypatch.chdir(tmp_path)
    tiny = Budget(epochs=1, max_train_sentences=160, max_eval_sentences=40, max_vocab=3000, eval_every=4)
    grid = GridConfig(langs=["es"], variants=["cross-shared"], seeds=[1], modes=["src-dev"], budget=tiny, threads=1,
                      tag="t", space={"align_root": str(ner_align_root)})
    assert run_grid(grid, echo=lambda _: None).done == ["es/cross-shared+t/seed1"]
    runs = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*") if p.is_file())

    rows = data.fig2_data(grid, ["es"], "cross-shared", seed=1, mode="src-dev", echo=lambda _: None)
    assert sum(r["sentences"] for r in rows) == 120 and {r["model"] for r in rows} == {"es/cross-shared+t/seed1"}
    (cell,) = expand(grid)
    model = load_cell_model(cell, "src-dev")
    pred = predict(model, [s.tokens for s in load_split("es", "train")], "es")
    assert rows == data.fig2_data(grid, ["es"], "cross-shared", seed=1, mode="src-dev", echo=lambda _: None)
    assert sum(r["correct"] for r in rows) == sum(
        sum(g == p for g, p in zip(s.tags, t)) for s, t in zip(load_split("es", "train"), pred))
    assert sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*") if p.is_file()) == runs  # nothing trained
    with pytest.raises(XnerError, match=r"es/cross-shared\+t/seed2 .*xner experiment run --budget " + re.escape(
            f"{tiny.name} --lang es --variant cross-shared --seed 2 --tag t --set space.align_root={ner_align_root}")):
        data.fig2_data(grid, ["es"], "cross-shared", seed=2, mode="src-dev", echo=lambda _: None)


def test_fig3_data_reads_a_finished_cross_augmented_cell(tiny_root, ner_align_root, tmp_path, monkeypatch):
    """Fig. 3's encoder panel comes from the saved Cross-Augmented model (theta_s of the base it started from)."""
    import torch

    from xner.experiments.grid import GridConfig, expand
    from xner.experiments.models import augmented_base_variant, load_cell_model
    from xner.experiments.runner import run_grid
    from xner.transfer.config import Budget

    monkeypatch.chdir(tmp_path)
    tiny = Budget(epochs=1, max_train_sentences=160, max_eval_sentences=40, max_vocab=3000, augment_iterations=1,
                  max_unlabeled=120, eval_every=4)
    grid = GridConfig(langs=["es"], variants=["cross-augmented"], seeds=[1], modes=["src-dev"], budget=tiny,
                      threads=1, tag="t", space={"align_root": str(ner_align_root)}, augment={"base": "cross-shared"})
    assert not run_grid(grid, echo=lambda _: None).failed
    cells = expand(grid)
    model = load_cell_model(cells[-1], "src-dev", cells)
    assert augmented_base_variant(cells[-1], "src-dev") == "cross-shared"
    rows, stats = data.fig3_data(grid, "es", seed=1, mode="src-dev", n_words=40, echo=lambda _: None)
    assert {r["panel"] for r in rows} == {"mono", "mapped", "encoder"} and {r["encoder_base"] for r in rows} == {
        "cross-shared"}
    assert len([r for r in rows if r["panel"] == "encoder"]) <= 40 and set(stats) == {"mono", "mapped", "encoder"}
    assert isinstance(model.source, torch.nn.Module)
