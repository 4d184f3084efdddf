"""Configuration: analysis defaults, notebook parameter defaults, elections, overrides.

Precedence (later wins): config/analysis.yml < config/notebooks/<nb>.yml <
config/elections/<election>.yml ``params:`` < command-line overrides (``PARAMS``).
Parameter files hold ``{name: {default: value, help: text}}``.
"""

from __future__ import annotations

import ast
from pathlib import Path

import yaml

from analysis.core import paths


class ConfigError(ValueError):
    """A configuration file or override is malformed."""


def load_yaml(path: Path) -> dict:
    try:
        with open(path, encoding="utf-8") as fh:
            data = yaml.safe_load(fh)
    except FileNotFoundError:
        raise ConfigError(f"{path}: configuration file not found") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: invalid YAML: {exc}") from None
    return {} if data is None else data


def _param_defaults(path: Path) -> dict:
    if not path.exists():
        return {}
    spec = load_yaml(path)
    out = {}
    for name, entry in spec.items():
        if not isinstance(name, str) or not name.isidentifier():
            # YAML reads keys such as `null`, `yes` or `1` as non-strings.
            raise ConfigError(f"{path}: parameter name {name!r} is not a valid identifier (quote it or rename it)")
        if not isinstance(entry, dict) or "default" not in entry or "help" not in entry:
            raise ConfigError(f"{path}: parameter {name!r} must be a mapping with 'default' and 'help'")
        out[name] = entry["default"]
    return out


def parameter_specs(config_dir: Path | None = None) -> dict[str, dict]:
    """All documented parameters: {source: {name: {default, help}}} for the README table."""
    config_dir = config_dir or paths.CONFIG
    specs = {"analysis": load_yaml(config_dir / "analysis.yml")}
    for path in sorted((config_dir / "notebooks").glob("*.yml")):
        specs[path.stem] = load_yaml(path)
    return specs


def list_elections(config_dir: Path | None = None) -> list[str]:
    """Configured elections, in their `order:` (then by id): the order of the index page."""
    config_dir = config_dir or paths.CONFIG
    files = sorted((config_dir / "elections").glob("*.yml"))
    return [p.stem for p in sorted(files, key=lambda p: ((load_yaml(p) or {}).get("order", 50), p.stem))]


def load_election(election: str, config_dir: Path | None = None) -> dict:
    config_dir = config_dir or paths.CONFIG
    path = config_dir / "elections" / f"{election}.yml"
    if not path.exists():
        known = ", ".join(list_elections(config_dir))
        raise ConfigError(f"unknown election {election!r}: no {path} (known: {known})")
    cfg = load_yaml(path)
    cfg.setdefault("id", election)
    return cfg


def parse_overrides(text: str | None) -> dict:
    """Parse ``"alpha=0.01 n_sims=200 station_types=['ordinary']"`` into a dict.

    Values are Python literals where they parse as one, otherwise strings. Separate pairs by
    spaces or commas outside brackets.
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
            value = raw
        out[name] = value
    return out


def notebook_parameters(
    notebook: str,
    election: str,
    declared: list[str] | None = None,
    overrides: dict | None = None,
    config_dir: Path | None = None,
) -> dict:
    """Merged parameter values for one notebook run.

    ``declared`` is the list of parameters the notebook's ``parameters`` cell defines; only
    those are passed (papermill would otherwise inject unknown names). ``election`` is
    always set.
    """
    config_dir = config_dir or paths.CONFIG
    merged = dict(_param_defaults(config_dir / "analysis.yml"))
    merged.update(_param_defaults(config_dir / "notebooks" / f"{notebook}.yml"))
    if (config_dir / "elections" / f"{election}.yml").exists():
        merged.update(load_election(election, config_dir).get("params", {}) or {})
    merged.update(overrides or {})
    merged["election"] = election
    if declared is not None:
        merged = {k: v for k, v in merged.items() if k in set(declared) | {"election"}}
    return dict(sorted(merged.items()))


def parameter_table_markdown(config_dir: Path | None = None) -> str:
    """The README's parameter table, generated from the config files (a test keeps them in sync)."""
    rows = ["| parameter | used by | default | meaning |", "|---|---|---|---|"]
    for source, spec in parameter_specs(config_dir).items():
        used_by = "any notebook that declares it" if source == "analysis" else f"`{source}`"
        for name, entry in spec.items():
            default = yaml.safe_dump(entry["default"], default_flow_style=True).strip().removesuffix("...").strip()
            meaning = " ".join(str(entry["help"]).split()).replace("|", "\\|")
            rows.append(f"| `{name}` | {used_by} | `{default}` | {meaning} |")
    return "\n".join(rows)


README_MARKERS = ("<!-- params:start -->", "<!-- params:end -->")


def readme_with_parameter_table(readme_text: str, config_dir: Path | None = None) -> str:
    """README text with the block between the parameter markers replaced by the current table."""
    start, end = README_MARKERS
    if start not in readme_text or end not in readme_text:
        raise ConfigError(f"README.md: markers {start} / {end} not found")
    head, rest = readme_text.split(start, 1)
    _, tail = rest.split(end, 1)
    return f"{head}{start}\n{parameter_table_markdown(config_dir)}\n{end}{tail}"


if __name__ == "__main__":
    import sys

    if sys.argv[1:] == ["table"]:
        print(parameter_table_markdown())
    elif sys.argv[1:] == ["sync-readme"]:
        readme = paths.ROOT / "README.md"
        readme.write_text(readme_with_parameter_table(readme.read_text(encoding="utf-8")), encoding="utf-8")
        print(f"updated the parameter table in {readme}")
    else:
        print("usage: python -m analysis.core.config table | sync-readme", file=sys.stderr)
        sys.exit(2)
