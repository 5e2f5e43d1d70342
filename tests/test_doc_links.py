"""Every relative link of README.md and docs/ leads somewhere: the file exists and, when the link
names an anchor, the target holds a heading with that anchor as GitHub makes it."""
from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import unquote

import pytest

REPO = Path(__file__).resolve().parents[1]
DOCS = sorted([REPO / "README.md", *(REPO / "docs").rglob("*.md"), *(REPO / "samples").rglob("*.md")])
LINK = re.compile(r"!?\[(?:[^\]\[]|\[[^\]]*\])*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
EXTERNAL = re.compile(r"^[a-z][a-z0-9+.-]*:", re.I)  # http:, https:, mailto: …


def without_code(text: str) -> str:
    """The text less fenced blocks and inline code, where brackets are not links."""
    return re.sub(r"`[^`\n]*`", "", without_code_blocks(text))


def github_anchor(heading: str) -> str:
    """GitHub's anchor of a heading: its text without markup, lower case, every character that is
    not a letter, digit, space, hyphen or underscore dropped (an en dash too), spaces to hyphens."""
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", heading)  # a link: its text
    text = re.sub(r"<[^>]+>", "", text).replace("`", "").replace("*", "")
    text = "".join(ch for ch in text.strip().lower() if ch.isalnum() or ch in " -_")
    return text.replace(" ", "-")


def anchors(path: Path) -> set[str]:
    seen: dict[str, int] = {}
    found = set()
    for line in without_code_blocks(path.read_text(encoding="utf-8")).splitlines():
        m = re.match(r"^#{1,6}\s+(.*?)\s*#*\s*$", line)
        if not m:
            continue
        base = github_anchor(m.group(1))
        n = seen.get(base, 0)
        found.add(base if n == 0 else f"{base}-{n}")  # a repeated heading gets -1, -2 …
        seen[base] = n + 1
    found |= set(re.findall(r"""<a\s+(?:name|id)=["']([^"']+)["']""", path.read_text(encoding="utf-8")))
    return found


def without_code_blocks(text: str) -> str:
    return re.sub(r"^(```|~~~).*?^\1[^\n]*$", "", text, flags=re.S | re.M)


def links(path: Path) -> list[str]:
    return [m.group(1) for m in LINK.finditer(without_code(path.read_text(encoding="utf-8")))]


def broken_links(path: Path) -> list[str]:
    broken = []
    for target in links(path):
        if EXTERNAL.match(target) or target.startswith("//"):
            continue
        file_part, _, anchor = target.partition("#")
        dest = (path.parent / unquote(file_part)).resolve() if file_part else path
        if not dest.exists():
            broken.append(f"{target}: no such file")
        elif anchor and dest.suffix == ".md" and unquote(anchor).lower() not in anchors(dest):
            broken.append(f"{target}: no heading with that anchor in {dest.name}")
    return broken


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: str(p.relative_to(REPO)))
def test_every_relative_link_and_anchor_resolves(doc):
    assert broken_links(doc) == []


def test_the_anchors_are_made_as_github_makes_them():
    assert github_anchor("English–French lexicon") == "englishfrench-lexicon"
    assert github_anchor("Answer reader (`bot/reader.py`, `training/`): the default answerer") == \
        "answer-reader-botreaderpy-training-the-default-answerer"
    assert github_anchor("Limits and security settings") == "limits-and-security-settings"
    assert github_anchor("News time") == "news-time"


def test_the_checker_sees_a_broken_link(tmp_path):
    page = tmp_path / "page.md"
    (tmp_path / "other.md").write_text("# Other – page\n\n## Part\n\n## Part\n", encoding="utf-8")
    page.write_text("# Page\n\n[ok](other.md#other--page) [dup](other.md#part-1) [self](#page)\n"
                    "[gone](missing.md) [anchor](other.md#nothing) `[code](ignored.md)`\n"
                    "```\n[fenced](ignored-too.md)\n```\n[web](https://example.org/x.md)\n", encoding="utf-8")
    assert broken_links(page) == ["missing.md: no such file", "other.md#nothing: no heading with that anchor in other.md"]
