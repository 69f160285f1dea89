"""The base NER tagger (METHOD.md section 2): char+word BiLSTM-CRF, as a library and a tool.

Public API (names are stable; the transfer stage builds on them):
- `config`: `TaggerConfig`, `TrainConfig` (paper defaults, `to_dict`/`from_dict`), `default_tag_scheme(lang)`.
- `vocab`: `CharVocab`, `TagVocab`, `WordIndex`, `TaggerVocab`, `build_word_matrix({lang: table})`, `lookup_rows`.
- `batching`: `EncodedCorpus(sentences, lang, vocab)` -> `.batch(indices, device)` / `.batches_in_order(...)`;
  `make_batch(sentences, lang, vocab, device)`; `Batch`.
- `char_encoder.CharEncoder` (or `CaseCharEncoder`: lower-cased chars + a droppable case feature; pick with
  `build_char_encoder(config, chars)`), `word_encoder.WordEncoder`, `sequence.BiLSTM` (shared or separate fwd/bwd weights),
  `scorer.TagScorer` (dropout -> dense tanh -> tag scores), `crf.CRF` (forward algorithm, Viterbi).
- `tagger`: `Tagger` (`features`, `emissions`, `loss`, `decode`), `build_tagger(...)`, `count_parameters(...)`.
- `trainer`: `train(model, sentences, TrainConfig, out_dir, eval_sets, select_on, lang, resume)` -> `TrainResult`;
  helpers `seed_everything`, `configure_torch`, `make_optimizer`, `set_learning_rate`, `train_step`,
  `clip_gradients`, `epoch_order`, `rng_state`, `restore_rng_state`, `load_best`, `finalize`, `hash_text`.
- `predictor`: `predict`, `predict_ids`, `evaluate` (span scores, optional OOV breakdown), `fast_span_scores`,
  `tokenize`, `Predictor` (`predict`, `evaluate`, `tag`, `tag_tokens`).
- `persistence`: `save_tagger`, `load_model`, `load_tagger` (what `xner.load` returns), `resolve_model_dir`,
  `trainable_state`, `load_trainable_state`.

Submodules import torch; this package file imports nothing, so `xner --help` stays fast.
"""
