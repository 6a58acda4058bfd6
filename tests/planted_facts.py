"""Retrieved documents with one planted fact each, and the question that asks for all of them.

The filler is real prose that ships with Python (the pydoc topics), so
nothing is downloaded. Each fact sits at a different depth of its document.
"""

from __future__ import annotations

FACTS = (
    "The lighthouse on Karvik Island was repainted crimson in 1987.",
    "Professor Anneliese Moravec keeps her pressed-fern herbarium in Room 414.",
    "The ferry to Port Quillon departs every Tuesday at 06:40 from pier nine.",
    "The combination of the Ostrander archive vault is 7-31-22.",
    "Marigold Station brews its cider with quince from the Elberfeld orchards.",
    "The Tannhorn glacier survey recorded 212 crevasses on the northern slope.",
)
QUERY = (
    "What colour was the Karvik Island lighthouse repainted? Where does Professor Moravec keep her herbarium? "
    "When does the ferry to Port Quillon depart? What is the combination of the Ostrander archive vault? "
    "Which fruit does Marigold Station brew its cider with? How many crevasses did the Tannhorn glacier survey record?"
)
TOPICS = ("class", "exceptions", "for", "import", "lambda", "with")
DEPTHS = (0.1, 0.5, 0.9, 0.3, 0.7, 0.95)


def documents(words_per_document: int = 900) -> list[str]:
    """One document per fact: a pydoc topic's paragraphs, cut to about ``words_per_document`` words."""
    from pydoc_data.topics import topics

    docs = []
    for fact, topic, depth in zip(FACTS, TOPICS, DEPTHS, strict=True):
        paragraphs = [p.strip() for p in topics[topic].split("\n\n") if p.strip()]
        kept: list[str] = []
        while sum(len(p.split()) for p in kept) < words_per_document:
            kept.append(paragraphs[len(kept) % len(paragraphs)])
        at = int(len(kept) * depth)
        docs.append("\n\n".join([*kept[:at], fact, *kept[at:]]))
    return docs


def share_found(prompt: str) -> float:
    """The share of the facts that appear verbatim in ``prompt``."""
    return sum(fact in prompt for fact in FACTS) / len(FACTS)
