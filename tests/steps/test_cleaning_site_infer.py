"""Pages of unnamed sites are grouped by their mastheads and footers, and different sites are
not grouped together, even when they share a syndicated footer or a common menu word."""

from __future__ import annotations

from workers.steps.cleaning.site_infer import SiteGuesser

AGENCY = "Distributed by Northern Wire Service. Republication requires a licence."


WORDS = "harbour council ferry budget school river station market festival hospital tunnel library".split()


def page(plate: str, menu: str, footer: str, n: int) -> str:
    a, b, c = WORDS[n % 12], WORDS[(n * 5 + 3) % 12], WORDS[(n * 7 + 1) % 12]
    body = [f"The {a} story opens with a sentence long enough to be the body of an article about the {b}.",
            f"A second paragraph on the {c} adds detail and quotes someone about the {a} and the {b}."]
    return "\n\n".join([plate, menu, f"What the {a} means for the {b}", *body, f"More on the {c} and the {a}",
                        AGENCY, footer])


def test_interleaved_pages_of_two_unnamed_sites_fall_into_two_groups() -> None:
    a = [page("THE MILLBROOK ECHO", "Home  News  Sport  Weather  Letters", "© Millbrook Echo Ltd 2026", n) for n in range(6)]
    b = [page("Riverside Standard", "Home  Business  Culture  Opinion", "© 2026 Riverside Standard Group", n)
         for n in range(6, 12)]
    guesser = SiteGuesser()
    names = [guesser.site(p) for pair in zip(a, b) for p in pair]
    first, second = set(names[0::2]), set(names[1::2])
    assert len(first) == 1 and len(second) == 1 and first != second


def test_a_shared_agency_footer_alone_does_not_make_one_site() -> None:
    guesser = SiteGuesser()
    one = guesser.site(page("Coastal Herald", "Menu", "Coastal Herald Media", 1))
    other = guesser.site(page("Valley Times", "Menu", "Valley Times Publishing", 2))
    assert one != other  # they share the agency line and "Menu" only
