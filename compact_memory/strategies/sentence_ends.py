"""Whether a period ends a sentence: titles, abbreviations, initials, acronyms and numbered labels.

A period does not end a sentence after a title or a common abbreviation
(``Dr.``, ``e.g.``, ``Fig.``) or a single-letter initial. After abbreviations
that are often part of a name (``Inc.``, dotted acronyms such as ``U.S.``) it
does only when the next word is a typical sentence opener (``The``, ``It``);
after ``etc.`` or ``No.`` it does unless a number follows. Other marks (``!``,
``?``, ``...``) always end one. :mod:`.sentences` asks only about marks
followed by whitespace and a character that is not a lowercase letter.
"""

from __future__ import annotations

import re

# Never end a sentence (lowercased, without the final period).
_CONTINUE = frozenset(
    """
    mr mrs ms mx dr prof sr jr st mt gen col capt cpt lt sgt maj cmdr adm rev fr hon gov sen rep pres supt insp
    e.g i.e cf vs viz al approx ca esp incl excl resp
    nos fig figs eq eqs ch chap sec sect vol vols pp para ref refs ed eds op
    jan feb mar apr jun jul aug sep sept oct nov dec
    """.split()
)
# Often part of a name: end a sentence only before a typical sentence opener.
_MAYBE_END = frozenset("inc ltd co corp llc plc bros dept univ assn ave blvd rd hwy".split())
# Abbreviations of a number's label (or plain words): end a sentence unless a number follows.
_BEFORE_NUMBER = frozenset("etc no art tab ft mon tue wed thu fri sat sun".split())
_OPENERS = frozenset(
    """
    the a an he she it they we i you this that these those there here his her its their our my your
    in on at by for from with after before when while if as but and so yet then however also
    some many most all one two no not what which who why how where
    """.split()
)
_DOTTED = re.compile(r"^(?:[^\W\d_]{1,2}\.)+[^\W\d_]{1,2}$")
_LEADING_PUNCT = "\"'\u201c\u2018\u00ab([{"  # opening quotes and brackets


def ends_sentence(text: str, sentence_start: int, term_start: int, term: str, nxt: int, stop: int) -> bool:
    """Decide for a period (or ellipsis) followed by whitespace and a non-lowercase character."""
    if not term.startswith(".") or term.startswith(".."):
        return True
    word_start = term_start
    while word_start > sentence_start and not text[word_start - 1].isspace():
        word_start -= 1
    word = text[word_start:term_start].lstrip(_LEADING_PUNCT)
    if not word:
        return True
    lowered = word.lower()
    if lowered in _CONTINUE:
        return False
    if len(word) == 1 and word.isalpha():
        return False  # an initial: "J. Smith"
    if lowered in _BEFORE_NUMBER:
        return not text[nxt].isdigit()
    if lowered in _MAYBE_END or _DOTTED.match(word):
        following = nxt
        while following < stop and text[following].isalpha():
            following += 1
        return text[nxt:following].lower() in _OPENERS
    return True
