"""Raw-text cleaning: every rule family with lines that must go and near-misses that must stay,
the seeds as the issue describes them, paragraph rebuilding, titles and metadata."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from workers.steps.cleaning import CLEANER_VERSION, Cleaned, Removed, clean_text
from workers.steps.cleaning.paragraphs import split_paragraphs, wrap_width

SEEDS = Path(__file__).resolve().parents[2] / "seeds"

BODY = [
    "The council met on Tuesday to discuss the budget for next year, which has been delayed twice since the spring.",
    "Officials said the plan would cost about 40 million euros and take four years to complete, with work starting in March.",
    "Opposition members argued that the city could not afford the project without raising taxes on local businesses.",
    "The final vote is expected next month, after a public consultation that will run for six weeks.",
]


def doc(*lines: str, title: str = "Council approves harbour plan after long debate") -> str:
    """A small article: headline, two body paragraphs, the lines under test, two more paragraphs."""
    return "\n\n".join([title, BODY[0], BODY[1], *lines, BODY[2], BODY[3]]) + "\n"


def seed(prefix: str) -> str:
    return next(SEEDS.glob(f"{prefix}_*.txt")).read_text(encoding="utf-8")


def body_lines(text: str) -> list[str]:
    return [l.strip() for l in text.splitlines() if l.strip()]


def assert_removed(line: str, rule: str) -> Cleaned:
    c = clean_text(doc(line))
    assert line not in c.text, f"{line!r} should have been removed"
    assert Removed(line, rule) in c.removed, (line, [(r.rule, r.text) for r in c.removed])
    for para in BODY:
        assert para in c.text
    return c


def assert_kept(line: str) -> None:
    c = clean_text(doc(line))
    assert line in c.paragraphs, (line, [(r.rule, r.text) for r in c.removed])


# --- rule families: must go -------------------------------------------------------------------

MUST_GO = {
    "cookie-banner": ["Gestion des cookies", "Настроить cookies", "Nous respectons votre vie privée. Accepter", "Diese Seite nutzt Cookies. Mehr erfahren", "Сайт использует cookies. Ок", "Accept all cookies", "Cookie settings", 
        "This website uses cookies to improve your experience. We'll assume you're ok with this, but you can opt-out if you wish. Accept Read More",
        "We use cookies to personalise content and ads. By continuing to browse, you agree to our use of cookies.",
        "Diese Website verwendet Cookies. Wenn Sie die Seite weiter nutzen, stimmen Sie der Verwendung zu. Akzeptieren",
        "Nous utilisons des cookies pour améliorer votre expérience. En poursuivant, vous acceptez leur utilisation.",
        "Utilizamos cookies propias y de terceros. Si continúa navegando, acepta su uso. Aceptar",
        "Мы используем файлы cookie. Продолжая пользоваться сайтом, вы соглашаетесь с этим. Принять",
    ],
    "related-block": ["In case you missed it", "Keep reading", "Zum Weiterlesen", "Pour aller plus loin", "More stories from Harbour Times", "Further coverage", "Más artículos", "Ещё новости", "Alle Artikel zum Thema", "Tous nos articles sur le sujet", "Главное за день", "Related posts", "You may also like", "More from The Courier", "Recommended for you", "Das könnte Sie auch interessieren", "À lire aussi", "Noticias relacionadas", "Читайте также"],
    "read-more": [
        "Read more: Markets slip as investors weigh rate outlook",
        "READ MORE: Five things to know before the summit",
        "Related: Heatwave warning extended for the weekend",
        "Lesen Sie auch: Streik legt Nahverkehr lahm",
        "Lire aussi : Ce qui change au 1er septembre",
        "Lee también: Cinco claves de la reforma laboral",
        "Читайте также: Цены на бензин выросли за неделю",
        "[Related: Salesforce Keynote: AI, Integration And Protestors]",
        "Also on rt.com Journalists threatened with sedition arrests",
        "Continue reading at www.harbour-times.com …",
        "Read the full story at nytimes.com",
        "Weiterlesen auf spiegel.de",
        "Lire la suite sur lemonde.fr...",
        "Seguir leyendo en elpais.com",
        "Читать далее на lenta.ru",
    ],
    "social-prompt": ["Email to a friend", "Teile diesen Artikel", "Like us on Facebook", "Join us on Telegram", 
        "Share this article", "Share on Facebook Share on Twitter Email", "Facebook Twitter WhatsApp Email Print",
        "Follow us on Twitter and Facebook", "Follow @BGRDeals on Twitter for the latest deals", "Artikel teilen",
        "Folgen Sie uns auf Instagram", "Partager cet article", "Suivez-nous sur Twitter", "Síguenos en Twitter",
        "Поделиться", "Подписывайтесь на наш канал в Telegram", "twitter.com/paultakahashi",
    ],
    "subscribe-prompt": ["Already have an account? Sign in", "Create a free account to continue reading", "Members only", 
        "Subscribe now for unlimited access", "Subscribe to our YouTube channel", "Already a subscriber? Log in",
        "Support independent journalism. Become a member today.", "Jetzt abonnieren und weiterlesen",
        "Abonnez-vous pour lire la suite", "Suscríbete para seguir leyendo", "Оформите подписку, чтобы читать дальше",
        "If you enjoyed this article, we have a proposition for you: join our members' programme today.",
    ],
    "newsletter": ["Our daily newsletter: get it free", "Recibe las noticias en tu email", 
        "Sign up for our daily newsletter", "Get the latest headlines delivered to your inbox every morning.",
        "Newsletter abonnieren", "Inscrivez-vous à notre newsletter", "Suscríbete a nuestro boletín", "Подпишитесь на нашу рассылку",
    ],
    "comments": ["Add your comment", "Kommentar verfassen", "Ajouter un commentaire", "Написать комментарий", "Leave a Reply", "Comments (14)", "3 Comments", "Join the conversation", "Kommentare (5)", "Laisser un commentaire", "Deja un comentario", "Комментарии (3)",
                 "Your email address will not be published. Required fields are marked *"],
    "navigation": ["Exclusive for subscribers", "Nur für Abonnenten", "Réservé aux abonnés", "Только для подписчиков", "Ihr Kommentar", "Votre commentaire", "Ваш комментарий", "You are here: Home > Local", "Sitemap", "Hauptmenü", "Menú principal", "Gesponserter Inhalt", "Contenu partenaire", "Партнерский материал", "Мы в соцсетях", "Other stories", "Beliebte Artikel", "Autres articles", "Также читайте", "Send this article", "Мы в Telegram", "Abo ab 1 Euro", "Подписка от 1 рубля", "12 responses", "Kommentieren Sie diesen Artikel", "Réagir à cet article", "Обсудить", "Main navigation", "Startseite Lokales Hafen", "Advert feature", "See related stories", "People also read", "Top picks for you", "Popular on Harbour Times", "Le plus lu", "Популярные новости", "Go to homepage", "Retour à l'accueil", "На главную", "Voir les commentaires", "Ver comentarios", "Start your 30-day free trial", "Jetzt Abo abschließen", "Sponsored Content by Acme", "Manage consent", "Privacy Policy", "Contact us", "Zur Startseite", "Jetzt kommentieren", "Lire plus tard", "Comentar", "Комментировать",
                   "Like this:", "Loading...", "Teilen auf Facebook", "Skip to main content", "Home > News > World", "Home | News | World | Europe", "Startseite > Nachrichten > Verkehr", "Accueil > Actualités > Société",
                   "Home News World Politics Business Sport Culture", "Главная > Новости > Город", "Download: http://po.st/TP_615Download"],
    "advertisement": ["Sponsored by Acme", "Advertising feature", "Werbeanzeige", "ADVERTISING", "Advertisement - Continue Reading Below", "Weiterlesen nach der Anzeige", "Реклама 18+", "Advertisement", "ADVERTISEMENT", "- Advertisement -", "Story continues below advertisement", "Anzeige", "Publicité", "Publicidad", "Реклама", "[Ad]"],
    "photo-credit": ["Photo by Jane Doe on Unsplash", "Image caption The harbour at dawn", "Media caption Watch the moment the wall collapsed", "Image caption: The harbour at dawn, seen from the old lighthouse", "Photo: Reuters", "Getty Images", "Foto: dpa", "Photo : AFP", "Фото: ТАСС",
                     "(AP Photo/Evan Vucci)"],
    "tag-list": ["Posted in Uncategorized", "Tagged Russia, Kyrgyzstan, CSTO", "Tags: Politics, Economy, Transport, Europe", "Schlagwörter: Bahn, Verkehr, Prag", "Mots-clés : Vendanges, Bourgogne", "Etiquetas: Metro, Fiestas", "Теги: мост, город",
                 "ArmeniaAzerbaijanKazakhstanKyrgyzstanRussian President Vladimir PutinVladimir Putin"],
    "byline": ["By Jane Doe in London", "By Jane Doe for Harbour Times", "Autor/in: Jane Doe", "Rédaction : Jane Doe", "Корреспондент: Иван Петров", "Story: Jane Doe", "Texte : Jane Doe", "Written by Jane Doe on 14 November 2025", "Par Jane Doe, envoyée spéciale à Bruxelles", "Por Jane Doe / Madrid", "By Jane Doe, Associated Press", "By Maria Keller", "By Maria Keller and John Fairweather", "By Maria Keller | March 12, 2024", "Von Maria Keller", "Par Pierre Lambert", "Por Ana Ruiz",
               "Автор: Ольга Смирнова", "rimmaruslan98@gmail.com", "John Fairweather, Staff Writer",
               "Email Tariq Malik at tmalik@space.com or follow him @tariqjmalik."],
    "date-line": ["14 nov 2025 - 09:15", "March 12, 2024", "Published: 12 March 2024", "Updated 12 March 2024 at 10:42 GMT", "Veröffentlicht am 12. März 2024", "Publié le 12 mars 2024 à 14h05",
                  "Publicado el 12 de marzo de 2024", "Опубликовано: 12 марта 2024", "5 min read", "Updated at 1:23 p.m."],
    "copyright": ["Alle Rechte beim Autor", "Prohibida su reproducción", "(c) Copyright 2025 Harbour Times", "Harbour Times © 2025", "Impressum · Datenschutz · Cookie-Einstellungen", "© 2024 Harbour Times. All rights reserved.", "Copyright © 2024 Courier Media Group", "Privacy Policy | Terms of Use | Contact Us",
                  "© 2024 Nachrichten. Alle Rechte vorbehalten.", "Tous droits réservés.", "Todos los derechos reservados.", "Все права защищены.",
                  "This material may not be published, broadcast, rewritten or redistributed."],
    "syndication-footer": ["Reprinted with permission", "Mit freundlicher Genehmigung der Hafenzeitung", "Reproducido con permiso de El Puerto", "Cet article est paru dans Le Port.", "Este texto se publicó primero en El Puerto.", "Материал впервые опубликован в «Гавани».", "Erschienen in der Hafenzeitung vom 14.11.2025", "Publié initialement sur Le Port.", "Originally posted on Medium.", "Die Meinung des Autors muss nicht mit der Redaktion übereinstimmen.", "Мнение автора может не совпадать с позицией редакции.", 
        "Original article: https://www.toutiao.com/article/7577196771714253321/",
        "Statement: This article represents the views of the author. Please express your attitude by clicking on the [top/vote] buttons below.",
        "Statement: This article represents the views of the author. Please express your attitude in the 【up/down】 buttons below.",
        "This article was originally published in The Conversation.",
        "This story originally appeared on Grist and is republished with permission.",
        "The views expressed in this article are those of the author and do not necessarily reflect the position of the site.",
        "Dieser Artikel erschien zuerst bei Zeit Online.", "Cet article a été initialement publié sur Le Monde.",
        "Este artículo fue publicado originalmente en El País.", "Оригинал статьи: https://example.ru/a/1", "Source: https://example.com/a/1",
    ],
    "reporting-credit": ["Jane Doe contributed reporting from Paris.", "(Reporting by Will Dunham; Editing by Tom Brown)", "Reporting by Rodrigo Campos; Editing by Nick Zieminski",
                         "Associated Press writers Alan Fram and Zeke Miller contributed to this report."],
}


@pytest.mark.parametrize("rule,line", [(r, l) for r, lines in MUST_GO.items() for l in lines])
def test_chrome_line_is_removed_by_its_rule(rule: str, line: str) -> None:
    assert_removed(line, rule)


# --- near-misses: must stay -------------------------------------------------------------------

NEAR_MISSES = [
    # cookies, consent, privacy talked about in a story
    "Regulators said the retailer's website placed advertising cookies on visitors' devices without their consent.",
    "The company kept tracking users who had rejected cookies, an investigation found, and will have to pay a fine.",
    "Consumer groups have complained for years that many websites use cookies to follow users across the internet.",
    # read more / related / more in prose and quotes
    "\"Read more books and spend less time on your phone,\" the minister told students at the opening ceremony.",
    "Read more carefully, the judge warned the lawyers, because the contract says something quite different.",
    "Related talks between the two ministries are expected to continue into the next year, officials said.",
    "More than 2,000 people attended the rally in the city centre on Saturday afternoon.",
    "Read more at the library, the council urges parents.",
    "Continue reading in bed, the doctors advise, but not on a screen.",
    "Watch in 4.30 minutes",
    # subscribe / share / follow in news context
    "Subscribers to the ferry service lost patience with the council after eleven weeks without a boat.",
    "The streaming service said it would raise prices for people who subscribe after the first of March.",
    "Share prices fell by almost three percent in early trading after the announcement.",
    "Follow-up inspections of a dozen other retailers are planned for next year, the regulator said.",
    "Follow the money, the prosecutor told the jury, and you will find the people responsible.",
    "The newsletter, which launched in 2019 and covers local politics, now has 50,000 readers.",
    # comments, copyright, sources in a story
    "Comments made by the minister on Monday drew criticism from across the region.",
    "The court ruled that the studio still holds the copyright to the original film.",
    "Copyright lawyers say the case could take years to resolve in the courts.",
    "Advertising revenue fell by a third in the last quarter, the company said.",
    "Cookies and cakes were served after the ceremony in the town hall.",
    "Comments from residents were overwhelmingly negative, the survey found.",
    "Print editions of the paper will end in March after 150 years.",
    "Home Office officials declined to comment on the case.",
    "Zaryshin: I think the issues will be very broad, ranging from parallel imports to drug smuggling.",
    "Correction: An earlier version of this story misstated the cost of the project.",
    "Реклама на улицах города будет ограничена, сообщили в мэрии.",
    "Compartir el coche es cada vez más habitual en la ciudad.",
    "(c) the minister shall publish the report within three months.",
    # short subheadings made of everyday words that also appear on buttons
    "Share of the vote", "A link to the past", "Sign of the times", "News of the arrest", "Free trade under pressure",
    "Latest figures", "Read between the lines", "Follow the money", "Members of parliament react", "Send in the army?",
    "Kommentar der Redaktion", "Las claves del acuerdo", "Comments from Brussels",
    "Follow us, the protesters chanted as they marched to the harbour.",
    "Share the road, say the new signs on the coastal route.",
    "Sponsored by the regional government, the festival drew 20,000 visitors.",
    "Map of the harbour",
    "Redacción del informe final: el ministerio lo publicará en marzo.",
    "Reporter Jane Doe asked the minister about the delays.",
    "By contrast, the opposition wants the money spent on schools.",
    "Q: When will the bridge open?",
    "- the second phase will start in 2027.",
    "Sources close to the talks said an agreement could be signed as early as next week.",
    "Statement issued by the ministry on Friday confirmed the closure of the border crossing.",
    # bylines and dates in prose
    "By the end of the year, the company expects to have hired more than 300 new staff.",
    "By Monday, most of the roads in the valley had been cleared of snow and reopened.",
    "On March 12, 2024, the council voted to approve the plan by 31 votes to 12.",
    # photos, tags, navigation words in prose
    "Photographs taken by residents show the water reaching the first floor of several houses.",
    "Home owners in the area have been told to expect higher insurance premiums.",
    "The iPhone maker and YouTube both declined to comment on the report.",
    # in-body subheadings
    "Friendship is friendship, but...",
    "Eurasian Link",
    "A strategic offensive under CSTO cover",
    "What the engineers found",
    "Kritik von Fahrgastverbänden",
    "Что изменится для пассажиров",
    # interface words inside real headings and sentences
    "Contact tracing",
    "Privacy concerns",
    "Video shows the moment the harbour wall collapsed into the sea during the storm.",
    "Smith is a former reporter who now runs a bakery in the harbour district.",
    "Tagged as a security risk by the ministry, the company appealed against the decision.",
]


@pytest.mark.parametrize("line", NEAR_MISSES)
def test_near_miss_stays_in_the_body(line: str) -> None:
    assert_kept(line)


# --- seeds ------------------------------------------------------------------------------------


def test_seed_000_loses_syndication_footer_and_keeps_original_url() -> None:
    raw = seed("000")
    c = clean_text(raw)
    lines = body_lines(raw)
    assert c.title == lines[0]
    assert c.metadata["original_url"] == "https://www.toutiao.com/article/7577196771714253321/"
    assert [r.rule for r in c.removed] == ["title", "syndication-footer", "syndication-footer"]
    for line in lines[1:-2]:
        assert line in c.text
    assert "Original article" not in c.text and "Statement:" not in c.text
    for sub in ("Friendship is friendship, but...", "Eurasian Link", "What About the Next Moves?"):
        assert sub in c.paragraphs


def test_seed_001_each_line_is_a_paragraph_and_caption_goes() -> None:
    raw = seed("001")
    c = clean_text(raw)
    lines = body_lines(raw)
    assert c.title == lines[0]
    assert c.metadata["subtitle"] == "The core issues focused on security, military bases, and immigration"
    assert c.metadata["original_url"] == "https://www.toutiao.com/article/7577202474025550386/"
    assert c.removed_by("photo-credit") == [lines[2]]
    assert lines[2].startswith("Image caption:")
    body = [l for l in lines[3:] if not l.startswith(("Original article:", "Statement:"))]
    assert c.paragraphs == body  # one paragraph per line, none joined, none lost
    assert len(c.removed_by("syndication-footer")) == 2


def test_seed_002_loses_section_label_and_run_together_tags() -> None:
    raw = seed("002")
    c = clean_text(raw)
    lines = body_lines(raw)
    assert c.removed_by("section-label") == ["Foreign Affairs"]
    assert c.title == lines[1]
    assert c.removed_by("tag-list") == [lines[-1]]
    assert c.paragraphs == lines[2:-1]


def test_seed_003_without_chrome_is_untouched() -> None:
    raw = seed("003")
    c = clean_text(raw)
    assert c.removed == []
    assert c.title is None
    assert c.paragraphs == body_lines(raw)


def test_seed_004_page_title_repeats_related_emails_cookies() -> None:
    raw = seed("004")
    c = clean_text(raw)
    lines = body_lines(raw)
    headline = "Putin Strengthens Ties with Kyrgyzstan Amidst Shifting Central Asian Alliances"
    assert c.title == headline
    assert c.metadata["site"] == "london-news-net.preview-domain.com"
    assert c.removed_by("page-title") == [lines[0]]
    assert c.removed_by("repeated-headline") == [headline, headline]
    assert c.removed_by("byline") == ["rimmaruslan98@gmail.com"] * 2
    assert len(c.removed_by("cookie-banner")) == 1
    related = c.removed_by("related-block")
    assert related[0] == "Related posts"
    assert any(r.startswith("Russia Blacklists Human Rights Watch") for r in related)  # the long teaser
    assert "Gasoline Crisis Hits Kuril Islands Amidst Widespread Fuel Shortages in Russia" in related
    start = lines.index("Related posts")
    assert c.paragraphs == lines[3:start]


# --- paragraphs, titles, metadata -------------------------------------------------------------


def test_hard_wrapped_text_is_joined_back_and_inline_ads_dropped() -> None:
    paras = [BODY[0] + " " + BODY[1], BODY[2] + " " + BODY[3]]
    wrapped = textwrap.fill(paras[0], 72).split("\n")
    raw = "\n".join(wrapped[:2] + ["ADVERTISEMENT"] + wrapped[2:]) + "\n\n" + textwrap.fill(paras[1], 72) + "\n"
    assert wrap_width(raw.splitlines()) is not None
    c = clean_text(raw)
    assert c.paragraphs == paras
    assert c.removed == [Removed("ADVERTISEMENT", "advertisement")]


def test_wrapped_paragraphs_without_blank_lines_split_at_short_lines() -> None:
    raw = textwrap.fill(BODY[0] + " " + BODY[1], 76) + "\n" + textwrap.fill(BODY[2] + " " + BODY[3], 76) + "\nShare this article\n"
    c = clean_text(raw)
    assert c.paragraphs == [BODY[0] + " " + BODY[1], BODY[2] + " " + BODY[3]]
    assert c.removed_by("social-prompt") == ["Share this article"]


def test_one_paragraph_per_line_is_never_joined() -> None:
    paras, _ = split_paragraphs("\n".join(BODY))
    assert [p.text for p in paras] == BODY


def test_page_title_headline_and_site_go_to_metadata() -> None:
    c = clean_text("Council approves harbour plan | Local | harbourtimes.com\n\n" + "\n\n".join(BODY))
    assert c.title == "Council approves harbour plan"
    assert c.metadata["site"] == "harbourtimes.com"
    assert c.paragraphs == BODY


def test_byline_and_date_become_metadata() -> None:
    c = clean_text(doc("By Maria Keller | March 12, 2024"))
    assert c.metadata["author"] == "Maria Keller"
    assert c.metadata["date"] == "March 12, 2024"


def test_related_block_at_end_takes_teasers_but_mid_article_stops_at_body() -> None:
    end = clean_text(doc() + "\nYou may also like\n\nMarkets slip as investors weigh rate outlook\n\nOfficials say the move could cost billions.\n\nFive things to know before the summit\n")
    assert end.paragraphs == BODY
    mid = clean_text(doc("Most read", "Markets slip as investors weigh rate outlook"))
    assert mid.paragraphs == BODY
    assert mid.removed_by("related-block") == ["Most read", "Markets slip as investors weigh rate outlook"]


def test_no_title_when_document_starts_with_body() -> None:
    c = clean_text("\n".join(BODY))
    assert c.title is None and c.paragraphs == BODY


def test_empty_and_whitespace_input() -> None:
    assert clean_text("").text == ""
    assert clean_text(" \n\n \t\n").paragraphs == []


def test_cleaner_version_is_set() -> None:
    assert isinstance(CLEANER_VERSION, str) and CLEANER_VERSION


def test_wrapped_sentence_ending_in_a_platform_name_is_not_a_share_button() -> None:
    p = "The mayor announced the decision in a statement posted on Facebook."
    width = 64
    assert textwrap.fill(p, width).split("\n")[-1] == "Facebook."
    raw = textwrap.fill(BODY[0] + " " + BODY[1], width) + "\n\n" + textwrap.fill(p, width) + "\n\n" + textwrap.fill(BODY[2] + " " + BODY[3], width) + "\n"
    c = clean_text(raw)
    assert p in c.paragraphs and c.removed == []


def test_marker_line_before_a_lower_case_line_is_not_joined() -> None:
    c = clean_text(doc("Advertisement\nthe minister said that nothing had been decided yet."))
    assert "the minister said that nothing had been decided yet." in c.paragraphs
    assert c.removed_by("advertisement") == ["Advertisement"]


def test_unknown_furniture_between_headline_and_body_and_after_the_last_sentence_goes() -> None:
    raw = "\n\n".join(["Council approves harbour plan after long debate", "The vote ends thirty years of delay",
                       "Hafen-Dossier: alle Folgen", *BODY, "Hafenzeitung Plus", "Unsere Partner im Netz"])
    c = clean_text(raw)
    assert c.paragraphs == BODY
    assert c.metadata["subtitle"] == "The vote ends thirty years of delay"
    assert c.removed_by("page-header") == ["Hafen-Dossier: alle Folgen"]
    assert c.removed_by("page-footer") == ["Hafenzeitung Plus", "Unsere Partner im Netz"]


def test_article_ending_on_a_list_or_a_short_sentence_keeps_it() -> None:
    raw = "\n\n".join([*BODY, "- the first phase will cost 40 million euros", "- the second phase starts in 2027", "We will see."])
    assert clean_text(raw).paragraphs == [*BODY, "- the first phase will cost 40 million euros", "- the second phase starts in 2027", "We will see."]


def test_every_prefix_phrase_is_seen_by_the_per_letter_dispatch():
    """The prefix test splits ~700 phrases by opening letter for speed; a phrase filed under the
    wrong letter would silently stop removing its chrome. Every line of the labelled corpus, bare
    and decorated, must get the answer the single anchored alternation gives."""
    import json
    import re

    from workers.steps.cleaning.phrases import alternation
    from workers.steps.cleaning.triage import PREFIX_PHRASES, opens_like_chrome

    anchored = re.compile(r"^[\s(\[\-–—•·*»›>|#]{0,3}" + alternation(PREFIX_PHRASES))
    corpus = Path(__file__).resolve().parents[2] / "bench" / "data" / "clean" / "corpus.jsonl"
    lines = {
        line.strip().lower()[:120]
        for record in corpus.read_text(encoding="utf-8").splitlines()
        if record.strip()
        for line in json.loads(record).get("text", "").splitlines()
        if line.strip()
    }
    lines |= {f"{decoration}{line}" for line in list(lines) for decoration in ("» ", "- ", "[", "— ", "•• ", "(c) ")}
    disagree = [line for line in sorted(lines) if opens_like_chrome(line) != (anchored.match(line) is not None)]
    assert not disagree, disagree[:10]
    assert sum(opens_like_chrome(line) for line in lines) > 1000  # the corpus is full of chrome


def test_fast_paths_give_the_answer_of_the_plain_rule():
    """Shortcuts that skip or speed up a regex must not change its answer: ``strip_decoration``
    when neither end of a line is decoration, ``tags_run_together`` when a cheaper over-count of
    lower-to-upper joins is already too small, and the byline and breadcrumb splitters written
    to open on a character class. Each must agree with the plain rule, or a decorated marker, a
    run of tags or a byline would stay in the body."""
    import itertools
    import random
    import re

    from workers.steps.cleaning.credits import META_SPLIT
    from workers.steps.cleaning.navigation import BREADCRUMB_SPLIT
    from workers.steps.cleaning.shape import (
        _BRACKETED, _CAMEL, _DECOR_L, _DECOR_R, INNER_SENTENCE, strip_decoration, tags_run_together, word_count,
    )

    def plain_strip(text: str) -> str:
        s = _DECOR_R.sub("", _DECOR_L.sub("", text))
        m = _BRACKETED.match(s)
        return m.group(1) if m else s

    def plain_tags(text: str, n: int) -> bool:
        joins = len(_CAMEL.findall(text))
        return joins >= 3 and joins >= 0.2 * n

    alphabet = "-–—•·*»›>|#=~_▶►→«‹<:◀←[](){}【】 \t\u00a0aZ.é"
    rng = random.Random(7)
    texts = ["".join(p) for k in range(4) for p in itertools.product("-[]( a»:", repeat=k)]
    texts += ["".join(rng.choice(alphabet) for _ in range(rng.randint(1, 8))) for _ in range(20000)]
    texts += [f"{left}Advertisement{right}" for left in ("", "- ", "[ ", "» ", "(") for right in ("", " -", " ]", ":", ")")]
    assert [strip_decoration(t) for t in texts] == [plain_strip(t) for t in texts]

    meta_split = re.compile(r"\s+[|•·–—-]\s+|\s*\|\s*|\s{3,}|(?<=[\d.)A-Z])\s+(?=(?:by|von|par|por)\s+[A-ZÀ-ÝА-Я])")
    crumb_split = re.compile(r"\s*(?:[|•·»›→]|::)\s*|\s+[>/\\]\s+")
    pieces = [" ", "  ", "   ", "|", "•", "·", "–", "—", "-", "by ", "von ", "par ", "A", "a", "1", ".", ")", "\t", "\u00a0", ":", "::", "»", ">", "/", "\\", "→"]
    lines = ["".join(rng.choice(pieces) for _ in range(rng.randint(0, 14))) for _ in range(30000)]
    lines += ["By Jane Doe | 12 March 2024 · 3 min read", "Home > News > World", "Startseite » Politik :: Inland", "12.03.2024 von Max Muster"]
    assert [META_SPLIT.split(t) for t in lines] == [meta_split.split(t) for t in lines]
    assert [BREADCRUMB_SPLIT.split(t) for t in lines] == [crumb_split.split(t) for t in lines]
    inner_sentence = re.compile(r"[a-zа-яё]{2}[.!?] [A-ZА-ЯЁ]")
    sentences = _corpus_lines() + ["".join(rng.choice(["ab", "c", ".", "!", " ", "D", "Жё", "ё", "?"]) for _ in range(8)) for _ in range(30000)]
    assert [bool(INNER_SENTENCE.search(t)) for t in sentences] == [bool(inner_sentence.search(t)) for t in sentences]

    from workers.steps.cleaning.paragraphs import clean_line, split_paragraphs

    assert not [c for c in range(0x3001, 0x110000) if chr(c).isspace()]  # _ODD_SPACES stops at U+3000
    bits = ["word", " ", "  ", "\t", "\u00a0", "\u200b", "\u00ad", "\u3000", "\n", "\r\n", "é", "x.", "\u2009"]
    texts = ["".join(rng.choice(bits) for _ in range(rng.randint(1, 30))) for _ in range(5000)]
    texts += ["plain text\nwith lines", "double  spaced\n line", "no\u00a0break", "soft\u00adhyphen only"]
    for text in texts:
        expected = [c for c in (clean_line(l) for l in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")) if c]
        assert [p.text for p in split_paragraphs(text, unwrap=False)[0]] == expected, repr(text)

    words = ["Politics", "World", "Europe", "the", "iPhone", "McDonald", "abCdEf", "abcDefGh", "ПолитикаМир", "x"]
    runs = [" ".join(rng.choice(words) for _ in range(rng.randint(1, 12))).replace(" ", rng.choice(["", " "])) for _ in range(5000)]
    runs += ["PoliticsWorldEuropeBusinessTechnology", "abcDefGhiJklMno", "The iPhone and the iPad sold well"]
    assert [tags_run_together(t, word_count(t)) for t in runs] == [plain_tags(t, word_count(t)) for t in runs]
    assert sum(tags_run_together(t, word_count(t)) for t in runs) > 100


def _corpus_lines() -> list[str]:
    import json

    lines = []
    for name in ("corpus.jsonl", "heldout.jsonl"):
        path = Path(__file__).resolve().parents[2] / "bench" / "data" / "clean" / name
        for record in path.read_text(encoding="utf-8").splitlines():
            if record.strip():
                lines += [line.strip() for line in json.loads(record).get("text", "").splitlines() if line.strip()]
    return lines


def test_gates_never_skip_a_pattern_that_would_match():
    """A regex or word test is skipped when none of its alternatives' opening texts (or telling
    words) occurs in the line (one Aho-Corasick pass finds them all), a prefix family when none
    of its phrases' openings does; date tokens are looked for only where one can start. A line
    that the pattern matches must never be skipped, and date tokens must come out as the plain
    ``findall`` gives them."""
    import re

    from workers.steps.cleaning.dates import _DATE_TOKEN_L, _date_tokens, date_only
    from workers.steps.cleaning.credits import AGENCY
    from workers.steps.cleaning.legal import AD_MARKER, LEGAL
    from workers.steps.cleaning.navigation import NAV_MARKER, ui_line
    from workers.steps.cleaning.phrases import FLAGS, alternation
    from workers.steps.cleaning.prompts import READ_MORE_MARKER, share_bar
    from workers.steps.cleaning.shape import _ATTRIBUTION, strip_decoration
    from workers.steps.cleaning.triage import (
        FAMILY_BITS, FAMILY_PHRASES, G_ADS, G_AGENCY, G_ATTRIBUTION, G_LEGAL, G_NAV_LINE, G_READ_MORE_ALONE,
        G_SOCIAL_CORE, G_UI_CORE, line_signals,
    )

    dates = ["Updated 12 March 2024, 10:32 GMT", "Monday, March 4th, 2024 at 9 a.m. EST", "2024-03-12T09:30:00Z",
             "vor 3 Stunden", "il y a 2 heures", "hace 5 minutos", "3 min read", "Lesezeit: 4 Minuten", "вчера, 12 марта 2024 г.",
             "Publié le 4 avril 2024 à 10h30", "12.03.2024 | 5 minutes de lecture", "yesterday", "sábado 2 de marzo de 2024"]
    markers = ["Read more", "Continue reading »", "— Weiterlesen —", "[ Advertisement ]", "Skip to content", "Back to top"]
    lines = _corpus_lines() + dates + markers + [m.upper() for m in markers]
    gates = [(G_LEGAL, lambda line: LEGAL.search(line.lower())), (G_AGENCY, lambda line: AGENCY.search(line)),
             (G_ATTRIBUTION, lambda line: _ATTRIBUTION.search(line.lower())),
             (G_UI_CORE, ui_line), (G_SOCIAL_CORE, lambda line: share_bar(line.lower())),
             (G_ADS, lambda line: AD_MARKER.match(strip_decoration(line))), (G_READ_MORE_ALONE, READ_MORE_MARKER.match),
             (G_NAV_LINE, lambda line: NAV_MARKER.match(strip_decoration(line)))]
    for bit, pattern in gates:
        matched = [line for line in lines if pattern(line)]
        assert matched, bit
        assert [line for line in matched if not line_signals(line.lower()) & bit] == []

    for name, bit in FAMILY_BITS.items():  # a family's phrases opening the line (after decoration)
        opens = re.compile(r"^[\W_]{0,3}\s*" + alternation(FAMILY_PHRASES[name]), FLAGS)
        matched = [line for line in lines if opens.match(line)]
        assert matched, name
        assert [line for line in matched if not line_signals(line.lower()) & bit] == [], name
    folded = [line.lower() for line in lines]
    assert [[m.group() for m in _date_tokens(f)] for f in folded] == [_DATE_TOKEN_L.findall(f) for f in folded]
    assert all(_date_tokens(d.lower()) for d in dates)
    assert date_only("Updated 12 March 2024, 10:32 GMT") == "12 March 2024, 10:32 GMT"


def test_literal_heads_read_patterns_and_refuse_ungateable_ones():
    from workers.steps.cleaning.gates import literal_heads, openings

    assert literal_heads(r"terms of (?:use|service)|datenschutz(?:erklärung)?|\d+ min|(?:Reading time|lesezeit)\s*:") == (
        "terms of ", "datenschutz", *"0123456789", "reading time", "lesezeit")
    assert literal_heads(r"hrs?|tue(?:s|sday)?|e-?mail") == ("hr", "hrs", "tue", "email", "e-mail")
    assert literal_heads(r"(?:\(c\)|x)y") == ("(c)", "x")  # an escaped parenthesis does not close the group
    assert literal_heads(r"(?:additional )?reporting by|\(c\)(?=\s*\d{4})") == ("additional ", "reporting by", "(c)")
    assert literal_heads(r"\d+ comments?|(?:to )?continue reading|\d{1,2}:|\d+", anywhere=True) == (
        " comment", " comments", "continue reading", ":", *"0123456789")
    for ungateable in (r"\w+ said", r".x", r"(?:a|b)*c", r"[ab]c"):
        with pytest.raises(ValueError):
            literal_heads(ungateable)
    assert openings(["mar", "march", "1"])("1 march, 21 mar") == [0, 2, 10, 12]
