"""A labelled dedup corpus from the hand-written stories of ``bench/data/stories`` (not from
the seeds, and not from anything a dedup rule was written from): every story republished
the ways sites republish, plus hard negatives.

    .venv/bin/python bench/dedup_corpus.py           # writes bench/data/dedup/labelled_{A,B}.jsonl

Split A comes from ``events_A.json`` + ``briefs_A.json`` (development), split B from
``events_B.json`` + ``briefs_B.json`` (held out: looked at only to measure). Per story
(seeded by its id, so the files are reproducible):

* ``original``: the story under its site's chrome (raw text);
* ``exact``: the same body under another site's chrome;
* ``edited``: another site, a new headline, a few words changed (about one per 70 words),
  typographic quotes and dashes, sometimes one sentence dropped;
* ``wrapped``: hard-wrapped at 60-76 columns with long words hyphenated across lines, and the
  last paragraph trimmed;
* ``excerpt``: the first third of the paragraphs (at least two) and a "Continue reading" line;
* ``html``: an HTML page (navigation, related links, footer) of another site.

Stories of one event are *different* stories about one happening (hard negatives, like the
seeds); the 20 briefs of a split all sit under one local site's chrome (hard negatives), and a
few of them are republished exactly or lightly edited (short positives).

Each line: ``{"id", "split", "story", "variant", "body_tokens", "record"}`` where ``record`` is
what ``corpus ingest`` reads from a ``.jsonl`` line (``text`` or ``html``, ``url``, ``site``,
``published``) and ``body_tokens`` counts the words of the body paragraphs it carries (the
ground truth for "the fullest copy").
"""

from __future__ import annotations

import html as htmlmod
import json
import random
import re
import sys
import zlib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
STORIES = ROOT / "bench" / "data" / "stories"
OUT = ROOT / "bench" / "data" / "dedup"
SITES = [f"site{n}.example" for n in range(9)]
LOCAL = "ashbury-gazette.example"

# Light edits a copy desk makes: (word, replacement), tried in this order on the story's words.
SWAPS = [("said", "stated"), ("told", "informed"), ("about", "roughly"), ("also", "additionally"),
         ("after", "following"), ("before", "ahead of"), ("because", "as"), ("but", "however"),
         ("many", "numerous"), ("people", "residents"), ("company", "firm"), ("city", "town"),
         ("government", "administration"), ("officials", "authorities"), ("big", "large"),
         ("started", "began"), ("start", "begin"), ("show", "indicate"), ("help", "assist"),
         ("new", "fresh"), ("week", "seven days"), ("last", "previous"), ("Tuesday", "Tuesday morning"),
         ("month", "period"), ("year", "twelve months"), ("would", "will"), ("will", "would"),
         ("the", "this"), ("and", "as well as"), ("of", "from")]


def chrome_text(site: str, headline: str, paragraphs: list[str]) -> str:
    name = site.split(".")[0].replace("-", " ").title()
    return "\n\n".join([f"{name} | News | Local | Sport | What's on | Contact", headline, *paragraphs,
                        "Share this article: Facebook · X · WhatsApp · Email",
                        f"Sign up to the {name} newsletter for the day's top stories.",
                        f"© 2026 {name}. All rights reserved. Privacy policy · Terms · Cookie settings"]) + "\n"


def chrome_html(site: str, headline: str, paragraphs: list[str], rng: random.Random) -> str:
    e = htmlmod.escape
    name = site.split(".")[0].title()
    sections = ["World", "Politics", "Business", "Tech", "Sport", "Culture", "Opinion", "Science"]
    nav = "".join(f'<li><a href="/{s.lower()}/">{s}</a></li>' for s in rng.sample(sections, 6))
    related = "".join(f'<li><a href="/r/{n}">{e(t)}</a></li>' for n, t in enumerate(
        ["Markets close higher on energy shares", "Weather: a cold week ahead", "Five things to know today"]))
    body = "\n".join(f"<p>{e(p)}</p>" for p in paragraphs)
    return (f'<!DOCTYPE html><html><head><meta charset="utf-8"><title>{e(headline)} | {name}</title></head>'
            f'<body><header><div class="logo">{name}</div><nav><ul>{nav}</ul></nav></header>'
            f'<main><article><h1>{e(headline)}</h1><div class="byline">By Staff Reporter</div>\n{body}\n</article>'
            f'<aside><h3>Related</h3><ul>{related}</ul></aside></main>'
            f'<footer><p>© 2026 {name}. All rights reserved.</p><p>Privacy · Terms · Contact</p></footer>'
            f'</body></html>\n')


def words(paragraphs: list[str]) -> int:
    return sum(len(p.split()) for p in paragraphs)


def typographic(p: str) -> str:
    p = re.sub(r'"(\w)', "\u201c\\1", p)
    p = p.replace('"', "\u201d").replace("'", "\u2019")
    return p.replace(" \u2014 ", " -- ").replace(" - ", " \u2013 ")


def edit(paragraphs: list[str], rng: random.Random) -> list[str]:
    """About one word changed per 70, quotes and dashes typographic, and one sentence dropped
    from a long paragraph in half of the copies."""
    out = [p for p in paragraphs]
    budget = max(1, words(paragraphs) // 70)
    for _ in range(budget):
        i = rng.randrange(len(out))
        tokens = out[i].split(" ")
        spots = [(k, r) for k, t in enumerate(tokens) for w, r in SWAPS if t == w]
        if spots:
            k, r = rng.choice(spots)
            tokens[k] = r
            out[i] = " ".join(tokens)
    if rng.random() < 0.5:
        longest = max(range(len(out)), key=lambda n: len(out[n]))
        sentences = re.split(r"(?<=[.!?])\s+(?=[A-Z\u201c\"])", out[longest])
        if len(sentences) >= 3:
            del sentences[rng.randrange(1, len(sentences))]
            out[longest] = " ".join(sentences)
    return [typographic(p) for p in out]


def hard_wrap(paragraph: str, width: int) -> str:
    """Greedy wrap at ``width``; a long word that does not fit is hyphenated across the break."""
    lines, line = [], ""
    for word in paragraph.split():
        if not line:
            line = word
        elif len(line) + 1 + len(word) <= width:
            line += " " + word
        elif len(word) >= 9 and word.isalpha() and width - len(line) - 2 >= 4:
            cut = width - len(line) - 2
            lines.append(f"{line} {word[:cut]}-")
            line = word[cut:]
        else:
            lines.append(line)
            line = word
    lines.append(line)
    return "\n".join(lines)


def excerpt(paragraphs: list[str]) -> list[str]:
    return paragraphs[: max(2, round(len(paragraphs) / 3))]


def story_docs(split: str, story: dict, home: str, rng: random.Random) -> list[dict]:
    sid, head, paras = story["story_id"], story["headline"], story["paragraphs"]
    others = [s for s in SITES if s != home]
    rng.shuffle(others)
    slug = "-".join(re.findall(r"\w+", head.lower())[:6])
    docs = []

    def add(variant: str, site: str, body: list[str], *, text: str | None = None, html: str | None = None,
            tokens: int | None = None):
        record = {"url": f"https://{site}/{variant}/{sid.lower()}-{slug}", "site": site, "published": story["published"]}
        record["text" if html is None else "html"] = html if html is not None else text
        docs.append({"id": f"{sid}:{variant}", "split": split, "story": sid, "variant": variant,
                     "body_tokens": words(body) if tokens is None else tokens, "record": record})

    add("original", home, paras, text=chrome_text(home, head, paras))
    if rng.random() < 0.5:
        add("exact", others[0], paras, text=chrome_text(others[0], head, paras))
    if rng.random() < 0.85:
        body = edit(paras, rng)
        add("edited", others[1], body, text=chrome_text(others[1], f"{head}, officials say", body))
    if len(paras) >= 3 and rng.random() < 0.75:
        width = rng.randint(60, 76)
        body = paras[:-1]
        add("wrapped", others[2], body, text=chrome_text(others[2], head, [hard_wrap(p, width) for p in body]))
    if len(paras) >= 4 and rng.random() < 0.7:
        body = excerpt(paras)
        more = f"Continue reading at https://{home}/{sid.lower()}"
        add("excerpt", others[3], body, text=chrome_text(others[3], head, [*body, more]))
    if rng.random() < 0.5:
        add("html", others[4], paras, html=chrome_html(others[4], head, paras, rng))
    return docs


def build(split: str) -> list[dict]:
    events = json.loads((STORIES / f"events_{split}.json").read_text(encoding="utf-8"))
    briefs = json.loads((STORIES / f"briefs_{split}.json").read_text(encoding="utf-8"))
    docs = []
    for event in events:
        for story in event["stories"]:
            rng = random.Random(zlib.crc32(f"dedup:{story['story_id']}".encode()))
            home = SITES[zlib.crc32(story["story_id"].encode()) % len(SITES)]
            docs += story_docs(split, story, home, rng)
    for n, brief in enumerate(briefs):
        bid, head, paras = brief["brief_id"], brief["headline"], brief["paragraphs"]
        rng = random.Random(zlib.crc32(f"dedup:{bid}".encode()))

        def add(variant, site, body, headline=head):
            docs.append({"id": f"{bid}:{variant}", "split": split, "story": bid, "variant": variant,
                         "body_tokens": words(body),
                         "record": {"text": chrome_text(site, headline, body), "url": f"https://{site}/{variant}/{bid.lower()}",
                                    "site": site, "published": brief["published"]}})

        add("brief", LOCAL, paras)
        if n % 4 == 1:
            add("exact", SITES[n % len(SITES)], paras)
        if n % 4 == 2:
            add("edited", SITES[n % len(SITES)], edit(paras, rng), headline=f"{head}, council says")
    return docs


def load(split: str) -> list[dict]:
    path = OUT / f"labelled_{split}.jsonl"
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def main(argv: list[str] | None = None) -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    for split in ("A", "B"):
        docs = build(split)
        path = OUT / f"labelled_{split}.jsonl"
        path.write_text("".join(json.dumps(d, ensure_ascii=False) + "\n" for d in docs), encoding="utf-8")
        variants: dict[str, int] = {}
        for d in docs:
            variants[d["variant"]] = variants.get(d["variant"], 0) + 1
        stories = {d["story"] for d in docs}
        short = {d["story"] for d in docs if d["variant"] == "original" and d["body_tokens"] < 350}
        print(f"{path.relative_to(ROOT)}: {len(docs)} documents, {len(stories)} stories "
              f"({len(short)} short, under 350 words), {json.dumps(variants)}", file=sys.stderr)


if __name__ == "__main__":
    main()
