"""Notices a publisher must or is paid to show: ad markers, cookie banners, copyright, footers.

Four families: advertisement markers ("- Advertisement -", "Story continues below"), cookie and
privacy banners and their buttons, copyright lines and rows of legal links ("Privacy | Terms"),
and syndication footers (source, original story, disclaimer). A story *reporting* on cookies or
copyright is kept: the banner families skip quotes and reported speech, and a long line needs
both the banner's address ("we use") and its request ("accept") to go.

Each family test takes the facts :func:`.rules.classify_paragraph` gathered about the line and
returns a :class:`.verdict.Verdict` or ``None``.
"""

from __future__ import annotations

import re

from . import phrases
from .phrases import FLAGS, alternation
from .shape import INNER_SENTENCE, ends_sentence, find_url, is_guarded, only_url, word_count
from .triage import G_ADS, G_COOKIE, G_COPYRIGHT, G_LEGAL, G_PRIVACY, G_REPRODUCTION
from .verdict import ADVERTISEMENT, COOKIE, COPYRIGHT, SYNDICATION, Verdict

#: A whole line that is an advertisement marker (decoration stripped).
AD_MARKER = re.compile(r"^\W*" + alternation(phrases.ADVERTISEMENT) + r"\W*$", FLAGS)
_COOKIE_ADDRESS = re.compile(r"(?<!\w)(?:" + phrases.COOKIE_ADDRESS + r")(?!\w)")
_COOKIE_CONSENT = re.compile(phrases.COOKIE_CONSENT)
_PRIVACY_BANNER = re.compile(
    r"we (?:value|respect|care about) your privacy|nous respectons votre vie privée|wir respektieren ihre privatsphäre|"
    r"respetamos tu privacidad|мы уважаем вашу конфиденциальность|your privacy choices|ihre privatsphäre ist uns wichtig"
)
_COOKIE_SHORT = re.compile(r"(?:accept|reject|allow|manage|settings|preferences|policy|consent|choices|gestion|preferencias|настроить|hinweis|akzeptieren|ablehnen|einstellungen|accepter|refuser|paramètres|aceptar|rechazar|configuración|принять|отклонить|настройки)", FLAGS)
_COPYRIGHT_START = re.compile(r"^\W{0,3}" + alternation(phrases.COPYRIGHT[:3]), FLAGS)
_COPYRIGHT_PROSE = re.compile(r"^[Cc]opyright\s+[a-zà-ÿ]")  # "Copyright lawyers say ..."
_COPYRIGHT_ANY = re.compile(alternation(phrases.COPYRIGHT[3:]))
LEGAL = re.compile(phrases.LEGAL_WORDS)
_NON_LETTERS = re.compile(r"[\W\d_]+")
_SYNDICATION = re.compile(r"^[(\[]?\s*" + alternation(phrases.SYNDICATION) + r"(?!\w)\s*[:：]?\s*(.*)$", FLAGS)
_DISCLAIMER_HEAD = re.compile(r"^(?:statement|disclaimer|editor'?s note|the views|the opinions|views expressed|мнение|точка)", FLAGS)
_DISCLAIMER_VOCAB = re.compile(phrases.DISCLAIMER_VOCAB, FLAGS)
_SOURCE_HEAD = re.compile(r"^[(\[]?\s*(?:sources?|original(?: source| story| post)?|quelle|fuente|источник|оригинал)\b", FLAGS)
_LABEL_COLON = re.compile(r"^[(\[]?\s*\w+(?:\s\w+)?\s*[:：]")


def advertisement(line: str, low: str, n: int, position: float, fam: frozenset[str], needle: bool, bare: str, sig: int) -> Verdict | None:
    if n <= 10 and "ads" in fam and sig & G_ADS and AD_MARKER.match(bare):
        return Verdict(ADVERTISEMENT)
    return None


def syndication(line: str, low: str, n: int, position: float, fam: frozenset[str], needle: bool, bare: str, sig: int) -> Verdict | None:
    if n <= 80 and "syn" in fam:
        m = _SYNDICATION.match(line)
        if m:
            return _syndication_footer(line, m.group(1))
    return None


def _syndication_footer(line: str, rest: str) -> Verdict | None:
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
        if word_count(stripped) <= 8 and not INNER_SENTENCE.search(stripped):
            meta = (("original_url", url),) if url else ()
            return Verdict(SYNDICATION, meta)
        return None
    meta = (("original_url", url),) if url else ()
    return Verdict(SYNDICATION, meta)


def notice(line: str, low: str, n: int, position: float, fam: frozenset[str], needle: bool, bare: str, sig: int) -> Verdict | None:
    """Copyright lines, legal-link rows and cookie or privacy banners: found inside a line only
    when it holds one of the ``NEEDLES``."""
    if needle:
        if (
            n <= 60
            and sig & G_COPYRIGHT
            and ((_COPYRIGHT_START.match(line) and not _COPYRIGHT_PROSE.match(line)) or _COPYRIGHT_ANY.search(low))
        ):
            if line.startswith("©") or not is_guarded(line, sig):
                return Verdict(COPYRIGHT)
        if n <= 25 and ("|" in line or "·" in line or "•" in line) and sig & G_LEGAL and legal_links(low):
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
    return None


def cookie_button(line: str, low: str, n: int, position: float, fam: frozenset[str], needle: bool, bare: str, sig: int) -> Verdict | None:
    if n <= 8 and "ookie" in low and _COOKIE_SHORT.search(low):
        return Verdict(COOKIE)
    return None


def legal_links(low: str) -> bool:
    """A footer line of legal links: two or more legal words and next to nothing else."""
    if len(LEGAL.findall(low)) < 2:
        return False
    residue = LEGAL.sub(" ", low)
    return word_count(_NON_LETTERS.sub(" ", residue).strip()) <= 3


# Reproduction notices ("Material may not be republished without written consent", "Перепечатка
# без согласия редакции запрещена", "Nachdruck nur mit Genehmigung", "Toute reproduction est
# interdite", "Prohibida la reproducción", "무단전재 및 재배포 금지"): copying named and
# forbidden or bound to permission. A story can say both ("The court ruled that reproduction of
# the photographs without permission was prohibited"), so a long line must also name the rights
# (©, copyright) or stand in the page's last part.
# (All three are matched on the lower-cased line, case-sensitively: several times faster.)
_REPRODUCTION = re.compile(
    r"reproduc|republish|redistribut|reprint|перепечат|воспроизвед|использование материалов|копирование материалов|"
    r"vervielfältig|nachdruck|weiterverbreit|weitergabe|무단|전재|재배포",
)
_PERMISSION = re.compile(
    r"without|prohibit|forbidden|not (?:be|permitted|allowed)|only with|permission|consent|запрещ|без |только с|"
    r"разрешени|согласи|nur mit|untersagt|genehmigung|erlaubnis|interdit|sans |autorisation|accord|prohib|"
    r"sin |permiso|autoriza|금지",
)
_RIGHTS = re.compile(r"©|ⓒ|\(c\)|copyright|urheberrecht|авторск|droits|derechos|저작권")


def reproduction(line: str, low: str, n: int, position: float, fam: frozenset[str], needle: bool, bare: str, sig: int) -> Verdict | None:
    """A notice forbidding reproduction without permission (``copyright``)."""
    if sig & G_REPRODUCTION and n <= 60 and _REPRODUCTION.search(low) and _PERMISSION.search(low):
        if (n <= 12 or position > 0.6 or _RIGHTS.search(low)) and not is_guarded(line, sig):
            return Verdict(COPYRIGHT)
    return None
