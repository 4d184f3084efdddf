"""Layer `synthetic` of the analysis package (see docs/ARCHITECTURE.md)."""
