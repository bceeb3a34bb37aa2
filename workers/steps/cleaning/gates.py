"""Gates: cheap tests that say a chrome pattern cannot match a line, so it need not run.

Cleaning speed comes from not running most of the ~30 rule families on most lines. Every gate
here is read off the phrase lists themselves, so it stays right when a list changes:

- :func:`first_chars`: the letters a phrase list can open with (for anchored patterns);
- :func:`literal_heads`: the literal text each alternative of a pattern opens with (or must
  hold somewhere); where none of them occurs in a line, the pattern cannot match there;
- :func:`signals`: which of many such lists occur in a line, as bits, found in one
  Aho-Corasick pass instead of one substring test per phrase per list;
- :func:`openings`: where in a text any of some heads starts, so a big pattern is tried only
  at those positions.

A gate may let through a line its pattern then rejects; it must never stop one the pattern
would match (``tests/steps/test_cleaning.py`` checks each gate against its pattern). The gates
themselves, built from these, are in :mod:`.triage`.
"""

from __future__ import annotations

from typing import Callable, Iterable, Iterator

import ahocorasick


def _unescaped(pattern: str) -> Iterator[tuple[int, str, int]]:
    """Each character of a regex not escaped by a backslash: its index, itself, and the group
    depth after it."""
    depth, i = 0, 0
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\":
            i += 2
            continue
        depth += (ch == "(") - (ch == ")")
        yield i, ch, depth
        i += 1


def alternatives(alternation: str) -> list[str]:
    """The top-level alternatives of a regex alternation (``a|b(?:c|d)`` gives ``a``, ``b(?:c|d)``)."""
    out, start = [], 0
    for i, ch, depth in _unescaped(alternation):
        if ch == "|" and depth == 0:
            out.append(alternation[start:i])
            start = i + 1
    out.append(alternation[start:])
    return out


def _group_end(pattern: str) -> int:
    """Index of the parenthesis closing the group ``pattern`` opens with."""
    for i, _, depth in _unescaped(pattern):
        if depth == 0:
            return i
    raise ValueError(f"unbalanced group in {pattern!r}")


def first_chars(phrases: Iterable[str]) -> frozenset[str] | None:
    """First characters (lower-cased) the phrases can open with; ``None`` when that cannot be
    read off a pattern.

    Understands a literal start, ``\\d``, an escaped character, and a leading ``(?:a|b)`` group
    (also optional, ``(?:a )?b``), which covers every phrase list in :mod:`phrases`.
    """
    chars: set[str] = set()
    for phrase in phrases:
        got = opening(phrase)
        if got is None:
            return None
        chars |= got
    return frozenset(chars)


def opening(pattern: str) -> set[str] | None:
    """The characters one pattern can open with, or ``None`` (see :func:`first_chars`)."""
    if not pattern:
        return None
    head = pattern[0]
    if pattern.startswith("\\d"):
        return set("0123456789")
    if head == "\\":
        return {pattern[1:2].lower()} if pattern[1:2] and not pattern[1:2].isalnum() else None
    if pattern.startswith("(?:"):
        end = _group_end(pattern)
        inner, rest = pattern[3:end], pattern[end + 1 :]
        out: set[str] = set()
        for alt in alternatives(inner):
            got = opening(alt)
            if got is None:
                return None
            out |= got
        if rest.startswith("?"):
            got = opening(rest[1:])
            if got is None:
                return None
            out |= got
        return out
    if head in "([.?*+{|^$":
        return None
    return {head.lower()}


def literal_heads(alternation: str, *, anywhere: bool = False) -> tuple[str, ...]:
    """The literal text each alternative of a regex alternation opens with, lower-cased
    (``terms of (?:use|service)`` gives ``terms of ``; a leading group gives its own
    alternatives' heads, and an optional one those and the rest's; a leading ``\\d`` gives the
    ten digits; an escaped punctuation mark counts as itself).

    With ``anywhere`` the texts need only occur somewhere in every match, not open it, which
    lets a gate be more telling: an optional leading group is passed over (``(?:to )?continue
    reading`` gives ``continue reading``, not ``to ``), and so is a leading run of digits
    (``\\d+ comments`` gives `` comments``). Raises ``ValueError`` for an alternative with no
    literal text where one is needed, so a phrase list that cannot be gated fails at import."""
    heads: list[str] = []
    for alt in alternatives(alternation):
        if alt.startswith("\\d"):
            rest = alt[2:]
            if anywhere and rest[:1] in ("+", "*", "{"):
                rest = rest[rest.index("}") + 1 :] if rest.startswith("{") else rest[1:]
                tail = _literal_openings(rest)
                if all(tail):
                    heads.extend(t.lower() for t in tail)
                    continue
            heads.extend("0123456789")
            continue
        if alt.startswith("(?:"):
            end = _group_end(alt)
            quantifier = alt[end + 1 : end + 2]
            if quantifier in ("*", "{"):
                raise ValueError(f"alternative {alt!r} opens with a repeated group")
            if quantifier == "?" and anywhere:
                heads.extend(literal_heads(alt[end + 2 :], anywhere=True))
                continue
            heads.extend(literal_heads(alt[3:end], anywhere=anywhere))
            if quantifier == "?":  # "(?:additional )?reporting by": either opening
                heads.extend(literal_heads(alt[end + 2 :]))
            continue
        for head in _literal_openings(alt):
            if not head:
                raise ValueError(f"alternative {alt!r} opens with no literal text")
            heads.append(head.lower())
    return tuple(heads)


def _literal_openings(alt: str, limit: int = 8) -> list[str]:
    """The literal texts one alternative opens with: up to the first construct that is not a
    plain character, trying both ways round a character made optional (``e-?mail`` gives
    ``email`` and ``e-mail``, which say more than ``e``) while that gives at most ``limit``."""
    found: list[str] = []

    def walk(j: int, head: str) -> None:
        while j < len(alt):
            ch, width = alt[j], 1
            if ch == "\\" and alt[j + 1 : j + 2] and not alt[j + 1].isalnum():
                ch, width = alt[j + 1], 2  # an escaped punctuation mark is itself
            elif ch in "\\()[]{}.^$|?*+":
                break
            after = alt[j + width : j + width + 1]
            if after == "?" and len(found) + 2 <= limit:
                walk(j + width + 1, head)
                walk(j + width + 1, head + ch)
                return
            if after in ("?", "*", "{"):
                break
            head += ch
            j += width
        found.append(head)

    walk(0, "")
    return found


def signals(lists: Iterable[tuple[int, Iterable[str]]]) -> Callable[[str], int]:
    """A function giving, for a text, the OR of the bits of every list with a phrase in it."""
    automaton = ahocorasick.Automaton()
    for bit, phrases in lists:
        for phrase in phrases:
            automaton.add_word(phrase, automaton.get(phrase, 0) | bit)
    automaton.make_automaton()
    found = automaton.iter

    def of(text: str) -> int:
        bits = 0
        for _, bit in found(text):
            bits |= bit
        return bits

    return of


def openings(heads: Iterable[str]) -> Callable[[str], list[int]]:
    """A function giving the positions, in order, where any of ``heads`` starts in a text."""
    automaton = ahocorasick.Automaton()
    for head in set(heads):
        automaton.add_word(head, len(head))
    automaton.make_automaton()
    found = automaton.iter

    def starts(text: str) -> list[int]:
        return sorted({end - size + 1 for end, size in found(text)})

    return starts
