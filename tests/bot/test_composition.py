"""How the reader's answer is composed on the sample articles: it leads with a sentence of an
article about the question's subject, quotes a further sentence only when it adds something, and
gives the date a short answer names."""
from __future__ import annotations

import pytest
from newsbot_testdata import CALL_QUESTION, sample

from bot.answer_types import Answer, Citation, Passage
from bot.newsbot import NewsBot, short_answer_date
from bot.reader import Reader
from bot.reading_answerer import ReadingAnswerer, adds_words

IRAN = "What did Trump and Putin say about Iran?"


@pytest.fixture(scope="module")
def reader() -> Reader:
    return Reader()


@pytest.fixture(scope="module")
def bot(samples_store, reader) -> NewsBot:
    return NewsBot(samples_store, answerer=ReadingAnswerer(reader=reader))


def test_the_iran_question_leads_with_the_iran_sentence_and_the_example_with_the_call(bot):
    iran = bot.ask(IRAN)
    assert not iran.refused
    assert iran.answer.startswith("Elle avait surtout porté sur la guerre entre Israël et l'Iran.")
    assert {c.article_id for c in iran.citations} == {"sample-trump-poutine-appel"}
    call = bot.ask(CALL_QUESTION, as_of="2025-07-04")
    assert call.answer.startswith("Les présidents américain et russe, Donald Trump et Vladimir Poutine, ont eu "
                                  "un entretien téléphonique le jeudi 3 juillet 2025.")


def passage(article_id: str, rank: int) -> Passage:
    a = sample(article_id)
    return Passage(chunk_id=f"{article_id}:0", text=a["text"],
                   metadata={"article_id": article_id, "title": a["title"], "lang": a["lang"],
                             "published": a["published"]}, dense_score=0.9 - rank / 10)


def test_an_article_off_the_subject_never_leads_even_when_retrieved_first(reader):
    """Whatever the retrieval order, the answer opens with the Iran sentence of the article about
    Trump, Putin and Iran, and nothing of the rocket article is quoted."""
    ariane, call = passage("sample-ariane6-commercial", 0), passage("sample-trump-poutine-appel", 1)
    answerer = ReadingAnswerer(reader=reader, min_confidence=-1e9)
    assert answerer.about(IRAN, [ariane, call], "en") == {1}
    for passages in ([ariane, call], [call, ariane]):
        answer = answerer.answer(IRAN, passages, lang="en")
        assert answer.answer.startswith("Elle avait surtout porté sur la guerre entre Israël et l'Iran.")
        assert [c.article_id for c in answer.citations] == ["sample-trump-poutine-appel"]
    # Without the rule the reader, reading sentence by sentence, leads with the rocket article.
    loose = ReadingAnswerer(reader=reader, min_confidence=-1e9, subject_ratio=0.0, unsure_margin=0.0)
    assert loose.answer(IRAN, [ariane, call], lang="en").citations[0].article_id == "sample-ariane6-commercial"


def test_a_further_sentence_is_quoted_only_when_it_adds_words():
    first = "Leur précédente conversation datait du 14 juin 2025."
    assert adds_words("Elle avait surtout porté sur la guerre entre Israël et l'Iran.", [first])
    assert not adds_words("Leur conversation datait du 14 juin.", [first])          # nothing new
    assert not adds_words("Trump and Putin spoke about Iran.", [], "What did Trump and Putin say about Iran?")


def test_a_short_answer_that_is_a_time_phrase_gets_its_date():
    text = "Les présidents ont eu un entretien téléphonique le jeudi 3 juillet 2025. Ils se sont parlé."
    c = Citation(n=1, article_id="a", title="t", source="", url="", published="2025-07-03", passage=text,
                 start=0, end=len(text), highlight=[[0, 72]],
                 dates=[{"text": "jeudi 3 juillet 2025", "start": 51, "end": 71, "value": "2025-07-03"}])
    answer = Answer(question="Quand ?", answer=text, refused=False, citations=[c], short_answer="jeudi 3 juillet 2025")
    assert short_answer_date(answer) == "2025-07-03"
    answer.short_answer = "entretien téléphonique"
    assert short_answer_date(answer) == ""
    answer.short_answer = ""
    assert short_answer_date(answer) == ""


def test_the_date_of_the_short_answer_reaches_the_json(bot):
    answer = bot.ask(CALL_QUESTION, as_of="2025-07-04")
    d = answer.to_dict()
    assert {"short_answer", "short_date"} <= set(d)
    if answer.short_answer:
        assert d["short_date"] in ("", "2025-07-03", "2025-06-14")
