"""Markdown as a CommonMark parser (markdown-it-py, with GFM tables) reads it: the tokens, and the
cells of each table row as inline tokens - so tests check structure, not substrings."""

from __future__ import annotations

from typing import Any

from markdown_it import MarkdownIt


def parse(text: str) -> list[Any]:
    return MarkdownIt("commonmark").enable("table").parse(text)


def rows(tokens: list[Any]) -> list[list[Any]]:
    """Every table row in order (header rows too): its cells' inline tokens."""
    found, current = [], None
    for token in tokens:
        if token.type == "tr_open":
            current = []
        elif token.type == "inline" and current is not None:
            current.append(token)
        elif token.type == "tr_close" and current is not None:
            found.append(current)
            current = None
    return found
