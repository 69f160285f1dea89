"""xner: zero-resource cross-lingual named-entity recognition."""

__version__ = "0.1.0"


def load(path):
    """Load a saved tagger, plain or Cross-Augmented (`xner transfer` writes either); `predict(list_of_token_lists)`,
    `evaluate(sentences)` and `tag(text)` work on it."""
    from xner.model.persistence import load_tagger

    return load_tagger(path)
