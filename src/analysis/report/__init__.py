"""Layer `report` of the analysis package (see docs/ARCHITECTURE.md)."""
