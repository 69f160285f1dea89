"""Training (METHOD.md sections 2-3): one SGD loop for every model xner trains.

- `loop`: `run_loop(procedure, optimizer, spec, ...)`: rounds of batches, one gradient-clipping rule,
  evaluation schedule (only the sets the selection needs), best checkpoint per selection set,
  checkpoint + exact resume, early stopping;
- `checkpoint`: RNG state, weights files, metrics log read/truncate;
- `early_stopping`: patience counted at round ends, the same class live and for replaying a log;
- `trainer`: the base tagger's supervised training (`train`), a procedure on the loop;
- `progress`: progress bar and log lines.

Cross-Augmented (`xner.transfer.augmented`) is another procedure on the same loop.
"""
