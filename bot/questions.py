"""What a question asks for (a date, a number, a person, a place, a reason…) and whether a sentence has it.

French and English rules; used by the extractive answerer to prefer sentences that contain the
kind of answer the question wants, not just its words.
"""
from __future__ import annotations

import re

from ingest.lexical import fold

WHEN, NUMBER, DURATION, PERSON, PLACE, REASON, OTHER = "when", "number", "duration", "person", "place", "reason", "other"

# Patterns on the folded (lower-case, accentless) question; the first that matches wins.
_QUESTION_TYPES: list[tuple[str, re.Pattern]] = [
    (DURATION, re.compile(r"\b(how long|combien de (temps|jours|mois|annees|ans|semaines|heures|minutes|siecles)"
                          r"|depuis combien|pendant combien|for how many (years|days|months|weeks))\b")),
    (WHEN, re.compile(r"\b(when|what (year|date|day|month|time|century)|which (year|date|day|month|century)"
                      r"|since when|quand|depuis quand|(en|a|de|dans|vers) (quelle|quel) (annee|date|epoque|siecle|an|mois|jour|periode|decennie)"
                      r"|quelle (annee|date|epoque|periode|decennie)|quel (siecle|jour|mois))\b")),
    (NUMBER, re.compile(r"\b(how (many|much|old|far|big|large|high|tall|long)|combien|what (number|percentage|share|amount|proportion)"
                        r"|quel(le)? (est le |est la )?(nombre|pourcentage|montant|somme|part|proportion|taux|age|population|prix|cout|superficie|distance|altitude|hauteur|longueur|effectif)"
                        r"|a quelle (distance|altitude|hauteur|vitesse)|quel age)\b")),
    (REASON, re.compile(r"\b(why|pourquoi|for what reason|pour quelle raison|what caused|what led|qu.est.ce qui a (cause|provoque|entraine))\b")),
    (PERSON, re.compile(r"\b(who|whom|whose|qui|a qui|par qui|de qui|quel(le)? (homme|femme|personne|personnalite|president|presidente|dirigeant|joueur|joueuse|auteur|ecrivain|roi|reine|general|ministre|artiste|peintre|architecte|entraineur|pape|empereur))\b")),
    (PLACE, re.compile(r"\b(where|in which (city|country|town|region|place)|what (city|country|town|region|place)"
                       r"|ou |d.ou|dans quel(le)? (ville|pays|region|lieu|departement|endroit|commune|continent)"
                       r"|quel(le)? (ville|pays|region|lieu|departement|endroit|commune|continent|fleuve|riviere))")),
]

_MONTHS = ("janvier fevrier mars avril mai juin juillet aout septembre octobre novembre decembre "
           "january february march april may june july august september october november december").split()
_DAYS = "lundi mardi mercredi jeudi vendredi samedi dimanche monday tuesday wednesday thursday friday saturday sunday".split()
_NUMBER_WORDS = ("un une deux trois quatre cinq six sept huit neuf dix onze douze treize quatorze quinze seize vingt trente "
                 "quarante cinquante soixante cent cents mille million millions milliard milliards dizaine dizaines centaine "
                 "centaines millier milliers moitie tiers quart "
                 "one two three four five six seven eight nine ten eleven twelve twenty thirty forty fifty hundred hundreds "
                 "thousand thousands million millions billion billions dozen dozens half").split()
_TIME_UNITS = ("jour jours semaine semaines mois an ans annee annees siecle siecles heure heures minute minutes decennie "
               "decennies day days week weeks month months year years century centuries hour hours minute minutes decade decades").split()

_YEAR_RE = re.compile(r"\b(1[0-9]{3}|20[0-9]{2})\b")
_DATE_RE = re.compile(r"\b(" + "|".join(_MONTHS + _DAYS) + r"|siecle|century|hier|yesterday|aujourd.hui|today|demain|tomorrow"
                      r"|plus tot|plus tard|earlier|later|ago|il y a|auparavant|lendemain|veille|epoque|annees|[0-9]{1,2}/[0-9]{1,2})\b")
_NUMBER_RE = re.compile(r"\d|\b(" + "|".join(_NUMBER_WORDS) + r")\b")
_DURATION_RE = re.compile(r"(\d|\b(" + "|".join(_NUMBER_WORDS) + r"|plusieurs|several|quelques|few))\W+(\w+\W+)?(" + "|".join(_TIME_UNITS) + r")\b")
_REASON_RE = re.compile(r"\b(parce que|parce qu|car|en raison|a cause|grace a|afin de|afin d|pour|because|due to|owing to|since|as a result|so that|in order to|raison|cause|suite a|apres que|after)\b")
_NAME_RE = re.compile(r"(?<![.!?]\s)(?<!^)\b[A-ZÀ-Ý][\w'’-]+(?:\s+(?:de |d'|von |van |del |da )?[A-ZÀ-Ý][\w'’-]+)*")
_PLACE_RE = re.compile(r"\b(a|au|aux|en|dans|near|in|at|from|de|pres de|sud|nord|est|ouest|south|north|east|west)\s+(?:l[ae' ]\s*)?[A-ZÀ-Ý]")


def question_type(question: str) -> str:
    """One of ``when``, ``duration``, ``number``, ``reason``, ``person``, ``place`` or ``other``."""
    q = " " + fold(question) + " "
    for name, pattern in _QUESTION_TYPES:
        if pattern.search(q):
            return name
    return OTHER


def has_expected_answer(kind: str, sentence: str, question: str = "") -> bool:
    """True when ``sentence`` contains something of the kind a ``kind`` question asks for.

    A date, number or name that also appears in the question does not count: it is the
    question's own context, not its answer.
    """
    if kind == OTHER:
        return False
    s = fold(sentence)
    q = fold(question)
    if kind == WHEN:
        return any(y not in q for y in _YEAR_RE.findall(s)) or any(m.group(0) not in q for m in _DATE_RE.finditer(s))
    if kind == DURATION:
        return bool(_DURATION_RE.search(s))
    if kind == NUMBER:
        return any(m.group(0) not in q for m in _NUMBER_RE.finditer(s))
    if kind == REASON:
        return bool(_REASON_RE.search(s))
    if kind == PERSON:
        return any(fold(m.group(0)) not in q for m in _NAME_RE.finditer(sentence))
    if kind == PLACE:
        return bool(_PLACE_RE.search(sentence)) or any(fold(m.group(0)) not in q for m in _NAME_RE.finditer(sentence))
    return False


_FR_WORDS = frozenset("""le la les un une des du de au aux et est sont que qui quoi quel quelle quels quelles combien quand
comment pourquoi où ou dans sur pour par avec ce cette ces il elle ils elles on a ont été était avait avaient fait
dit se sa son ses leur leurs pas ne plus y en avant après""".split())
_EN_WORDS = frozenset("""the a an and is are was were what which who whom whose when where why how many much did do does
has have had of in on for with to from by about that this these those it its they their he she his her
before after""".split())
_WORD_RE = re.compile(r"[\w'’-]+")


def question_language(question: str) -> str:
    """"fr" or "en" for a question (function words and accents; statistical detectors are unreliable
    on a few words), or "" when there is no clue."""
    toks = [t.lower().replace("’", "'") for t in _WORD_RE.findall(question)]
    parts = [p for t in toks for p in re.split(r"'", t) if p]
    fr = sum(1 for p in parts if p in _FR_WORDS) + sum(1 for t in toks if "'" in t and t.split("'")[0] in ("l", "d", "qu", "n", "s", "c", "j"))
    en = sum(1 for p in parts if p in _EN_WORDS)
    if re.search(r"[éèêàùçôîœ]", question.lower()):
        fr += 1
    if fr == en:
        return ""
    return "fr" if fr > en else "en"
