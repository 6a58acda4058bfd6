"""The inputs, budgets and tokenizers every strategy is checked with (authors add their own samples)."""

from __future__ import annotations

OPTIONAL_TOKENIZERS = ("cl100k_base", "o200k_base")
DEFAULT_BUDGETS = (0, 1, 2, 3, 5, 8, 13, 21, 34, 55, 89, 144)

SAMPLE_TEXTS: dict[str, str] = {
    "prose": (
        "Large language models read a fixed number of tokens at a time. A support assistant that "
        "has talked with a customer for an hour will sooner or later hold more text than the model "
        "can read. Something has to give.\n\n"
        "Keeping the newest text is cheap, but it forgets the order number mentioned in the first "
        "minute. Keeping the oldest text loses the question that was just asked!\n\n"
        "A better compressor looks at what the text says. Does it keep names, numbers (like 2,400 "
        "tickets or 61.5%) and negations? The refund was not approved."
    ),
    "markdown": (
        "# Release notes\n\n## Fixes\n\n- The parser no longer drops the last line.\n"
        "- Budgets of 0 now give empty output.\n\n## Example\n\n```python\n"
        "memory, trace = compress(text, 100)\nprint(memory.text)\n```\n\n"
        "See `docs/authoring.md` for details; report bugs at https://example.com/issues."
    ),
    "one_line": " ".join(f"word{i}" for i in range(120)),
    "whitespace": "  \n\n first   line \t\n\n\n second line  \n  ",
}

UNICODE_TEXTS: dict[str, str] = {
    "accents_emoji": (
        "Ünïcödé naïve café — “quoted” text… Emoji: 😀 👍🏽 👨‍👩‍👧 🇫🇷. Zoë Ñúñez wrote it. "
        "Combining marks: e\u0301 a\u0308. Math: ∑ ≤ ∞."
    ),
    "cjk": "日本語のテキストを圧縮します。中文文本也要压缩。한국어 문장입니다. 混合 mixed テキスト text.",
    "rtl": "مرحبا بالعالم. هذا نص عربي. שלום עולם, זה טקסט בעברית. Mixed with English.",
}

SAMPLE_CHUNKS: tuple[str, ...] = (
    "First chunk: the customer asked about order 1234.",
    "Second chunk: the parcel left the warehouse on Monday.",
    "Third chunk, 日本語 and émoji 🎉 included.",
)

QUERY = "what happened to the order?"
