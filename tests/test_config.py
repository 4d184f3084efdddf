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


def test_parameter_precedence(tmp_path):
    _write(tmp_path / "analysis.yml", {"alpha": {"default": 0.05, "help": "a"}, "seed": {"default": 1, "help": "s"}})
    _write(tmp_path / "notebooks" / "nb.yml", {"alpha": {"default": 0.1, "help": "a"}, "n": {"default": 5, "help": "n"}})
    _write(tmp_path / "elections" / "x.yml", {"title": "X", "params": {"n": 7}})
    got = notebook_parameters("nb", "x", declared=["alpha", "n", "election"], overrides={"alpha": 0.01}, config_dir=tmp_path)
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
        spec = config.load_yaml(spec_path) if spec_path.exists() else {}
        shared = config.load_yaml(paths.CONFIG / "analysis.yml")
        for name, info in declared.items():
            if name == "election":
                continue
            entry = spec.get(name) or shared.get(name)
            assert entry is not None, f"{nb.name}: parameter {name!r} is documented in neither {spec_path.name} nor analysis.yml"
            nb_default = eval(info["default"], {})  # literal from the notebook's parameters cell
            assert nb_default == entry["default"], f"{nb.name}: {name} = {nb_default!r} in the notebook, {entry['default']!r} in config"


def test_yaml_non_string_parameter_names_are_rejected(tmp_path):
    (tmp_path / "analysis.yml").write_text("null:\n  default: 1\n  help: h\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="not a valid identifier"):
        notebook_parameters("nb", "x", config_dir=tmp_path)
