"""Layer `core` of the analysis package (see docs/ARCHITECTURE.md)."""
