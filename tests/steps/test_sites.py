"""Which declared site names are taken as a page's site (workers.steps.sites)."""

from workers.steps.sites import plausible_site_name, site_for, site_of_url


def test_names_are_kept_and_headlines_are_not():
    for name, title in [("BBC News", "Harbour reopens after storm"), ("The New York Times", None),
                        ("Phys.org", "Water vapour seen on a distant moon"), ("Yahoo! News", "x"),
                        ("Como Educar Seus Filhos", "A Fantástica Loja - Como Educar Seus Filhos")]:
        assert plausible_site_name(name, title), name
    for name, title in [("Incidentally, the U.S. and migration", "Incidentally, the U.S. and migration"),
                        ("Harbour reopens after storm | World | Example", "Harbour reopens after storm"),
                        ("Council approves the new budget after a long night of talks", None),
                        ("What the engineers said?", None), ("", None), (None, None)]:
        assert not plausible_site_name(name, title), name


def test_site_for_prefers_what_is_known_then_the_url_host():
    meta = {"site": "Daily Bugle", "title": "Harbour", "url": "https://www.bugle.example/a"}
    assert site_for("folder-site", "https://x.example/", meta) == "folder-site"
    assert site_for(None, "https://www.x.example/a", meta) == "x.example"
    assert site_for(None, None, meta) == "bugle.example"
    assert site_for(None, None, {"site": "Daily Bugle", "title": "Harbour"}) == "Daily Bugle"
    assert site_for(None, None, {"site": "Harbour", "title": "Harbour"}) is None
    assert site_for(None, None, {"site": "https://www.hawaiinewsnow.com"}) == "hawaiinewsnow.com"
    assert site_of_url("not a url") is None
