"""Anomaly detection with a model's own score: which images the model finds atypical.

sets.py picks the normal and anomalous images (a held-out class, noise, rotations,
inversions), scores.py is each family's score (higher = more anomalous), metrics.py
(numpy only) the ROC AUC, curve, histograms and summaries, run.py the job tying them.
"""
