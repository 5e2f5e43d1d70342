"""The web chat's words in English and French."""
from __future__ import annotations

LANGUAGES = {"en": "English", "fr": "Français"}

LABELS: dict[str, dict[str, str]] = {
    "en": {
        "title": "Newsbot — ask the news",
        "intro": "Ask a question about the indexed articles. Every claim cites a highlighted passage.",
        "question": "Your question",
        "placeholder": "e.g. When did Trump and Putin last speak?",
        "ask": "Ask",
        "clear": "New conversation",
        "examples": "Example questions",
        "filters": "Filters (apply to the next questions)",
        "outlet": "Outlet",
        "since": "Published from",
        "until": "Published until",
        "date_placeholder": "any date (YYYY-MM-DD)",
        "article_lang": "Article language",
        "any": "any",
        "add": "Add articles",
        "files": "Files (.txt .md .html .json .jsonl .xml .rss .atom)",
        "urls": "URLs, one per line",
        "ingest": "Add to the store",
        "helpful": "👍 Helpful",
        "unhelpful": "👎 Not helpful",
        "thanks": "Thanks, your feedback was recorded.",
        "nothing_to_rate": "Ask a question first.",
        "empty_question": "Type a question first.",
        "you": "You",
        "sources": "Sources",
        "untitled": "(untitled)",
        "undated": "undated",
        "empty": "No question yet.",
        "ui_lang": "Language / Langue",
        "example_q": "What do the articles say about “{title}”?",
        "nothing_to_add": "Choose files or paste URLs first.",
        "not_url": "not an http(s) URL; skipped",
        "ingest_running": "Ingesting… {inputs} inputs read, {articles} articles, {chunks} passages embedded, {errors} skipped",
        "ingest_done": "Done: {articles} articles ({new} new, {changed} changed, {unchanged} unchanged), {chunks} passages embedded, {errors} skipped, {seconds:.1f} s.",
        "ingest_busy": "Another ingest is running; it will start when that one ends.",
        "bad_inputs": "Skipped inputs:",
        "bad_date": "{field}: '{value}' is not a date like 2025-07-03",
        "too_long": "Question too long ({n} characters; the limit is {limit}).",
        "rate": "Too many questions: at most {limit} per minute; wait {wait} s.",
    },
    "fr": {
        "title": "Newsbot — interrogez l'actualité",
        "intro": "Posez une question sur les articles indexés. Chaque affirmation cite un passage surligné.",
        "question": "Votre question",
        "placeholder": "ex. Quand Trump et Poutine se sont-ils parlé pour la dernière fois ?",
        "ask": "Demander",
        "clear": "Nouvelle conversation",
        "examples": "Exemples de questions",
        "filters": "Filtres (pour les prochaines questions)",
        "outlet": "Média",
        "since": "Publiés à partir du",
        "until": "Publiés jusqu'au",
        "date_placeholder": "toute date (AAAA-MM-JJ)",
        "article_lang": "Langue des articles",
        "any": "toutes",
        "add": "Ajouter des articles",
        "files": "Fichiers (.txt .md .html .json .jsonl .xml .rss .atom)",
        "urls": "URL, une par ligne",
        "ingest": "Ajouter à la base",
        "helpful": "👍 Utile",
        "unhelpful": "👎 Pas utile",
        "thanks": "Merci, votre avis est enregistré.",
        "nothing_to_rate": "Posez d'abord une question.",
        "empty_question": "Écrivez d'abord une question.",
        "you": "Vous",
        "sources": "Sources",
        "untitled": "(sans titre)",
        "undated": "sans date",
        "empty": "Pas encore de question.",
        "ui_lang": "Language / Langue",
        "example_q": "Que disent les articles sur « {title} » ?",
        "nothing_to_add": "Choisissez des fichiers ou collez des URL d'abord.",
        "not_url": "pas une URL http(s) ; ignorée",
        "ingest_running": "Ajout en cours… {inputs} entrées lues, {articles} articles, {chunks} passages indexés, {errors} ignorées",
        "ingest_done": "Terminé : {articles} articles ({new} nouveaux, {changed} modifiés, {unchanged} inchangés), {chunks} passages indexés, {errors} ignorées, {seconds:.1f} s.",
        "ingest_busy": "Un autre ajout est en cours ; celui-ci commencera ensuite.",
        "bad_inputs": "Entrées ignorées :",
        "bad_date": "{field} : « {value} » n'est pas une date comme 2025-07-03",
        "too_long": "Question trop longue ({n} caractères ; la limite est {limit}).",
        "rate": "Trop de questions : au plus {limit} par minute ; attendez {wait} s.",
    },
}


def label(lang: str, key: str, **fmt) -> str:
    text = LABELS.get(lang, LABELS["en"]).get(key) or LABELS["en"][key]
    return text.format(**fmt) if fmt else text


def preferred_language(accept_language: str) -> str:
    """'fr' or 'en' from an Accept-Language header (English when neither is asked for)."""
    for part in (accept_language or "").split(","):
        code = part.split(";")[0].strip().lower()[:2]
        if code in LABELS:
            return code
    return "en"
