"""Layer `data` of the analysis package (see docs/ARCHITECTURE.md)."""
