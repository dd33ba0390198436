"""The log's rows as files to take away: CSV for spreadsheets, JSON Lines for programs.

A CSV cell that a spreadsheet would run as a formula is written as text (`spreadsheet_safe`);
JSON Lines keeps every text exactly as logged. This module writes the rows it is handed,
as they come; it reads no log itself (`Store.write_export` hands it the rows, a page at a
time).
"""

from __future__ import annotations

import csv
import json
from typing import Iterable


def write_rows(out, fmt: str, columns: list[str], rows: Iterable[dict]) -> int:
    """Write `rows` to a text file as CSV (headed by `columns`) or JSON Lines; returns how many."""
    if fmt not in ("csv", "jsonl"):
        raise ValueError(f"export format must be 'csv' or 'jsonl', got {fmt!r}")
    writer = None
    if fmt == "csv":
        writer = csv.DictWriter(out, fieldnames=columns)
        writer.writeheader()
    n = 0
    for row in rows:
        if writer is not None:
            writer.writerow({k: spreadsheet_safe(v) for k, v in row.items()})
        else:
            out.write(json.dumps(row, ensure_ascii=False) + "\n")
        n += 1
    return n


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value):
    """A CSV cell that Excel, LibreOffice or Sheets shows as text, never runs: OWASP's CSV injection advice.

    Text starting with = + - @ tab or carriage return gets a leading `'`; numbers and
    other text pass unchanged. Prompts and answers are anyone's text, so an export opened
    in a spreadsheet must not run `=HYPERLINK(...)` or `@SUM(...)` written into them.
    """
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value

