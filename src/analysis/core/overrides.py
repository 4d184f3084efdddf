"""Parameter overrides from the command line (``PARAMS="alpha=0.01 n_sims=200"``)."""

from __future__ import annotations

import ast

from analysis.core.errors import ConfigError

YAML_WORDS = {"true": True, "false": False, "null": None, "none": None}


def parse_overrides(text: str | None) -> dict:
    """Parse ``"alpha=0.01 n_sims=200 station_types=['ordinary']"`` into a dict.

    Values are Python literals where they parse as one, ``true``, ``false`` and ``null`` (as in
    the YAML configs) are True, False and None, anything else is a string. Separate pairs by
    spaces or commas outside brackets.

    >>> parse_overrides("alpha=0.01 station_types=['ordinary', 'abroad'], weighting=voters")
    {'alpha': 0.01, 'station_types': ['ordinary', 'abroad'], 'weighting': 'voters'}
    >>> parse_overrides("fit_theta=false control=null verbose=True")
    {'fit_theta': False, 'control': None, 'verbose': True}
    """
    out: dict = {}
    if not text or not text.strip():
        return out
    pairs, depth, current = [], 0, ""
    for ch in text.strip():
        if ch in "[({":
            depth += 1
        elif ch in "])}":
            depth -= 1
        if ch in " ,;" and depth == 0:
            if current:
                pairs.append(current)
            current = ""
        else:
            current += ch
    if current:
        pairs.append(current)
    for pair in pairs:
        if "=" not in pair:
            raise ConfigError(f"PARAMS: {pair!r} is not of the form name=value")
        name, raw = pair.split("=", 1)
        name = name.strip()
        if not name.isidentifier():
            raise ConfigError(f"PARAMS: {name!r} is not a valid parameter name")
        try:
            value = ast.literal_eval(raw)
        except (ValueError, SyntaxError):
            # the spellings of the YAML configs and the README's table (true, false, null) too
            value = YAML_WORDS.get(raw.strip().lower(), raw)
        out[name] = value
    return out
