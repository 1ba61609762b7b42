"""A tiny Spanish/English detector for answers, good enough to catch a reply in the wrong language.

It counts frequent function words (which a reply cannot avoid) plus Spanish-only characters. No
model and no download, so it works offline and gives the same verdict every run. Code, URLs and
Markdown punctuation are removed first so an English library name inside a Spanish answer does
not tip the balance.
"""

from __future__ import annotations

import re
import unicodedata

from evals.cases import Language

_SPANISH_WORDS = """
    el la los las un una unos unas y o pero que de del al en con por para sin sobre entre hasta
    desde es son está están ser estar hay muy más menos también como cuando donde porque si no
    ya lo le les se su sus tu tus mi mis nuestro nuestra nuestros nuestras vuestro vuestra este
    esta estos estas ese esa eso esto cada puedes puede pueden tienes tiene tienen hacer te me
    nos os qué cómo cuál cuánto cuándo dónde según aquí así bien mejor primero después antes
    ahora hoy semana mes año meses años clientes proyecto equipo
"""
# Words both languages use ("a", "no", "me", "he", "has") are left out of the English list.
_ENGLISH_WORDS = """
    the an and or but that of in on with by for without about between until from is are was
    were be been being it its this these those there their they them you your yours we our us i
    my she his her not do does did have had can could should would will shall may
    might must if then than when where why how what which who whom very more less also as at to
    into so just first next now today week month year months years customers project team
"""
_SPANISH = frozenset(_SPANISH_WORDS.split())
_ENGLISH = frozenset(_ENGLISH_WORDS.split())
_SPANISH_CHARS = re.compile(r"[ñ¿¡áéíóú]")
_NOISE = re.compile(r"```.*?```|`[^`]*`|https?://\S+|\[[^\]]*\]\([^)]*\)", re.S)
_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)


def _fold(word: str) -> str:
    return unicodedata.normalize("NFKD", word).encode("ascii", "ignore").decode()


_SPANISH_FOLDED = frozenset(_fold(w) for w in _SPANISH)


def language_scores(text: str) -> dict[Language, float]:
    """Evidence for each language: stopword hits, plus Spanish-only characters."""
    clean = _NOISE.sub(" ", text.lower())
    words = _WORD.findall(clean)
    es = sum(1 for w in words if w in _SPANISH or _fold(w) in _SPANISH_FOLDED)
    en = sum(1 for w in words if w in _ENGLISH)
    es += 0.5 * len(_SPANISH_CHARS.findall(clean))
    return {"es": float(es), "en": float(en)}


def detect_language(text: str) -> Language | None:
    """``"es"``, ``"en"``, or None when there is too little text to tell."""
    scores = language_scores(text)
    es, en = scores["es"], scores["en"]
    if max(es, en) < 2:
        return None
    if es == en:
        return None
    return "es" if es > en else "en"
