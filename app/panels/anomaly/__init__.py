"""The Anomaly dock: a run's own score on normal images and one set of anomalies."""

from app.panels.anomaly.panel import AnomalyPanel

__all__ = ["AnomalyPanel"]
