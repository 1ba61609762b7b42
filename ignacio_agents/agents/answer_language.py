"""Is an answer written in the language it should be? A function-word count, for Spanish and
English (the languages the program runs in and the section labels exist for).

An answer cannot avoid function words ("de", "que", "para" / "the", "and", "with"), so counting
them tells the two languages apart reliably on anything longer than a sentence, offline and the
same way every run. Code, links and quotations are left out first: a Spanish answer that quotes
an English file, or names an English tool, is still a Spanish answer.
"""

from __future__ import annotations

import re
import unicodedata

# Words of one language that the other does not use (shared ones such as "a", "no", "me" are
# left out of both).
_SPANISH_WORDS = """
    el la los las un una unos unas y o pero que de del al en con por para sin sobre entre hasta
    desde es son esta estan ser estar hay muy mas menos tambien como cuando donde porque si ya
    lo le les se su sus tu tus mi mis nuestro nuestra este esta estos estas ese esa eso esto cada
    puedes puede pueden tienes tiene tienen hacer te nos que cual cuanto segun aqui asi bien
    mejor primero despues antes ahora hoy semana mes año meses años tener
"""
_ENGLISH_WORDS = """
    the an and or but that of in on with by for without about between until from is are was
    were be been being it its this these those there their they them you your we our us i my
    not do does did have has had can could should would will may might must if then than when
    where why how what which who very more less also as at to into so just first next now
    today week month year
"""
_NOISE = re.compile(
    r"```.*?```|`[^`]*`|https?://\S+|\[[^\]]*\]\([^)]*\)|«[^»]*»|“[^”]*”|\"[^\"]*\"", re.S)
_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)
MIN_WORDS = 6  # below this many function words, a text is too short to judge
CHECKED = frozenset({"es", "en"})


def _fold(word: str) -> str:
    return unicodedata.normalize("NFKD", word).encode("ascii", "ignore").decode()


_SPANISH = frozenset(_fold(w) for w in _SPANISH_WORDS.split())
_ENGLISH = frozenset(_ENGLISH_WORDS.split())


def language_scores(text: str) -> dict[str, int]:
    """Function-word hits per language, quotations, code and links excluded."""
    words = [_fold(w) for w in _WORD.findall(_NOISE.sub(" ", text.lower()))]
    return {"es": sum(w in _SPANISH for w in words), "en": sum(w in _ENGLISH for w in words)}


def wrong_language(text: str, expected: str) -> str | None:
    """The language ``text`` is clearly written in when that is not ``expected``, else None
    (right language, too short to tell, or a language this check does not know)."""
    if expected not in CHECKED:
        return None
    scores = language_scores(text)
    other = "en" if expected == "es" else "es"
    if scores[other] >= MIN_WORDS and scores[other] > 2 * scores[expected]:
        return other
    return None
