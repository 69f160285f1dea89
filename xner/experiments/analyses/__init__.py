"""Analyses behind committed results (`xner analyse ...`): each reads the models of finished experiment cells and
target gold tags for diagnosis only (never for training or selection), and writes PREFIX.json + PREFIX.md."""
