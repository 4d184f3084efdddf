"""config/published_estimates.yml: the published fraud-model estimates notebooks 08 and 09 show."""

import pytest

from analysis.core.errors import ConfigError
from analysis.report import fraud


def test_ru2011_has_klimek_and_mebane_kalinin():
    published = fraud.published_estimates("ru2011")
    assert published["klimek2012"]["fi"] == 0.64 and published["klimek2012"]["finite_mixture"] is False
    mk = published["mebane_kalinin"]
    assert mk["finite_mixture"] is True and (mk["fi"], mk["fe"], mk["alpha"]) == (0.1209418, 0.003225947, 1.755556)
    assert fraud.published_estimates("pl2020r1") == {}


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ("{source: x, fi: 0.1, beta: 2}", "unknown key 'beta'"),
        ("{source: x, fi: high}", "ru2011.k.fi: 'high' must be a number"),
        ("{fi: 0.1}", "must be a mapping with a `source:` citation"),
        ("{source: x, finite_mixture: 1}", "finite_mixture: must be true or false"),
    ],
)
def test_bad_entries_name_the_file_election_and_key(tmp_path, entry, message):
    (tmp_path / "published_estimates.yml").write_text(f"ru2011:\n  k: {entry}\n")
    with pytest.raises(ConfigError, match="published_estimates.yml: ru2011.k") as err:
        fraud.published_estimates("ru2011", config_dir=tmp_path)
    assert message in str(err.value)
