"""The error of malformed configuration, shared by the configuration modules."""


class ConfigError(ValueError):
    """A configuration file or override is malformed."""
