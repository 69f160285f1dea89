"""The Cross-Augmented target tagger (paper eq. 7; METHOD.md section 3) as a model and a saved artefact.

`AugmentedTagger` = theta_s (a full `Tagger`) + theta_t (a `Tagger` whose scorer reads [theta_t features ;
theta_s features]). It duck-types `Tagger` for `xner.model.predictor` (vocab, device, default_lang,
decode): decoding uses theta_t's scorer and CRF, i.e. the final target tagger. It is trained by
`xner.transfer.augmented` (Algorithm 1) and saved like any tagger, with its own class tag:

- `save_augmented(model, dir, extra=None)`: `model.safetensors` (one frozen word matrix, shared by both
  encoders, float16 when lossless) + `vocab.json` + `config.json` (kind `xner-augmented-tagger`, both
  architectures);
- `load_augmented(dir, device)` -> `AugmentedTagger` in eval mode; `is_augmented(dir)` reads the class tag
  (`xner.load` / `persistence.load_tagger` dispatch on it, so tag, evaluate and serve open both kinds).
"""

from __future__ import annotations

import copy
from pathlib import Path

import torch
from torch import nn

from xner.errors import XnerError
from xner.io import atomic_path, write_json_atomic
from xner.model.config import TaggerConfig
from xner.model.crf import CRF, marginals
from xner.model.folder import check_state, read_json, read_weights, validate_header, validate_tagger_config, validate_vocab
from xner.model.scorer import TagScorer
from xner.model.tagger import Tagger
from xner.model.vocab import TaggerVocab

KIND = "xner-augmented-tagger"
FORMAT = 1
SOURCE_WORDS, TARGET_WORDS = "source.word_embedding.weight", "target.word_embedding.weight"
TARGET_INITS = ("copy", "random")
SCORER_INITS = ("fresh", "copy")


class AugmentedTagger(nn.Module):
    def __init__(self, source: Tagger, target: Tagger, detach_source_features: bool = False):
        super().__init__()
        self.source = source  # theta_s
        self.target = target  # theta_t
        self.detach_source_features = detach_source_features

    @classmethod
    def from_source(cls, source: Tagger, init: str = "copy", detach_source_features: bool = False,
                    target_config: TaggerConfig | None = None, scorer_init: str = "fresh") -> "AugmentedTagger":
        """theta_t = a copy of theta_s's encoder ("copy") or a fresh one ("random", of `target_config`'s
        architecture, default theta_s's), with a wide scorer and CRF that are new ("fresh") or built from
        theta_s's ("copy": theta_t then decodes exactly like theta_s). The frozen word matrix is shared."""
        if init not in TARGET_INITS:
            raise XnerError(f"target_init must be one of {', '.join(TARGET_INITS)}, not {init!r}")
        if scorer_init not in SCORER_INITS:
            raise XnerError(f"scorer_init must be one of {', '.join(SCORER_INITS)}, not {scorer_init!r}")
        if init == "copy":
            if target_config is not None and target_config != source.config:
                raise XnerError("target_init=copy needs theta_t to have theta_s's architecture; use target_init=random")
            target = copy.deepcopy(source)
        else:
            target = Tagger(target_config or source.config, source.vocab, source.word_embedding.weight.detach().cpu())
        target.word_embedding = source.word_embedding  # one frozen matrix
        n_tags = len(source.vocab.tags)
        target.scorer = TagScorer(target.feature_dim + source.feature_dim, n_tags, source.config.dense_dim,
                                  source.config.dropout)
        target.crf = CRF(n_tags, boundary=source.config.crf_boundary)
        if scorer_init == "copy":
            _copy_scorer(target, source, split=init == "copy")
        return cls(source, target, detach_source_features).to(source.device)

    @property
    def vocab(self) -> TaggerVocab:
        return self.source.vocab

    @property
    def config(self) -> TaggerConfig:
        return self.source.config

    @property
    def device(self) -> torch.device:
        return self.source.device

    @property
    def default_lang(self) -> str:
        return self.source.default_lang

    def target_emissions(self, batch, source_features: torch.Tensor | None = None) -> torch.Tensor:
        f_s = self.source.features(batch) if source_features is None else source_features  # (B, T, 2Hs)
        if self.detach_source_features:
            f_s = f_s.detach()
        f_t = self.target.features(batch)  # (B, T, 2Ht)
        return self.target.emissions(torch.cat([f_t, f_s], dim=-1))  # (B, T, n_tags)

    def source_loss(self, batch, reduction: str = "mean") -> torch.Tensor:
        """L_s(theta_s) on a labelled source batch (eq. 6)."""
        return self.source.loss(batch, reduction)

    def target_loss(self, batch, reduction: str = "mean", teacher_probs: torch.Tensor | None = None,
                    hard: bool = True, soft_loss: str = "kl", soft_weight: float = 1.0) -> torch.Tensor:
        """L_t(theta_s) + L_t(theta_t) on a pseudo-labelled target batch (eq. 7's target terms; `hard`).

        `teacher_probs` (B, T, n): also (or, with `hard=False`, only) the teacher-student term, `soft_weight`
        times `soft_label_loss` of theta_t's CRF marginals against them (Wu et al. 2020); theta_s gets no
        soft term (it is the teacher), only what reaches its encoder through eq. 7's [f_t ; f_s]."""
        f_s = self.source.features(batch)  # (B, T, 2Hs), one forward pass serves every term
        # The paper's order of the forward passes (theta_s's scorer, then theta_t), so its runs stay bit-identical
        loss_s = self.source.crf.nll(self.source.emissions(f_s), batch.tags, batch.mask, reduction) if hard else None
        emissions_t = self.target_emissions(batch, f_s)
        loss = None
        if hard:
            loss = loss_s + self.target.crf.nll(emissions_t, batch.tags, batch.mask, reduction)
        if teacher_probs is not None:
            student = marginals(self.target.crf, emissions_t, batch.mask)
            soft = soft_weight * soft_label_loss(student, teacher_probs, batch.mask, soft_loss, reduction)
            loss = soft if loss is None else loss + soft
        if loss is None:
            raise XnerError("a target loss needs hard pseudo-labels, teacher marginals or both")
        return loss

    @torch.no_grad()
    def decode(self, batch) -> list[list[int]]:
        return self.target.crf.decode(self.target_emissions(batch), batch.mask)

    def trainable_state(self) -> dict[str, torch.Tensor]:
        return {k: v.detach().clone() for k, v in self.state_dict().items() if "word_embedding" not in k}

    def load_trainable_state(self, state: dict[str, torch.Tensor]) -> None:
        missing, unexpected = self.load_state_dict(state, strict=False)
        missing = [m for m in missing if "word_embedding" not in m]
        if missing or unexpected:
            raise XnerError(f"augmented checkpoint does not fit (missing {missing}, unexpected {unexpected})")


def soft_label_loss(student: torch.Tensor, teacher: torch.Tensor, mask: torch.Tensor, kind: str = "kl",
                    reduction: str = "mean") -> torch.Tensor:
    """Distance of the student's tag marginals from the teacher's, (B, T, n) each: per sentence the sum over its
    tokens of KL(teacher || student) ("kl") or of the squared difference ("mse", the loss of Wu et al.'s released
    code), then the mean (or sum) over the batch, like the CRF NLL it is added to. Zero when they agree."""
    m = mask.to(student.dtype)[:, :, None]  # (B, T, 1)
    if kind == "kl":
        per = teacher * (torch.log(teacher.clamp_min(1e-12)) - torch.log(student.clamp_min(1e-12)))
    elif kind == "mse":
        per = (student - teacher) ** 2
    else:
        raise XnerError(f"soft loss must be kl or mse, not {kind!r}")
    per_sentence = (per * m).sum(dim=(1, 2))  # (B,)
    return per_sentence.mean() if reduction == "mean" else per_sentence.sum()


@torch.no_grad()
def _copy_scorer(target: Tagger, source: Tagger, split: bool) -> None:
    """theta_t's wide scorer and CRF from theta_s's, so that [f_t ; f_s] scores exactly like theta_s on f_s.

    The first linear layer reads [f_t ; f_s]: with `split` (theta_t's encoder is a copy, so f_t == f_s at the
    start) each half gets W_s / 2, which also gives theta_t's encoder a gradient from the first step;
    otherwise the f_t half starts at zero. Later layers and the CRF are plain copies.
    """
    first_t = target.scorer.dense if target.scorer.dense is not None else target.scorer.output
    first_s = source.scorer.dense if source.scorer.dense is not None else source.scorer.output
    h_t = target.feature_dim
    if split:
        first_t.weight[:, :h_t] = first_s.weight / 2
        first_t.weight[:, h_t:] = first_s.weight / 2
    else:
        first_t.weight[:, :h_t] = 0.0
        first_t.weight[:, h_t:] = first_s.weight
    first_t.bias.copy_(first_s.bias)
    if target.scorer.dense is not None:
        target.scorer.output.load_state_dict(source.scorer.output.state_dict())
    target.crf.load_state_dict(source.crf.state_dict())


def save_augmented(model: AugmentedTagger, directory: str | Path, extra: dict | None = None) -> Path:
    """Write a loadable Cross-Augmented tagger folder (files written atomically, config.json last)."""
    from safetensors.torch import save_file

    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    state = {k: v.detach().cpu().contiguous() for k, v in model.state_dict().items() if k != TARGET_WORDS}
    words = state[SOURCE_WORDS]
    if torch.equal(words.half().float(), words):
        state[SOURCE_WORDS] = words.half()
    with atomic_path(directory / "model.safetensors") as tmp:
        save_file(state, str(tmp), metadata={"format": str(FORMAT), "kind": KIND})
    write_json_atomic(directory / "vocab.json", model.vocab.to_dict())
    config = {"format": FORMAT, "kind": KIND, "source": model.source.config.to_dict(),
              "target": model.target.config.to_dict(), "detach_source_features": model.detach_source_features}
    write_json_atomic(directory / "config.json", {**config, **(extra or {})})
    return directory


def is_augmented(directory: str | Path) -> bool:
    """Whether a folder's config.json carries the Cross-Augmented class tag."""
    path = Path(directory) / "config.json"
    if not path.is_file():
        return False
    config = read_json(path)
    return isinstance(config, dict) and config.get("kind") == KIND


def load_augmented(directory: str | Path, device: str = "cpu") -> AugmentedTagger:
    """The model of a saved Cross-Augmented folder, in eval mode."""
    directory = Path(directory)
    config_path = directory / "config.json"
    config = validate_header(read_json(config_path), config_path, KIND, "a Cross-Augmented tagger", FORMAT)
    source_config = validate_tagger_config(config.get("source"), config_path, "source")
    target_config = validate_tagger_config(config.get("target"), config_path, "target")
    vocab = validate_vocab(read_json(directory / "vocab.json"), directory / "vocab.json")
    weights = directory / "model.safetensors"
    state = read_weights(directory, SOURCE_WORDS, vocab.words.n_rows)
    words = state[TARGET_WORDS] = state[SOURCE_WORDS]  # one frozen matrix, shared by both encoders
    source = Tagger(source_config, vocab, words)
    model = AugmentedTagger.from_source(source, "random", bool(config.get("detach_source_features", False)),
                                        target_config, "fresh")
    check_state(model, state, weights)
    model.load_state_dict(state)
    model.to(device)
    model.eval()
    return model
