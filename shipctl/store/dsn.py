"""PostgreSQL connection strings: parsed once, shown without their password, in every form.

`DATABASE_URL` may be a URL (`postgresql://user:pw@host:5432/db?sslmode=require`, the
password also allowed as `?password=…`) or a libpq keyword string
(`host=h port=5432 user=u password=pw dbname=d`). Users paste passwords with `/ # ? @`
unencoded; the URL parser here finds the host after the password instead of cutting the
password at its first `/`. Whatever was given, shipctl connects with `connect_url()` (every
part percent-encoded, which asyncpg reads back exactly) and shows only `masked()` or
`describe()`, which are rebuilt from the parsed parts and never echo the input.

Pure Python (no asyncpg), so settings can check a DSN without loading the driver.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import quote, unquote

MASK = "***"
SCHEMES = ("postgresql", "postgres")
# Query or keyword parameters that hold a secret.
SECRET_PARAMS = frozenset({"password", "sslpassword"})
# What may stand between `@` and the path: host names, IPv4/IPv6, ports, host lists.
_HOSTSPEC = re.compile(r"[A-Za-z0-9._~%\-\[\]:,]*")
_KEYWORD = re.compile(r"\s*([A-Za-z_][A-Za-z0-9_]*)\s*=\s*")
_KEYWORD_ALIASES = {"database": "dbname"}


class InvalidDsn(ValueError):
    """Not a PostgreSQL URL or libpq keyword string (the message never quotes the input)."""


@dataclass(frozen=True)
class DatabaseAddress:
    """The parts of a connection string; `repr` hides the password."""

    user: str = ""
    password: str | None = field(default=None, repr=False)
    hosts: str = ""  # `host`, `host:port`, or a comma-separated list of them
    database: str = ""
    params: tuple[tuple[str, str], ...] = field(default=(), repr=False)

    def connect_url(self) -> str:
        """The URL to connect with, password included: never print it."""
        return self._url(mask=False)

    def masked(self) -> str:
        """The URL with every password replaced by `***`."""
        return self._url(mask=True)

    def describe(self) -> str:
        """`host:port/database`, for messages; no user, no password."""
        params = dict(self.params)
        host = self.hosts or params.get("host", "") or "localhost"
        port = params.get("port")
        if port and ":" not in host.rsplit("]", 1)[-1] and "," not in host:
            host = f"{host}:{port}"
        return f"{host}/{self.database or params.get('dbname') or self.user or 'postgres'}"

    def _url(self, *, mask: bool) -> str:
        auth = ""
        if self.user or self.password is not None:
            auth = quote(self.user, safe="")
            if self.password is not None:
                auth += ":" + (MASK if mask else quote(self.password, safe=""))
            auth += "@"
        query = "&".join(
            f"{quote(key, safe='')}="
            + (MASK if mask and key in SECRET_PARAMS else quote(value, safe=""))
            for key, value in self.params
        )
        path = "/" + quote(self.database, safe="") if self.database else "/"
        return f"postgresql://{auth}{self.hosts}{path}" + (f"?{query}" if query else "")


def parse_dsn(text: str) -> DatabaseAddress:
    """A URL or a libpq keyword string, parsed; `InvalidDsn` if it is neither."""
    text = text.strip()
    if "://" in text.split("=", 1)[0]:
        return _parse_url(text)
    if _KEYWORD.match(text):
        return _parse_keywords(text)
    raise InvalidDsn(
        "not a PostgreSQL URL (postgresql://user:password@host/database) "
        "or libpq string (host=… dbname=…)"
    )


def describe_dsn(text: str) -> str:
    """`host:port/database` of any DSN, or a fixed phrase if it cannot be parsed."""
    try:
        return parse_dsn(text).describe()
    except InvalidDsn:
        return "the server in DATABASE_URL (not a valid PostgreSQL URL)"


def mask_dsn(text: str) -> str:
    """The DSN as a URL with its passwords replaced by `***` (never the input itself)."""
    try:
        return parse_dsn(text).masked()
    except InvalidDsn:
        return f"(not a valid PostgreSQL URL; {MASK})"


def _parse_url(text: str) -> DatabaseAddress:
    scheme, _, rest = text.partition("://")
    if scheme.lower() not in SCHEMES:
        raise InvalidDsn("a database URL starts with postgresql:// or postgres://")
    userinfo, hosts, after = _split_authority(rest)
    path, _, query = after.partition("?")
    user, password = "", None
    if userinfo is not None:
        raw_user, colon, raw_password = userinfo.partition(":")
        user = unquote(raw_user)
        password = unquote(raw_password) if colon else None
    return DatabaseAddress(
        user=user,
        password=password,
        hosts=hosts,
        database=unquote(path.lstrip("/")),
        params=_parse_query(query),
    )


def _split_authority(rest: str) -> tuple[str | None, str, str]:
    """(userinfo, hosts, path-and-query): the first `@` followed by a host and a clean path.

    A password with an unencoded `@`, `/`, `?` or `#` is kept whole: an `@` counts only if a
    host follows it, ended by `/`, `?` or the end, and the path after it has no `@`.
    """
    for at in (i for i, char in enumerate(rest) if char == "@"):
        host = _HOSTSPEC.match(rest, at + 1)
        end = host.end() if host else at + 1
        if end < len(rest) and rest[end] not in "/?":
            continue
        if "@" in rest[end:].partition("?")[0]:
            continue
        return rest[:at], rest[at + 1 : end], rest[end:]
    host = _HOSTSPEC.match(rest)
    end = host.end() if host else 0
    if end < len(rest) and rest[end] not in "/?":
        raise InvalidDsn("the host part of the database URL is not valid")
    return None, rest[:end], rest[end:]


def _parse_query(query: str) -> tuple[tuple[str, str], ...]:
    params = []
    for piece in filter(None, query.split("&")):
        key, equals, value = piece.partition("=")
        if not equals or not key:
            raise InvalidDsn("the query of the database URL is not key=value pairs")
        params.append((unquote(key), unquote(value)))
    return tuple(params)


def _parse_keywords(text: str) -> DatabaseAddress:
    values: dict[str, str] = {}
    pos = 0
    while pos < len(text):
        match = _KEYWORD.match(text, pos)
        if match is None:
            if text[pos:].strip():
                raise InvalidDsn("the database string is not keyword=value pairs")
            break
        value, pos = _keyword_value(text, match.end())
        key = _KEYWORD_ALIASES.get(match.group(1), match.group(1))
        values[key] = value
    host = values.pop("host", "")
    port = values.pop("port", "")
    hosts = ""
    if host and not host.startswith("/"):
        hosts = f"{host}:{port}" if port and "," not in host else host
        port = "" if port and "," not in host else port
    params = [("host", host)] if host.startswith("/") else []
    params += [("port", port)] if port else []
    user = values.pop("user", "")
    password = values.pop("password", None)
    database = values.pop("dbname", "")
    params += list(values.items())
    return DatabaseAddress(user=user, password=password, hosts=hosts, database=database,
                           params=tuple(params))


def _keyword_value(text: str, pos: int) -> tuple[str, int]:
    """One value of a keyword string: bare up to a space, or 'quoted' with \\ escapes."""
    if text.startswith("'", pos):
        out, pos = [], pos + 1
        while pos < len(text):
            char = text[pos]
            if char == "\\" and pos + 1 < len(text):
                out.append(text[pos + 1])
                pos += 2
            elif char == "'":
                return "".join(out), pos + 1
            else:
                out.append(char)
                pos += 1
        raise InvalidDsn("a quoted value in the database string is never closed")
    end = pos
    while end < len(text) and not text[end].isspace():
        end += 2 if text[end] == "\\" else 1
    return re.sub(r"\\(.)", r"\1", text[pos:end]), end
