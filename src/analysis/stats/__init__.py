"""Layer `stats` of the analysis package (see docs/ARCHITECTURE.md)."""
