"""The PIAF dev splits the reader is trained, calibrated and measured on, by article number.

- ``train``: even-numbered articles (``piaf-000``, ``piaf-002``…): the reader learns from these;
- ``heldout``: odd-numbered articles: never trained on; every reported PIAF number is on these;
  - ``calibrate`` (article number ≡ 1 mod 4) fixes the refusal threshold,
  - ``refusal-test`` (≡ 3 mod 4) measures refusals, with a store missing half of its articles.

    python -m training.splits ../shared/eval/piaf_dev.jsonl heldout > piaf_heldout.jsonl
"""
from __future__ import annotations

import argparse
import json
import sys


def article_number(article_id: str) -> int | None:
    try:
        return int(article_id.rsplit("-", 1)[1])
    except (IndexError, ValueError):
        return None


SPLITS = {
    "train": lambda n: n % 2 == 0,
    "heldout": lambda n: n % 2 == 1,
    "calibrate": lambda n: n % 4 == 1,
    "refusal-test": lambda n: n % 4 == 3,
}
# Articles removed from the refusal stores: their questions become unanswerable there.
REMOVED = {"calibrate": lambda n: n % 8 == 1, "refusal-test": lambda n: n % 8 == 3}


def in_split(article_id: str, split: str) -> bool:
    n = article_number(article_id)
    return n is not None and SPLITS[split](n)


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description="Print the PIAF questions of one split as JSONL.")
    ap.add_argument("qa")
    ap.add_argument("split", choices=sorted(SPLITS))
    args = ap.parse_args(argv)
    with open(args.qa, encoding="utf-8") as f:
        for line in f:
            if line.strip() and in_split(json.loads(line).get("article_id", ""), args.split):
                sys.stdout.write(line)


if __name__ == "__main__":
    main()
