"""Per-site learned boilerplate: counted per site, minimum support, variants folded together."""

from __future__ import annotations

import pytest

from workers.steps.cleaning import SiteModel, clean_text, learn_site_model
from workers.steps.cleaning.normalise import fold, line_key

STATEMENT_A = "Statement: This article represents the views of the author. Please express your attitude by clicking on the [top/vote] buttons below."
STATEMENT_B = "Statement: This article represents the views of the author. Please express your attitude in the 【up/down】 buttons below."
SLOGAN = "The Harbour Times — independent news from the north coast since 1921"


WORDS = "harbour bridge ferry council budget school river station market festival hospital tunnel library stadium".split()


def story(i: int, extra: list[str] | None = None) -> str:
    """A distinct little article (stories differ in words, not only in numbers) with the site's
    slogan between two paragraphs, where no generic rule would take it."""
    a, b, c = WORDS[i % len(WORDS)], WORDS[(i * 5 + 3) % len(WORDS)], WORDS[(i * 3 + 7) % len(WORDS)]
    paras = [
        f"The {a} and the {b}: what changes for residents",
        f"This is the opening paragraph about the {a}, which talks about the {b} in the town and what the {c} committee decided next.",
        f"A second paragraph on the {c} adds detail about the {a} and quotes officials about the {b} and its future.",
        SLOGAN,
        f"{c.capitalize()} plans come next: what happens to the {b} is up to the committee on the {a}.",
        *(extra or []),
    ]
    return "\n\n".join(paras)


def docs(n: int, extra: list[str] | None = None) -> list[str]:
    return [story(i, extra) for i in range(n)]


def test_statement_variants_fold_to_one_key() -> None:
    assert line_key(STATEMENT_A) == line_key(STATEMENT_B)
    assert fold("Comments (14)") == fold("comments [3]") or fold("Comments (14)") == fold("Comments (3)")
    assert fold("Comments (14)") == fold("COMMENTS (3)")


def test_recurring_line_is_learned_and_removed() -> None:
    model = learn_site_model("harbourtimes.com", docs(10))
    assert model.matches(SLOGAN)
    c = clean_text(story(99), site="harbourtimes.com", site_model=model)
    assert c.removed_by("site-boilerplate") == [SLOGAN]
    assert "opening paragraph about the" in c.text
    plain = clean_text(story(99))
    assert SLOGAN in plain.text  # without the model the generic rules do not know this line


def test_variants_of_one_line_support_each_other() -> None:
    half = [story(i, [STATEMENT_A if i % 2 else STATEMENT_B]) for i in range(8)]
    model = learn_site_model("toutiao", half, min_support=6)
    assert model.matches(STATEMENT_A) and model.matches(STATEMENT_B)


def test_minimum_support_and_minimum_documents() -> None:
    few = learn_site_model("a", docs(4), min_documents=5)
    assert len(few) == 0 and not few.matches(SLOGAN)
    rare = [story(i, ["Only twice seen line of chrome here"] if i < 2 else None) for i in range(10)]
    model = learn_site_model("a", rare, min_support=3)
    assert not model.matches("Only twice seen line of chrome here")
    assert model.matches(SLOGAN)
    with pytest.raises(ValueError):
        learn_site_model("a", docs(10), min_support=1)


def test_syndicated_story_on_two_sites_is_not_learned() -> None:
    shared = "The syndicated report says the ferry strike could last for weeks, according to union leaders in the port."
    site_a = docs(10) + [story(50, [shared])]
    site_b = [d.replace("Harbour Times", "Coast Gazette") for d in docs(10)] + [story(51, [shared])]
    model_a = learn_site_model("a.com", site_a)
    model_b = learn_site_model("b.com", site_b)
    assert not model_a.matches(shared) and not model_b.matches(shared)


def test_republished_copies_within_a_site_do_not_add_support() -> None:
    body = [
        "Officials confirmed on Monday that the new bridge will open at the end of October after five years of work.",
        "The bridge is expected to carry up to forty thousand vehicles a day and relieve the congested city centre.",
        "Residents of the nearby districts complained about noise and dust during the works, and the city promised trees.",
    ]
    copies = [f"Update {i}\n\n" + "\n\n".join(body) + f"\n\nCorrection number {i} was appended here." for i in range(6)]
    model = learn_site_model("a.com", copies + docs(6))
    assert not model.matches(body[0])


def test_model_round_trips_through_json_and_checks_the_site() -> None:
    model = learn_site_model("harbourtimes.com", docs(10))
    again = SiteModel.from_json(model.to_json())
    assert again == model and again.matches(SLOGAN)
    with pytest.raises(ValueError):
        clean_text(story(1), site="other.com", site_model=model)
    with pytest.raises(ValueError):
        SiteModel.from_json(model.to_json().replace('"format": 1', '"format": 99'))
