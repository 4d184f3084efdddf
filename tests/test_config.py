import pytest
import yaml

from analysis.core import config, paths
from analysis.core.config import ConfigError, notebook_parameters, parse_overrides


def test_parse_overrides_literals_and_strings():
    got = parse_overrides("alpha=0.01 n_sims=200, station_types=['ordinary', 'abroad'] turnout_definition=boxes")
    assert got == {
        "alpha": 0.01,
        "n_sims": 200,
        "station_types": ["ordinary", "abroad"],
        "turnout_definition": "boxes",
    }
    assert parse_overrides("") == {}
    assert parse_overrides("flag=True x=None") == {"flag": True, "x": None}


@pytest.mark.parametrize("bad", ["alpha", "1x=2", "=3"])
def test_parse_overrides_rejects_malformed(bad):
    with pytest.raises(ConfigError):
        parse_overrides(bad)


def _write(path, data):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(data), encoding="utf-8")


def _notebook(path, parameters, levels=("station",), requires=()):
    _write(path, {"levels": list(levels), "requires": list(requires), "parameters": parameters})


def test_parameter_precedence(tmp_path):
    _write(tmp_path / "analysis.yml", {"alpha": {"default": 0.05, "help": "a"}, "seed": {"default": 1, "help": "s"}})
    _notebook(
        tmp_path / "notebooks" / "nb.yml", {"alpha": {"default": 0.1, "help": "a"}, "n": {"default": 5, "help": "n"}}
    )
    _write(tmp_path / "elections" / "x.yml", {"title": "X", "level": "synthetic", "params": {"n": 7}})
    got = notebook_parameters(
        "nb", "x", declared=["alpha", "n", "election"], overrides={"alpha": 0.01}, config_dir=tmp_path
    )
    assert got == {"alpha": 0.01, "election": "x", "n": 7}  # seed not declared: not passed


def test_parameter_file_entries_need_default_and_help(tmp_path):
    _write(tmp_path / "analysis.yml", {"alpha": 0.05})
    with pytest.raises(ConfigError, match="alpha"):
        notebook_parameters("nb", "x", config_dir=tmp_path)


def test_unknown_election_is_a_clear_error():
    with pytest.raises(ConfigError, match="unknown election 'atlantis'"):
        config.load_election("atlantis")


def test_readme_parameter_table_is_current():
    readme = (paths.ROOT / "README.md").read_text(encoding="utf-8")
    assert config.readme_with_parameter_table(readme) == readme, (
        "README's parameter table is out of date: run `.venv/bin/python -m analysis.core.config sync-readme`"
    )


def test_notebook_parameter_cells_match_their_config_defaults():
    """Every notebook's `parameters` cell and config/notebooks/<nb>.yml agree on names and defaults."""
    import papermill

    for nb in sorted(paths.NOTEBOOKS.glob("*.ipynb")):
        declared = papermill.inspect_notebook(str(nb))
        assert "election" in declared, f"{nb.name}: no `election` parameter"
        spec_path = paths.CONFIG / "notebooks" / f"{nb.stem}.yml"
        spec = config.load_notebook(nb.stem).parameters
        shared = config.shared_parameters()
        for name, info in declared.items():
            if name == "election":
                continue
            entry = spec.get(name) or shared.get(name)
            assert entry is not None, (
                f"{nb.name}: parameter {name!r} is documented in neither {spec_path.name} nor analysis.yml"
            )
            nb_default = eval(info["default"], {})  # literal from the notebook's parameters cell
            assert nb_default == entry["default"], (
                f"{nb.name}: {name} = {nb_default!r} in the notebook, {entry['default']!r} in config"
            )


def test_yaml_non_string_parameter_names_are_rejected(tmp_path):
    (tmp_path / "analysis.yml").write_text("null:\n  default: 1\n  help: h\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="not a valid identifier"):
        notebook_parameters("nb", "x", config_dir=tmp_path)


# --- the notebook declarations (config/notebooks/<nb>.yml) -----------------------------------


def test_every_notebook_declaration_and_election_is_valid():
    for notebook in config.list_notebooks():
        spec = config.load_notebook(notebook)
        assert spec.levels and set(spec.levels) <= set(config.LEVELS)
        assert (paths.NOTEBOOKS / f"{notebook}.ipynb").exists(), notebook
    for election in config.list_elections():
        assert config.load_election(election)["level"] in config.LEVELS


@pytest.mark.parametrize(
    ("declaration", "message"),
    [
        ({"parameters": {}}, "missing `levels:`"),
        ({"levels": ["station"], "paramters": {}}, "unknown key(s) 'paramters'"),
        ({"levels": ["precinct"]}, "levels: ['precinct'] must be a non-empty list"),
        ({"levels": []}, "must be a non-empty list"),
        ({"levels": ["station"], "requires": {"data": "x"}}, "requires: must be a list"),
        ({"levels": ["station"], "requires": [{"election": "x"}]}, "requires[0]: must be a mapping with `notebook:`"),
        ({"levels": ["station"], "requires": [{"data": "x", "notebook": "y"}]}, "unknown key(s) 'data'"),
        ({"levels": ["station"], "requires": [{"data": "{control"}]}, "requires[0].data: '{control'"),
        ({"levels": ["station"], "requires": [{"data": "x", "level": ["region"]}]}, "unknown key(s) 'level'"),
        ({"levels": ["station"], "parameters": {"n": {"defualt": 1, "help": "h"}}}, "parameter 'n' must be a mapping"),
        (
            {"levels": ["station"], "parameters": {"n": {"default": 1, "help": "h", "hlep": "x"}}},
            "unknown key(s) 'hlep'",
        ),
        (
            {"levels": ["station"], "parameters": {"n": {"default": 1, "help": "h", "typ": "int"}}},
            "unknown key(s) 'typ' (allowed: default, help, type, nullable, min, max",
        ),
        (
            {"levels": ["station"], "parameters": {"n": {"default": 0, "help": "h", "type": "int", "min": 1}}},
            "parameters: its default breaks its own rule: parameter n=0: must be an int >= 1",
        ),
        ({"levels": ["station"], "budget": "fraud"}, "budget: 'fraud' is not one of tests, fraud_estimators"),
    ],
)
def test_notebook_declaration_errors_name_file_and_key(tmp_path, declaration, message):
    _write(tmp_path / "notebooks" / "nb.yml", declaration)
    with pytest.raises(ConfigError) as info:
        config.load_notebook("nb", tmp_path)
    assert str(tmp_path / "notebooks" / "nb.yml") in str(info.value) and message in str(info.value)


def test_requirement_defaults(tmp_path):
    requires = [{"notebook": "02_protocols"}, {"data": "{control}", "levels": ["region"]}]
    _notebook(tmp_path / "notebooks" / "nb.yml", {}, requires=requires)
    run, data = config.load_notebook("nb", tmp_path).requires
    assert (run.kind, run.election, run.notebook, run.levels) == (
        "notebook",
        "{election}",
        "02_protocols",
        config.LEVELS,
    )
    assert (data.kind, data.election, data.levels) == ("data", "{control}", ("region",))
    assert config.load_notebook("nb", tmp_path).budget == "tests"  # issue 10's budget unless declared


# --- election configs (config/elections/<id>.yml) --------------------------------------------

ELECTION = {"title": "T", "level": "station", "dataset": "t", "leader": "A", "control": None, "params": {}}


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"contorl": "pl2020r1"}, "unknown key(s) 'contorl'"),
        ({"level": "precinct"}, "level: 'precinct' is not one of station, region, synthetic"),
        ({"title": None}, "title: None is not str"),
        ({"order": "first"}, "order: 'first' is not int"),
        ({"dataset": None}, "a station-level election needs 'dataset'"),
        ({"control": "../x"}, "control: '../x' is not a valid election id"),
        ({"params": {"alhpa": 0.01}}, "params: unknown parameter(s) 'alhpa'"),
    ],
)
def test_election_errors_name_file_and_key(tmp_path, changes, message):
    _write(tmp_path / "analysis.yml", {"alpha": {"default": 0.05, "help": "a"}})
    _write(tmp_path / "elections" / "t.yml", {**ELECTION, **changes})
    with pytest.raises(ConfigError) as info:
        config.load_election("t", tmp_path)
    assert str(tmp_path / "elections" / "t.yml") in str(info.value) and message in str(info.value)


def test_missing_election_key(tmp_path):
    _write(tmp_path / "elections" / "t.yml", {k: v for k, v in ELECTION.items() if k != "level"})
    with pytest.raises(ConfigError, match="missing key 'level'"):
        config.load_election("t", tmp_path)


@pytest.mark.parametrize("bad", ["../../config/elections/g", "Kz2011", "kz-2011", "", "kz 2011", "kz2011/"])
def test_election_ids_are_lower_case_letters_digits_and_underscores(bad):
    with pytest.raises(ConfigError, match="not a valid election id"):
        config.load_election(bad)


def test_election_file_with_a_bad_name_is_refused(tmp_path):
    _write(tmp_path / "elections" / "Bad-Name.yml", ELECTION)
    with pytest.raises(ConfigError, match=r"Bad-Name.yml: file name: 'Bad-Name' is not a valid election id"):
        config.list_elections(tmp_path)


def test_resolve_elections_errors():
    with pytest.raises(ConfigError, match="not an election id or a list"):
        config.resolve_elections("{n}", {"n": 3}, {}, "w")
    with pytest.raises(ConfigError, match="'../x' is not a valid election id"):
        config.resolve_elections("{control}", {"control": "../x"}, {}, "w")
    assert config.resolve_elections("{control}", {}, {}, "w") == []
