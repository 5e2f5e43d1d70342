"""Extractive answers: question types, sentence choice, citation offsets and refusals, on the real
seed store (the sample article on the Trump–Putin call, in French; questions in French and English
from tests/data/call_qa.jsonl)."""
from __future__ import annotations

import json

import pytest
from newsbot_testdata import call_qa, sample

from bot.answer_types import Passage
from bot.answerer import REFUSAL
from bot.events import AnswerEvent
from bot.extractive import ExtractiveAnswerer, compose_answer
from bot.newsbot import NewsBot
from bot.questions import (
    DURATION,
    NUMBER,
    OTHER,
    PERSON,
    PLACE,
    REASON,
    WHEN,
    has_expected_answer,
    question_language,
    question_type,
)
from bot.sentence_scorer import SentenceScorer

SEED = call_qa()
ARTICLE = sample()["text"]


@pytest.fixture(scope="module")
def bot(seed_store) -> NewsBot:
    # The hand-weighted scorer (the reader's first pass, and the answerer with NEWSBOT_READER=false).
    return NewsBot(seed_store, answerer=ExtractiveAnswerer())


@pytest.mark.parametrize("question, kind", [
    ("When did Trump and Putin last speak?", WHEN),
    ("Quand Trump et Poutine avaient-ils parlé de l'Iran ?", WHEN),
    ("En quelle année Jakob Böhme tombe-t-il malade ?", WHEN),
    ("How many soldiers die each week?", NUMBER),
    ("Combien d'employeurs", NUMBER),
    ("How long has the war in Ukraine lasted?", DURATION),
    ("Depuis combien de temps dure la guerre ?", DURATION),
    ("Who won the 2022 football World Cup?", PERSON),
    ("Qui a annoncé l'appel téléphonique ?", PERSON),
    ("Pourquoi la relation s'est-elle dégradée ?", REASON),
    ("Why were so many Patriot interceptors used?", REASON),
    ("Dans quelle ville prend-elle sa retraite ?", PLACE),
    ("What did Trump say about the Ukrainian resistance?", OTHER),
])
def test_question_type(question, kind):
    assert question_type(question) == kind


def test_expected_answer_ignores_what_the_question_already_says():
    assert has_expected_answer(WHEN, "Le dernier entretien remontait au 14 juin.")
    assert not has_expected_answer(WHEN, "Les deux dirigeants se sont parlé.")
    assert has_expected_answer(NUMBER, "5 000 soldats meurent chaque semaine.")
    assert not has_expected_answer(NUMBER, "Il y avait 2022 participants.", "Combien en 2022 ?")
    assert has_expected_answer(DURATION, "ce conflit qui dure depuis plus de trois ans.")
    assert has_expected_answer(PERSON, "La décision a été prise par Elbridge Colby hier.")


@pytest.mark.parametrize("question, lang", [("When did they last speak?", "en"), ("Et avant ?", "fr"),
                                            ("Quel montant en 2003", "fr"), ("Why?", "en")])
def test_question_language(question, lang):
    assert question_language(question) == lang


# The scorer alone quotes a neighbouring sentence first for c03, c04, c05 and c07 (the answer then
# follows it); the reader's first sentence holds c03 and c05 (test_reader.py).
@pytest.mark.parametrize("qid", ["c01", "c02", "c06", "c08"])
def test_answer_quotes_the_sentence_with_the_answer(bot, qid):
    item = SEED[qid]
    answer = bot.ask(item["question"])
    assert not answer.refused and answer.citations
    first_quote = answer.answer.split(" [1]")[0]
    assert any(a in first_quote for a in item["answers"])
    cit = answer.citations[0]
    assert cit.n == 1
    assert first_quote in [cit.passage[s:e] for s, e in cit.highlight]  # a highlight is exactly the quoted sentence
    assert ARTICLE[cit.start:cit.end] == cit.passage  # and the passage sits at its offsets in the article
    for c in answer.citations:
        assert f"[{c.n}]" in answer.answer
        for hs, he in c.highlight:
            assert c.passage[hs:he] in answer.answer


@pytest.mark.parametrize("qid", ["c09", "c10"])
def test_unanswerable_questions_are_refused(bot, qid):
    answer = bot.ask(SEED[qid]["question"])
    assert answer.refused and answer.citations == []
    assert answer.answer == REFUSAL["fr" if qid == "c10" else "en"]


@pytest.mark.parametrize("qid", ["c01", "c02", "c03", "c04", "c05", "c06", "c07", "c08"])
def test_answerable_questions_are_not_refused(bot, qid):
    assert not bot.ask(SEED[qid]["question"]).refused


def test_answer_type_decides_between_sentences_sharing_the_question_words():
    text = ("Les ministres se sont réunis à Bruxelles pour le sommet sur le climat. "
            "Le sommet sur le climat s'est ouvert le 12 mars 2024 à Bruxelles.")
    p = Passage("a-1", text, {"article_id": "a", "lang": "fr", "start": 0, "end": len(text)}, dense_score=0.9)
    answer = ExtractiveAnswerer(max_sentences=1).answer("Quand s'est ouvert le sommet sur le climat ?", [p], lang="fr")
    assert answer.answer.startswith("Le sommet sur le climat s'est ouvert le 12 mars 2024")


def test_compose_answer_numbers_citations_by_first_use():
    from bot.sentence_scorer import ScoredSentence

    p1 = Passage("a-1", "Alpha one. Alpha two.", {"article_id": "a", "title": "A", "start": 100, "end": 121})
    p2 = Passage("b-1", "Beta one.", {"article_id": "b", "title": "B", "start": 0, "end": 9})
    chosen = [ScoredSentence(1, 0, 9, 1.0, False, 2.0), ScoredSentence(0, 11, 21, 1.0, False, 1.5),
              ScoredSentence(1, 0, 9, 1.0, False, 1.0)]
    answer = compose_answer("q", [p1, p2], chosen[:2], 0.9)
    assert answer.answer == "Beta one. [1] Alpha two. [2]"
    assert [(c.n, c.article_id, c.highlight) for c in answer.citations] == [(1, "b", [[0, 9]]), (2, "a", [[11, 21]])]
    assert answer.citations[1].start == 100
    d = answer.to_dict()
    assert set(d) >= {"question", "answer", "refused", "citations", "timings"}
    assert set(d["citations"][0]) >= {"n", "article_id", "title", "source", "url", "published", "passage", "start",
                                      "end", "highlight"}
    json.dumps(d)


def test_no_passages_means_refusal_in_the_question_language():
    answer = ExtractiveAnswerer().answer("Qui a gagné ?", [], lang="fr")
    assert answer.refused and answer.answer == REFUSAL["fr"] and answer.citations == []


def test_the_answerer_contract_defaults_and_the_recorded_config():
    from bot.answerer import Answerer
    from bot.extractive import AnswerConfig

    answerer = ExtractiveAnswerer(config=AnswerConfig(min_evidence=0.5), max_sentences=1)
    assert isinstance(answerer, Answerer) and not answerer.streams_tokens
    assert answerer.min_evidence == 0.5 and answerer.max_sentences == 1
    assert answerer.describe() == {"answerer": "extractive", **AnswerConfig(min_evidence=0.5, max_sentences=1).__dict__}
    assert answerer.rewrite("And before?", []) is None
    p = Passage("c1", "Le sommet sur le climat s'est ouvert le 3 mars à Paris.", {"article_id": "a", "lang": "fr"},
                dense_score=0.9, sentences=[(0, 55, 0.9)])
    assert answerer.order_passages("Quand ?", [p]) == [p]
    events = list(answerer.stream("Quand s'est ouvert le sommet sur le climat ?", [p], "fr"))
    assert [type(e) for e in events] == [AnswerEvent]
    assert events[0].answer.answer == answerer.answer("Quand s'est ouvert le sommet sur le climat ?", [p], "fr").answer
    with pytest.raises(TypeError):
        Answerer()  # answer() is the one method every answerer must write


def test_the_scorer_weighs_the_question_words_by_the_idf_it_is_given():
    p = Passage("c1", "Le sommet s'est ouvert à Paris. Le climat se réchauffe vite.", {"article_id": "a", "lang": "fr"})
    question = "Quand s'est ouvert le sommet sur le climat ?"

    def rare(prefix):
        return lambda stem: 8.0 if stem.startswith(prefix) else 0.5

    def coverage(idf):
        return {p.text[s.start:s.end]: s.coverage for s in SentenceScorer().score(question, [p], "fr", idf)}

    climate, summit = coverage(rare("clim")), coverage(rare("somm"))
    assert climate["Le climat se réchauffe vite."] > summit["Le climat se réchauffe vite."]
    assert summit["Le sommet s'est ouvert à Paris."] > climate["Le sommet s'est ouvert à Paris."]
