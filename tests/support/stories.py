"""The labelled stories of ``bench/data/stories`` as documents for the event tests: each
story a JSON record (headline, body, published date, a site), optionally wrapped in a
site's chrome, plus syndicated copies under another site's chrome."""

from __future__ import annotations

import json
import zlib
from pathlib import Path

STORIES = Path(__file__).resolve().parents[2] / "bench" / "data" / "stories"
SITES = [f"site{n}.example" for n in range(7)]


def events(split: str = "A") -> list[dict]:
    return json.loads((STORIES / f"events_{split}.json").read_text(encoding="utf-8"))


def briefs(split: str = "A") -> list[dict]:
    return json.loads((STORIES / f"briefs_{split}.json").read_text(encoding="utf-8"))


def site_of(story_id: str) -> str:
    """A stable site per story: some stories of one event share a site, as in the news."""
    return SITES[zlib.crc32(story_id.encode()) % len(SITES)]


def chrome(site: str, headline: str, paragraphs: list[str]) -> str:
    """A page of ``site`` as raw text: navigation, share prompts, newsletter, footer."""
    name = site.split(".")[0].replace("-", " ").title()
    return "\n\n".join([
        f"{name} | News | Local | Sport | What's on | Contact",
        headline,
        *paragraphs,
        "Share this article: Facebook · X · WhatsApp · Email",
        f"Sign up to the {name} newsletter for the day's top stories.",
        f"© 2026 {name}. All rights reserved. Privacy policy · Terms · Cookie settings",
    ]) + "\n"


def story_record(story: dict, *, site: str | None = None, wrapped: bool = True) -> dict:
    site = site or site_of(story["story_id"])
    body = chrome(site, story["headline"], story["paragraphs"]) if wrapped else \
        "\n\n".join([story["headline"], *story["paragraphs"]])
    return {"text": body, "url": f"https://{site}/{story['story_id'].lower()}", "site": site,
            "published": story["published"], "title": story["headline"]}
