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


def short_items_under_one_chrome() -> list[str]:
    """Four different one-sentence items, each under the same heavy site chrome (a newsletter
    prompt above, a sign-up and "read more" block below, longer than the item): pages that
    share most of their text and still are different stories."""
    chrome_top = "Breaking news alerts, live blogs and the best of our journalism, straight to your inbox every morning."
    chrome_bottom = (
        "Sign up for the Daily Brief newsletter. Follow us on social media for the latest updates. "
        "Read more: Ten things to watch this week in city politics. Our journalism relies on readers like you; "
        "support independent local reporting today by becoming a member of our community of subscribers."
    )
    items = [
        "Road closure on Main Street. The northbound lane will be shut until Friday for water main repairs.",
        "Library extends hours. The central branch will now open until nine on weekdays from next month.",
        "Council approves budget. Members voted seven to two in favour of the revised spending plan.",
        "Lost dog found in park. A brown terrier was reunited with its owner after three days missing.",
    ]
    return [f"{chrome_top}\n\n{it}\n\n{chrome_bottom}" for it in items]
