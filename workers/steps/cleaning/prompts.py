"""Lines that ask the reader to do something: read more, share, follow, subscribe, comment,
report a mistake.

A prompt is short and opens with its verb ("Read more: …", "Share this article", "Follow us
on X", "Sign up for our newsletter"), or is a bar of share buttons, a teaser link or a
related-stories header. The same words in a story ("Follow us, the protesters chanted", a
quoted "subscribe") are the story's, so read-more, social, subscribe and newsletter verdicts
are dropped for quotes and reported speech.

Each family test takes the facts :func:`.rules.classify_paragraph` gathered about the line and
returns a :class:`.verdict.Verdict` or ``None``.
"""

from __future__ import annotations

import re

from . import phrases
from .phrases import FLAGS, SOCIAL_CORE, SOCIAL_WORDS, alternation
from .shape import ends_sentence, headline_shaped, is_guarded, only_url, word_count
from .triage import G_CTA, G_MISTAKE, G_NETWORK, G_NEWSLETTER, G_READ_MORE_ALONE, G_SOCIAL_CORE
from .verdict import COMMENTS, ERROR_REPORT, NAVIGATION, NEWSLETTER, READ_MORE, RELATED_HEADER, SOCIAL, SUBSCRIBE, Verdict


def _prefix(phrase_list: tuple[str, ...]) -> re.Pattern[str]:
    return re.compile(r"^" + alternation(phrase_list) + r"(?!\w)", FLAGS)


_RELATED_FULL = re.compile(r"^" + alternation(phrases.RELATED_HEADER) + r"\W*$", FLAGS)
_READ_MORE = re.compile(r"^" + alternation(phrases.READ_MORE) + r"\s*(?:[:：»›→>|…]|\.\.\.|\s[-–—]\s|\s*$)\s*(.*)$", FLAGS)
_READ_MORE_LOOSE = re.compile(r"^(?:read more|see more|also read|read also|see also|also on \S+\.\w+)\s+(.*)$", FLAGS)
# "Continue reading at example.com …": a read-more link naming where the rest of the story is.
# Only a web address counts as the place ("Read more at the meeting" is prose).
_READ_MORE_AT = re.compile(
    r"^" + alternation(phrases.READ_MORE) + r"\s+(?:at|on|in|from|via|auf|bei|unter|sur|chez|en|на|в)\s+"
    r"(?:https?://)?[\w-]+(?:\.[\w-]+)*\.[a-z]{2,}(?:/\S*)?\s*(?:…|\.\.\.|[.»›→])?$",
    FLAGS,
)
_READ_MORE_RELATED = re.compile(r"^" + alternation(phrases.RELATED_HEADER) + r"\s*[:：]\s*(\S.*)$", FLAGS)
#: A whole line that is a read-more button ("Read more", "Continue reading »").
READ_MORE_MARKER = re.compile(r"^\W*" + alternation(phrases.READ_MORE_ALONE) + r"\W*$", FLAGS)
_TEASER_TAG = re.compile(r"\[[A-Z][A-Z ]{2,15}\]\W*$")
_LINK_LABEL = re.compile(r"^[\w' ]{1,25}\s*[:：]\s*(?:https?://|www\.)\S+$", FLAGS)
_SHORTCODE = re.compile(r"\[/?\w+(?:\s[^\]]*)?\].*\[/\w+\]")
_SOCIAL_URL = re.compile(r"^(?:https?://)?(?:www\.)?(?:twitter\.com|x\.com|facebook\.com|instagram\.com|t\.me|vk\.com|youtube\.com|linkedin\.com|tiktok\.com)/\S*$", FLAGS)
_SOCIAL_WORDS = frozenset(SOCIAL_WORDS)
_SHARE = _prefix(phrases.SHARE_PROMPT)
_FOLLOW = _prefix(phrases.FOLLOW_VERB)
_WE_WORDS = frozenset({"us", "uns", "nous", "nosotros", "нас"})
_PLATFORM = re.compile(r"(?<!\w)(?:" + phrases.PLATFORMS + r")", FLAGS)
_SUBSCRIBE = _prefix(phrases.SUBSCRIBE_PROMPT)
_NEWSLETTER = re.compile(r"(?<!\w)(?:" + phrases.NEWSLETTER_WORD + r")")
_NEWSLETTER_ACTION = _prefix(phrases.NEWSLETTER_ACTION)
_YOU = re.compile(r"(?<!\w)(?:you|your|you'll|you're|sie|ihr|ihre|dein|vous|votre|vos|tu|tus|usted|su|вы|ваш\w*|вам|тебе)(?!\w)")
_OUR = re.compile(r"(?:our|unser\w*|notre|nos|nuestr\w+|наш\w*)\b")
_CTA = re.compile(phrases.CALL_TO_ACTION)
_COMMENTS = re.compile(r"^\W*" + alternation(phrases.COMMENTS) + r"[\s\W\d]*$", FLAGS)
_COMMENT_FORM = re.compile(
    r"^(?:your email address will not be published|you must be (?:logged|signed) in to|save my name,? email|"
    r"required fields are marked|ваш адрес email не будет опубликован|votre adresse (?:e-)?mail ne sera pas publiée|"
    r"tu dirección de correo electrónico no será publicada|ihre e-mail-adresse wird nicht veröffentlicht|"
    r"this site uses akismet)",
    FLAGS,
)


def related_header(line: str, low: str, n: int, position: float, fam: frozenset[str], needle: bool, bare: str, sig: int) -> Verdict | None:
    """The header of a list of teasers ("Related articles", "More from World")."""
    if "rel" in fam and n <= 8 and _RELATED_FULL.match(bare):
        return Verdict(RELATED_HEADER)
    return None


def prompt(line: str, low: str, n: int, position: float, fam: frozenset[str], needle: bool, bare: str, sig: int) -> Verdict | None:
    """The first prompt the line reads as. A read-more, social, subscribe or newsletter prompt
    that is a quote or reported speech is no prompt, and no other one is tried for it."""
    if "rm" in fam:
        if sig & G_READ_MORE_ALONE and READ_MORE_MARKER.match(line):
            return _unless_guarded(READ_MORE, line, sig)
        m = _READ_MORE.match(bare)
        if m:
            rest = m.group(1).strip()
            if not rest or only_url(rest) or headline_shaped(rest, 30) or (rest[:1].isupper() and word_count(rest) <= 30):
                return _unless_guarded(READ_MORE, line, sig)
        m = _READ_MORE_RELATED.match(bare)
        if m and n <= 30 and (headline_shaped(m.group(1), 30) or only_url(m.group(1))):
            return _unless_guarded(READ_MORE, line, sig)
        m = _READ_MORE_LOOSE.match(bare)
        if m and (headline_shaped(m.group(1), 25) or only_url(m.group(1))):
            return _unless_guarded(READ_MORE, line, sig)
        if n <= 12 and _READ_MORE_AT.match(bare):
            return _unless_guarded(READ_MORE, line, sig)
    if "[" in line:
        if n <= 30 and _TEASER_TAG.search(line) and headline_shaped(_TEASER_TAG.sub("", line).strip(), 30):
            return _unless_guarded(READ_MORE, line, sig)
        if _SHORTCODE.search(line):
            return Verdict(NAVIGATION)
    if needle and ("http" in low or "www." in low) and _LINK_LABEL.match(line):
        return Verdict(NAVIGATION)
    if "." in line and "/" in line and _SOCIAL_URL.match(line):
        return _unless_guarded(SOCIAL, line, sig)

    if n <= 16 and sig & G_SOCIAL_CORE and share_bar(low):
        return _unless_guarded(SOCIAL, line, sig)
    if "share" in fam and n <= 30 and _SHARE.match(line):
        return _unless_guarded(SOCIAL, line, sig)
    if "follow" in fam:
        # "Follow us" alone is a prompt; "Follow us, the protesters chanted" is a story.
        if n <= 40 and _FOLLOW.match(line):
            platform = _PLATFORM.search(line)
            if platform and (n <= 8 or platform.group(0).lower() not in _WE_WORDS):
                return _unless_guarded(SOCIAL, line, sig)

    if (needle or n <= 12) and n <= 50 and sig & G_NEWSLETTER and _NEWSLETTER.search(low):
        if _NEWSLETTER_ACTION.match(line) or (n <= 25 and (_YOU.search(low) or _OUR.match(low))) or n <= 5:
            return _unless_guarded(NEWSLETTER, line, sig)
    if "sub" in fam and _SUBSCRIBE.match(line):
        if n <= 8 or not ends_sentence(line) or _YOU.search(low) or (sig & G_CTA and _CTA.search(low)):
            return _unless_guarded(SUBSCRIBE, line, sig)
    if needle and n <= 40 and sig & G_CTA and _CTA.search(low) and _YOU.search(low):
        return _unless_guarded(SUBSCRIBE, line, sig)
    return None


def _unless_guarded(rule: str, line: str, sig: int) -> Verdict | None:
    return None if is_guarded(line, sig) else Verdict(rule)


def comments(line: str, low: str, n: int, position: float, fam: frozenset[str], needle: bool, bare: str, sig: int) -> Verdict | None:
    """A comments header ("Comments (14)") or the comment form's small print."""
    if "comm" in fam:
        if n <= 12 and _COMMENTS.match(line):
            return Verdict(COMMENTS)
        if _COMMENT_FORM.match(line):
            return Verdict(COMMENTS)
    return None


def subscription_pitch(line: str, low: str, n: int, position: float, fam: frozenset[str], needle: bool, bare: str, sig: int) -> Verdict | None:
    """The one prompt that runs past 60 words: a subscription pitch addressed to the reader."""
    if "sub" in fam and n <= 120 and _SUBSCRIBE.match(line) and _YOU.search(low) and not is_guarded(line):
        return Verdict(SUBSCRIBE)
    return None


def share_bar(low: str) -> bool:
    """Nothing but share-bar words (``SOCIAL_WORDS``), one of them a telling one (``SOCIAL_CORE``)."""
    core = False
    for word in low.split():
        word = word.strip(".,:;!?()[]|•·-–—")
        if not word:
            continue
        if word not in _SOCIAL_WORDS:
            return False
        core = core or word in SOCIAL_CORE
    return core


# Error reports ("Spotted a mistake? Highlight it and press Ctrl+Enter", "Нашли опечатку? ...",
# "Une erreur ? Écrivez-nous"): a mistake named, the newsroom as the one to tell, and the reader
# asked (a question, "if you", a key combination, an address). A story about errors has the first
# two at most ("Readers told us about errors in the timetable").
# (Matched on the lower-cased line, case-sensitively, as the follow prompts below: several times faster.)
_MISTAKE = re.compile(
    r"(?<!\w)(?:mistakes?|errors?|typos?|inaccurac\w+|misprints?|опечатк\w*|ошибк\w*|неточност\w*|"
    r"fehler\w*|tippfehler\w*|erreurs?|coquilles?|fautes?|errat(?:a|as)|errores?)(?!\w)|오류|오탈자|오타",
)
_TELL_US = re.compile(
    r"ctrl|strg|@|(?<!\w)(?:us|our editors|the editors|the newsroom|нам|редакци\w*|uns|redaktion|nous|rédaction|"
    r"escríbenos|avísanos|infórmanos|contáctanos|redacción)(?!\w)|제보|알려|신고",
)
_ASKS = re.compile(
    r"\?|ctrl|strg|@|(?<!\w)(?:if you|please|если вы|пожалуйста|wenn sie|bitte|si vous|s'il vous plaît|"
    r"si (?:ves|encuentras|detectas|usted)|por favor)(?!\w)|있다면|발견하면|보내주세요|알려주세요",
)


def error_report(line: str, low: str, n: int, position: float, fam: frozenset[str], needle: bool, bare: str, sig: int) -> Verdict | None:
    """An invitation to report a mistake in the article (``error-report``)."""
    if sig & G_MISTAKE and n <= 40 and _MISTAKE.search(low) and _TELL_US.search(low) and _ASKS.search(low) and not is_guarded(line, sig):
        return Verdict(ERROR_REPORT)
    return None


# Follow prompts that do not open with "Follow": "Keep up with the Gazette on Facebook and
# WhatsApp", "Подписывайтесь на нас в Telegram", "Síguenos en Instagram", "...를 카카오톡에서
# 만나보세요": a network or messenger named, and the reader invited, at the line's start or in a
# line that is no sentence ("He urged residents to follow the updates on Telegram." is one).
NETWORKS = re.compile(
    r"(?<!\w)(?:facebook|instagram|whatsapp|telegram|threads|youtube|tiktok|linkedin|twitter|viber|vk|"
    r"вконтакте|вк|телеграм\w*|дзен\w*|одноклассник\w*|rutube)(?!\w)|카카오톡|카카오|네이버|텔레그램|유튜브|밴드|인스타그램|페이스북",
)
_INVITE_START = re.compile(
    r"^\W*(?:follow|keep up|join|find us|connect|stay (?:in touch|connected)|subscribe|like us|"
    r"подписывайтесь|читайте|следите|присоединяйтесь|folgen|abonnieren|besuchen sie uns|"
    r"suivez|retrouvez|rejoignez|abonnez|síguenos|sigue|siga|únete|suscríbete|encuéntranos)(?!\w)",
)
_INVITE_ANY = re.compile(
    r"(?<!\w)(?:follow|us|нас|uns|gibt es auch|nous|nos)(?!\w)|만나보세요|구독|팔로우|친구",
)


def network_prompt(line: str, low: str, n: int, position: float, fam: frozenset[str], needle: bool, bare: str, sig: int) -> Verdict | None:
    """An invitation to follow the site on named networks (``social-prompt``)."""
    if not sig & G_NETWORK or n > 20 or not NETWORKS.search(low):
        return None
    if _INVITE_START.match(low) or (not ends_sentence(line) and _INVITE_ANY.search(low)):
        return _unless_guarded(SOCIAL, line, sig)
    return None
