"""Named rule families that recognise one chrome line (or paragraph) without looking around it.

Each rule answers "is this line, on its own, site chrome, and which kind?" and returns the rule
name (the family) plus any metadata worth keeping (author, date, original URL). Rules that
need the neighbourhood (related blocks, section labels, repeated headlines, the page title)
live in :mod:`pipeline` and :mod:`title`; this module only sees one line.

Structure comes first: every family bounds the length of what it removes, most require the
phrase to *open* the line, and the phrase families skip lines that are quotations or carry
reported speech ("said", "according to"), because that is how a news story talks *about*
cookies, subscriptions or comments rather than showing a banner for them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from . import phrases as P
from .gates import first_chars, literal_heads, opening, openings, signals
from .normalise import ends_with

F = P.FLAGS

# Rule names, one per family; the pipeline adds the context-dependent ones.
ADVERTISEMENT = "advertisement"
COOKIE = "cookie-banner"
SYNDICATION = "syndication-footer"
COPYRIGHT = "copyright"
PHOTO = "photo-credit"
REPORTING = "reporting-credit"
BYLINE = "byline"
DATE = "date-line"
READ_MORE = "read-more"
SOCIAL = "social-prompt"
SUBSCRIBE = "subscribe-prompt"
NEWSLETTER = "newsletter"
COMMENTS = "comments"
NAVIGATION = "navigation"
TAGS = "tag-list"
RELATED_HEADER = "related-block"

_DECOR_L = re.compile(r"^[\s\-–—•·*»›>|#=~_\u25b6\u25ba\u2192\u2014]+")
_DECOR_R = re.compile(r"[\s\-–—•·*«‹<|#=~_:\u25c0\u2190]+$")
_BRACKETED = re.compile(r"^[\[(【{]\s*(.*?)\s*[\])】}]$")
#: First and last characters that :func:`strip_decoration` can take away (besides whitespace).
_DECOR_OPENERS = frozenset("-–—•·*»›>|#=~_\u25b6\u25ba\u2192\u2014" "[(【{")
_DECOR_CLOSERS = frozenset("-–—•·*«‹<|#=~_:\u25c0\u2190")
_WS = re.compile(r"\s+")
_WORD = re.compile(r"\w+", F)
_URL = re.compile(r"(?:https?://|www\.)\S+", F)
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+", F)
_QUOTE_START = re.compile(r"^[\"“”„«‘‚‹'\u2018\u201c]")
_ATTRIBUTION_WORDS = (
    r"said|says|told|tells|according to|asked|added|explained|wrote|argued|"
    r"sagte|sagt|erklärte|schrieb|laut|a déclaré|a dit|selon|explique|dijo|dice|según|afirmó|explicó|"
    r"сказал\w*|заявил\w*|по словам|отметил\w*|сообщил\w*"
)
_ATTRIBUTION = re.compile(r"\b(?:" + _ATTRIBUTION_WORDS + r")\b")
# A sentence ending inside the text ("ok. The"): only ever used as a test. Opens on the
# punctuation (letters checked behind it) so the engine can skip to candidates in C.
_INNER_SENTENCE = re.compile(r"[.!?](?<=[a-zа-яё]{2}[.!?]) [A-ZА-ЯЁ]")
_CAMEL = re.compile(r"[a-zа-яё]{2}[A-ZА-ЯЁ][a-zа-яё]")
# Every capital that _CAMEL can match, counted from the capital (overlaps included, so never
# fewer): opening on a character class lets the engine skip to capitals in C.
_CAMEL_CAPITAL = re.compile(r"[A-ZА-ЯЁ](?<=[a-zа-яё]{2}[A-ZА-ЯЁ])(?=[a-zа-яё])")
_ALPHA = re.compile(r"[^\W\d_]", F)


def _full(phrases: tuple[str, ...]) -> re.Pattern[str]:
    return re.compile(r"^" + P.alternation(phrases) + r"\W*$", F)


def _prefix(phrases: tuple[str, ...]) -> re.Pattern[str]:
    return re.compile(r"^" + P.alternation(phrases) + r"(?!\w)", F)


_ADS = re.compile(r"^\W*" + P.alternation(P.ADVERTISEMENT) + r"\W*$", F)
_COOKIE = re.compile(P.COOKIE_WORD, F)
_COOKIE_ADDRESS = re.compile(r"(?<!\w)(?:" + P.COOKIE_ADDRESS + r")(?!\w)")
_COOKIE_CONSENT = re.compile(P.COOKIE_CONSENT)
_RELATED_FULL = _full(P.RELATED_HEADER)
_READ_MORE = re.compile(r"^" + P.alternation(P.READ_MORE) + r"\s*(?:[:：»›→>|…]|\.\.\.|\s[-–—]\s|\s*$)\s*(.*)$", F)
_READ_MORE_LOOSE = re.compile(r"^(?:read more|see more|also read|read also|see also|also on \S+\.\w+)\s+(.*)$", F)
# "Continue reading at example.com …": a read-more link naming where the rest of the story is.
# Only a web address counts as the place ("Read more at the meeting" is prose).
_READ_MORE_AT = re.compile(
    r"^" + P.alternation(P.READ_MORE) + r"\s+(?:at|on|in|from|via|auf|bei|unter|sur|chez|en|на|в)\s+"
    r"(?:https?://)?[\w-]+(?:\.[\w-]+)*\.[a-z]{2,}(?:/\S*)?\s*(?:…|\.\.\.|[.»›→])?$",
    F,
)
_TEASER_TAG = re.compile(r"\[[A-Z][A-Z ]{2,15}\]\W*$")
_LINK_LABEL = re.compile(r"^[\w' ]{1,25}\s*[:：]\s*(?:https?://|www\.)\S+$", F)
_SHORTCODE = re.compile(r"\[/?\w+(?:\s[^\]]*)?\].*\[/\w+\]")
_SOCIAL_URL = re.compile(r"^(?:https?://)?(?:www\.)?(?:twitter\.com|x\.com|facebook\.com|instagram\.com|t\.me|vk\.com|youtube\.com|linkedin\.com|tiktok\.com)/\S*$", F)
_READ_MORE_ALONE = re.compile(r"^\W*" + P.alternation(P.READ_MORE_ALONE) + r"\W*$", F)
_SHARE = _prefix(P.SHARE_PROMPT)
_SOCIAL_WORDS = frozenset(P.SOCIAL_WORDS)
_SOCIAL_CORE = frozenset(
    "share shares tweet facebook twitter whatsapp linkedin pinterest reddit telegram vk email e-mail print "
    "teilen partager compartir поделиться flipboard messenger viber copy link pin".split()
)
_FOLLOW = _prefix(P.FOLLOW_VERB)
_WE_WORDS = frozenset({"us", "uns", "nous", "nosotros", "нас"})
_PRIVACY_BANNER = re.compile(
    r"we (?:value|respect|care about) your privacy|nous respectons votre vie privée|wir respektieren ihre privatsphäre|"
    r"respetamos tu privacidad|мы уважаем вашу конфиденциальность|your privacy choices|ihre privatsphäre ist uns wichtig"
)
_PLATFORM = re.compile(r"(?<!\w)(?:" + P.PLATFORMS + r")", F)
_SUBSCRIBE = _prefix(P.SUBSCRIBE_PROMPT)
_NEWSLETTER = re.compile(r"(?<!\w)(?:" + P.NEWSLETTER_WORD + r")")
_NEWSLETTER_ACTION = _prefix(P.NEWSLETTER_ACTION)
_YOU = re.compile(r"(?<!\w)(?:you|your|you'll|you're|sie|ihr|ihre|dein|vous|votre|vos|tu|tus|usted|su|вы|ваш\w*|вам|тебе)(?!\w)")
_COMMENTS = re.compile(r"^\W*" + P.alternation(P.COMMENTS) + r"[\s\W\d]*$", F)
_COMMENT_FORM = re.compile(
    r"^(?:your email address will not be published|you must be (?:logged|signed) in to|save my name,? email|"
    r"required fields are marked|ваш адрес email не будет опубликован|votre adresse (?:e-)?mail ne sera pas publiée|"
    r"tu dirección de correo electrónico no será publicada|ihre e-mail-adresse wird nicht veröffentlicht|"
    r"this site uses akismet)",
    F,
)
_NAV_FULL = _full(P.NAV_LINE)
# A breadcrumb or menu separator (pipe, bullet, arrow, "::", or a spaced ">" "/" "\\"), written
# after its first character like _META_SPLIT; tests/test_cleaning.py holds the plain form.
_BREADCRUMB_SPLIT = re.compile(r"[\s|•·»›→:](?:(?<=\s)\s*(?:[|•·»›→]|::)\s*|(?<=[|•·»›→])\s*|(?<=:):\s*|(?<=\s)\s*[>/\\]\s+)")
_PHOTO = re.compile(r"^[(\[]?" + P.alternation(P.PHOTO_PREFIX) + r"\s*(?:[:：|]|\s[-–—]\s|\s*\(|/)", F)
_AGENCY = re.compile(r"(?<!\w)(?:" + P.PHOTO_AGENCIES + r")(?!\w)", F)
_TAGS = re.compile(r"^" + P.alternation(P.TAGS_PREFIX) + r"\s*(?:[:：]|\s*$)", F)
_TAGS_BARE = re.compile(r"^(?:posted in|tagged(?: with| as)?|filed under|categories|category|topics|themen|thèmes|temas|темы)\s+[A-ZÀ-ÝА-Я0-9]", F)
_CAPTION_BARE = re.compile(r"^(?:(?:image|media|video|photo) (?:caption|copyright|source|credit)\b|(?:photo|photograph|image|picture|foto|bild) (?:by|von|de|par) [A-ZÀ-Ý])", F)
_YOU_ARE_HERE = re.compile(r"^(?:you are here|sie sind hier|vous êtes ici|usted está aquí|estás aquí|вы здесь)\s*:", F)
_BIO = re.compile(
    r"^(?:[A-ZÀ-Ý][\w'’.-]+\s){1,3}is (?:a|an|the) (?:[\w-]+ ){0,4}?(?:" + P.BYLINE_ROLES + r")\b.{0,40}?\b(?:at|for|with|of) (?:the )?[A-Z]"
)
_COOKIE_SHORT = re.compile(r"(?:accept|reject|allow|manage|settings|preferences|policy|consent|choices|gestion|preferencias|настроить|hinweis|akzeptieren|ablehnen|einstellungen|accepter|refuser|paramètres|aceptar|rechazar|configuración|принять|отклонить|настройки)", F)
_BYLINE = re.compile(r"^" + P.alternation(P.BYLINE_PREFIX) + r"\s*[:：]?\s+(.+)$", F)
_META_SEPARATORS = ("|", " - ", " – ", " — ", "•", "·", "   ")
_BREADCRUMB_MARKS = ("|", "•", "·", "»", "›", "→", "::", " > ", " / ", " \\ ")
# A word opening in lower case: the line is not a row of capitalised menu words.
_SPACE_LOWER = re.compile(r" [a-zа-яё]")
_HOME_WORDS = frozenset({"home", "homepage", "startseite", "accueil", "inicio", "portada", "главная", "news"})
_ROLE_TAIL = re.compile(r"^(?:" + P.BYLINE_ROLES + r")$", F)
_ROLE_BYLINE = re.compile(r"^(.{3,60}?),\s*(?:" + P.BYLINE_ROLES + r")$", F)
_READ_MORE_RELATED = re.compile(r"^" + P.alternation(P.RELATED_HEADER) + r"\s*[:：]\s*(\S.*)$", F)
_REPORTING = re.compile(r"^[(\[]?\s*" + P.alternation(P.REPORTING_CREDIT) + r"\s*[:：]?\s*[\w(]", F)
_CONTRIBUTED = re.compile(P.CONTRIBUTED)
_CONTACT = re.compile(r"(?<!\w)(?:" + P.CONTACT + r")")
_OUR = re.compile(r"(?:our|unser\w*|notre|nos|nuestr\w+|наш\w*)\b")
_CONTACT_LABEL = re.compile(r"^(?:e-?mail|contact|kontakt|почта)\s*:?", F)
_CTA = re.compile(P.CALL_TO_ACTION)
_COPYRIGHT_START = re.compile(r"^\W{0,3}" + P.alternation(P.COPYRIGHT[:3]), F)
_COPYRIGHT_PROSE = re.compile(r"^[Cc]opyright\s+[a-zà-ÿ]")  # "Copyright lawyers say ..."
_COPYRIGHT_ANY = re.compile(P.alternation(P.COPYRIGHT[3:]))
_LEGAL = re.compile(P.LEGAL_WORDS)
_SYNDICATION = re.compile(r"^[(\[]?\s*" + P.alternation(P.SYNDICATION) + r"(?!\w)\s*[:：]?\s*(.*)$", F)
_DISCLAIMER_HEAD = re.compile(r"^(?:statement|disclaimer|editor'?s note|the views|the opinions|views expressed|мнение|точка)", F)
_DISCLAIMER_VOCAB = re.compile(P.DISCLAIMER_VOCAB, F)
_SOURCE_HEAD = re.compile(r"^[(\[]?\s*(?:sources?|original(?: source| story| post)?|quelle|fuente|источник|оригинал)\b", F)

_DATE_PREFIX = re.compile(r"^" + P.alternation(P.DATE_PREFIX) + r"(?!\w)\s*[:：]?\s*", F)
_DATE_TOKEN_ALTERNATIVES = (
    r"\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2})?(?:\.\d+)?(?:Z|[+-]\d{2}:?\d{2})?)?"
    r"|\d{1,2}[./-]\d{1,2}[./-]\d{2,4}"
    r"|\d{1,2}(?:st|nd|rd|th|er|\.)?\s+(?:de\s+)?(?:" + P.MONTHS + r")\.?(?:,?\s+(?:de\s+)?\d{4}(?:\s*г\.?)?)?"
    r"|(?:" + P.MONTHS + r")\.?\s+\d{1,2}(?:st|nd|rd|th)?(?:,?\s+\d{4})?"
    r"|(?:" + P.MONTHS + r")\.?\s+\d{4}"
    r"|\d{1,2}[:.h]\d{2}(?:[:.]\d{2})?(?:\s*[ap]\.?\s?m\.?)?"
    r"|\d{1,2}\s*[ap]\.?m\.?"
    r"|(?:" + P.WEEKDAYS + r")\.?"
    r"|" + P.RELATIVE_TIME + r"|" + P.READ_TIME
)
_DATE_TOKEN = re.compile(r"(?<!\w)(?:" + _DATE_TOKEN_ALTERNATIVES + r")(?!\w)", F)
_DATE_FILLER = re.compile(
    r"(?<!\w)(?:at|on|um|uhr|à|le|el|a las|a la|de|del|в|г|года|the|gmt|utc|bst|cet|cest|msk|et|est|edt|pt|pst|pdt|ist|"
    r"mez|mesz|hrs?|h|updated|published|posted|aktualisiert|publié|publicado|actualizado|обновлено|опубликовано|"
    r"am|pm|and|und|et|y|и)(?!\w)|[\s,|•·–—\-:/()\[\]]+",
    F,
)
# Case-sensitive twins for lower-cased input: IGNORECASE alternations are several times slower.
_DATE_TOKEN_L = re.compile(_DATE_TOKEN.pattern.replace("[T ]", "[t ]").replace("(?:Z|", "(?:z|"))
_DATE_FILLER_L = re.compile(_DATE_FILLER.pattern)
_TIME_ONLY = re.compile(r"\d{1,2}[:.h]\d{2}(?:[:.]\d{2})?(?:\s*[ap]\.?\s?m\.?)?|\d{1,2}\s*[ap]\.?m\.?", F)
# Splits "By Jane Doe | 12 March 2024 · 3 min read" into its parts. Read as: a spaced dash or bullet,
# a pipe, three or more spaces, or the space before a "by"/"von"/"par"/"por" byline. Every branch
# is written after its first character (a space or a pipe, checked again by a lookbehind), so
# the engine can skip to candidates in C; tests/test_cleaning.py holds the plain form.
_META_SPLIT = re.compile(
    r"[\s|](?:(?<=\s)\s*[|•·–—-]\s+|(?<=\|)\s*|(?<=\s)\s*\|\s*|(?<=\s)\s{2,}"
    r"|(?<=[\d.)A-Z]\s)\s*(?=(?:by|von|par|por)\s+[A-ZÀ-ÝА-Я]))"
)
# Where a byline's names end: a comma or slash, or "in"/"for"/"at" a place or paper.
_NAME_CUT = re.compile(r"\s*[,/]\s*|\s+(?:in|for|at|à|en|aus|für|для|из)\s+")
# A trailing ", Reuters" or "| The Courier" after the names.
_NAME_TAIL = re.compile(r"\s*[,|;]\s*(?:[A-Z][\w.&' -]{1,40})?$")
_LABEL_COLON = re.compile(r"^[(\[]?\s*\w+(?:\s\w+)?\s*[:：]")
_NON_LETTERS = re.compile(r"[\W\d_]+")
# Two to four capitals standing alone ("GMT"); written to open on a capital so the engine can
# skip to one, with the "not after a word character" test behind it.
_ZONE_ABBR = re.compile(r"[A-Z](?<!\w.)[A-Z]{1,3}(?!\w)")


@dataclass(frozen=True, slots=True)
class Verdict:
    rule: str
    meta: tuple[tuple[str, str], ...] = ()


def normalise_space(text: str) -> str:
    return _WS.sub(" ", text).strip()


def strip_decoration(text: str) -> str:
    """``- Advertisement -`` and ``[ Advertisement ]`` are the same marker as ``Advertisement``."""
    if not text or (text[0] not in _DECOR_OPENERS and text[-1] not in _DECOR_CLOSERS and not text[0].isspace() and not text[-1].isspace()):
        return text  # most lines: nothing to strip, and no regex needs to look
    s = _DECOR_R.sub("", _DECOR_L.sub("", text))
    m = _BRACKETED.match(s)
    return m.group(1) if m else s


def ends_sentence(text: str) -> bool:
    return ends_with(text, ".!?…。")


def is_guarded(text: str, signals: int | None = None) -> bool:
    """Quotes and reported speech are the story talking, not the page. ``signals`` (of
    :func:`_signals`, for this text) lets the attribution search be skipped."""
    if _QUOTE_START.match(text):
        return True
    if signals is not None and not signals & G_ATTRIBUTION:
        return False
    return bool(_ATTRIBUTION.search(text.lower()))


def word_count(text: str) -> int:
    """Words, with unspaced scripts (CJK) counted by length so a long sentence is never "short"."""
    return max(text.count(" ") + 1, len(text) // 8) if text else 0


def headline_shaped(text: str, max_words: int = 25) -> bool:
    """Short, starts like a title, and does not end like a sentence (``?`` and ``!`` allowed)."""
    if not text or word_count(text) > max_words or len(text) > 220:
        return False
    first = text.lstrip("\"“”„«‘'([- –—•·*")[:1]
    if not first or not (first.isupper() or first.isdigit()):
        return False
    if _INNER_SENTENCE.search(text):
        return False
    return not text.rstrip("\"”’»')]").endswith(".") or text.rstrip().endswith("...")


def only_url(text: str) -> bool:
    return bool(_URL.fullmatch(text.strip(" <>()[]")))


def find_url(text: str) -> str | None:
    m = _URL.search(text)
    return m.group(0).rstrip(".,;)]>") if m else None


def tags_run_together(text: str, n: int) -> bool:
    """Tags with no separators read as one long word chain ("PoliticsWorldEurope"): at least
    three lower-to-upper joins, one per five words."""
    need = max(3, 0.2 * n)
    return len(_CAMEL_CAPITAL.findall(text)) >= need and len(_CAMEL.findall(text)) >= need


def date_only(text: str) -> str | None:
    """The date if the line is nothing but a date/time (with an optional "Updated:"-style prefix).

    A bare time ("4:14 p.m.") is not enough: live blogs use those as in-body stamps.
    """
    body = _DATE_PREFIX.sub("", text, count=1)
    folded = _ZONE_ABBR.sub(" ", body).lower()
    dates = _date_tokens(folded)
    if not dates or (body == text and all(_TIME_ONLY.fullmatch(d.group().strip()) for d in dates)):
        return None
    rest = _DATE_FILLER_L.sub("", _replace_spans(folded, dates, " "))
    return body.strip() if not rest else None


def _date_tokens(folded: str) -> list[re.Match[str]]:
    """``_DATE_TOKEN_L.finditer(folded)``, trying the big pattern only where a token can start:
    at a digit or at the opening of a month, weekday or time phrase (found in one pass). The
    plain search tries all its alternatives at every character of a line."""
    found: list[re.Match[str]] = []
    pos = 0
    for start in _date_openings(folded):
        if start < pos:
            continue
        m = _DATE_TOKEN_L.match(folded, start)
        if m:
            found.append(m)
            pos = m.end()
    return found


def _replace_spans(text: str, spans: list[re.Match[str]], by: str) -> str:
    """``text`` with each matched span (found in ``text`` or a same-length twin) replaced."""
    out, last = [], 0
    for m in spans:
        out.append(text[last : m.start()])
        out.append(by)
        last = m.end()
    out.append(text[last:])
    return "".join(out)


def _strip_dates(text: str) -> str:
    """``text`` without its date/time tokens, case kept (matched on the lower-cased twin)."""
    low = text.lower()
    if len(low) != len(text):
        return _DATE_TOKEN.sub(" ", text)
    return _replace_spans(text, _date_tokens(low), " ")


def byline_names(rest: str) -> str | None:
    """The author names if ``rest`` (what follows "By") is a short run of names."""
    if _HAS_DIGIT.search(rest) or len(rest) > 40:
        rest = _strip_dates(rest)
    cut = _NAME_CUT.split(rest, maxsplit=1)
    if len(cut) == 2 and word_count(cut[1]) <= 6:
        head = [t for t in cut[0].split() if t]
        if 2 <= len(head) <= 4 and all(t[:1].isupper() or t.lower() in P.NAME_CONNECTORS for t in head):
            rest = cut[0]
    rest = _NAME_TAIL.sub("", rest.strip()) if rest.count(",") == 1 and word_count(rest) > 4 else rest
    tokens = [t.strip(",.;:()'’") for t in rest.replace("|", " ").split()]
    tokens = [t for t in tokens if t]
    if not tokens or len(tokens) > 9:
        return None
    capitals = 0
    for tok in tokens:
        low = tok.lower()
        if low in P.NAME_CONNECTORS:
            continue
        if _EMAIL.fullmatch(tok) or tok.startswith("@"):
            continue
        if tok[:1].isupper() and _ALPHA.search(tok):
            capitals += 1
            continue
        return None
    if capitals == 0:
        return None
    return normalise_space(_EMAIL.sub("", rest).strip(" ,|-–—@"))


def _meta_segment(seg: str, prefixes: bool) -> tuple[str, str] | None:
    """What one segment of a byline/date line is. ``prefixes``: the line holds an opening of
    some byline, date or tag prefix (without one, those patterns cannot match)."""
    seg = seg.strip(" ,;")
    if not seg:
        return ("", "")
    # Each pattern below is tried only when the segment can open like it (its first letter),
    # or holds what it needs (a digit, a comma, an "@").
    first = seg[0].lower()
    m = prefixes and (_BYLINE_OPENS is None or first in _BYLINE_OPENS) and _BYLINE.match(seg) or (
        "," in seg and _ROLE_TAIL.match(seg[seg.rfind(",") + 1 :].strip()) and _ROLE_BYLINE.match(seg)
    )
    if m:
        names = byline_names(m.group(1))
        if names:
            return ("author", names)
    digit = _HAS_DIGIT.search(seg)
    d = date_only(seg) if digit else None
    if d:
        return ("date", d)
    if prefixes and (_TAGS_OPENS is None or first in _TAGS_OPENS) and _TAGS.match(seg) and word_count(seg) <= 6:
        return ("", "")
    if digit and _TIME_ONLY.fullmatch(seg):
        return ("", "")
    if "@" in seg and _EMAIL.fullmatch(seg):
        return ("", "")
    return None


_GATE_COPYRIGHT = (
    "©", "(c)", "copyright", "rights reserved", "rechte vorbehalten", "droits réservés", "derechos reservados",
    "права защищены", "may not be published", "no part of this", "reproduction", "reproducción", "alle rechte",
    "nachdruck", "перепечатка",
    "материалов",
)
_GATE_COOKIE = ("cookie", "куки")
_GATE_CONTRIBUTED = ("contribut", "trugen zu", "a contribué", "contribuyó")
_GATE_NEWSLETTER = (
    "newsletter", "email", "e-mail", "correo", "почту", "inbox", "mailing list", "alert", "briefing", "digest",
    "updates", "postfach", "infolettre", "lettre d", "boletín", "boletines", "рассылк", "дайджест",
)
_GATE_CTA = ("click", "tap here", "klicken", "cliquez", "clic", "pulsa", "нажмите", " app", "скачайте")
_HAS_DIGIT = re.compile(r"\d")


#: Where a date token can start, for :func:`_date_tokens`.
_date_openings = openings(literal_heads(_DATE_TOKEN_ALTERNATIVES))


def _any(haystack: str, needles: tuple[str, ...]) -> bool:
    for needle in needles:
        if needle in haystack:
            return True
    return False


#: Substrings that let a chrome line of some family hide *inside* a long line rather than open
#: it. A long line that opens with no chrome prefix and contains none of these is body. They are
#: matched case-sensitively on the original text, so each leaves out its first letter ("ookie"
#: finds "cookie" and "Cookie") and no document has to be lower-cased for the test.
NEEDLES = (
    "©", "@", "http", "www.", "ookie", "уки", "mail", "ewsletter", "nbox", "riefing", "lick",
    "ights reserved", "ights Reserved", "IGHTS RESERVED", "orbehalten", "éservés", "eservados", "рава защищены", "ay not be published",
    "ontribu", "trugen zu", "ассылк",
)
_ASCII_NEEDLES = tuple(needle for needle in NEEDLES if needle.isascii())  # all a pure-ASCII line can hold
_LONG_NEEDLES = ("ookie", "уки")
_PREFIX_PHRASES = (
    P.SYNDICATION + P.PHOTO_PREFIX + P.REPORTING_CREDIT + P.SUBSCRIBE_PROMPT + P.SHARE_PROMPT + P.FOLLOW_VERB
    + P.READ_MORE + P.RELATED_HEADER + P.TAGS_PREFIX + P.BYLINE_PREFIX + P.DATE_PREFIX + P.COMMENTS
    + P.COPYRIGHT + P.NEWSLETTER_ACTION + P.ADVERTISEMENT + P.NAV_LINE + P.READ_MORE_ALONE
    + ("your email address", "you must be", "save my name", "required fields", "ваш адрес", "votre adresse",
       "tu dirección", "ihre e-mail", "this site uses", "statement", "disclaimer", "editor")
)
#: Leading decoration a prefix may follow (at most ``_MAX_DECORATION`` characters of it).
_DECORATION = frozenset("([-–—•·*»›>|#")
_MAX_DECORATION = 3


_FAMILY_PHRASES = {
    "ads": P.ADVERTISEMENT, "syn": P.SYNDICATION, "copy": P.COPYRIGHT[:3], "photo": P.PHOTO_PREFIX,
    "rep": P.REPORTING_CREDIT, "sub": P.SUBSCRIBE_PROMPT, "rel": P.RELATED_HEADER,
    "rm": P.READ_MORE + P.READ_MORE_ALONE + P.RELATED_HEADER + ("read more", "see more", "also read", "read also", "see also", "also on"),
    "share": P.SHARE_PROMPT, "follow": P.FOLLOW_VERB,
    "comm": P.COMMENTS + ("your email", "you must", "save my", "required", "ваш", "votre", "tu dirección", "ihre", "this site"),
    "nav": P.NAV_LINE, "tags": P.TAGS_PREFIX + ("posted in", "tagged", "filed under", "categories", "category"),
    "meta": P.BYLINE_PREFIX + P.DATE_PREFIX + P.TAGS_PREFIX,
}
_BYLINE_OPENS = first_chars(P.BYLINE_PREFIX)
_TAGS_OPENS = first_chars(P.TAGS_PREFIX)
_ALWAYS = frozenset(name for name, ph in _FAMILY_PHRASES.items() if first_chars(ph) is None)
_DISPATCH: dict[str, frozenset[str]] = {}
for _name, _phrases in _FAMILY_PHRASES.items():
    for _c in first_chars(_phrases) or ():
        _DISPATCH[_c] = _DISPATCH.get(_c, _ALWAYS) | {_name}


#: Bits of :func:`_signals`: which gate lists have a phrase in a lower-cased line.
(G_COPYRIGHT, G_COOKIE, G_CONTRIBUTED, G_NEWSLETTER, G_CTA, G_META_SEP, G_CRUMB, G_PRIVACY, G_LEGAL, G_AGENCY,
 G_ATTRIBUTION, G_UI_CORE, G_SOCIAL_CORE, G_ADS, G_READ_MORE_ALONE, G_NAV_LINE) = (1 << i for i in range(16))
#: One more bit per prefix family: some opening of its phrases occurs in the line.
_FAMILY_BITS = {name: 1 << (16 + i) for i, name in enumerate(_FAMILY_PHRASES)}
_FAMILY_MASK = sum(_FAMILY_BITS.values())
_signals = signals((
    (G_COPYRIGHT, _GATE_COPYRIGHT), (G_COOKIE, _GATE_COOKIE), (G_CONTRIBUTED, _GATE_CONTRIBUTED),
    (G_NEWSLETTER, _GATE_NEWSLETTER), (G_CTA, _GATE_CTA), (G_META_SEP, _META_SEPARATORS),
    (G_CRUMB, _BREADCRUMB_MARKS), (G_PRIVACY, ("priv", "конфиденц")),
    (G_LEGAL, literal_heads(P.LEGAL_WORDS, anywhere=True)),
    (G_AGENCY, literal_heads(P.PHOTO_AGENCIES, anywhere=True)),
    (G_ATTRIBUTION, literal_heads(_ATTRIBUTION_WORDS, anywhere=True)),
    (G_UI_CORE, P.UI_CORE), (G_SOCIAL_CORE, _SOCIAL_CORE),
    (G_ADS, literal_heads(P.alternation(P.ADVERTISEMENT), anywhere=True)),
    (G_READ_MORE_ALONE, literal_heads(P.alternation(P.READ_MORE_ALONE), anywhere=True)),
    (G_NAV_LINE, literal_heads(P.alternation(P.NAV_LINE), anywhere=True)),
    *((bit, literal_heads(P.alternation(_FAMILY_PHRASES[name]), anywhere=True)) for name, bit in _FAMILY_BITS.items()),
))
_NARROWED: dict[tuple[frozenset[str], int], frozenset[str]] = {}


def _present(fams: frozenset[str], sig: int) -> frozenset[str]:
    """Of the families a line's first letter allows, those whose phrases' openings occur in it."""
    key = (fams, sig & _FAMILY_MASK)
    got = _NARROWED.get(key)
    if got is None:
        got = _NARROWED[key] = frozenset(name for name in fams if sig & _FAMILY_BITS[name])
    return got



# One alternation per opening character: a line meets only the phrases that can start with its
# first letter, instead of all ~700 of them. A phrase whose opening cannot be read off its
# pattern joins every group (and the group for any other character).
_PREFIX_OPENINGS = {p: opening(p) for p in _PREFIX_PHRASES}
_PREFIX_UNREAD = tuple(p for p, chars in _PREFIX_OPENINGS.items() if chars is None)
_PREFIX_BY_CHAR: dict[str, re.Pattern[str]] = {
    _c: re.compile(P.alternation(tuple(p for p, chars in _PREFIX_OPENINGS.items() if chars and _c in chars) + _PREFIX_UNREAD))
    for _c in sorted(set().union(*(chars for chars in _PREFIX_OPENINGS.values() if chars)))
}
_PREFIX_OTHER = re.compile(P.alternation(_PREFIX_UNREAD)) if _PREFIX_UNREAD else None


def opens_like_chrome(low: str) -> bool:
    """Whether a lower-cased line opens (after up to three decoration characters) with any
    prefix-family phrase: the one anchored test that decides whether the prefix families run."""
    if not low:
        return False
    ch = low[0]
    if ch not in _DECORATION and not ch.isspace():  # most lines: no decoration to walk
        pattern = _PREFIX_BY_CHAR.get(ch, _PREFIX_OTHER)
        return pattern is not None and pattern.match(low) is not None
    for j in range(min(len(low), _MAX_DECORATION + 1)):
        ch = low[j]
        pattern = _PREFIX_BY_CHAR.get(ch, _PREFIX_OTHER)
        if pattern is not None and pattern.match(low, j):
            return True
        if ch not in _DECORATION and not ch.isspace():
            return False
    return False


def _candidates(line: str, bare: str) -> frozenset[str]:
    """Prefix families a line can belong to, by its first character (and its undecorated one)."""
    a = line.lstrip("([ ")[:1].lower()
    b = bare[:1].lower()
    fams = _DISPATCH.get(a, _ALWAYS)
    return fams if a == b else fams | _DISPATCH.get(b, _ALWAYS)


def marker(line: str) -> str | None:
    """The family of a short standalone marker line (advertisement, share bar, bare "Read more",
    navigation word), or ``None``. A cheap subset of :func:`classify` for lines inside wrapped
    paragraphs."""
    if word_count(line) > 8 or line[:1].islower():
        return None
    low = line.lower()
    sig = _signals(low)
    bare = strip_decoration(line)
    if sig & G_ADS and _ADS.match(bare):
        return ADVERTISEMENT
    if sig & G_READ_MORE_ALONE and _READ_MORE_ALONE.match(line):
        return READ_MORE
    if sig & G_NAV_LINE and _NAV_FULL.match(bare):
        return NAVIGATION
    return SOCIAL if sig & G_SOCIAL_CORE and _share_bar(low) else None


def _share_bar(low: str) -> bool:
    """Nothing but share-bar words (``SOCIAL_WORDS``), one of them a telling one."""
    core = False
    for word in low.split():
        word = word.strip(".,:;!?()[]|•·-–—")
        if not word:
            continue
        if word not in _SOCIAL_WORDS:
            return False
        core = core or word in _SOCIAL_CORE
    return core


def classify(text: str, *, position: float = 0.5) -> Verdict | None:
    """Classify one paragraph on its own. ``position`` is its place in the document, 0..1.

    Returns ``None`` for body. One anchored test (:func:`opens_like_chrome`) says whether the
    line opens like any prefix family; families found *inside* a line only run when one of the
    ``NEEDLES`` occurs in it. A long sentence with neither is body after a handful of cheap
    tests. Other lines get one Aho-Corasick pass (:func:`_signals`) that says which phrase
    lists occur in them, and each family's patterns run only when the line can match them
    (:mod:`.gates`). That is what keeps cleaning at thousands of documents per second.
    """
    line = text if "  " not in text and "\n" not in text and "\t" not in text else normalise_space(text)
    return classify_paragraph(line.strip(), position)


def classify_paragraph(line: str, position: float) -> Verdict | None:
    """:func:`classify` for a paragraph already stripped and single-spaced (as
    :func:`paragraphs.split_paragraphs` returns them)."""
    if not line:
        return None
    if line[0] == "|" and line[-1] == "|":
        return None  # a table row: content, whatever its cells look like
    n = word_count(line)
    pre = opens_like_chrome(line[:120].lower())
    if n > 12 and not pre:
        ended = ends_sentence(line)
        if n > 30 or ended:
            # Past 60 words only a cookie banner can hide inside a line.
            if not _any(line, (_ASCII_NEEDLES if line.isascii() else NEEDLES) if n <= 60 else _LONG_NEEDLES):
                # Tags run together read as one long "sentence"; prose has several.
                if (position > 0.7 or not ended) and line.count(". ") <= 1:
                    if tags_run_together(line, n):
                        return Verdict(TAGS)
                return None
    low = line.lower()
    sig = _signals(low)
    # Short lines are few: they meet every family, whatever their case.
    needle = n <= 12 or _any(line, _ASCII_NEEDLES if line.isascii() else NEEDLES)
    bare = strip_decoration(line) if pre else line
    fam = _present(_candidates(line, bare), sig) if pre else frozenset()

    if pre:
        if n <= 10 and "ads" in fam and sig & G_ADS and _ADS.match(bare):
            return Verdict(ADVERTISEMENT)
        if n <= 80 and "syn" in fam:
            m = _SYNDICATION.match(line)
            if m:
                v = _syndication(line, m.group(1), n)
                if v:
                    return v

    if needle:
        if (
            n <= 60
            and sig & G_COPYRIGHT
            and ((_COPYRIGHT_START.match(line) and not _COPYRIGHT_PROSE.match(line)) or _COPYRIGHT_ANY.search(low))
        ):
            if line.startswith("©") or not is_guarded(line, sig):
                return Verdict(COPYRIGHT)
        if n <= 25 and ("|" in line or "·" in line or "•" in line) and sig & G_LEGAL and _legal_links(low):
            return Verdict(COPYRIGHT)
        if n <= 60 and sig & G_PRIVACY and _PRIVACY_BANNER.search(low) and not is_guarded(line, sig):
            return Verdict(COOKIE)
        if n <= 150 and sig & G_COOKIE and not is_guarded(line, sig):
            # A short line needs one of the two signals (who speaks, what is asked), a long one both.
            address = _COOKIE_ADDRESS.search(low)
            if (n <= 30 and address) or ((address or n <= 30) and _COOKIE_CONSENT.search(low)):
                return Verdict(COOKIE)
    elif "copy" in fam and n <= 60 and _COPYRIGHT_START.match(line) and not _COPYRIGHT_PROSE.match(line):
        return Verdict(COPYRIGHT)
    if n <= 12 and "©" in line and not ends_sentence(line.rstrip(".")):
        return Verdict(COPYRIGHT)

    if "photo" in fam and n <= 90 and _PHOTO.match(line):
        return Verdict(PHOTO)
    if n <= 90 and line[:1] in "IiMmVvPpFfBb" and _CAPTION_BARE.match(line):
        return Verdict(PHOTO)
    if n <= 8 and "ookie" in low and _COOKIE_SHORT.search(low):
        return Verdict(COOKIE)
    if n <= 30 and position > 0.6 and " is " in line and _BIO.match(line):
        return Verdict(BYLINE)
    if n <= 10 and not line.endswith(".") and (line[:1] in "©(" or "/" in line or n <= 4) and sig & G_AGENCY and _AGENCY.search(line):
        return Verdict(PHOTO)

    if n <= 60 and (
        ("rep" in fam and _REPORTING.match(line))
        or (needle and sig & G_CONTRIBUTED and _CONTRIBUTED.search(low) and not is_guarded(line, sig))
    ):
        return Verdict(REPORTING)

    if n > 60:
        return _long(line, low, n, position, "sub" in fam)

    v = _byline_or_date(line, low, n, "meta" in fam, sig)
    if v:
        return v

    if "rel" in fam and n <= 8 and _RELATED_FULL.match(bare):
        return Verdict(RELATED_HEADER)

    v = _prompts(line, low, n, fam, needle, bare, sig)
    if v:
        return v

    if "comm" in fam:
        if n <= 12 and _COMMENTS.match(line):
            return Verdict(COMMENTS)
        if _COMMENT_FORM.match(line):
            return Verdict(COMMENTS)

    v = _navigation(line, low, n, position, fam, needle, bare, sig)
    if v:
        return v

    if "tags" in fam and n <= 40 and _TAGS.match(line) and not _INNER_SENTENCE.search(line):
        return Verdict(TAGS)
    if "tags" in fam and n <= 15 and not ends_sentence(line) and _TAGS_BARE.match(line):
        return Verdict(TAGS)
    if n <= 15 and _YOU_ARE_HERE.match(line):
        return Verdict(NAVIGATION)
    if n <= 7 and sig & G_UI_CORE and (not line.endswith(".") or line.endswith("...")) and _ui_line(line):
        return Verdict(NAVIGATION)
    if n <= 40 or position > 0.7 or not ends_sentence(line):
        if tags_run_together(line, n):
            return Verdict(TAGS)
    return None


def _long(line: str, low: str, n: int, position: float, subscribe: bool) -> Verdict | None:
    """Past 60 words a paragraph is chrome only as a run of tags or a long subscription pitch."""
    if position > 0.7 or not ends_sentence(line):
        if tags_run_together(line, n):
            return Verdict(TAGS)
    if subscribe and n <= 120 and _SUBSCRIBE.match(line) and _YOU.search(low) and not is_guarded(line):
        return Verdict(SUBSCRIBE)
    return None


def _syndication(line: str, rest: str, n: int) -> Verdict | None:
    url = find_url(line)
    if _DISCLAIMER_HEAD.match(line):
        if _DISCLAIMER_VOCAB.search(line):
            return Verdict(SYNDICATION)
        return None
    if _SOURCE_HEAD.match(line):
        # "Source: URL" or "Source: News agencies", never "Sources say the talks ..."
        stripped = rest.strip()
        has_colon = bool(_LABEL_COLON.match(line))
        if not has_colon:
            return None
        if url and only_url(stripped):
            return Verdict(SYNDICATION, (("original_url", url),))
        if word_count(stripped) <= 8 and not _INNER_SENTENCE.search(stripped):
            meta = (("original_url", url),) if url else ()
            return Verdict(SYNDICATION, meta)
        return None
    meta = (("original_url", url),) if url else ()
    return Verdict(SYNDICATION, meta)


def _byline_or_date(line: str, low: str, n: int, meta_prefix: bool, sig: int) -> Verdict | None:
    """A byline, date or e-mail line. Without a comma, pipe or digit it must open like one
    (``meta_prefix``: "By", "Updated", "Tags" and their kin)."""
    if "@" in line:
        emails = _EMAIL.findall(line)
        if emails:
            rest = _EMAIL.sub(" ", line)
            if n <= 8 and (not _WORD.search(rest) or byline_names(_CONTACT_LABEL.sub("", rest.strip())) or len(rest.split()) <= 2):
                names = byline_names(rest) if _WORD.search(rest) else None
                return Verdict(BYLINE, (("author", names),) if names else ())
            if n <= 50 and _CONTACT.search(low):
                return Verdict(BYLINE)
    if n <= 45 and ("@" in line or "http" in low or "www." in low) and _CONTACT.search(low):
        return Verdict(BYLINE)
    if n > 20:
        return None
    if not meta_prefix and "," not in line and "|" not in line and not _HAS_DIGIT.search(line):
        return None
    if sig & G_META_SEP or " by " in line or " von " in line:
        segments = [s for s in _META_SPLIT.split(line) if s.strip()]
    else:
        segments = [line]
    prefixes = bool(sig & _FAMILY_BITS["meta"])
    if len(segments) == 2 and _ROLE_TAIL.match(segments[1].strip()):
        names = byline_names(segments[0])
        if names:
            return Verdict(BYLINE, (("author", names),))
    if 1 <= len(segments) <= 6:
        found = []
        for segment in segments:
            f = _meta_segment(segment, prefixes)
            if f is None:
                return None
            found.append(f)
        meta = tuple((k, v) for k, v in found if k)
        if any(k == "author" for k, _ in meta):
            return Verdict(BYLINE, meta)
        if any(k == "date" for k, _ in meta):
            return Verdict(DATE, meta)
    return None


def _prompts(line: str, low: str, n: int, fam: frozenset[str], needle: bool, bare: str, sig: int) -> Verdict | None:
    v = _prompt(line, low, n, fam, needle, bare, sig)
    if v is not None and v.rule in (READ_MORE, SOCIAL, SUBSCRIBE, NEWSLETTER) and is_guarded(line, sig):
        return None
    return v


def _prompt(line: str, low: str, n: int, fam: frozenset[str], needle: bool, bare: str, sig: int) -> Verdict | None:
    if "rm" in fam:
        if sig & G_READ_MORE_ALONE and _READ_MORE_ALONE.match(line):
            return Verdict(READ_MORE)
        m = _READ_MORE.match(bare)
        if m:
            rest = m.group(1).strip()
            if not rest or only_url(rest) or headline_shaped(rest, 30) or (rest[:1].isupper() and word_count(rest) <= 30):
                return Verdict(READ_MORE)
        m = _READ_MORE_RELATED.match(bare)
        if m and n <= 30 and (headline_shaped(m.group(1), 30) or only_url(m.group(1))):
            return Verdict(READ_MORE)
        m = _READ_MORE_LOOSE.match(bare)
        if m and (headline_shaped(m.group(1), 25) or only_url(m.group(1))):
            return Verdict(READ_MORE)
        if n <= 12 and _READ_MORE_AT.match(bare):
            return Verdict(READ_MORE)
    if "[" in line:
        if n <= 30 and _TEASER_TAG.search(line) and headline_shaped(_TEASER_TAG.sub("", line).strip(), 30):
            return Verdict(READ_MORE)
        if _SHORTCODE.search(line):
            return Verdict(NAVIGATION)
    if needle and ("http" in low or "www." in low) and _LINK_LABEL.match(line):
        return Verdict(NAVIGATION)
    if "." in line and "/" in line and _SOCIAL_URL.match(line):
        return Verdict(SOCIAL)

    if n <= 16 and sig & G_SOCIAL_CORE and _share_bar(low):
        return Verdict(SOCIAL)
    if "share" in fam and n <= 30 and _SHARE.match(line):
        return Verdict(SOCIAL)
    if "follow" in fam:
        # "Follow us" alone is a prompt; "Follow us, the protesters chanted" is a story.
        if n <= 40 and _FOLLOW.match(line):
            platform = _PLATFORM.search(line)
            if platform and (n <= 8 or platform.group(0).lower() not in _WE_WORDS):
                return Verdict(SOCIAL)

    if (needle or n <= 12) and n <= 50 and sig & G_NEWSLETTER and _NEWSLETTER.search(low):
        if _NEWSLETTER_ACTION.match(line) or (n <= 25 and (_YOU.search(low) or _OUR.match(low))) or n <= 5:
            return Verdict(NEWSLETTER)
    if "sub" in fam and _SUBSCRIBE.match(line):
        if n <= 8 or not ends_sentence(line) or _YOU.search(low) or (sig & G_CTA and _CTA.search(low)):
            return Verdict(SUBSCRIBE)
    if needle and n <= 40 and sig & G_CTA and _CTA.search(low) and _YOU.search(low):
        return Verdict(SUBSCRIBE)
    return None


_FUNCTION_WORDS = frozenset(
    "a an the to of for on in and & or with by at from your our my this all "
    "le la les des du de à au el los las lo por en da die der das dem den aus zu von im am "
    "на по от в и".split()
)
_NAME_AFTER = frozenset("by on auf sur von par por на".split())


def _ui_line(line: str) -> bool:
    """A button or menu entry: a few words, nearly all interface vocabulary (``UI_WORDS``), one of
    them a telling one (``UI_CORE``). Numbers ("30-day", "1€") do not count, and neither do the
    capitalised name after "by"/"on" ("Popular on Harbour Times", "Sponsored by Acme")."""
    raw = [w.strip(".,:;!?()[]|•·–—»«\"'") for w in line.split()]
    if not any(w.lower() in P.UI_CORE or ("-" in w and any(p in P.UI_CORE for p in w.lower().split("-"))) for w in raw):
        return False
    raw = [w for w in raw if w]
    words: list[str] = []
    for i, w in enumerate(raw):
        if i > 0 and w[:1].isupper() and (raw[i - 1].lower() in _NAME_AFTER or (words and words[-1] == "")):
            words.append("")  # part of a trailing proper name
            continue
        words.append(w.lower())
    words = [w for w in words if w and not _HAS_DIGIT.search(w)]
    if not words:
        return False
    parts = [p for w in words for p in (w.split("-") if w not in P.UI_WORDS else [w]) if p]
    known = sum(1 for p in parts if p in P.UI_WORDS)
    core = any(p in P.UI_CORE for p in parts)
    if not core:
        return False
    if known == len(parts):
        return True
    # One stray word is allowed when at least two telling words carry the line.
    content = sum(1 for p in parts if p in P.UI_WORDS and p not in _FUNCTION_WORDS)
    return len(parts) - known == 1 and len(parts) >= 3 and content >= 2


def _legal_links(low: str) -> bool:
    """A footer line of legal links: two or more legal words and next to nothing else."""
    if len(_LEGAL.findall(low)) < 2:
        return False
    residue = _LEGAL.sub(" ", low)
    return word_count(_NON_LETTERS.sub(" ", residue).strip()) <= 3


def _navigation(line: str, low: str, n: int, position: float, fam: frozenset[str], needle: bool, bare: str, sig: int) -> Verdict | None:
    if "nav" in fam and n <= 6 and sig & G_NAV_LINE and _NAV_FULL.match(bare):
        return Verdict(NAVIGATION)
    separated = "|" in line or "·" in line or "•" in line
    # (a separated line with a needle was already tested in classify)
    if n <= 25 and (not needle if separated else n <= 8) and sig & G_LEGAL and _legal_links(low):
        return Verdict(COPYRIGHT)
    if n <= 30 and not ends_sentence(line):
        parts = [p for p in _BREADCRUMB_SPLIT.split(line) if p.strip()] if sig & G_CRUMB else [line]
        if len(parts) >= 2 and (parts[0].strip().lower() in _HOME_WORDS or all(_NAV_FULL.match(p.strip()) for p in parts)):
            return Verdict(NAVIGATION)
        if len(parts) >= 3 and all(word_count(p) <= 5 for p in parts) and not _URL.search(line):
            return Verdict(NAVIGATION if position < 0.5 else TAGS)
        if 3 <= n <= 20 and "," not in line and not _SPACE_LOWER.search(line):
            words = line.split()
            if all(w[:1].isupper() or w == "&" for w in words):
                navs = sum(1 for w in words if w.lower().strip("&") in P.NAV_WORDS)
                if navs >= 0.6 * n:
                    return Verdict(NAVIGATION)
        if position > 0.7 and line.count(",") >= 3 and not _URL.search(line):
            items = [p.strip() for p in line.split(",") if p.strip()]
            if len(items) >= 4 and all(word_count(p) <= 4 and p[:1].isupper() for p in items):
                return Verdict(TAGS)
    return None
