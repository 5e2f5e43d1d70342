"""More training examples for the reader: questions that come with the paragraph they were asked on.

- ``piaf-extra`` (French questions on the even-numbered PIAF articles, with the annotator's
  paragraph and answer offsets): the candidates are the sentences of the question's article,
  cut into passages the size the store's chunks have, the paragraph's passage and two others;
- XQuAD (SQuAD questions professionally translated into 11 languages, parallel by id): each
  question is paired with its paragraph *in another language* (an English question with a
  Spanish paragraph, a German question with the English one…), the cross-language reading the
  bot does when an English question finds a French article. The passages are the paragraph and
  two other paragraphs of the same Wikipedia article, in the paragraph's language.

As for RealTimeQA (:func:`training.reader_examples.rtqa_examples`), no store is built: the hand-weighted
scorer shortlists the passages' sentences as it does at run time, and a positive sentence it
left out is added at the shortlist's lowest score, so that every question teaches the span head.
Only the files of ``../shared/train`` are read; nothing of them is written into the repository.
"""
from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Callable, Iterable

from bot.answer_types import Passage
from bot.questions import question_language
from bot.reader_encoding import context_parts
from bot.sentence_scorer import SentenceScorer, first_distinct

from .reader_examples import _labelled, answer_span

# Paragraph languages of XQuAD that the sentence splitter reads (Thai, Chinese, Hindi and Arabic
# punctuate sentences in ways it does not split, so a "sentence" there is a whole paragraph).
XQUAD_LANGS = ("en", "es", "de", "ro", "ru", "el", "tr", "vi")
PASSAGE_CHARS = 1500


def candidates(question: str, answers: list[str], passages: list[Passage], lang: str, shortlist: int,
               scorer: SentenceScorer, rng: random.Random) -> list[dict]:
    """The scorer's ``shortlist`` over ``passages`` (best first), plus one positive sentence it
    left out, labelled as :func:`training.reader_examples._labelled` does."""
    from ingest.chunking import split_sentences

    ranked = scorer.score(question, passages, lang)
    picked = first_distinct(ranked, passages, shortlist)
    sentences = [passages[s.passage_rank].text[s.start:s.end] for s in picked]
    contexts = [context_parts(passages[s.passage_rank], s.start) for s in picked]
    scores = [s.score for s in picked]
    if not any(answer_span(s, answers) for s in sentences):
        extra = [(passages[i].text[a:b], i, a) for i, p in enumerate(passages) for a, b in split_sentences(p.text)
                 if 12 <= b - a <= 600 and answer_span(p.text[a:b], answers)]
        if extra:
            s, i, a = rng.choice(extra)
            sentences.append(s)
            contexts.append(context_parts(passages[i], a))
            scores.append(min(scores, default=0.0))
    return _labelled(sentences, answers, contexts, scores)


def windows(text: str, size: int = PASSAGE_CHARS) -> list[tuple[int, int]]:
    """``text`` cut at paragraph or sentence ends into pieces of about ``size`` characters."""
    from ingest.chunking import split_sentences

    out, start, last = [], 0, 0
    for _a, b in split_sentences(text):
        if b - start > size and last > start:
            out.append((start, last))
            start = last
        last = b
    if last > start:
        out.append((start, last))
    return out


def paragraph_examples(questions_path: Path, articles_path: Path, keep_article: Callable[[str], bool],
                       shortlist: int, source: str = "piaf-extra", seed: int = 0, limit: int = 0) -> list[dict]:
    """Examples of questions ``{id, question, answers, article_id, context?}`` (``piaf-extra``,
    the smoke run's) on the articles ``keep_article`` accepts: the candidates come from the
    passage holding the question's paragraph (or its first answer) and two others of its article."""
    articles = {}
    with open(articles_path, encoding="utf-8") as f:
        for line in f:
            a = json.loads(line)
            if keep_article(a["id"]):
                articles[a["id"]] = a
    rng, scorer, out = random.Random(seed), SentenceScorer(), []
    cuts: dict[str, list[tuple[int, int]]] = {}
    for q in _jsonl(questions_path, limit):
        art = articles.get(q.get("article_id", ""))
        if art is None:
            continue
        text, lang = art["text"], art.get("lang") or "fr"
        spans = cuts.setdefault(art["id"], windows(text))
        at = (text.find(q["context"][:200]) if q.get("context")
              else text.casefold().find(q["answers"][0].casefold()))
        home = [i for i, (a, b) in enumerate(spans) if a <= max(at, 0) < b][:1] or [0]
        others = [i for i in range(len(spans)) if i != home[0]]
        chosen = home + rng.sample(others, min(2, len(others)))
        meta = {"lang": lang, "title": art.get("title", "")}
        passages = [Passage(chunk_id=f"{art['id']}:{i}", text=text[spans[i][0]:spans[i][1]], metadata=meta)
                    for i in chosen]
        q_lang = question_language(q["question"]) or lang
        cands = candidates(q["question"], q["answers"], passages, q_lang, shortlist, scorer, rng)
        if any(c["label"] for c in cands):
            out.append({"id": q["id"], "question": q["question"], "source": source, "answers": q["answers"],
                        "cands": cands})
    return out


def _jsonl(path: Path, limit: int = 0) -> Iterable[dict]:
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f):
            if limit and n >= limit:
                break
            if line.strip():
                yield json.loads(line)


def _xquad_file(folder: Path, lang: str) -> dict[str, tuple[str, dict, list[dict]]]:
    """``{question id: (title, qa, paragraphs of its article)}`` of one language's file."""
    data = json.loads((folder / f"xquad.{lang}.json").read_text(encoding="utf-8"))["data"]
    out = {}
    for art in data:
        paras = art["paragraphs"]
        for p in paras:
            for qa in p["qas"]:
                out[qa["id"]] = (art.get("title", ""), {**qa, "context": p["context"]}, paras)
    return out


def xquad_pairings(ids: list[str], langs: tuple[str, ...], per_question: int, seed: int) -> list[tuple[str, str, str]]:
    """``(id, question language, paragraph language)``: for each question, ``per_question``
    pairings in two different languages, alternately an English question on a paragraph in
    another language and a question in another language on the English paragraph."""
    rng = random.Random(seed)
    others = [x for x in langs if x != "en"]
    out = []
    for i, qid in enumerate(ids):
        for j in range(per_question):
            other = rng.choice(others)
            out.append((qid, "en", other) if (i + j) % 2 == 0 else (qid, other, "en"))
    return out


def xquad_examples(folder: Path, shortlist: int, seed: int = 0, per_question: int = 2,
                   langs: tuple[str, ...] = XQUAD_LANGS, limit: int = 0) -> list[dict]:
    """Cross-language examples of XQuAD (see the module's docstring)."""
    files = {lang: _xquad_file(folder, lang) for lang in langs if (folder / f"xquad.{lang}.json").is_file()}
    if "en" not in files:
        raise FileNotFoundError(f"{folder}: no xquad.en.json")
    ids = sorted(files["en"])[: limit or None]
    rng, scorer, out = random.Random(seed), SentenceScorer(), []
    for qid, q_lang, p_lang in xquad_pairings(ids, tuple(files), per_question, seed):
        if qid not in files[q_lang] or qid not in files[p_lang]:
            continue
        question = files[q_lang][qid][1]["question"]
        title, qa, paras = files[p_lang][qid]
        answers = sorted({a["text"] for a in qa["answers"] if a["text"].strip()})
        home = next(i for i, p in enumerate(paras) if p["context"] == qa["context"])
        others = [i for i in range(len(paras)) if i != home]
        meta = {"lang": p_lang, "title": title}
        passages = [Passage(chunk_id=f"xquad:{p_lang}:{i}", text=paras[i]["context"], metadata=meta)
                    for i in [home] + rng.sample(others, min(2, len(others)))]
        cands = candidates(question, answers, passages, q_lang, shortlist, scorer, rng)
        if any(c["label"] for c in cands):
            out.append({"id": f"{qid}:{q_lang}-{p_lang}", "question": question, "source": "xquad-en-other" if q_lang == "en" else "xquad-other-en", "answers": answers,
                        "cands": cands})
    return out
