"""Labels that readers of English can read: transliterated region names and election names.

Region names of non-Latin sources (Russia's CEC data are in Cyrillic) are shown transliterated
with the original beside it, ``"Altaysky kray (Алтайский край)"``. Transliteration follows
the Wikipedia romanisation of Russian as implemented by ``iuliia`` (Nalgeon's library of
standard Cyrillic-to-Latin schemas); Latin names pass unchanged.
"""

from __future__ import annotations

import re
from functools import lru_cache

import iuliia

from analysis.core import config

_NON_LATIN = re.compile(r"[\u0400-\u04FF]")


@lru_cache(maxsize=4096)
def transliterate(name: str) -> str:
    """``name`` in Latin letters (Wikipedia romanisation of Russian); Latin text is unchanged.

    Examples
    --------
    >>> transliterate("Алтайский край")
    'Altaysky kray'
    >>> transliterate("Mazowieckie")
    'Mazowieckie'
    """
    return iuliia.WIKIPEDIA.translate(name) if _NON_LATIN.search(name) else name


def region_label(name: str) -> str:
    """``"Latin (original)"`` for a non-Latin region name, the name itself otherwise.

    Examples
    --------
    >>> region_label("Москва")
    'Moskva (Москва)'
    >>> region_label("Almaty city")
    'Almaty city'
    """
    latin = transliterate(str(name))
    return latin if latin == name else f"{latin} ({name})"


def election_name(election: str) -> str:
    """The election's title without its parenthesised source note, e.g. for figure titles.

    Unknown ids (e.g. a synthetic scenario) are returned as they are.
    """
    try:
        return str(config.load_election(election).get("title", election)).split(" (")[0]
    except config.ConfigError:
        return election
