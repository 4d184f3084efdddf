"""The results-tree comparison used to show that a refactor left every number unchanged."""

import json

from analysis.report.compare import compare_trees, main


def _tree(root, files):
    for rel, mapping in files.items():
        path = root / f"{rel}.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(mapping))
    return root


def test_identical_trees_have_no_difference(tmp_path):
    files = {"ru2011/05_digits": {"a": 1, "b": 0.5, "c": None, "s": "x"}}
    assert compare_trees(_tree(tmp_path / "a", files), _tree(tmp_path / "b", files)) == []


def test_every_kind_of_difference_is_reported(tmp_path):
    before = _tree(tmp_path / "a", {"e/n": {"a": 1, "b": 0.5, "gone": 2}, "e/lost": {"x": 1}})
    after = _tree(tmp_path / "b", {"e/n": {"a": 1, "b": 0.5000001, "new": 3}})
    diffs = compare_trees(before, after)
    assert "e/lost: no e/lost.json in " + str(tmp_path / "b") in diffs
    assert "e/n: b: 0.5 -> 0.5000001" in diffs
    assert "e/n: key 'gone' missing after (2)" in diffs
    assert "e/n: key 'new' added (3)" in diffs
    assert len(diffs) == 4
    # a tolerance absorbs the rounding difference only
    assert len(compare_trees(before, after, rtol=1e-6)) == 3


def test_rename_and_ignore(tmp_path, capsys):
    before = _tree(tmp_path / "a", {"kz/03_old": {"k": 1, "commit": "abc"}})
    after = _tree(tmp_path / "b", {"kz/03_new": {"k": 1, "commit": "def"}})
    assert compare_trees(before, after, rename={"kz/03_old": "kz/03_new"}, ignore=("commit",)) == []
    assert main([str(before), str(after), "--rename", "kz/03_old=kz/03_new"]) == 1
    assert "kz/03_old: commit: 'abc' -> 'def'" in capsys.readouterr().out
