"""Parameter values are checked against their entry's rule before any notebook runs (issue 13, item 9).

Before: ``PARAMS="alpha=2"`` exited 0 with conclusions "rejects at 2"; ``alpha=-1``,
``seed=abc``, ``n_sims=0`` and ``turnout_definition=foo`` failed late, some with unclear
errors (StopIteration, IndexError) after several notebooks had run. After: each parameter
entry declares its type and range or choices (analysis.core.parameters), and ``check-params``
(run by make before any notebook), the plan, election ``params:`` and the merged values of a
run refuse a value outside them with one line naming parameter, value and what is allowed.
"""

from __future__ import annotations

import shutil

import nbformat
import pytest
import yaml

from analysis.core import canonical, config, parameters, paths
from analysis.report import pipeline

REPO = paths.ROOT


def _write(path, data):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")


# --- the project's own parameter entries ------------------------------------------------------


def _entries():
    for source, spec in config.parameter_specs().items():
        for name, entry in spec.items():
            yield source, name, entry


def test_every_parameter_declares_a_type_and_its_default_satisfies_it():
    entries = list(_entries())
    assert len(entries) > 80
    for source, name, entry in entries:
        assert entry.get("type") in parameters.TYPES, f"{source}: {name} declares no type"
        assert parameters.spec_error(entry, paths.CONFIG) is None, (source, name)
        assert parameters.value_error(name, entry["default"], entry, paths.CONFIG) is None, (source, name)


def test_choices_in_config_match_the_code_that_takes_them():
    from analysis.data import kz2011
    from analysis.stats import distributions, full_turnout, measures
    from analysis.synthetic import simulate

    specs = config.parameter_specs()
    assert tuple(specs["analysis"]["turnout_definition"]["choices"]) == measures.TURNOUT_DEFINITIONS
    assert tuple(specs["03_distributions"]["weighting"]["choices"]) == distributions.WEIGHTINGS
    assert set(specs["04_full_turnout"]["null_model"]["choices"]) == set(full_turnout.NULLS)
    assert set(specs["04_full_turnout"]["null_model_threshold"]["choices"]) < set(full_turnout.NULLS)
    assert tuple(specs["07_calibration_power"]["power_grid"]["keys"]["choices"]) == simulate.FRAUD_TYPES
    assert set(specs["01_clean_kz2011"]["leader"]["choices"]) == set(kz2011.CANDIDATES)
    # issue 10: pseudo-stations stay out of notebook 03's station-level statistics by default
    assert tuple(specs["03_distributions"]["exclude_station_types"]["default"]) == canonical.PSEUDO_STATION_TYPES
    for source, name, entry in _entries():
        if name.endswith("station_types"):
            assert tuple(entry["items"]["choices"]) == canonical.STATION_TYPES, (source, name)


# --- check-params (make runs it before any notebook) -------------------------------------------


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ("alpha=2", "parameter alpha=2: must be a number > 0 and < 1 (config/analysis.yml)"),
        ("alpha=-1", "parameter alpha=-1: must be a number > 0 and < 1 (config/analysis.yml)"),
        ("seed=abc", "parameter seed='abc': must be an int >= 0 (config/analysis.yml)"),
        ("n_sims=0", "parameter n_sims=0: must be an int >= 1 (config/notebooks/05_digits.yml)"),
        (
            "turnout_definition=foo",
            "parameter turnout_definition='foo': must be one of issued, boxes (config/analysis.yml)",
        ),
        ("seed=True", "parameter seed=True: must be an int >= 0"),  # a bool is not an int
        ("seed=1.5", "parameter seed=1.5: must be an int >= 0"),
        ("n_boot=-1", "parameter n_boot=-1: must be an int >= 0 (config/notebooks/05_digits.yml)"),
        ("tol=0.5", "parameter tol=0.5: must be a number > 0 and < 0.5 (config/notebooks/06_integer_spikes.yml)"),
        ("control=atlantis", "parameter control='atlantis': must be null or a name in config/elections/; known: "),
        ("station_types=[]", "must be null or a non-empty list (each item: one of ordinary, abroad"),
        ("station_types=['ordnary']", "parameter station_types=['ordnary']: must be null or a non-empty list"),
        ("hist_xlim=[20]", "must be a list of 2 items (each item: a number >= 0 and <= 100); it has 1 item(s)"),
        ("power_grid={'incremental':[2]}", "'incremental' is [2]; item 0 is 2"),
        ("n_elections_by_scenario={'pl2020like':3}", "key 'pl2020like'; known: kz2011-like, pl2020-like, ru2011-like"),
        ("fit_theta=1", "parameter fit_theta=1: must be true or false"),
    ],
)
def test_check_params_refuses_values_outside_the_rule(params, message, capsys):
    assert pipeline.main(["check-params", "--params", params]) == 1
    err = capsys.readouterr().err
    assert message in err, err
    assert len(err.strip().splitlines()) == 1 and err.startswith("ERROR: PARAMS: parameter ")


def test_check_params_accepts_values_inside_the_rule():
    ok = (
        "alpha=0.01 seed=0 n_sims=1 n_boot=0 turnout_definition=boxes control=pl2020r1 station_types=['ordinary'] "
        "resolution_coarse=1 threshold=1 rozenas_fit_stations=None hist_xlim=[0,100] fit_theta=True "
        "n_elections_by_scenario=None power_grid={'extreme':[0,0.5,1]} reference_elections=[]"
    )
    assert pipeline.main(["check-params", "--params", ok]) == 0
    assert pipeline.main(["check-params", "--params", "alhpa=0.01"]) == 1  # unknown names stay an error


def test_a_name_declared_by_several_notebooks_meets_every_rule(tmp_path):
    _write(tmp_path / "analysis.yml", {})
    for nb, low in (("nb1", 0), ("nb2", 1)):
        rule = {"default": 5, "help": "h", "type": "int", "min": low}
        _write(tmp_path / "notebooks" / f"{nb}.yml", {"levels": ["station"], "parameters": {"n": rule}})
    config.check_parameter_values({"n": 1}, tmp_path)
    with pytest.raises(config.ConfigError, match=r"parameter n=0: must be an int >= 1 \(.*nb2.yml\)"):
        config.check_parameter_values({"n": 0}, tmp_path)


# --- rules in the config files -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ({"type": "float", "mni": 0}, "unknown key(s) 'mni'"),
        ({"type": "number"}, "type: 'number' is not one of int, float, bool, str, list, mapping"),
        ({"type": "str", "min": 0}, "'min' applies to int, float, not to str"),
        ({"type": "float", "max": "1"}, "max: '1' is not a number"),
        ({"type": "float", "exclusive_min": True}, "'exclusive_min' needs 'min'"),
        ({"type": "str", "choices": []}, "choices: [] is not a non-empty list of str values"),
        ({"type": "str", "in_config": "nowhere"}, "in_config: 'nowhere' is not a folder of"),
        ({"type": "list", "items": {"type": "int", "mni": 0}}, "items: unknown key(s) 'mni'"),
        ({"type": "list", "items": {"min": 0}}, "items: 'type' is required"),
        ({"min": 0}, "'type' is required with other rule keys"),
        (
            {"type": "float", "min": 0, "max": 1, "default": 2},
            "its default breaks its own rule: parameter alpha=2: must be a number >= 0 and <= 1",
        ),
        ({"type": "int", "default": 0.5}, "its default breaks its own rule: parameter alpha=0.5: must be an int"),
    ],
)
def test_a_bad_rule_or_a_default_outside_it_is_an_error_naming_the_file(tmp_path, entry, message):
    _write(tmp_path / "analysis.yml", {"alpha": {"default": 0.05, "help": "a", **entry}})
    with pytest.raises(config.ConfigError) as info:
        config.shared_parameters(tmp_path)
    assert str(tmp_path / "analysis.yml") in str(info.value) and message in str(info.value), str(info.value)


def test_election_params_and_merged_values_are_checked(tmp_path):
    _write(tmp_path / "analysis.yml", {"alpha": {"default": 0.05, "help": "a", "type": "float", "min": 0, "max": 1}})
    _write(tmp_path / "notebooks" / "nb.yml", {"levels": ["synthetic"], "parameters": {}})
    _write(tmp_path / "elections" / "x.yml", {"title": "X", "level": "synthetic", "params": {"alpha": 0.1}})
    assert config.notebook_parameters("nb", "x", config_dir=tmp_path)["alpha"] == 0.1
    with pytest.raises(config.ConfigError, match=r"parameter alpha=-0.1: must be a number >= 0 and <= 1 \(.*analysis"):
        config.notebook_parameters("nb", "x", overrides={"alpha": -0.1}, config_dir=tmp_path)
    _write(tmp_path / "elections" / "x.yml", {"title": "X", "level": "synthetic", "params": {"alpha": 2}})
    with pytest.raises(config.ConfigError) as info:
        config.load_election("x", tmp_path)
    assert f"{tmp_path / 'elections' / 'x.yml'}: params: parameter alpha=2: must be a number >= 0" in str(info.value)


def test_values_keep_their_type():
    rule = {"type": "float", "min": 0}
    assert parameters.value_error("x", 3, rule, paths.CONFIG) is None  # an int where a number is declared
    assert parameters.value_error("x", True, rule, paths.CONFIG) is not None  # a bool is not a number
    assert parameters.value_error("x", float("nan"), rule, paths.CONFIG) is not None
    merged = config.notebook_parameters("06_integer_spikes", "ru2011", overrides={"tol": 0.1})
    assert type(merged["hist_xlim"][0]) is int and type(merged["tol"]) is float


# --- make: a bad value stops the run before any notebook ----------------------------------------


@pytest.fixture
def tiny_project(tmp_path):
    """Makefile + src + one synthetic election and one notebook whose parameters carry rules."""
    root = tmp_path / "proj"
    shutil.copytree(REPO / "src", root / "src", ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
    shutil.copy(REPO / "Makefile", root / "Makefile")
    shutil.copy(REPO / "pyproject.toml", root / "pyproject.toml")
    cfg = root / "config"
    alpha = {"default": 0.05, "help": "a", "type": "float", "min": 0, "exclusive_min": True, "max": 1}
    _write(cfg / "analysis.yml", {"alpha": {**alpha, "exclusive_max": True}})
    _write(cfg / "datasets.yml", {})
    _write(cfg / "elections" / "sa.yml", {"title": "SA", "level": "synthetic", "dataset": None})
    n = {"default": 3, "help": "n", "type": "int", "min": 1}
    _write(cfg / "notebooks" / "n1.yml", {"levels": ["synthetic"], "parameters": {"n": n}})
    book = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell('election = "sa"\nalpha = 0.05\nn = 3')
    cell.metadata["tags"] = ["parameters"]
    body = "from analysis.core.results import write_results\nwrite_results(election, 'n1', {'n': n})"
    book.cells = [nbformat.v4.new_markdown_cell("# n1"), cell, nbformat.v4.new_code_cell(body)]
    book.metadata["kernelspec"] = {"name": pipeline.KERNEL_NAME, "display_name": "py", "language": "python"}
    (root / "notebooks").mkdir()
    nbformat.write(book, root / "notebooks" / "n1.ipynb")
    (root / "data" / "processed").mkdir(parents=True)
    return root


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ("alpha=2", "parameter alpha=2: must be a number > 0 and < 1 (config/analysis.yml)"),
        ("n=0", "parameter n=0: must be an int >= 1 (config/notebooks/n1.yml)"),
    ],
)
def test_make_with_a_bad_value_fails_before_any_notebook(tiny_project, run_make, params, message):
    bad = run_make(tiny_project, "all", f"PARAMS={params}")
    assert bad.returncode != 0
    assert message in bad.stderr, bad.stderr
    assert not [line for line in bad.stderr.splitlines() if line.startswith("RUN ")]
    assert not (tiny_project / "reports" / "results").exists()
