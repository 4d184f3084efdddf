"""Catalog entries are checked against a schema: unknown keys and wrong types are errors naming key, entry and file.

Issue 13, item 3: a typo in a catalog key (``registred:``) used to become an extra column,
or be ignored, leaving ``registered`` all missing without a word.
"""

from __future__ import annotations

import pytest
import yaml

from analysis.core import config
from analysis.data import catalog, datasets
from test_datasets import make_root


def _edit(root, change):
    path = root / "config" / "datasets.yml"
    cat = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(cat["tl2030"])
    path.write_text(yaml.safe_dump(cat, allow_unicode=True), encoding="utf-8")
    return path


def test_the_real_catalog_passes():
    assert {"ru2011", "pl2020r1", "kz2011"} <= set(datasets.load_catalog())


def test_misspelt_column_name_is_an_error_naming_key_entry_and_file(tmp_path):
    root = make_root(tmp_path)

    def typo(entry):
        entry["columns"]["registred"] = entry["columns"].pop("registered")

    path = _edit(root, typo)
    with pytest.raises(config.ConfigError) as err:
        datasets.load_catalog(root)
    msg = str(err.value)
    assert str(path) in msg and "entry 'tl2030'" in msg and "key 'columns.registred'" in msg
    assert "did you mean 'registered'?" in msg


def test_unknown_top_level_key_is_an_error(tmp_path):
    root = make_root(tmp_path)
    _edit(root, lambda e: e.update(registred="Voters"))
    with pytest.raises(
        config.ConfigError, match=r"entry 'tl2030' \(adapter generic_csv\): key 'registred': unknown key"
    ):
        datasets.load_catalog(root)


def test_extra_that_is_a_misspelt_canonical_column_is_an_error(tmp_path):
    root = make_root(tmp_path)

    def typo(entry):
        entry["extras"] = {"registred": entry["columns"].pop("registered")}

    _edit(root, typo)
    with pytest.raises(
        config.ConfigError, match=r"key 'extras.registred': looks like a misspelling of the canonical 'registered'"
    ):
        datasets.load_catalog(root)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda e: e["read"].update(sepp=";"), r"key 'read.sepp': unknown key \(did you mean 'sep'\?\)"),
        (lambda e: e.update(station_type="bunker"), r"key 'station_type': 'bunker' is not one of 'ordinary'"),
        (
            lambda e: e.update(station_type={"column": "T", "map": {"H": "hospitl"}}),
            r"key 'station_type.map.H': 'hospitl'",
        ),
        (lambda e: e.update(ignore="Address"), r"key 'ignore': must be a list, not str"),
        (lambda e: e.update(leader=["Ann"]), r"key 'leader': must be text, not list"),
        (lambda e: e.update(embedded=True), r"`embedded: True` contradicts adapter 'generic_csv'"),
    ],
)
def test_wrong_values_are_errors(tmp_path, change, message):
    root = make_root(tmp_path)
    _edit(root, change)
    with pytest.raises(config.ConfigError, match=message):
        datasets.load_catalog(root)


def test_spec_language():
    spec = {
        "a": int,
        "b": catalog.MappingOf(catalog.ListOf(str), keys=frozenset({"x"})),
        "c": catalog.OneOf(str, {"d": bool}),
    }
    catalog.check({"a": 1, "b": {"x": ["s"]}, "c": {"d": False}}, spec)
    catalog.check({"c": "text"}, spec)
    for bad, where in [
        ({"a": True}, "a"),
        ({"b": {"y": []}}, "b.y"),
        ({"b": {"x": [1]}}, "b.x.0"),
        ({"c": {"e": 1}}, "c.e"),
    ]:
        with pytest.raises(Exception) as err:
            catalog.check(bad, spec)
        assert err.value.where == where
