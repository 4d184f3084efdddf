"""Election forensics: reproducible tests of polling-station and regional election results.

See docs/ARCHITECTURE.md for the layout and conventions.
"""

__version__ = "0.1.0"
