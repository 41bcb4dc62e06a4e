"""How relations and outcome directions look, in every output: one home for colours, symbols and line styles.

Colour is never the only carrier of meaning: each relation and direction also has a symbol, and each
relation a line style, so a figure reads in black and white and to a reader who does not see colour.
"""

from __future__ import annotations

from crm_review.model import Direction, Relation

MINUS = "\N{MINUS SIGN}"
"""A typographic minus, which reads as clearly as the plus beside it (a hyphen looks like a dash)."""

RELATION_SYMBOLS: dict[Relation, str] = {"supports": "+", "refutes": MINUS, "refines": "~"}
DIRECTION_SYMBOLS: dict[Direction, str] = {"positive": "+", "negative": MINUS, "mixed": "±"}

RELATION_COLOURS: dict[Relation, str] = {"supports": "#1b7f3b", "refutes": "#b3261e", "refines": "#8a5a00"}
DIRECTION_COLOURS: dict[Direction, str] = {"positive": "#1b7f3b", "negative": "#b3261e", "mixed": "#8a5a00"}
SEVERAL_COLOUR = "#5b5b66"
"""Lines that stand for CMOCs of more than one relation."""

RELATION_DASHES: dict[Relation, str | None] = {"supports": None, "refutes": "8 4", "refines": "2 3"}
"""SVG stroke-dasharray of each relation's lines (solid, dashed, dotted)."""
RELATION_DOT_STYLES: dict[Relation, str] = {"supports": "solid", "refutes": "dashed", "refines": "dotted"}
"""The same line styles in Graphviz DOT."""
