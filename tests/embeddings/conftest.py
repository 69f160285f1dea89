"""A tiny fastText .bin model made with gensim (a second or so), shared by the subword tests."""

from __future__ import annotations

import pytest

SENTENCES = [
    "the cat sat on the mat".split(),
    "the dog sat on the log".split(),
    "a cat and a dog met in Helsinki".split(),
] * 20


@pytest.fixture(scope="session")
def fasttext_bin(tmp_path_factory):
    from gensim.models import FastText
    from gensim.models.fasttext import save_facebook_model

    model = FastText(vector_size=8, window=2, min_count=1, min_n=2, max_n=4, bucket=500, epochs=2, workers=1, seed=1)
    model.build_vocab(corpus_iterable=SENTENCES)
    model.train(corpus_iterable=SENTENCES, total_examples=len(SENTENCES), epochs=2)
    path = tmp_path_factory.mktemp("ft") / "tiny.bin"
    save_facebook_model(model, str(path))
    return path
