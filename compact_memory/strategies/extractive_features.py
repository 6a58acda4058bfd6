"""What ``extractive`` knows of a text: each unit's content terms and size, and the document's term weights.

A content term is a lowercase word that is not a stop word, lightly stemmed
(``named``, ``names`` and ``name`` are one term). The centroid weight of a
term is its tf-idf over the units, for the terms the document repeats; the
query relevance of a unit uses the idf alone.
"""

from __future__ import annotations

import math
from array import array
from collections import Counter
from dataclasses import dataclass

from compact_memory.strategies.sentences import Units
from compact_memory.tokenizers.words import TOKEN_PATTERN

STOP_WORDS = frozenset(
    """
    a about above after again against all also am an and any are as at be because been before being below between
    both but by can could did do does doing down during each few for from further had has have having he her here
    hers herself him himself his how i if in into is it its itself just me more most my myself no nor not of off on
    once only or other our ours ourselves out over own same she should so some such than that the their theirs them
    themselves then there these they this those through to too under until up very was we were what when where which
    while who whom why will with would you your yours yourself yourselves s t don may might must shall
    one us however thus using use used via per
    """.split()
)
_MIN_TF = 2  # words used once are left out of the centroid: they are noise, not topic


@dataclass
class Doc:
    """What selection needs of the text, held in arrays: a large input costs bytes per unit, not objects."""

    units: Units
    term_ids: array[int]  # distinct content-term ids of each unit, in order of first appearance, all units
    term_starts: array[int]  # unit i's ids are term_ids[term_starts[i]:term_starts[i + 1]]
    sizes: array[int]  # words + punctuation marks of each unit: a tokenizer-independent length
    weights: list[float]  # centroid weight of each term id
    idf: list[float]
    vocabulary: Vocabulary

    def terms(self, i: int) -> array[int]:
        return self.term_ids[self.term_starts[i] : self.term_starts[i + 1]]

    def term_count(self, i: int) -> int:
        return self.term_starts[i + 1] - self.term_starts[i]



class Vocabulary(dict[str, int]):
    """Maps a lowercase token to a term id (0 for stop words and punctuation), creating ids on first sight."""

    def __init__(self) -> None:
        super().__init__()
        self.ids: dict[str, int] = {}

    def __missing__(self, token: str) -> int:
        term = _term(token)
        number = 0 if term is None else self.ids.setdefault(term, len(self.ids) + 1)
        self[token] = number
        return number

    def lookup(self, token: str) -> int:
        """The id of ``token`` without adding it: 0 when the document never uses it."""
        term = _term(token)
        return 0 if term is None else self.ids.get(term, 0)


def _term(token: str) -> str | None:
    """The content term a lowercase token stands for, or None for stop words and punctuation."""
    if (not token[0].isalnum() and token[0] != "_") or token in STOP_WORDS:
        return None
    if len(token) == 1 and token.isascii():
        return None
    return _stem(token)


def _stem(word: str) -> str:
    """A light English stemmer: enough to match plurals and common verb forms ("named", "names", "name")."""
    if len(word) <= 3 or not word.isalpha():
        return word
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith("s") and not word.endswith(("ss", "us", "is")):
        word = word[:-1]
    if word.endswith("ing") and len(word) > 5:
        word = word[:-3]
    elif word.endswith("ed") and len(word) > 4:
        word = word[:-2]
    elif word.endswith("e") and len(word) > 3:
        word = word[:-1]
    if len(word) > 3 and word[-1] == word[-2] and word[-1] not in "lsz":
        word = word[:-1]  # "stopp(ed)" -> "stop"
    return word


def analyse(text: str, units: Units) -> Doc:
    # Each unit is lowercased on its own: no lowercase copy of the whole input. Units start and end
    # next to whitespace (or a CJK mark), so context-dependent lowercasing (a final Greek sigma)
    # gives what lowercasing the whole text would.
    vocabulary = Vocabulary()
    get = vocabulary.__getitem__
    findall = TOKEN_PATTERN.findall
    term_ids = array("i")
    term_starts = array("q", [0])
    sizes = array("q")
    every = array("i")  # every content-term occurrence, for the term frequencies
    starts, ends = units.starts, units.ends
    for i in range(len(units)):
        tokens = findall(text[starts[i] : ends[i]].lower())
        ids = list(filter(None, map(get, tokens)))
        every.extend(ids)
        term_ids.extend(dict.fromkeys(ids))
        term_starts.append(len(term_ids))
        sizes.append(max(1, len(tokens)))
    size = len(vocabulary.ids) + 1
    frequency = [0] * size
    for term_id, n in Counter(every).items():
        frequency[term_id] = n
    del every
    document_frequency = [0] * size
    for term_id, n in Counter(term_ids).items():
        document_frequency[term_id] = n
    count = len(units)
    idf = [math.log(1.0 + count / df) if df else 0.0 for df in document_frequency]
    # The centroid: tf-idf of the words the document repeats (all of them if it repeats none).
    floor = _MIN_TF if any(tf >= _MIN_TF for tf in frequency) else 1
    weights = [tf * w if tf >= floor else 0.0 for tf, w in zip(frequency, idf, strict=True)]
    return Doc(units=units, term_ids=term_ids, term_starts=term_starts, sizes=sizes, weights=weights, idf=idf,
                vocabulary=vocabulary)
