"""What values a parameter accepts: the rule keys of a parameter entry, checked before any notebook runs.

A parameter entry (``config/analysis.yml``, ``config/notebooks/<nb>.yml``'s ``parameters:``)
holds ``default`` and ``help`` and these rule keys:

``type``
    ``int``, ``float`` (an int is accepted too), ``bool``, ``str``, ``list`` or ``mapping``.
    A bool is never an int or a float. Values keep the type they were written or parsed with.
    An entry without ``type`` accepts any value (a test requires one of every project entry).
``nullable``
    ``true``: null (Python ``None``) is accepted as well.
``min``, ``max``, ``exclusive_min``, ``exclusive_max``
    Bounds of an ``int`` or ``float``, inclusive unless ``exclusive_min`` / ``exclusive_max``
    is ``true``.
``choices``
    The accepted values of a ``str`` or ``int``.
``in_config``
    A ``str`` that names a file of that folder of ``config/``: ``in_config: elections``
    accepts ``ru2011`` when ``config/elections/ru2011.yml`` exists.
``min_length``, ``max_length``
    Number of items of a ``list``.
``items``
    The rule (same keys, ``type`` required) of every item of a ``list`` or every value of a
    ``mapping``; ``keys``: the rule of every key of a ``mapping``.

Unknown keys are an error. :func:`spec_error` checks an entry's rule keys, :func:`value_error`
a value against them, :func:`describe` words them (errors and README's parameter table).
Errors name the parameter, the value and what is allowed::

    parameter alpha=2: must be a number > 0 and < 1

This module only checks and words; :mod:`analysis.core.config` reads the files and raises.
"""

from __future__ import annotations

import math
from pathlib import Path

TYPES = {"int": (int,), "float": (int, float), "bool": (bool,), "str": (str,), "list": (list,), "mapping": (dict,)}
TYPE_WORDS = {
    "int": "an int",
    "float": "a number",
    "bool": "true or false",
    "str": "a string",
    "list": "a list",
    "mapping": "a mapping",
}
# key: the types it applies to (None: any type).
RULE_KEYS: dict[str, tuple[str, ...] | None] = {
    "type": None,
    "nullable": None,
    "min": ("int", "float"),
    "max": ("int", "float"),
    "exclusive_min": ("int", "float"),
    "exclusive_max": ("int", "float"),
    "choices": ("str", "int"),
    "in_config": ("str",),
    "min_length": ("list",),
    "max_length": ("list",),
    "items": ("list", "mapping"),
    "keys": ("mapping",),
}


def _is_number(x: object) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool) and not math.isnan(x)


def _has_type(value: object, kind: str) -> bool:
    return isinstance(value, TYPES[kind]) and (kind == "bool" or not isinstance(value, bool))


def spec_error(rule: object, config_dir: Path, nested: bool = False) -> str | None:
    """What is wrong with the rule keys of ``rule`` (an entry, or an ``items``/``keys`` rule when ``nested``), or None.

    Keys other than the rule keys (``default``, ``help``) are checked by the caller.

    >>> spec_error({"type": "int", "min": 1}, Path("config"))
    >>> spec_error({"type": "str", "min": 1}, Path("config"))
    "'min' applies to int, float, not to str"
    """
    if not isinstance(rule, dict):
        return f"{rule!r} is not a mapping of rule keys"
    if nested:
        unknown = sorted(set(rule) - set(RULE_KEYS), key=str)
        if unknown:
            return f"unknown key(s) {', '.join(map(repr, unknown))} (allowed: {', '.join(RULE_KEYS)})"
    kind = rule.get("type")
    if kind is None:
        rules = set(rule) & set(RULE_KEYS)  # an entry without rule keys accepts any value
        return "'type' is required with other rule keys and in an items/keys rule" if nested or rules else None
    if kind not in TYPES:
        return f"type: {kind!r} is not one of {', '.join(TYPES)}"
    for key, types in RULE_KEYS.items():
        if key in rule and types is not None and kind not in types:
            return f"{key!r} applies to {', '.join(types)}, not to {kind}"
    for key in ("nullable", "exclusive_min", "exclusive_max"):
        if key in rule and not isinstance(rule[key], bool):
            return f"{key}: {rule[key]!r} is not true or false"
    for key in ("min", "max"):
        if key in rule and not _is_number(rule[key]):
            return f"{key}: {rule[key]!r} is not a number"
    for key, bound in (("exclusive_min", "min"), ("exclusive_max", "max")):
        if key in rule and bound not in rule:
            return f"{key!r} needs {bound!r}"
    for key in ("min_length", "max_length"):
        if key in rule and not (_has_type(rule[key], "int") and rule[key] >= 0):
            return f"{key}: {rule[key]!r} is not an int >= 0"
    if "choices" in rule:
        choices = rule["choices"]
        if not isinstance(choices, list) or not choices or not all(_has_type(c, kind) for c in choices):
            return f"choices: {choices!r} is not a non-empty list of {kind} values"
    if "in_config" in rule and not (isinstance(rule["in_config"], str) and (config_dir / rule["in_config"]).is_dir()):
        return f"in_config: {rule['in_config']!r} is not a folder of {config_dir}"
    for key in ("items", "keys"):
        if key in rule:
            error = spec_error(rule[key], config_dir, nested=True)
            if error:
                return f"{key}: {error}"
    if "keys" in rule and rule["keys"].get("type") != "str":
        return "keys: the keys of a mapping are strings ('type: str')"
    return None


def config_names(config_dir: Path, folder: str) -> list[str]:
    """The names ``in_config: folder`` accepts: the stems of config/<folder>/*.yml."""
    return sorted(p.stem for p in (config_dir / folder).glob("*.yml"))


def _problem(value: object, rule: dict, config_dir: Path) -> str | None:
    """None when ``value`` satisfies ``rule``; else a detail (possibly empty) of what fails."""
    kind = rule.get("type")
    if kind is None or value is None:  # no type: no rule
        return None if kind is None or rule.get("nullable") else ""
    if not _has_type(value, kind) or (kind == "float" and math.isnan(value)):
        return ""
    low, high = rule.get("min"), rule.get("max")
    if low is not None and (value < low or (rule.get("exclusive_min") and value == low)):
        return ""
    if high is not None and (value > high or (rule.get("exclusive_max") and value == high)):
        return ""
    if "choices" in rule and value not in rule["choices"]:
        return ""
    if "in_config" in rule and value not in (known := config_names(config_dir, rule["in_config"])):
        return f"known: {', '.join(known) or 'none'}"
    if kind == "list":
        if len(value) < rule.get("min_length", 0) or len(value) > rule.get("max_length", len(value)):
            return f"it has {len(value)} item(s)"
        for i, item in enumerate(value):
            detail = _problem(item, rule.get("items", {}), config_dir)
            if detail is not None:
                return "; ".join(filter(None, (f"item {i} is {item!r}", detail)))
    if kind == "mapping":
        for key, item in value.items():
            detail = _problem(key, rule.get("keys", {}), config_dir)
            if detail is not None:
                return "; ".join(filter(None, (f"key {key!r}", detail)))
            detail = _problem(item, rule.get("items", {}), config_dir)
            if detail is not None:
                return "; ".join(filter(None, (f"{key!r} is {item!r}", detail)))
    return None


def describe(rule: dict) -> str:
    """What ``rule`` accepts, in words (errors and README's parameter table).

    >>> describe({"type": "float", "min": 0, "exclusive_min": True, "max": 1, "exclusive_max": True})
    'a number > 0 and < 1'
    >>> describe({"type": "list", "nullable": True, "items": {"type": "str", "choices": ["a", "b"]}})
    'null or a list (each item: one of a, b)'
    """
    kind = rule.get("type")
    if "choices" in rule:
        text = "one of " + ", ".join(map(str, rule["choices"]))
    elif "in_config" in rule:
        text = f"a name in config/{rule['in_config']}/"
    else:
        text = TYPE_WORDS.get(kind, "any value")
    if "min" in rule:
        text += f" {'>' if rule.get('exclusive_min') else '>='} {rule['min']}"
    if "max" in rule:
        text += f"{' and' if 'min' in rule else ''} {'<' if rule.get('exclusive_max') else '<='} {rule['max']}"
    low, high = rule.get("min_length"), rule.get("max_length")
    if low is not None and low == high:
        text += f" of {low} items"
    elif low == 1 and high is None:
        text = text.replace("a list", "a non-empty list", 1)
    elif low or high is not None:
        limits = ([f"at least {low}"] if low else []) + ([f"at most {high}"] if high is not None else [])
        text += f" of {' and '.join(limits)} items"
    if kind == "list" and "items" in rule:
        text += f" (each item: {describe(rule['items'])})"
    if kind == "mapping" and ("keys" in rule or "items" in rule):
        parts = [
            f"{key}: {describe(rule[name])}" for key, name in (("keys", "keys"), ("values", "items")) if name in rule
        ]
        text += f" ({'; '.join(parts)})"
    return f"null or {text}" if rule.get("nullable") else text


def value_error(name: str, value: object, rule: dict, config_dir: Path) -> str | None:
    """None when ``value`` satisfies ``rule``; else ``parameter name=value: must be …`` (one line).

    >>> value_error("alpha", 2, {"type": "float", "min": 0, "max": 1, "exclusive_min": True}, Path("config"))
    'parameter alpha=2: must be a number > 0 and <= 1'
    >>> value_error("seed", "abc", {"type": "int", "min": 0}, Path("config"))
    "parameter seed='abc': must be an int >= 0"
    """
    detail = _problem(value, rule, config_dir)
    if detail is None:
        return None
    return f"parameter {name}={value!r}: must be {describe(rule)}" + (f"; {detail}" if detail else "")
