"""The paper's figures, rendered from data files: `xner plot fig2|fig3|align|all`.

Each figure is two files in `results/`: the PNG and the CSV of the numbers behind it (plus a `.json` with the
command, data, seed and machine that made them). The modules keep the steps apart, so a figure can be redrawn
from its CSV without any model:

- `data`: the numbers of Fig. 2 and Fig. 3, read from the trained models of finished experiment cells
  (through `xner.experiments.models.load_cell_model`; a figure never trains a model);
- `analysis`: the computations on those numbers (length bins, t-SNE, neighbourhoods, the alignment logs);
- `files`: the CSV and provenance files;
- `plot`: drawing.

- Fig. 2 (`fig2_length`): share of target tokens the *source* model tags correctly, by sentence length, on the
  target training split. Analysis only: it reads target gold labels.
- Fig. 3 (`fig3_tsne`): t-SNE of 1000 NER-tagged words of English and a target language: monolingual
  embeddings, mapped embeddings, Cross-Augmented encoder outputs.
- `align_curve`: unsupervised criterion and P@1 over adversarial epochs and refinement iterations.
"""
