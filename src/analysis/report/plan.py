"""The run plan: which notebook runs for which election, and what each run needs first.

Built from the configuration alone (config/elections/*.yml and config/notebooks/*.yml):

- every configured election runs every notebook whose ``levels`` contain the election's
  ``level``;
- a run needs its election's prepared data (elections with a ``dataset``), and what its
  notebook ``requires``: other runs (their results) and other elections' data, resolved with
  the run's parameters (defaults < the election's ``params:`` < ``PARAMS``).

:func:`makefile` writes the plan as a make fragment (``build/plan.mk``, included by the
Makefile, which holds no election or notebook name)::

    python -m analysis.report.pipeline plan --out build/plan.mk [--params "..."] [--elections ...]
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from analysis.core import config, paths

STAMPS = "build/stamps"


@dataclass(frozen=True, order=True)
class Run:
    """One executed notebook: ``reports/results/<election>/<notebook>.json``."""

    election: str
    notebook: str

    @property
    def stamp(self) -> str:
        return f"{STAMPS}/{self.election}/{self.notebook}.done"

    def __str__(self) -> str:
        return f"{self.election}/{self.notebook}"


def _mk(path: str) -> str:
    """A path as a make prerequisite (spaces and $ escaped)."""
    return path.replace("$", "$$").replace(" ", "\\ ")


def data_stamp(election: str) -> str:
    return f"{STAMPS}/data/{election}.done"


@dataclass
class Plan:
    """Elections in configured order; per run, the elections whose data it reads and the runs it reads."""

    elections: list[str]
    levels: dict[str, str]
    data_elections: list[str]
    runs: dict[str, list[Run]] = field(default_factory=dict)
    needs_data: dict[Run, list[str]] = field(default_factory=dict)
    needs_runs: dict[Run, list[Run]] = field(default_factory=dict)
    data_inputs: dict[str, list[str]] = field(default_factory=dict)
    costs: dict[str, float] = field(default_factory=dict)  # notebook -> its declared `cost`

    def all_runs(self) -> list[Run]:
        return [run for election in self.elections for run in self.runs.get(election, [])]


def run_order(plan: Plan) -> list[Run]:
    """Every run, the longest chain first: by the summed ``cost`` of the run and the costliest
    chain of runs that read its results, ties in configured order.

    ``make -j`` starts jobs in the order it meets them; meeting the long chains (a calibration
    that the panel waits for, a fraud mixture that the fraud model reads) first keeps both cores
    busy to the end instead of leaving one idle while the last long run finishes (list
    scheduling by "bottom level", Kwok & Ahmad 1999, ACM Computing Surveys 31(4), 406-471).
    """
    runs = plan.all_runs()
    readers: dict[Run, list[Run]] = {run: [] for run in runs}
    for run in runs:
        for needed in plan.needs_runs.get(run, []):
            if needed in readers:
                readers[needed].append(run)
    chain: dict[Run, float] = {}

    def length(run: Run) -> float:  # the graph is acyclic (_check_acyclic)
        if run not in chain:
            chain[run] = plan.costs.get(run.notebook, config.DEFAULT_COST) + max(map(length, readers[run]), default=0.0)
        return chain[run]

    position = {run: i for i, run in enumerate(runs)}
    return sorted(runs, key=lambda run: (-length(run), position[run]))


def _notebooks_present(config_dir: Path, notebooks_dir: Path) -> list[str]:
    """Declared notebooks; each config/notebooks/<nb>.yml needs notebooks/<nb>.ipynb and vice versa."""
    declared = config.list_notebooks(config_dir)
    present = sorted(p.stem for p in notebooks_dir.glob("*.ipynb"))
    if missing := sorted(set(declared) - set(present)):
        raise config.ConfigError(
            f"config/notebooks/{missing[0]}.yml declares a notebook, but notebooks/{missing[0]}.ipynb does not exist"
        )
    if undeclared := sorted(set(present) - set(declared)):
        raise config.ConfigError(
            f"notebooks/{undeclared[0]}.ipynb has no config/notebooks/{undeclared[0]}.yml declaring its levels and parameters"
        )
    return declared


def _raw_inputs(election: str, cfg: dict, catalog: dict, root: Path) -> list[str]:
    """Repository files a data stamp depends on: data/raw/<election or dataset>/** and a catalog `path:`."""
    inputs: set[str] = set()
    for folder in {election, cfg["dataset"]}:
        base = root / "data" / "raw" / folder
        if base.is_dir():
            inputs.update(p.relative_to(root).as_posix() for p in base.rglob("*") if p.is_file())
    local = (catalog.get(cfg["dataset"]) or {}).get("path")
    if isinstance(local, str) and not Path(local).is_absolute() and (root / local).is_file():
        inputs.add(Path(local).as_posix())
    return sorted(inputs)


def build_plan(
    elections: list[str] | None = None,
    overrides: dict | None = None,
    config_dir: Path | None = None,
    notebooks_dir: Path | None = None,
) -> Plan:
    """The plan for ``elections`` (default: every configured one) and the runs they require."""
    config_dir = config_dir or paths.CONFIG
    notebooks_dir = notebooks_dir or paths.NOTEBOOKS
    configured = config.list_elections(config_dir)
    cfgs = {e: config.load_election(e, config_dir) for e in configured}
    for election in elections or []:
        if election not in cfgs:
            valid = "" if config.ELECTION_ID.fullmatch(election) else "not a valid election id; "
            raise config.ConfigError(f"unknown election {election!r} ({valid}known: {', '.join(configured)})")
    specs = {nb: config.load_notebook(nb, config_dir) for nb in _notebooks_present(config_dir, notebooks_dir)}
    catalog_path = config_dir / "datasets.yml"
    catalog = config.load_yaml(catalog_path) if catalog_path.exists() else {}
    plan = Plan(
        elections=configured,
        levels={e: cfgs[e]["level"] for e in configured},
        data_elections=[e for e in configured if cfgs[e].get("dataset")],
        costs={nb: spec.cost for nb, spec in specs.items()},
    )
    for election in plan.data_elections:
        plan.data_inputs[election] = _raw_inputs(election, cfgs[election], catalog, config_dir.parent)
    for election in configured:
        plan.runs[election] = [
            Run(election, nb) for nb, spec in specs.items() if cfgs[election]["level"] in spec.levels
        ]

    def planned(run: Run) -> bool:
        return run in plan.runs.get(run.election, [])

    for run in plan.all_runs():
        cfg, spec = cfgs[run.election], specs[run.notebook]
        where = f"config/notebooks/{run.notebook}.yml: requires (run {run})"
        parameters = config.notebook_parameters(run.notebook, run.election, overrides=overrides, config_dir=config_dir)
        data = [run.election] if cfg.get("dataset") else []
        needed: list[Run] = []
        for req in spec.requires:
            if cfg["level"] not in req.levels:
                continue
            for other in config.resolve_elections(req.election, parameters, cfg, where, config_dir):
                if other not in cfgs:
                    raise config.ConfigError(
                        f"{where}: election {other!r} ({req.election}) is not configured (known: {', '.join(configured)})"
                    )
                if req.kind == "data":
                    if not cfgs[other].get("dataset"):
                        raise config.ConfigError(f"{where}: election {other!r} ({req.election}) has no dataset to read")
                    data.append(other)
                    continue
                target = Run(other, req.notebook)
                if target == run:
                    continue  # e.g. a station-level election that is its own reference
                if not planned(target):
                    raise config.ConfigError(
                        f"{where}: {target} is not a planned run (notebook {req.notebook!r} does not run for "
                        f"{plan.levels[other]}-level elections, or does not exist)"
                    )
                needed.append(target)
        plan.needs_data[run] = list(dict.fromkeys(data))
        plan.needs_runs[run] = list(dict.fromkeys(needed))
    _check_acyclic(plan)
    if elections:
        keep: set[Run] = set()
        todo = [run for e in elections for run in plan.runs[e]]
        while todo:
            run = todo.pop()
            if run not in keep:
                keep.add(run)
                todo.extend(plan.needs_runs[run])
        plan.runs = {e: [r for r in runs if r in keep] for e, runs in plan.runs.items() if any(r in keep for r in runs)}
        plan.elections = [e for e in configured if e in plan.runs]
        used = {e for run in keep for e in plan.needs_data[run]}
        plan.data_elections = [e for e in plan.data_elections if e in used or e in elections]
    return plan


def _check_acyclic(plan: Plan) -> None:
    state: dict[Run, int] = {}  # 1: on the current path, 2: done

    def visit(run: Run, path: list[Run]) -> None:
        if state.get(run) == 2:
            return
        if state.get(run) == 1:
            cycle = path[path.index(run) :] + [run]
            raise config.ConfigError("requires: circular dependency " + " -> ".join(map(str, cycle)))
        state[run] = 1
        for other in plan.needs_runs[run]:
            visit(other, [*path, run])
        state[run] = 2

    for run in plan.all_runs():
        visit(run, [])


def makefile(plan: Plan) -> str:
    """The plan as a make fragment (the format is described in docs/ARCHITECTURE.md)."""
    lines = [
        "# Generated by `python -m analysis.report.pipeline plan` from config/elections/*.yml and",
        "# config/notebooks/*.yml; the Makefile rebuilds it when they change. Do not edit.",
        f"PLAN_ELECTIONS := {' '.join(plan.elections)}",
        f"PLAN_DATA_ELECTIONS := {' '.join(plan.data_elections)}",
    ]
    for election in plan.elections:
        lines.append(f"PLAN_LEVEL_{election} := {plan.levels[election]}")
        lines.append(f"PLAN_RUNS_{election} := {' '.join(run.stamp for run in plan.runs[election])}")
    lines.append(f"PLAN_RUN_STAMPS := {' '.join(run.stamp for run in plan.all_runs())}")
    lines.append(f"PLAN_RUN_ORDER := {' '.join(run.stamp for run in run_order(plan))}")
    lines.append(f"PLAN_DATA_STAMPS := {' '.join(data_stamp(e) for e in plan.data_elections)}")
    lines.append("")
    lines.append("# Data of an election: the repository files it is prepared from.")
    for election in plan.data_elections:
        lines.append(f"{data_stamp(election)}: {' '.join(map(_mk, plan.data_inputs.get(election, [])))}".rstrip())
    lines.append("")
    lines.append("# Runs: the data they read, then the runs whose results they read (those run first).")
    for run in plan.all_runs():
        needs = [data_stamp(e) for e in plan.needs_data[run]] + [r.stamp for r in plan.needs_runs[run]]
        lines.append(f"{run.stamp}: {' '.join(needs)}".rstrip())
    return "\n".join(lines) + "\n"


def describe(plan: Plan) -> str:
    """A readable summary: one line per run with what it needs."""
    out = []
    for run in plan.all_runs():
        needs = [f"data:{e}" for e in plan.needs_data[run]] + [str(r) for r in plan.needs_runs[run]]
        out.append(f"{run}  <- {', '.join(needs) or 'nothing'}")
    return "\n".join(out)
