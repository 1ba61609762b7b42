"""Which language a message is in, from a few cues (Spanish or English).

Used wherever no model is there to say: the keyword router, the fallback apology, the offline
model, and a router answer whose language code is unusable. Deliberately small and
deterministic; a real router's ``Route.language`` is preferred whenever it is usable.
"""

from __future__ import annotations

import re
import unicodedata

DEFAULT_LANGUAGE = "es"


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


_ES_WORDS = _words(
    "de la el que y en los las un una mi mis es por para con como hola gracias se lo del al "
    "tengo quiero puedo nuestro nuestra muy pero mas buenas buenos dias tardes cual cuanto donde "
    "esto este esta estoy hacer necesito ayuda proyecto le pongo"
)
_EN_WORDS = _words(
    "the and to of is my i how what do you can for with hello hi thanks thank we our it this that "
    "should does are want need help project me your would could which much where"
)


def fold(text: str) -> str:
    """Lower case without accents ("Planificación" -> "planificacion"), for matching stems."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def detect_language(text: str, default: str = DEFAULT_LANGUAGE) -> str:
    """'es' or 'en' from a few cues; ``default`` when the text says nothing either way."""
    es = 2 * sum(text.count(c) for c in "¿¡ñÑáéíóú")
    words = re.findall(r"[a-z]+", fold(text))
    es += sum(w in _ES_WORDS for w in words)
    en = sum(w in _EN_WORDS for w in words)
    if es == en:
        return default
    return "es" if es > en else "en"
