"""Moved to `xner.training.trainer` (the base tagger's training on the one loop of `xner.training.loop`).

Kept as a re-export so that code on other branches importing `xner.model.trainer` keeps working until
those imports are updated; new code imports from `xner.training`.
"""

from xner.training.loop import clip_gradients, set_learning_rate  # noqa: F401
from xner.training.trainer import (  # noqa: F401
    TrainResult,
    configure_torch,
    epoch_order,
    finalize,
    hash_text,
    load_best,
    make_optimizer,
    seed_everything,
    train,
    train_step,
)
