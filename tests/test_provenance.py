"""How results were made: the ``provenance_*`` keys (analysis.report.provenance).

Checked against independent sources: git's own answers in a temporary repository, the catalog's
sha256, ``sha256sum`` over the embedded Kazakhstan files, and the configured defaults.
"""

import json
import shutil
import subprocess

import pytest

from analysis.core import config, paths
from analysis.core.results import read_results, write_results
from analysis.data import datasets
from analysis.report import provenance

GIT = shutil.which("git")
needs_git = pytest.mark.skipif(GIT is None, reason="git is not installed")


def _git(repo, *args):
    subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True)


@pytest.fixture
def repo(tmp_path):
    """A git repository with one commit (reports/ ignored, as in the project)."""
    _git(tmp_path, "init", "-q")
    _git(tmp_path, "config", "user.email", "t@example.org")
    _git(tmp_path, "config", "user.name", "t")
    (tmp_path / ".gitignore").write_text("reports/\n")
    (tmp_path / "code.py").write_text("x = 1\n")
    _git(tmp_path, "add", ".")
    _git(tmp_path, "commit", "-q", "-m", "first")
    return tmp_path


@needs_git
def test_git_state_of_a_clean_tree(repo):
    head = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=repo, capture_output=True, text=True, check=True
    ).stdout.strip()
    (repo / "reports").mkdir()
    (repo / "reports" / "out.json").write_text("{}")  # ignored output does not make the tree dirty
    assert provenance.git_state(repo) == (head, False)


@needs_git
@pytest.mark.parametrize(
    "change",
    [
        lambda repo: (repo / "code.py").write_text("x = 2\n"),  # modified
        lambda repo: (repo / "new.py").write_text("y = 1\n"),  # untracked, not ignored
        lambda repo: (repo / "code.py").unlink(),  # deleted
    ],
    ids=["modified", "untracked", "deleted"],
)
def test_git_state_is_dirty_with_uncommitted_changes(repo, change):
    change(repo)
    commit, dirty = provenance.git_state(repo)
    assert len(commit) == 40 and dirty is True


def test_git_state_without_repository_or_git(tmp_path, monkeypatch):
    assert provenance.git_state(tmp_path) == (None, None)  # /tmp is in no repository
    monkeypatch.setenv("PATH", str(tmp_path / "nothing-here"))  # no git executable at all
    assert provenance.git_state(paths.ROOT) == (None, None)


def test_tree_sha256_matches_sha256sum_of_the_sorted_files(tmp_path):
    if not (shutil.which("sha256sum") and shutil.which("find")):
        pytest.skip("sha256sum / find not installed")
    (tmp_path / "b.csv").write_text("b\n")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "a.csv").write_bytes(b"\x00\x01")
    (tmp_path / "A.md").write_text("upper case sorts first\n")
    shell = "find . -type f -printf '%P\\n' | LC_ALL=C sort | xargs sha256sum | sha256sum"
    expected = subprocess.run(shell, shell=True, cwd=tmp_path, capture_output=True, text=True, check=True).stdout
    assert provenance.tree_sha256(tmp_path) == expected.split()[0]


def test_dataset_sha256_of_catalogued_embedded_and_synthetic_elections():
    assert provenance.dataset_sha256("ru2011") == ("ru2011", datasets.dataset_entry("ru2011")["sha256"])
    dataset, sha = provenance.dataset_sha256("kz2011")
    assert dataset == "kz2011" and sha == provenance.tree_sha256(paths.DATA_RAW / "kz2011")
    assert provenance.dataset_sha256("calibration") == (None, None)


def test_dataset_sha256_of_a_local_path_entry_hashes_the_file(tmp_path):
    (tmp_path / "config" / "elections").mkdir(parents=True)
    (tmp_path / "config" / "analysis.yml").write_text("{}")
    election = {"title": "L", "level": "station", "dataset": "local", "leader": "A"}
    (tmp_path / "config" / "elections" / "loc.yml").write_text(json.dumps(election))
    catalog = {"local": {"adapter": "generic_csv", "path": "data/local.csv"}}
    (tmp_path / "config" / "datasets.yml").write_text(json.dumps(catalog))
    assert provenance.dataset_sha256("loc", tmp_path) == ("local", None)  # missing file: unknown
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "local.csv").write_text("a,b\n1,2\n")
    assert provenance.dataset_sha256("loc", tmp_path)[1] == datasets.file_sha256(tmp_path / "data" / "local.csv")


@pytest.mark.parametrize(
    ("election", "notebook", "overrides", "expected"),
    [
        ("ru2011", "03_distributions", {}, ["pl2020r1"]),  # the election's `control:`
        ("pl2020r1", "03_distributions", {}, []),  # the control has none
        ("pl2020r1", "03_distributions", {"control": "ru2011"}, ["ru2011"]),  # the parameter wins
        ("kz2011", "04r_kz2011_full_turnout", {}, ["ru2011", "pl2020r1"]),  # reference_elections
        ("kz2011", "02r_kz2011_protocols", {}, ["ru2011"]),  # whose results it reads
        ("ru2011", "02_protocols", {}, []),
    ],
)
def test_control_elections_follow_the_requirements(election, notebook, overrides, expected):
    assert provenance.control_elections(notebook, election, overrides) == expected


def test_nondefault_parameters_name_what_differs_from_the_configured_defaults():
    parameters = config.notebook_parameters("06_integer_spikes", "ru2016")
    assert provenance.nondefault_parameters("06_integer_spikes", parameters) == []
    ru2011 = config.notebook_parameters("06_integer_spikes", "ru2011", overrides={"spike_total": "valid"})
    assert provenance.nondefault_parameters("06_integer_spikes", ru2011) == ["spike_total"]
    changed = {**parameters, "alpha": 0.01, "n_sims": 1000, "tol": 0.1, "hist_xlim": [0, 100]}
    # n_sims=1000 is 06's default (05's is 499): not listed
    assert provenance.nondefault_parameters("06_integer_spikes", changed) == ["alpha", "hist_xlim", "tol"]


def test_run_provenance_keys_are_flat_and_written_after_the_numbers(tmp_path):
    parameters = config.notebook_parameters("05_digits", "ru2016", overrides={"seed": 7})
    keys = provenance.run_provenance("05_digits", "ru2016", parameters, overrides={"seed": 7})
    assert all(k.startswith(provenance.PREFIX) for k in keys)
    assert json.loads(keys["provenance_parameters"])["seed"] == 7
    assert keys["provenance_parameters_nondefault"] == "seed"
    assert keys["provenance_control_elections"] == "pl2020r1"
    assert keys["provenance_control_dataset_sha256"] == datasets.dataset_entry("pl2020r1")["sha256"]
    write_results("ru2016", "05_digits", {"n": 1, **keys}, root=tmp_path)  # flat: accepted as it is
    assert read_results("ru2016", "05_digits", root=tmp_path)["provenance_parameters"] == keys["provenance_parameters"]
