"""Figures the tests measured (agreement rates, resilience counts), printed at the end of every session."""

from __future__ import annotations

LINES: list[str] = []


def report(line: str) -> str:
    LINES.append(line)
    return line
