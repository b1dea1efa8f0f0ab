"""Sample-quality metrics: a digit classifier's Fréchet distance, k-NN precision/recall,
density/coverage and class coverage, plus Inception FID when its weights are present
locally (never downloaded)."""
