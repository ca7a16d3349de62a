"""The rows of the INSERT statements of a MySQL dump (mysqldump, phpMyAdmin, Adminer), read, never run.

A small tokenizer (strings with MySQL's backslash escapes and doubled quotes, backquoted names,
numbers, hex literals, comments including ``/*!40101 ... */``) and a parser for
``INSERT [IGNORE] INTO `table` [(`col`, ...)] VALUES (...), (...);``: every other statement is
skipped token by token, so a ``;`` inside a string never ends one. Expressions other than
literals (``NOW()``) come back as ``Unsupported`` values, for the caller to refuse row by row.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from admin.importers.rows import SourceInvalid

_TOKEN_RE = re.compile(
    r"""
      (?P<space>\s+)
    | (?P<comment>--(?:[ \t][^\n]*)?(?=\n|$)|\#[^\n]*|/\*.*?\*/)
    | (?P<string>'(?:[^'\\]|\\.|'')*'|"(?:[^"\\]|\\.|"")*")
    | (?P<name>`(?:[^`]|``)*`)
    | (?P<hex>0x[0-9a-fA-F]+|[xX]'[0-9a-fA-F]*')
    | (?P<number>-?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?)
    | (?P<word>[A-Za-z_][A-Za-z0-9_$]*)
    | (?P<open>['"`]|/\*)
    | (?P<other>.)
    """,
    re.VERBOSE | re.DOTALL,
)
_ESCAPES = {"0": "\0", "b": "\b", "n": "\n", "r": "\r", "t": "\t", "Z": "\x1a", "%": "\\%", "_": "\\_"}
# A backslash escape, or the string's own quote doubled; one pass, so that neither eats the other.
_UNQUOTE_RE = {quote: re.compile(r"\\(.)|" + quote * 2, re.DOTALL) for quote in "'\""}


@dataclass(frozen=True, slots=True)
class Token:
    kind: str
    text: str
    pos: int


@dataclass(frozen=True, slots=True)
class Unsupported:
    """A value that is not a literal (a function call, an expression): shown, never evaluated."""

    text: str


SqlValue = str | None | Unsupported


@dataclass(frozen=True, slots=True)
class InsertedRow:
    """One value tuple of an INSERT: its table, the statement's column list (None: table order),
    its values, and its place among the tuples of the dump (from 1)."""

    table: str
    columns: tuple[str, ...] | None
    values: tuple[SqlValue, ...]
    number: int
    line: int


def line_of(text: str, pos: int) -> int:
    return text.count("\n", 0, pos) + 1


def tokens(text: str) -> Iterator[Token]:
    """The tokens of ``text`` without white space and comments. Raises SourceInvalid on an
    unterminated string, name or comment."""
    for match in _TOKEN_RE.finditer(text):
        kind = match.lastgroup
        assert kind is not None
        if kind in ("space", "comment"):
            continue
        if kind == "open":
            raise SourceInvalid(f"line {line_of(text, match.start())}: a string, name or comment is never closed")
        yield Token(kind, match.group(), match.start())


def unquote(token: str) -> str:
    """A quoted string's text: MySQL's escapes (\\n, \\', \\\\, ...; \\% and \\_ stay as written) and
    a doubled quote read as one."""
    quote, body = token[0], token[1:-1]
    if "\\" not in body and quote * 2 not in body:
        return body
    return _UNQUOTE_RE[quote].sub(lambda m: quote if m[1] is None else _ESCAPES.get(m[1], m[1]), body)


class _Stream:
    """Tokens with one of look-ahead."""

    def __init__(self, text: str) -> None:
        self.text = text
        self._tokens = tokens(text)
        self._next: Token | None = next(self._tokens, None)

    def peek(self) -> Token | None:
        return self._next

    def take(self) -> Token:
        token = self._next
        if token is None:
            raise SourceInvalid("the dump ends inside a statement")
        self._next = next(self._tokens, None)
        return token

    def error(self, token: Token, message: str) -> SourceInvalid:
        return SourceInvalid(f"line {line_of(self.text, token.pos)}: {message}")


def _is_word(token: Token | None, *words: str) -> bool:
    return token is not None and token.kind == "word" and token.text.upper() in words


def _is(token: Token | None, text: str) -> bool:
    return token is not None and token.kind == "other" and token.text == text


def _name(token: Token) -> str:
    return token.text[1:-1].replace("``", "`") if token.kind == "name" else token.text


def inserted_rows(text: str, *, tables: re.Pattern[str]) -> Iterator[InsertedRow]:
    """The value tuples of every INSERT (or REPLACE) into a table whose name ``tables`` matches (in
    full); other statements and tables are skipped. Raises SourceInvalid on a syntax error in them."""
    stream = _Stream(text)
    number = 0
    while (token := stream.peek()) is not None:
        if _is_word(token, "INSERT", "REPLACE"):
            stream.take()
            for columns, table, values, line in _insert(stream, tables):
                number += 1
                yield InsertedRow(table, columns, values, number, line)
        else:
            _skip_statement(stream)


def _skip_statement(stream: _Stream) -> None:
    while (token := stream.peek()) is not None:
        stream.take()
        if _is(token, ";"):
            return


def _insert(
    stream: _Stream, tables: re.Pattern[str]
) -> Iterator[tuple[tuple[str, ...] | None, str, tuple[SqlValue, ...], int]]:
    while _is_word(stream.peek(), "LOW_PRIORITY", "DELAYED", "HIGH_PRIORITY", "IGNORE", "INTO"):
        stream.take()
    table = _table(stream)
    if not tables.fullmatch(table):
        _skip_statement(stream)
        return
    columns = _columns(stream) if _is(stream.peek(), "(") else None
    keyword = stream.take()
    if not _is_word(keyword, "VALUES", "VALUE"):
        raise stream.error(keyword, f"INSERT INTO {table} without VALUES is not supported")
    while True:
        start = stream.peek()
        values = _tuple(stream)
        assert start is not None
        yield columns, table, values, line_of(stream.text, start.pos)
        after = stream.peek()
        if _is(after, ","):
            stream.take()
            continue
        _skip_statement(stream)  # ";", the end, or ON DUPLICATE KEY UPDATE ...
        return


def _table(stream: _Stream) -> str:
    token = stream.take()
    if token.kind not in ("name", "word"):
        raise stream.error(token, "INSERT without a table name")
    name = _name(token)
    while _is(stream.peek(), "."):  # `database`.`table`
        stream.take()
        name = _name(stream.take())
    return name


def _columns(stream: _Stream) -> tuple[str, ...]:
    stream.take()
    columns: list[str] = []
    while True:
        token = stream.take()
        if token.kind not in ("name", "word"):
            raise stream.error(token, "a column list holds column names")
        columns.append(_name(token).lower())
        separator = stream.take()
        if _is(separator, ")"):
            return tuple(columns)
        if not _is(separator, ","):
            raise stream.error(separator, "a column list is names separated by commas")


def _tuple(stream: _Stream) -> tuple[SqlValue, ...]:
    opening = stream.take()
    if not _is(opening, "("):
        raise stream.error(opening, "VALUES is followed by value tuples in parentheses")
    values: list[SqlValue] = []
    while True:
        values.append(_value(stream))
        separator = stream.take()
        if _is(separator, ")"):
            return tuple(values)
        if not _is(separator, ","):
            raise stream.error(separator, "values in a tuple are separated by commas")


def _value(stream: _Stream) -> SqlValue:
    token = stream.take()
    if token.kind == "word" and token.text.startswith("_") and (nxt := stream.peek()) and nxt.kind == "string":
        token = stream.take()  # a character set introducer: _binary '...', _utf8mb4 '...'
    if token.kind == "string":
        return unquote(token.text)
    if token.kind == "number":
        return token.text
    if token.kind == "hex":
        return _hex_text(token.text)
    if _is_word(token, "NULL"):
        return None
    return _expression(stream, token)


def _hex_text(literal: str) -> str:
    digits = literal[2:] if literal.startswith("0x") else literal[2:-1]
    if len(digits) % 2:
        digits = "0" + digits
    return bytes.fromhex(digits).decode("utf-8", errors="surrogateescape")


def _expression(stream: _Stream, first: Token) -> Unsupported:
    """Anything else, up to the ``,`` or ``)`` that ends the value (parentheses balanced)."""
    parts, depth = [first.text], 1 if _is(first, "(") else 0
    while (token := stream.peek()) is not None and not (depth == 0 and (_is(token, ",") or _is(token, ")"))):
        if _is(token, ";") and depth == 0:
            break
        depth += 1 if _is(token, "(") else -1 if _is(token, ")") else 0
        parts.append(stream.take().text)
    return Unsupported(" ".join(parts))
