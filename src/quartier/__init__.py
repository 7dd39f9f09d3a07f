"""Quartier — data platform for integrated social planning in German municipalities."""

__version__ = "0.1.0"
