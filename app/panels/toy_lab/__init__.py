"""The Toy lab dock: every toy family trained on 2-D data and seen whole."""

from app.panels.toy_lab.panel import ToyLabPanel

__all__ = ["ToyLabPanel"]
