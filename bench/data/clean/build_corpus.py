"""Build the labelled raw-text corpus for ``bench/clean.py`` (and the cleaning tests).

Output: ``corpus.jsonl`` next to this file, one document per line::

    {"id": "...", "site": "...", "format": "text" | "html",
     "text": "<raw text>"            (format text)
     "html": "<page>",                (format html)
     "lines": [{"text": "...", "label": "body" | "chrome"}, ...]}

``lines`` lists every non-blank line of the raw text (for HTML copies: every text block of the
page) with its label. ``body`` lines must survive cleaning; ``chrome`` lines must leave the body,
including the headline, the page title and the dek, which go to metadata.

Contents:

* the five seeds from ``seeds/`` labelled by hand (the rules for that are in ``SEED_CHROME``);
* every story (the seeds' bodies and ``stories.json``, own texts in en/de/fr/es/ru) re-published
  under several invented sites' chrome: different headers, bylines, inline ads, share bars,
  related blocks, newsletters, comments, tags, footers, cookie banners and syndication lines,
  in the story's language and in English, laid out one paragraph per line, blank-separated or
  hard-wrapped at 68-80 columns;
* an HTML copy of some of them, chrome in header/nav/aside/footer and some inside the article.

``--heldout`` writes ``heldout.jsonl`` instead: the same stories under other invented sites with a
second, disjoint set of chrome wordings (``HELDOUT_POOLS``), written after the rules were tuned on
``POOLS`` and used only to measure how well the rule *families* generalise.

Deterministic (fixed seeds). Run: ``python bench/data/clean/build_corpus.py [--heldout]``.
"""

from __future__ import annotations

import html as htmllib
import json
import random
import sys
import textwrap
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]
SEEDS = ROOT / "seeds"

SEED_CHROME = {
    "000": lambda i, line: i == 0 or line.startswith(("Original article:", "Statement:")),
    "001": lambda i, line: i in (0, 1) or line.startswith(("Original article:", "Statement:", "Image caption:")),
    "002": lambda i, line: i in (0, 1) or line.startswith("ArmeniaAzerbaijan"),
    "003": lambda i, line: False,
    "004": lambda i, line: (
        line.startswith(("Putin Strengthens Ties", "Related posts", "Russia Blacklists", "rimmaruslan98",
                         "Russian Executives Urge", "Gasoline Crisis", "This website uses cookies"))
    ),
}

OTHER_HEADLINES = {
    "en": ["Markets slip as investors weigh rate outlook", "Five things to know before the summit",
           "City council approves new cycling lanes", "Heatwave warning extended for the weekend",
           "Inside the race to build cheaper batteries", "Why the ferry strike could last for weeks",
           "Opinion: The quiet crisis in local news", "Police appeal for witnesses after night-time crash"],
    "de": ["Streik legt Nahverkehr in mehreren Städten lahm", "Was die neue Grundsteuer für Mieter bedeutet",
           "Hitzewelle: Kommunen öffnen Kühlräume", "Bundesliga: Fünf Lehren aus dem Spieltag"],
    "fr": ["Grève à la SNCF : les trains perturbés jeudi", "Ce qui change au 1er septembre",
           "Canicule : vigilance orange dans douze départements", "Le marché immobilier ralentit à Lyon"],
    "es": ["Subida del precio de la luz en septiembre", "Cinco claves de la reforma laboral",
           "Ola de calor: alerta naranja en el sur", "El Gobierno aprueba el nuevo plan de vivienda"],
    "ru": ["Цены на бензин выросли за неделю", "Погода на выходные: похолодание и дожди",
           "В городе запустят новый автобусный маршрут", "Что изменится для водителей с сентября"],
}

POOLS = {
    "nav": {
        "en": ["Home News World Politics Business Sport Culture", "Skip to main content", "Menu", "Search",
               "Home | News | World | Europe", "Home > News > World", "Sign in", "Subscribe"],
        "de": ["Startseite Politik Wirtschaft Kultur Sport", "Zum Inhalt springen", "Startseite > Nachrichten > Verkehr", "Suche", "Anmelden"],
        "fr": ["Accueil > Actualités > Société", "Aller au contenu principal", "Rechercher", "Connexion"],
        "es": ["Inicio > Noticias > Ciudad", "Ir al contenido", "Buscar", "Iniciar sesión"],
        "ru": ["Главная > Новости > Город", "Перейти к содержанию", "Поиск", "Войти"],
    },
    "section": {
        "en": ["World", "Politics", "Business", "Opinion", "Local News", "Foreign Affairs"],
        "de": ["Politik", "Wirtschaft", "Verkehr"], "fr": ["Société", "Économie", "Régions"],
        "es": ["Ciudad", "Sociedad", "Local"], "ru": ["Общество", "Город", "Происшествия"],
    },
    "byline": {
        "en": ["By {author}", "By {author} and {author2}", "By {author} | {date}", "Written by {author}", "{author}, Staff Writer"],
        "de": ["Von {author}", "Von {author} | {date}"], "fr": ["Par {author}", "Par {author} | {date}"],
        "es": ["Por {author}", "Por {author} | {date}"], "ru": ["Автор: {author}", "Текст: {author}"],
    },
    "date": {
        "en": ["{date}", "Published: {date}", "Updated {date} at 10:42 GMT", "Posted on {date}", "5 min read"],
        "de": ["Veröffentlicht am 12. März 2024", "Aktualisiert: 12.03.2024, 14:05 Uhr", "Lesezeit: 3 Minuten"],
        "fr": ["Publié le 12 mars 2024 à 14h05", "Mis à jour le 13 mars 2024"],
        "es": ["Publicado el 12 de marzo de 2024", "Actualizado: 13/03/2024 14:05"],
        "ru": ["Опубликовано: 12 марта 2024", "Обновлено 13.03.2024 14:05"],
    },
    "ad": {
        "en": ["Advertisement", "ADVERTISEMENT", "- Advertisement -", "Story continues below advertisement", "Sponsored", "[Ad]"],
        "de": ["Anzeige", "Werbung", "- Anzeige -"], "fr": ["Publicité", "PUBLICITÉ"],
        "es": ["Publicidad", "PUBLICIDAD"], "ru": ["Реклама", "РЕКЛАМА"],
    },
    "readmore": {
        "en": ["Read more: {h}", "READ MORE: {h}", "Related: {h}", "Also read: {h}", "See also: {h}", "RELATED: {h}"],
        "de": ["Lesen Sie auch: {h}", "Mehr zum Thema: {h}"], "fr": ["Lire aussi : {h}", "À lire aussi : {h}"],
        "es": ["Lee también: {h}", "Te puede interesar: {h}"], "ru": ["Читайте также: {h}"],
    },
    "share": {
        "en": ["Share this article", "Share on Facebook Share on Twitter Email", "Share", "Tweet", "Facebook Twitter WhatsApp Email Print",
               "Follow us on Twitter and Facebook", "Follow us on Telegram for the latest updates", "Copy link"],
        "de": ["Artikel teilen", "Teilen", "Folgen Sie uns auf Facebook und Instagram"],
        "fr": ["Partager cet article", "Partager sur Facebook", "Suivez-nous sur Twitter"],
        "es": ["Compartir en Facebook", "Compartir", "Síguenos en Twitter e Instagram"],
        "ru": ["Поделиться", "Подписывайтесь на наш канал в Telegram"],
    },
    "subscribe": {
        "en": ["Subscribe now for unlimited access", "Subscribe to our YouTube channel", "Already a subscriber? Log in",
               "Support independent journalism. Become a member today.", "Click here to subscribe"],
        "de": ["Jetzt abonnieren und weiterlesen", "Unterstützen Sie unabhängigen Journalismus"],
        "fr": ["Abonnez-vous pour lire la suite", "Je m'abonne"], "es": ["Suscríbete para seguir leyendo", "Hazte socio"],
        "ru": ["Оформите подписку, чтобы читать дальше", "Подписаться"],
    },
    "newsletter": {
        "en": ["Sign up for our daily newsletter", "Get the latest headlines delivered to your inbox every morning.",
               "Enter your email address to receive our newsletter", "Newsletter", "Sign up to The Briefing, our free email newsletter"],
        "de": ["Newsletter abonnieren", "Melden Sie sich für unseren Newsletter an"],
        "fr": ["Inscrivez-vous à notre newsletter", "Recevez notre lettre d'information chaque matin"],
        "es": ["Suscríbete a nuestro boletín", "Recibe nuestra newsletter en tu correo"],
        "ru": ["Подпишитесь на нашу рассылку", "Получайте дайджест новостей на почту"],
    },
    "comments": {
        "en": ["Comments (14)", "Leave a Reply", "Leave a comment", "3 Comments", "Join the conversation",
               "Your email address will not be published. Required fields are marked *", "Post Comment"],
        "de": ["Kommentare (5)", "Kommentar schreiben"], "fr": ["Commentaires", "Laisser un commentaire"],
        "es": ["Comentarios (8)", "Deja un comentario"], "ru": ["Комментарии (3)", "Оставить комментарий"],
    },
    "related": {
        "en": ["Related posts", "Related Articles", "You may also like", "More from {site}", "Recommended for you", "Most read", "Related"],
        "de": ["Das könnte Sie auch interessieren", "Mehr zum Thema", "Weitere Artikel"],
        "fr": ["Sur le même sujet", "À lire aussi", "Vous aimerez aussi"],
        "es": ["Noticias relacionadas", "También te puede interesar", "Más noticias"],
        "ru": ["Читайте также", "Похожие новости", "Другие новости"],
    },
    "tags": {
        "en": ["Tags: {t}", "Topics: {t}", "Filed under: {t}", "{tj}"],
        "de": ["Schlagwörter: {t}", "Themen: {t}"], "fr": ["Mots-clés : {t}", "Tags : {t}"],
        "es": ["Etiquetas: {t}", "Temas: {t}"], "ru": ["Теги: {t}", "Метки: {t}"],
    },
    "photo": {
        "en": ["Image caption: {cap}", "Photo: Reuters", "Photo: {cap} (AP Photo/Jane Doe)", "Getty Images", "Image: {cap}"],
        "de": ["Foto: dpa", "Bild: {cap}"], "fr": ["Photo : AFP", "Crédit photo : {cap}"],
        "es": ["Foto: EFE", "Imagen: {cap}"], "ru": ["Фото: ТАСС", "Фото: {cap}"],
    },
    "copyright": {
        "en": ["© 2024 {site}. All rights reserved.", "Copyright © 2024 {site} Media Group", "Privacy Policy | Terms of Use | Contact Us",
               "This material may not be published, broadcast, rewritten or redistributed."],
        "de": ["© 2024 {site}. Alle Rechte vorbehalten.", "Impressum | Datenschutz | Kontakt"],
        "fr": ["© 2024 {site}. Tous droits réservés.", "Mentions légales | Politique de confidentialité"],
        "es": ["© 2024 {site}. Todos los derechos reservados.", "Aviso legal | Política de privacidad"],
        "ru": ["© 2024 {site}. Все права защищены.", "Политика конфиденциальности | Контакты"],
    },
    "cookie": {
        "en": ["This website uses cookies to improve your experience. We'll assume you're ok with this, but you can opt-out if you wish. Accept Read More",
               "We use cookies to personalise content and ads. By continuing to browse, you agree to our use of cookies. Got it",
               "We value your privacy. We and our partners use cookies to store and access information on your device. Accept all Manage preferences"],
        "de": ["Diese Website verwendet Cookies. Wenn Sie die Seite weiter nutzen, stimmen Sie der Verwendung von Cookies zu. Akzeptieren"],
        "fr": ["Nous utilisons des cookies pour améliorer votre expérience. En poursuivant votre navigation, vous acceptez leur utilisation. Accepter"],
        "es": ["Utilizamos cookies propias y de terceros para mejorar nuestros servicios. Si continúa navegando, acepta su uso. Aceptar"],
        "ru": ["Мы используем файлы cookie, чтобы сайт работал лучше. Продолжая пользоваться сайтом, вы соглашаетесь с этим. Принять"],
    },
    "syndication": {
        "en": ["Original article: {url}", "This article was originally published in {site}.", "Source: {url}",
               "Statement: This article represents the views of the author. Please express your attitude by clicking on the [top/vote] buttons below.",
               "The views expressed in this article are those of the author and do not necessarily reflect the position of {site}.",
               "This story originally appeared on {site} and is republished with permission."],
        "de": ["Dieser Artikel erschien zuerst bei {site}.", "Quelle: {url}"],
        "fr": ["Cet article a été initialement publié sur {site}.", "Source : {url}"],
        "es": ["Este artículo fue publicado originalmente en {site}.", "Fuente: {url}"],
        "ru": ["Оригинал статьи: {url}", "Источник: {url}"],
    },
    "credit": {
        "en": ["(Reporting by {author}; Editing by {author2})", "{author} contributed to this report.", "Additional reporting by {author}"],
        "de": [], "fr": [], "es": [], "ru": [],
    },
    "contact": {
        "en": ["{email}", "Contact the author: {email}", "Email {author} at {email} or follow her on Twitter @{handle}."],
        "de": ["{email}"], "fr": ["{email}"], "es": ["{email}"], "ru": ["{email}"],
    },
}

# A second, disjoint set of wordings for every family, for a held-out check: the rules were tuned on
# POOLS; HELDOUT_POOLS was written afterwards and only measured (``--heldout``).
HELDOUT_POOLS = {
    "nav": {
        "en": ["Jump to navigation", "Main menu", "News › World › Asia", "HOME / WORLD / ASIA", "Log in | Register", "Back to top",
               "World  US  Politics  Tech  Science  Health"],
        "de": ["Navigation überspringen", "Startseite › Politik › Ausland", "Menü"], "fr": ["Accueil › Monde › Asie", "Menu principal", "Se connecter"],
        "es": ["Portada > Internacional > Asia", "Menú", "Registrarse"], "ru": ["Главная › В мире › Азия", "Меню", "Регистрация"],
    },
    "section": {"en": ["Asia", "Analysis", "Breaking News", "Europe"], "de": ["Ausland", "Meinung"], "fr": ["Monde", "Analyse"],
                "es": ["Internacional", "Análisis"], "ru": ["В мире", "Аналитика"]},
    "byline": {"en": ["BY {author}", "Story by {author}", "Words: {author}", "{author} | Reporter", "Author: {author}", "by {author}, {date}"],
               "de": ["Ein Beitrag von {author}", "Autor: {author}"], "fr": ["Un article de {author}", "Auteur : {author}"],
               "es": ["Escrito por {author}", "Autor: {author}"], "ru": ["Автор материала: {author}", "{author}, корреспондент"]},
    "date": {"en": ["Last updated: 14 November 2025", "Nov 14, 2025 · 3 min read", "14/11/2025 09:15", "Thursday, November 14, 2025", "2025-11-14 09:15"],
             "de": ["Stand: 14.11.2025 09:15 Uhr", "14. November 2025"], "fr": ["Mis à jour le 14/11/2025 à 09h15", "jeudi 14 novembre 2025"],
             "es": ["Actualizado el 14 de noviembre de 2025", "14 nov 2025"], "ru": ["14 ноября 2025, 09:15", "Обновлено: 14.11.2025"]},
    "ad": {"en": ["Advertisements", "— ADVERTISEMENT —", "Sponsored content", "Continue reading below", "Paid content"],
           "de": ["ANZEIGE", "Gesponsert"], "fr": ["Contenu sponsorisé", "- Publicité -"], "es": ["Contenido patrocinado", "- Publicidad -"],
           "ru": ["На правах рекламы", "Спонсорский материал"]},
    "readmore": {"en": ["ALSO READ: {h}", "Read also: {h}", "SEE ALSO: {h}", "Recommended: {h}", "Don't miss: {h}", "WATCH: {h}"],
                 "de": ["Auch interessant: {h}", "Lesen Sie hier: {h}"], "fr": ["Voir aussi : {h}", "À voir : {h}"],
                 "es": ["Ver también: {h}", "Más información: {h}"], "ru": ["Смотрите также: {h}", "Подробнее: {h}"]},
    "share": {"en": ["Share this story", "Share via Email", "Tweet this", "Share on X", "Follow us on Instagram", "Follow us on Google News",
                     "Share Tweet Pin Email"],
              "de": ["Teilen Sie diesen Artikel", "Auf Facebook teilen"], "fr": ["Partager sur X", "Suivez-nous sur Facebook"],
              "es": ["Comparte esta noticia", "Síguenos en Facebook"], "ru": ["Поделиться в VK", "Следите за нами в Telegram"]},
    "subscribe": {"en": ["Subscribe today and get 50% off", "Become a subscriber to keep reading", "Get unlimited access for $1 a week",
                         "Start your free trial now"],
                  "de": ["Abonnieren Sie jetzt", "Jetzt testen mit Abo"], "fr": ["Abonnez-vous dès maintenant", "Soutenez notre journalisme"],
                  "es": ["Hazte suscriptor", "Suscríbete ahora"], "ru": ["Подпишитесь, чтобы читать дальше", "Поддержите нашу редакцию"]},
    "newsletter": {"en": ["Get our free morning briefing by email", "Want more stories like this? Sign up for our newsletter.",
                          "Never miss a story: sign up for email alerts", "Join 50,000 readers who get our newsletter"],
                   "de": ["Jetzt den Newsletter bestellen", "Erhalten Sie unseren Newsletter"], "fr": ["Recevez notre newsletter gratuite", "Inscription à la newsletter"],
                   "es": ["Recibe el boletín diario", "Apúntate a nuestra newsletter"], "ru": ["Получайте рассылку каждое утро", "Подписаться на рассылку"]},
    "comments": {"en": ["View comments", "Show 27 comments", "Add a comment", "Be the first to comment", "12 Replies"],
                 "de": ["Kommentieren", "12 Kommentare"], "fr": ["Réagir", "12 commentaires"], "es": ["12 comentarios", "Escribe un comentario"],
                 "ru": ["Обсуждение", "12 комментариев"]},
    "related": {"en": ["Related Stories", "More on this story", "Trending now", "Latest news", "Read next", "Further reading"],
                "de": ["Meistgelesen", "Weitere Nachrichten"], "fr": ["Les plus lus", "Articles similaires"],
                "es": ["Lo más leído", "Te recomendamos"], "ru": ["Самое читаемое", "Материалы по теме"]},
    "tags": {"en": ["Topics: {t}", "Tagged: {t}", "{tj}", "Categories: {t}"], "de": ["Stichwörter: {t}", "{tj}"], "fr": ["Thèmes : {t}", "{tj}"],
             "es": ["Temas: {t}", "{tj}"], "ru": ["Темы: {t}", "{tj}"]},
    "photo": {"en": ["Photograph: {cap}", "Picture: Getty", "(Photo by Jane Doe/Getty Images)", "Image source: Reuters", "Credit: AFP"],
              "de": ["Foto: picture alliance", "Bildquelle: dpa"], "fr": ["Photo d'illustration : AFP", "Crédits : AFP"],
              "es": ["Fotografía: EFE", "Foto: Europa Press"], "ru": ["Фото: РИА Новости", "Иллюстрация: ТАСС"]},
    "copyright": {"en": ["Copyright 2025 {site}", "(c) 2025 {site} Ltd", "All Rights Reserved.", "Terms of Service · Privacy Notice · Cookie Settings"],
                  "de": ["Copyright 2025 {site}. Alle Rechte vorbehalten.", "AGB | Impressum | Datenschutzerklärung"],
                  "fr": ["Copyright 2025 {site}", "CGU · Mentions légales · Nous contacter"], "es": ["Copyright 2025 {site}", "Contacto | Aviso legal"],
                  "ru": ["Copyright 2025 {site}", "О нас | Контакты | Реклама на сайте"]},
    "cookie": {"en": ["By using this site you accept our cookie policy. OK", "Our site uses cookies. Learn more about our use of cookies: cookie policy. Accept",
                      "We and our partners use cookies and similar technologies. You can manage your preferences at any time. Accept all Reject all"],
               "de": ["Wir verwenden Cookies, um Ihnen das beste Nutzererlebnis zu bieten. Alle akzeptieren"],
               "fr": ["Ce site utilise des cookies. Vous pouvez modifier vos paramètres à tout moment. J'accepte"],
               "es": ["Usamos cookies para mejorar tu experiencia. Al continuar navegando aceptas nuestra política de cookies."],
               "ru": ["Сайт использует куки. Продолжая работу с сайтом, вы даете согласие на их использование."]},
    "syndication": {"en": ["Originally published at {url}", "Source: {site}", "This post first appeared on {site}.",
                           "Disclaimer: The opinions expressed here are the author's own.", "Read the original article: {url}",
                           "This article is republished from {site} under a Creative Commons license."],
                    "de": ["Originalartikel: {url}", "Zuerst erschienen bei {site}."], "fr": ["Article original : {url}", "Source : {site}"],
                    "es": ["Artículo original: {url}", "Fuente: {site}"], "ru": ["Источник: {site}", "Статья впервые опубликована на {site}."]},
    "credit": {"en": ["(Writing by {author}; Editing by {author2})", "Additional reporting by {author} in London", "Compiled by {author}"],
               "de": [], "fr": [], "es": [], "ru": []},
    "contact": {"en": ["Contact: {email}", "Email: {email}", "You can reach {author} at {email}.", "Send tips to {email}"],
                "de": ["Kontakt: {email}"], "fr": ["Contact : {email}"], "es": ["Contacto: {email}"], "ru": ["Почта: {email}"]},
}
HELDOUT_SITES = [
    {"name": "asia-daily.net", "layout": "wrapped", "width": 70, "lang_chrome": "en"},
    {"name": "Northern Star", "layout": "blank", "lang_chrome": "mixed"},
    {"name": "pressreader.example", "layout": "lines", "lang_chrome": "own"},
    {"name": "wire-copy.eu", "layout": "wrapped", "width": 76, "lang_chrome": "own"},
    {"name": "portal.news", "layout": "blank", "lang_chrome": "own"},
]

AUTHORS = ["Maria Keller", "John Fairweather", "Ana Ruiz", "Pierre Lambert", "Olga Smirnova", "Tom O'Neill", "Jan Novak"]
SITES = [
    {"name": "harbourtimes.com", "layout": "blank", "lang_chrome": "own"},
    {"name": "eurowire.net", "layout": "wrapped", "width": 72, "lang_chrome": "en"},
    {"name": "daily-ledger.co.uk", "layout": "lines", "lang_chrome": "en"},
    {"name": "nachrichten-heute.de", "layout": "blank", "lang_chrome": "own"},
    {"name": "newsroom.example.org", "layout": "wrapped", "width": 78, "lang_chrome": "own"},
    {"name": "The Morning Courier", "layout": "blank", "lang_chrome": "mixed"},
    {"name": "agregador.es", "layout": "lines", "lang_chrome": "own"},
    {"name": "mirror-feed.info", "layout": "wrapped", "width": 80, "lang_chrome": "mixed"},
]


def seed_docs() -> tuple[list[dict], list[dict]]:
    docs, stories = [], []
    for path in sorted(SEEDS.glob("*.txt")):
        key = path.name[:3]
        raw = path.read_text(encoding="utf-8")
        lines, body, title = [], [], None
        for i, line in enumerate(l for l in raw.splitlines() if l.strip()):
            chrome = SEED_CHROME[key](i, line)
            lines.append({"text": line, "label": "chrome" if chrome else "body"})
            if not chrome:
                body.append(line)
        first = raw.splitlines()[0]
        title = first.split(" | ")[0] if key == "004" else (raw.splitlines()[1] if key == "002" else first)
        if key == "003":
            title = None
        docs.append({"id": f"seed-{key}", "site": "seed", "format": "text", "text": raw, "lines": lines})
        stories.append({"id": f"seed-{key}", "lang": "en", "title": title, "paragraphs": body})
    return docs, stories


def pick(rng: random.Random, family: str, lang: str, mode: str) -> list[str]:
    pool = ACTIVE[family]
    if mode == "en" or not pool.get(lang):
        lang = "en"
    elif mode == "mixed" and rng.random() < 0.5:
        lang = "en"
    return pool[lang]


def fill(rng: random.Random, template: str, site: str, lang: str) -> str:
    a1, a2 = rng.sample(AUTHORS, 2)
    domain = site.lower().replace(" ", "")
    domain = domain if "." in domain else domain + ".com"
    tags = rng.sample(["Politics", "Economy", "Transport", "Europe", "City Council", "Energy", "Weather"], 4)
    return template.format(
        author=a1, author2=a2, date=rng.choice(["March 12, 2024", "12 March 2024", "2024-03-12"]),
        h=rng.choice(OTHER_HEADLINES.get(lang, OTHER_HEADLINES["en"])), site=site,
        t=", ".join(tags), tj="".join(tags), cap="The harbour at dawn, seen from the old lighthouse",
        url=f"https://{domain}/article/{rng.randint(10**6, 10**7)}/",
        email=f"{a1.split()[0].lower()}.{a1.split()[-1].lower().replace(chr(39), '')}@{domain}",
        handle=a1.split()[0].lower(),
    )


def chrome_line(rng, family, lang, mode, site):
    lng = lang
    pool = pick(rng, family, lang, mode)
    if pool is ACTIVE[family].get("en"):
        lng = "en"
    return fill(rng, rng.choice(pool), site, lng)


def republish(story: dict, site: dict, rng: random.Random) -> list[tuple[str, str]]:
    """The story under ``site``'s chrome, as (paragraph, label) in page order."""
    lang, mode, name = story["lang"], site["lang_chrome"], site["name"]
    c = lambda fam: (chrome_line(rng, fam, lang, mode, name), "chrome")  # noqa: E731
    out: list[tuple[str, str]] = []
    if rng.random() < 0.5:
        out.append(c("nav"))
    if rng.random() < 0.3:
        out.append(c("nav"))
    title = story.get("title")
    if title:
        if rng.random() < 0.35:
            section = rng.choice(pick(rng, "section", lang, mode))
            out.append((f"{title} | {section} | {name}", "chrome"))
        elif rng.random() < 0.4:
            out.append((rng.choice(pick(rng, "section", lang, mode)), "chrome"))
        out.append((title, "chrome"))
        if rng.random() < 0.25:
            out.append((title, "chrome"))
        if story.get("dek") and rng.random() < 0.8:
            out.append((story["dek"], "chrome"))
    if rng.random() < 0.7:
        out.append(c("byline"))
    if rng.random() < 0.6:
        out.append(c("date"))
    if rng.random() < 0.3:
        out.append(c("share"))
    if rng.random() < 0.4:
        out.append(c("photo"))
    paras = story["paragraphs"]
    for i, p in enumerate(paras):
        out.append((p, "body"))
        if 0 < i < len(paras) - 1:
            r = rng.random()
            if r < 0.12:
                out.append(c("ad"))
            elif r < 0.22:
                out.append(c("readmore"))
            elif r < 0.26:
                out.append(c("newsletter"))
            elif r < 0.29:
                out.append(c("photo"))
    tail_families = ["credit", "contact", "tags", "share", "subscribe", "newsletter", "related", "comments", "copyright", "syndication", "cookie"]
    rng.shuffle(tail_families)
    for fam in tail_families:
        if rng.random() < 0.5:
            continue
        if fam == "related":
            out.append(c("related"))
            heads = rng.sample(OTHER_HEADLINES.get(lang, OTHER_HEADLINES["en"]), 3)
            for h in heads:
                out.append((h, "chrome"))
                if rng.random() < 0.3:
                    out.append((fill(rng, "{email}", name, lang), "chrome"))
            if rng.random() < 0.3:
                out.append((paras[1][: rng.randint(80, 160)].rstrip() + "…", "chrome"))
        elif fam == "comments":
            out.append(c("comments"))
            if rng.random() < 0.5:
                out.append((fill(rng, "Your email address will not be published. Required fields are marked *", name, lang), "chrome"))
        elif fam == "credit" and lang != "en":
            continue
        else:
            out.append(c(fam))
    if rng.random() < 0.3:
        out.insert(0, c("cookie"))
    return out


def layout(items: list[tuple[str, str]], site: dict) -> tuple[str, list[dict]]:
    text_lines, labels = [], []
    kind = site["layout"]
    for para, label in items:
        if kind == "wrapped":
            wrapped = textwrap.wrap(para, site["width"], break_on_hyphens=False) or [para]
            text_lines.extend(wrapped)
            text_lines.append("")
            labels.extend({"text": w, "label": label} for w in wrapped)
        else:
            text_lines.append(para)
            if kind == "blank":
                text_lines.append("")
            labels.append({"text": para, "label": label})
    return "\n".join(text_lines).strip() + "\n", labels


def to_html(items: list[tuple[str, str]], title: str | None, site: str) -> str:
    """A page: leading chrome in header/nav, body and inline chrome in <article>, tail chrome in footer."""
    esc = htmllib.escape
    first_body = next((i for i, (_, l) in enumerate(items) if l == "body"), 0)
    last_body = max((i for i, (_, l) in enumerate(items) if l == "body"), default=len(items) - 1)
    head = "".join(f"<div class='nav'>{esc(t)}</div>" for t, _ in items[:first_body] if t != title)
    mid = []
    for t, label in items[first_body : last_body + 1]:
        cls = "" if label == "body" else " class='inline'"
        if label == "body" and len(t.split()) <= 8 and not t.endswith("."):
            mid.append(f"<h2>{esc(t)}</h2>")
        else:
            mid.append(f"<p{cls}>{esc(t)}</p>")
    tail = "".join(f"<p>{esc(t)}</p>" for t, _ in items[last_body + 1 :])
    return (
        f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{esc(title or site)}{' - ' + esc(site) if title else ''}</title></head><body>"
        f"<header>{head}</header><main><article>{'<h1>' + esc(title) + '</h1>' if title else ''}{''.join(mid)}</article></main>"
        f"<aside><h3>Most read</h3><ul><li><a href='/x'>Something else happened today</a></li></ul></aside>"
        f"<footer>{tail}</footer></body></html>"
    )


ACTIVE = POOLS


def main() -> None:
    global ACTIVE
    heldout = "--heldout" in sys.argv
    ACTIVE = HELDOUT_POOLS if heldout else POOLS
    sites = HELDOUT_SITES if heldout else SITES
    rng = random.Random(777 if heldout else 20261124)
    docs, seed_stories = seed_docs()
    if heldout:
        docs = []
    stories = seed_stories + json.loads((HERE / "stories.json").read_text(encoding="utf-8"))
    for story in stories:
        for site in rng.sample(sites, 4):
            items = republish(story, site, rng)
            text, labels = layout(items, site)
            doc_id = f"{story['id']}@{site['name']}"
            docs.append({"id": doc_id, "site": site["name"], "format": "text", "text": text, "lines": labels})
            if rng.random() < 0.35:
                page = to_html(items, story.get("title"), site["name"])
                html_labels = [{"text": t, "label": l} for t, l in items]
                docs.append({"id": doc_id + "#html", "site": site["name"], "format": "html", "html": page, "lines": html_labels})
    out = HERE / ("heldout.jsonl" if heldout else "corpus.jsonl")
    with open(out, "w", encoding="utf-8") as fh:
        for d in docs:
            fh.write(json.dumps(d, ensure_ascii=False) + "\n")
    print(f"{len(docs)} documents -> {out}")


if __name__ == "__main__":
    main()
