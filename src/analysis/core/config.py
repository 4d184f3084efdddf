"""Configuration: analysis defaults, notebook declarations, elections, overrides.

The formats are in docs/ARCHITECTURE.md ("Configuration"); in short:

- ``config/analysis.yml``: parameters shared by every notebook, ``{name: {default, help, type, …}}``
  (the rule keys that say which values are accepted: :mod:`analysis.core.parameters`);
- ``config/notebooks/<nb>.yml``: ``levels`` (election levels it runs for), ``requires`` (runs
  whose results and elections whose data it reads: :class:`Requirement`), ``parameters`` and
  ``budget`` (the speed budget `make bench` counts it in: :data:`BUDGETS`) and ``cost`` (its
  typical CPU seconds: `make all` starts the longest chains of runs first, :data:`DEFAULT_COST`);
- ``config/elections/<id>.yml``: one election (keys in :data:`ELECTION_KEYS`; ``<id>`` matches
  :data:`ELECTION_ID`).

Every error names the file and the key. Parameter precedence (later wins): analysis.yml < the
notebook's ``parameters`` < the election's ``params:`` < command-line overrides (``PARAMS``).
Values are checked against their entry's rule: defaults and ``params:`` when read, merged values
in :func:`notebook_parameters`, ``PARAMS`` by :func:`check_parameter_values` before any notebook.
"""

from __future__ import annotations

import copy
import datetime
import io
import re
import sys
from dataclasses import dataclass
from pathlib import Path

import yaml

from analysis.core import parameters, paths
from analysis.core.errors import ConfigError  # noqa: F401  (raised and caught as config.ConfigError)
from analysis.core.overrides import parse_overrides  # noqa: F401  (config.parse_overrides)

LEVELS = ("station", "region", "synthetic", "panel")
DATA_LEVELS = ("station", "region")  # levels whose elections have a dataset and a leader
ELECTION_ID = paths.ELECTION_ID
NOTEBOOK_KEYS = ("levels", "requires", "parameters", "budget", "cost")
# `budget`: which speed budget `make bench` counts the notebook in (issue 10: the tests; 11: fraud estimators)
BUDGETS = ("tests", "fraud_estimators", "other")
DEFAULT_COST = 30.0  # `cost`: typical CPU seconds of one run; orders `make all` (report.plan.run_order)
PARAMETER_KEYS = ("default", "help", *parameters.RULE_KEYS)
REQUIREMENT_KEYS = {"notebook": ("notebook", "election", "levels"), "data": ("data", "levels")}
# key: (allowed types, required). `dataset` and `leader` are required for station and region levels.
ELECTION_KEYS: dict[str, tuple[tuple[type, ...], bool]] = {
    "order": ((int,), False),
    "title": ((str,), True),
    "short_title": ((str,), False),
    "date": ((str, datetime.date), False),
    "country": ((str,), False),
    "dataset": ((str, type(None)), False),
    "level": ((str,), True),
    "leader": ((str,), False),
    "candidates": ((list,), False),
    "control": ((str, type(None)), False),
    "source": ((str,), False),
    "params": ((dict, type(None)), False),
}
_REFERENCE = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")
_LEVEL_REFERENCE = re.compile(rf"level:({'|'.join(LEVELS)})")  # every configured election of a level


# libyaml's loader where PyYAML was built with it (the same documents, several times faster)
_SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_PARSED: dict[bytes, object] = {}  # file content -> parsed document: a run reads the same files many times


def load_yaml(path: Path) -> dict:
    """A YAML file's document (``{}`` when empty); ConfigError naming the file when missing or invalid.

    Parsed once per process and content (the cache is keyed by the file's bytes, so an edited
    file is parsed again); each call returns its own copy.
    """
    try:
        text = Path(path).read_bytes()
    except FileNotFoundError:
        raise ConfigError(f"{path}: configuration file not found") from None
    if text not in _PARSED:
        stream = io.BytesIO(text)
        stream.name = str(path)  # errors name the file
        try:
            _PARSED[text] = yaml.load(stream, Loader=_SAFE_LOADER)  # noqa: S506  (a safe loader)
        except yaml.YAMLError as exc:
            raise ConfigError(f"{path}: invalid YAML: {exc}") from None
    data = _PARSED[text]
    return {} if data is None else copy.deepcopy(data)


def _rel(path: Path) -> str:
    try:
        return path.relative_to(paths.ROOT).as_posix()
    except ValueError:
        return str(path)


def _check_keys(mapping: dict, allowed, where: str) -> None:
    """A typo'd key (`contorl:`) would otherwise be ignored without a word."""
    unknown = sorted(set(mapping) - set(allowed), key=str)
    if unknown:
        raise ConfigError(f"{where}: unknown key(s) {', '.join(map(repr, unknown))} (allowed: {', '.join(allowed)})")


def check_election_id(election: object, where: str = "election id") -> str:
    """``election`` if it is a valid id (``^[a-z0-9_]+$``: it names folders), else :class:`ConfigError`."""
    if not isinstance(election, str) or not ELECTION_ID.fullmatch(election):
        raise ConfigError(f"{where}: {election!r} is not a valid election id (lower-case letters, digits and _ only)")
    return election


# ---------------------------------------------------------------------------------------------
# parameters


def _check_parameters(spec: object, where: str, config_dir: Path) -> dict[str, dict]:
    """``{name: {default, help, rule keys}}`` validated, defaults included; ``where`` names the file in errors."""
    if not isinstance(spec, dict):
        raise ConfigError(f"{where}: must be a mapping of parameter name to {{default, help}}")
    for name, entry in spec.items():
        if not isinstance(name, str) or not name.isidentifier():
            # YAML reads keys such as `null`, `yes` or `1` as non-strings.
            raise ConfigError(f"{where}: parameter name {name!r} is not a valid identifier (quote it or rename it)")
        if not isinstance(entry, dict) or "default" not in entry or "help" not in entry:
            raise ConfigError(f"{where}: parameter {name!r} must be a mapping with 'default' and 'help'")
        _check_keys(entry, PARAMETER_KEYS, f"{where}: parameter {name!r}")
        error = parameters.spec_error(entry, config_dir)
        if error:
            raise ConfigError(f"{where}: parameter {name!r}: {error}")
        error = parameters.value_error(name, entry["default"], entry, config_dir)
        if error:
            raise ConfigError(f"{where}: its default breaks its own rule: {error}")
    return spec


def shared_parameters(config_dir: Path | None = None) -> dict[str, dict]:
    """The parameters of config/analysis.yml: ``{name: {default, help, …}}``."""
    config_dir = config_dir or paths.CONFIG
    path = config_dir / "analysis.yml"
    return _check_parameters(load_yaml(path), _rel(path), config_dir)


# ---------------------------------------------------------------------------------------------
# notebooks


@dataclass(frozen=True)
class Requirement:
    """One ``requires`` entry: the results of run ``notebook``/``election``, or ``election``'s data (notebook None).

    ``election`` is an id or ``{parameter}`` (:func:`resolve_elections`); ``levels`` limits the
    entry to runs of elections of those levels.
    """

    election: str
    notebook: str | None = None
    levels: tuple[str, ...] = LEVELS

    @property
    def kind(self) -> str:
        return "data" if self.notebook is None else "notebook"


@dataclass(frozen=True)
class NotebookSpec:
    """A notebook's declaration (config/notebooks/<name>.yml)."""

    name: str
    levels: tuple[str, ...]
    requires: tuple[Requirement, ...]
    parameters: dict[str, dict]
    budget: str = "tests"
    cost: float = DEFAULT_COST


def _check_levels(levels: object, where: str) -> tuple[str, ...]:
    if isinstance(levels, str):
        levels = [levels]
    if not isinstance(levels, list) or not levels or any(level not in LEVELS for level in levels):
        raise ConfigError(f"{where}: {levels!r} must be a non-empty list of {', '.join(LEVELS)}")
    return tuple(levels)


def _check_reference(value: object, where: str) -> str:
    if isinstance(value, str) and any(p.fullmatch(value) for p in (_REFERENCE, _LEVEL_REFERENCE, ELECTION_ID)):
        return value
    raise ConfigError(
        f'{where}: {value!r} must be an election id, a parameter name in braces, e.g. "{{control}}", '
        f'or "level:<level>" (every election of that level; levels: {", ".join(LEVELS)})'
    )


def _check_requirement(entry: object, where: str) -> Requirement:
    kind = next((k for k in REQUIREMENT_KEYS if isinstance(entry, dict) and k in entry), None)
    if kind is None:
        raise ConfigError(f"{where}: must be a mapping with `notebook:` (and `election:`) or `data:`")
    _check_keys(entry, REQUIREMENT_KEYS[kind], where)
    levels = _check_levels(entry["levels"], f"{where}.levels") if "levels" in entry else LEVELS
    if kind == "data":
        return Requirement(election=_check_reference(entry["data"], f"{where}.data"), levels=levels)
    notebook = entry["notebook"]
    if not isinstance(notebook, str) or not notebook:
        raise ConfigError(f"{where}.notebook: {notebook!r} is not a notebook name")
    election = _check_reference(entry.get("election", "{election}"), f"{where}.election")
    return Requirement(election=election, notebook=notebook, levels=levels)


def load_notebook(notebook: str, config_dir: Path | None = None) -> NotebookSpec:
    """The validated declaration of ``notebook`` (errors name the file and the key)."""
    config_dir = config_dir or paths.CONFIG
    path = config_dir / "notebooks" / f"{notebook}.yml"
    where = _rel(path)
    spec = load_yaml(path)
    if not isinstance(spec, dict):
        raise ConfigError(f"{where}: must be a mapping with keys {', '.join(NOTEBOOK_KEYS)}")
    _check_keys(spec, NOTEBOOK_KEYS, where)
    if "levels" not in spec:
        raise ConfigError(f"{where}: missing `levels:` (the election levels it runs for: {', '.join(LEVELS)})")
    requires = spec.get("requires") or []
    if not isinstance(requires, list):
        raise ConfigError(f"{where}: requires: must be a list")
    budget = spec.get("budget", "tests")
    if budget not in BUDGETS:
        raise ConfigError(f"{where}: budget: {budget!r} is not one of {', '.join(BUDGETS)}")
    cost = spec.get("cost", DEFAULT_COST)
    if isinstance(cost, bool) or not isinstance(cost, (int, float)) or not cost >= 0:
        raise ConfigError(f"{where}: cost: {cost!r} must be a number >= 0 (typical CPU seconds of one run)")
    return NotebookSpec(
        name=notebook,
        levels=_check_levels(spec["levels"], f"{where}: levels"),
        requires=tuple(_check_requirement(e, f"{where}: requires[{i}]") for i, e in enumerate(requires)),
        parameters=_check_parameters(spec.get("parameters") or {}, f"{where}: parameters", config_dir),
        budget=budget,
        cost=float(cost),
    )


def list_notebooks(config_dir: Path | None = None) -> list[str]:
    """Declared notebooks (config/notebooks/*.yml), sorted by name."""
    return sorted(p.stem for p in ((config_dir or paths.CONFIG) / "notebooks").glob("*.yml"))


def _spec_file(source: str, config_dir: Path) -> str:  # where ``source``'s parameters are declared
    return _rel(config_dir / ("analysis.yml" if source == "analysis" else f"notebooks/{source}.yml"))


def check_parameter_values(values: dict, config_dir: Path | None = None, origin: str = "") -> None:
    """Each value against every entry that declares its name (several notebooks may); others are the caller's.

    Errors read ``{origin}parameter alpha=2: must be a number > 0 and < 1 (config/analysis.yml)``.
    """
    config_dir = config_dir or paths.CONFIG
    specs = parameter_specs(config_dir)
    for name, value in values.items():
        for source, spec in specs.items():
            error = parameters.value_error(name, value, spec[name], config_dir) if name in spec else None
            if error:
                raise ConfigError(f"{origin}{error} ({_spec_file(source, config_dir)})")


def parameter_specs(config_dir: Path | None = None) -> dict[str, dict]:
    """All documented parameters: ``{source: {name: {default, help, …}}}``, source ``analysis`` or a notebook."""
    specs = {"analysis": shared_parameters(config_dir)}
    for notebook in list_notebooks(config_dir):
        specs[notebook] = load_notebook(notebook, config_dir).parameters
    return specs


# ---------------------------------------------------------------------------------------------
# elections


def _election_path(election: str, config_dir: Path) -> Path:
    return config_dir / "elections" / f"{election}.yml"


def list_elections(config_dir: Path | None = None) -> list[str]:
    """Configured elections, in their `order:` (then by id): the order of the index page and the plan."""
    config_dir = config_dir or paths.CONFIG
    files = sorted((config_dir / "elections").glob("*.yml"))
    for path in files:
        check_election_id(path.stem, f"{_rel(path)}: file name")
    return [p.stem for p in sorted(files, key=lambda p: ((load_yaml(p) or {}).get("order", 50), p.stem))]


def check_election(cfg: object, path: Path, config_dir: Path | None = None) -> dict:
    """An election config validated against :data:`ELECTION_KEYS` (errors name the file and key)."""
    where = _rel(path)
    if not isinstance(cfg, dict):
        raise ConfigError(f"{where}: must be a mapping")
    _check_keys(cfg, ELECTION_KEYS, where)
    for key, (types, required) in ELECTION_KEYS.items():
        if key not in cfg:
            if required:
                raise ConfigError(f"{where}: missing key {key!r}")
            continue
        if not isinstance(cfg[key], types) or isinstance(cfg[key], bool):
            names = " or ".join("null" if t is type(None) else t.__name__ for t in types)
            raise ConfigError(f"{where}: {key}: {cfg[key]!r} is not {names}")
    if cfg["level"] not in LEVELS:
        raise ConfigError(f"{where}: level: {cfg['level']!r} is not one of {', '.join(LEVELS)}")
    if cfg["level"] in DATA_LEVELS:
        for key in ("dataset", "leader"):
            if not cfg.get(key):
                raise ConfigError(f"{where}: a {cfg['level']}-level election needs {key!r}")
    if cfg.get("control") is not None:
        check_election_id(cfg["control"], f"{where}: control")
    params = cfg.get("params") or {}
    if params:
        known = {"election"}.union(*parameter_specs(config_dir).values())
        unknown = sorted(set(params) - known, key=str)
        if unknown:
            raise ConfigError(
                f"{where}: params: unknown parameter(s) {', '.join(map(repr, unknown))}; see README's parameter table"
            )
        check_parameter_values(params, config_dir, origin=f"{where}: params: ")
    return cfg


def load_election(election: str, config_dir: Path | None = None) -> dict:
    """The validated config of ``election`` (``id`` added)."""
    config_dir = config_dir or paths.CONFIG
    path = _election_path(election, config_dir) if ELECTION_ID.fullmatch(str(election)) else None
    if path is None or not path.exists():
        known = ", ".join(list_elections(config_dir))
        if path is None:
            raise ConfigError(
                f"unknown election {election!r}: not a valid election id (lower-case letters, digits and _ only; known: {known})"
            )
        raise ConfigError(f"unknown election {election!r}: no {_rel(path)} (known: {known})")
    cfg = dict(check_election(load_yaml(path), path, config_dir))
    cfg["id"] = election
    return cfg


# ---------------------------------------------------------------------------------------------
# merged parameters


def notebook_parameters(
    notebook: str,
    election: str,
    declared: list[str] | None = None,
    overrides: dict | None = None,
    config_dir: Path | None = None,
) -> dict:
    """Merged parameter values for one notebook run, each checked against its entry's rule.

    ``declared`` is the list of parameters the notebook's ``parameters`` cell defines; only
    those are passed (papermill would otherwise inject unknown names); None passes all.
    ``election`` is always set.
    """
    config_dir = config_dir or paths.CONFIG
    specs = {name: ("analysis", entry) for name, entry in shared_parameters(config_dir).items()}
    specs.update({name: (notebook, entry) for name, entry in load_notebook(notebook, config_dir).parameters.items()})
    merged = {name: entry["default"] for name, (_, entry) in specs.items()}
    if _election_path(check_election_id(election), config_dir).exists():
        merged.update(load_election(election, config_dir).get("params") or {})
    merged.update(overrides or {})
    for name, value in merged.items():  # `election` is the run's, checked above
        source, entry = specs.get(name, (None, None))
        error = parameters.value_error(name, value, entry, config_dir) if entry and name != "election" else None
        if error:
            raise ConfigError(f"{error} ({_spec_file(source, config_dir)})")
    merged["election"] = election
    if declared is not None:
        merged = {k: v for k, v in merged.items() if k in set(declared) | {"election"}}
    return dict(sorted(merged.items()))


def resolve_elections(
    reference: str, parameters: dict, election_cfg: dict, where: str, config_dir: Path | None = None
) -> list[str]:
    """The election ids a ``requires`` reference names for one run.

    A literal id names itself. ``{name}`` is the run's parameter ``name`` or, where that is null
    or absent, the election config's key ``name`` (so ``{control}`` is the election's control
    unless the ``control`` parameter overrides it); a list names several elections, null none.
    ``level:<level>`` names every configured election of that level, in configured order.

    >>> resolve_elections("{control}", {"control": None}, {"control": "pl2020r1"}, "x")
    ['pl2020r1']
    >>> resolve_elections("{reference_elections}", {"reference_elections": ["ru2011", "pl2020r1"]}, {}, "x")
    ['ru2011', 'pl2020r1']
    >>> resolve_elections("ru2011", {}, {}, "x")
    ['ru2011']
    >>> "kz2011" in resolve_elections("level:region", {}, {}, "x")
    True
    """
    level = _LEVEL_REFERENCE.fullmatch(reference)
    if level:
        return [e for e in list_elections(config_dir) if load_election(e, config_dir)["level"] == level.group(1)]
    match = _REFERENCE.fullmatch(reference)
    if not match:
        return [check_election_id(reference, where)]
    name = match.group(1)
    value = parameters.get(name)
    if value is None:
        value = election_cfg.get(name)
    values = [] if value is None else [value] if isinstance(value, str) else value
    if not isinstance(values, list):
        raise ConfigError(f"{where}: {reference} is {value!r}, not an election id or a list of them")
    return [check_election_id(v, f"{where}: {reference}") for v in values]


# ---------------------------------------------------------------------------------------------
# README table


def parameter_table_markdown(config_dir: Path | None = None) -> str:
    """The README's parameter table, generated from the config files (a test keeps them in sync)."""
    rows = ["| parameter | used by | default | allowed | meaning |", "|---|---|---|---|---|"]
    for source, spec in parameter_specs(config_dir).items():
        used_by = "any notebook that declares it" if source == "analysis" else f"`{source}`"
        for name, entry in spec.items():
            default = yaml.safe_dump(entry["default"], default_flow_style=True).strip().removesuffix("...").strip()
            meaning = " ".join(str(entry["help"]).split()).replace("|", "\\|")
            rows.append(f"| `{name}` | {used_by} | `{default}` | {parameters.describe(entry)} | {meaning} |")
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


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv == ["table"]:
        print(parameter_table_markdown())
    elif argv == ["sync-readme"]:
        readme = paths.ROOT / "README.md"
        readme.write_text(readme_with_parameter_table(readme.read_text(encoding="utf-8")), encoding="utf-8")
        print(f"updated the parameter table in {readme}")
    else:
        print("usage: python -m analysis.core.config table | sync-readme", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
