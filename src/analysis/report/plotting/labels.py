"""Labels that readers of English can read: transliterated region names and election names.

Region names of non-Latin sources (Russia's CEC data are in Cyrillic) are shown transliterated
with the original beside it, ``"Altaysky kray (Алтайский край)"``. Transliteration follows
the Wikipedia romanisation of Russian as implemented by ``iuliia`` (Nalgeon's library of
standard Cyrillic-to-Latin schemas); Latin names pass unchanged.

:func:`make_readable` applies both to every text of a figure before it is saved
(:func:`analysis.report.plotting.save_figure`): election ids become the elections' short
titles (``ru2011`` → ``Russia 2011 (Duma)``, from ``short_title:`` in the election config)
and Cyrillic runs get their transliteration, so no notebook has to remember to do it.
"""

from __future__ import annotations

import re
from functools import lru_cache

import iuliia
from matplotlib.figure import Figure
from matplotlib.text import Text

from analysis.core import config, paths

_NON_LATIN = re.compile(r"[\u0400-\u04FF]")
# A run of Cyrillic words with the spaces, hyphens and dots between them.
_CYRILLIC_RUN = re.compile(r"[\u0400-\u04FF]+(?:[ .\-–—]+[\u0400-\u04FF]+)*\.?")
_LATIN = re.compile(r"[A-Za-z]")
_SMALL_FONT = 7.5  # points: at or below, a transliteration alone (no room for the original)


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


@lru_cache(maxsize=256)
def short_title(election: str) -> str:
    """The election's ``short_title`` (else country and year, else its id).

    Examples
    --------
    >>> short_title("ru2011")
    'Russia 2011 (Duma)'
    """
    try:
        cfg = config.load_election(election)
    except config.ConfigError:
        return election
    fallback = f"{cfg.get('country', '')} {str(cfg.get('date', ''))[:4]}".strip() or election
    return str(cfg.get("short_title") or fallback)


def _election_ids() -> re.Pattern | None:
    # the ids are the names of config/elections/*.yml (config.list_elections would also read
    # every file, for its order)
    return _ids_pattern(tuple(sorted(path.stem for path in (paths.CONFIG / "elections").glob("*.yml"))))


@lru_cache(maxsize=16)
def _ids_pattern(ids: tuple[str, ...]) -> re.Pattern | None:
    ids = sorted(ids, key=len, reverse=True)
    # not inside a longer name: ru2011-like (a scenario), ru2011copy, file names
    return re.compile(r"(?<![\w-])(" + "|".join(map(re.escape, ids)) + r")(?![\w-])") if ids else None


def readable_text(text: str, *, small: bool = False, ids: re.Pattern | None = None) -> str:
    """``text`` with election ids as short titles and Cyrillic runs transliterated.

    Examples
    --------
    >>> readable_text("ru2011: turnout in Москва")
    'Russia 2011 (Duma): turnout in Moskva (Москва)'
    >>> readable_text("Алтайский край", small=True)
    'Altaysky kray'
    >>> readable_text("Республика Саха (Якутия)")
    'Respublika Sakha (Yakutiya) (Республика Саха (Якутия))'
    >>> readable_text("ru2011-like scenario")
    'ru2011-like scenario'
    """
    ids = _election_ids() if ids is None else ids
    if ids is not None:
        text = ids.sub(lambda m: short_title(m.group(1)), text)
    if _NON_LATIN.search(text) and not _LATIN.search(text):  # a name in Cyrillic: one unit
        return transliterate(text) if small else f"{transliterate(text)} ({text})"
    if _NON_LATIN.search(text):
        text = _CYRILLIC_RUN.sub(
            lambda m: transliterate(m.group(0)) if small else f"{transliterate(m.group(0))} ({m.group(0)})", text
        )
    return text


def make_readable(fig: Figure) -> None:
    """Rewrite every text of ``fig`` with :func:`readable_text` (titles, labels, ticks, legends).

    Tick labels are fixed where they change (a categorical axis would otherwise draw its
    category names again at save time); every text is rewritten once.
    """
    # no draw first: get_ticklabels() formats the ticks at the current limits itself
    ids = _election_ids()
    ticks = set()
    for ax in fig.axes:
        for axis in (ax.xaxis, ax.yaxis):
            labels = axis.get_ticklabels()
            ticks.update(id(label) for label in labels)
            old = [label.get_text() for label in labels]
            small = bool(labels) and labels[0].get_fontsize() <= _SMALL_FONT  # get_ticklabels() re-formats the ticks
            new = [readable_text(s, small=small, ids=ids) for s in old]
            if new != old:
                axis.set_ticks(axis.get_ticklocs(), new)
    for text in fig.findobj(Text):
        content = text.get_text()
        if content and id(text) not in ticks:
            new = readable_text(content, small=text.get_fontsize() <= _SMALL_FONT, ids=ids)
            if new != content:
                text.set_text(new)
