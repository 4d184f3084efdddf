"""How a results file was made: the ``provenance_*`` keys the runner adds to every results file.

:func:`run_provenance` is computed before a notebook runs (the code, configuration and data it
starts from) and added to its results file after it succeeded (or written with a skip):

- ``provenance_parameters``: the merged parameters passed to the notebook, as a JSON string
  (sorted keys);
- ``provenance_parameters_nondefault``: comma-separated names (sorted) whose value differs from
  the configured default (config/analysis.yml, then the notebook's ``parameters``), so set by
  the election's ``params:`` or by ``PARAMS``; ``election`` is never listed; ``""`` when none;
- ``provenance_dataset`` and ``provenance_dataset_sha256``: the election's catalog dataset and
  its sha256 (:func:`dataset_sha256`); null for elections without data (``calibration``);
- ``provenance_control_elections`` and ``provenance_control_dataset_sha256``: the other
  elections whose data or results the run reads (the notebook's ``requires`` resolved with the
  run's parameters, as the run plan does: a control or reference elections), comma-separated,
  and their datasets' sha256 in the same order; ``""`` and null when none;
- ``provenance_package_version``: the installed ``election-forensics`` distribution (null when
  not installed);
- ``provenance_git_commit`` and ``provenance_git_dirty``: ``HEAD`` of the project's git
  repository and whether the project folder holds uncommitted changes (modified, staged or
  untracked files that are not ignored); both null where git or the repository is missing.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
import os
import subprocess
from pathlib import Path

from analysis.core import config, paths
from analysis.data import sources

PREFIX = "provenance_"
PACKAGE = "election-forensics"
GIT_TIMEOUT_S = 20


def parameters_json(parameters: dict) -> str:
    """The parameters as one JSON string (sorted keys): results files are flat."""
    return json.dumps(parameters, sort_keys=True, ensure_ascii=False, default=str)


def default_parameters(notebook: str, config_dir: Path | None = None) -> dict:
    """Configured defaults of a notebook's parameters: config/analysis.yml, then its own ``parameters``."""
    defaults = {name: entry["default"] for name, entry in config.shared_parameters(config_dir).items()}
    defaults.update({k: e["default"] for k, e in config.load_notebook(notebook, config_dir).parameters.items()})
    return defaults


def nondefault_parameters(notebook: str, parameters: dict, config_dir: Path | None = None) -> list[str]:
    """Names in ``parameters`` (``election`` aside) whose value is not the configured default."""
    defaults = default_parameters(notebook, config_dir)
    return sorted(
        name
        for name, value in parameters.items()
        if name != "election" and (name not in defaults or defaults[name] != value)
    )


def tree_sha256(folder: Path) -> str:
    """sha256 of a folder's files: of the ``sha256sum`` lines (``<hex>  <relative path>``) sorted by path.

    The same as ``cd <folder> && find . -type f -printf '%P\\n' | LC_ALL=C sort | xargs sha256sum | sha256sum``
    (for names without spaces).
    """
    files = sorted((p for p in folder.rglob("*") if p.is_file()), key=lambda p: p.relative_to(folder).as_posix())
    lines = "".join(
        f"{hashlib.sha256(p.read_bytes()).hexdigest()}  {p.relative_to(folder).as_posix()}\n" for p in files
    )
    return hashlib.sha256(lines.encode("utf-8")).hexdigest()


def dataset_sha256(election: str, root: Path | None = None) -> tuple[str | None, str | None]:
    """``(dataset id, sha256)`` of the data an election reads; ``(None, None)`` without a dataset.

    The catalog's ``sha256`` (every file fetched is verified against it); for a local ``path:``
    without one, the file's sha256 (None while it is missing); for data embedded in the
    repository (``data/raw/<election or dataset>/``), :func:`tree_sha256` of that folder.
    """
    root = Path(root) if root is not None else paths.ROOT
    dataset_id = config.load_election(election, root / "config").get("dataset")
    if not dataset_id:
        return None, None
    # the entry as catalogued (sources), not the adapter-validated catalog (datasets): the same
    # answer, without importing every adapter in each run's process
    entry = sources.catalog_entry(dataset_id, root)
    if sources.is_embedded(entry):
        raw = root / "data" / "raw"
        folder = raw / election if (raw / election).exists() else raw / dataset_id
        return dataset_id, tree_sha256(folder) if folder.is_dir() else None
    if entry.get("sha256"):
        return dataset_id, str(entry["sha256"]).lower()
    found = sources.local_file(entry, root)
    return dataset_id, sources.file_sha256(found) if found is not None else None


def control_elections(
    notebook: str, election: str, overrides: dict | None = None, root: Path | None = None
) -> list[str]:
    """Other elections with data whose data or results the run reads (its ``requires``, resolved as the plan does)."""
    config_dir = (Path(root) if root is not None else paths.ROOT) / "config"
    cfg = config.load_election(election, config_dir)
    spec = config.load_notebook(notebook, config_dir)
    parameters = config.notebook_parameters(notebook, election, overrides=overrides, config_dir=config_dir)
    where = f"config/notebooks/{notebook}.yml: requires (run {election}/{notebook})"
    found: list[str] = []
    for req in spec.requires:
        if cfg["level"] not in req.levels:
            continue
        for other in config.resolve_elections(req.election, parameters, cfg, where, config_dir):
            if other != election and other not in found and config.load_election(other, config_dir).get("dataset"):
                found.append(other)
    return found


def _git(root: Path, *args: str) -> str | None:
    try:
        done = subprocess.run(
            ["git", *args],
            cwd=root,
            capture_output=True,
            text=True,
            timeout=GIT_TIMEOUT_S,
            check=False,
            # runs in parallel (make -j) must not contend for .git/index.lock: read only
            env={**os.environ, "GIT_OPTIONAL_LOCKS": "0"},
        )
    except (OSError, subprocess.SubprocessError):  # no git here, or it hung
        return None
    return done.stdout if done.returncode == 0 else None


def git_state(root: Path | None = None) -> tuple[str | None, bool | None]:
    """``(commit, dirty)`` of the git repository holding ``root``; ``(None, None)`` without git or repository.

    Dirty: files under ``root`` modified, staged, deleted or untracked (and not ignored).
    """
    root = Path(root) if root is not None else paths.ROOT
    commit = _git(root, "rev-parse", "--verify", "HEAD")
    if commit is None:
        return None, None
    status = _git(root, "status", "--porcelain", "--", ".")
    return commit.strip(), None if status is None else bool(status.strip())


def package_version() -> str | None:
    try:
        return importlib.metadata.version(PACKAGE)
    except importlib.metadata.PackageNotFoundError:
        return None


def run_provenance(
    notebook: str, election: str, parameters: dict, overrides: dict | None = None, root: Path | None = None
) -> dict:
    """The ``provenance_*`` keys of one run (``parameters``: the merged values passed to the notebook)."""
    root = Path(root) if root is not None else paths.ROOT
    dataset, sha256 = dataset_sha256(election, root)
    controls = control_elections(notebook, election, overrides, root)
    control_sha = [dataset_sha256(other, root)[1] or "" for other in controls]
    commit, dirty = git_state(root)
    return {
        f"{PREFIX}parameters": parameters_json(parameters),
        f"{PREFIX}parameters_nondefault": ",".join(nondefault_parameters(notebook, parameters, root / "config")),
        f"{PREFIX}dataset": dataset,
        f"{PREFIX}dataset_sha256": sha256,
        f"{PREFIX}control_elections": ",".join(controls),
        f"{PREFIX}control_dataset_sha256": ",".join(control_sha) if controls else None,
        f"{PREFIX}package_version": package_version(),
        f"{PREFIX}git_commit": commit,
        f"{PREFIX}git_dirty": dirty,
    }
