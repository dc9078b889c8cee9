"""Bytes to text for order files: UTF-8 only, with errors that say where and what to do."""

from __future__ import annotations

import codecs
import io
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from shipctl.errors import InputError

MAX_LINE_BYTES = 1 << 20
HEAD_BYTES = 8192
CHUNK_BYTES = 1 << 16
SAVE_AS_UTF8 = "save it as UTF-8 (in Excel: Save As › CSV UTF-8)"


class _Rewound(io.RawIOBase):
    """A stream whose first bytes were already read to sniff it, handed back in front."""

    def __init__(self, head: bytes, rest: BinaryIO, close_rest: bool) -> None:
        super().__init__()
        self._head = head
        self._rest = rest
        self._close_rest = close_rest

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        if self._head:
            n = min(len(buffer), len(self._head))
            buffer[:n] = self._head[:n]
            self._head = self._head[n:]
            return n
        data = self._rest.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def close(self) -> None:
        if self._close_rest and not self._rest.closed:
            self._rest.close()
        super().close()


def open_input(source: Path | str, stdin: BinaryIO | None, name: str) -> tuple[bytes, BinaryIO]:
    """The first bytes of the input (to sniff) and a buffered stream over all of it."""
    if str(source) == "-":
        if stdin is None:
            raise InputError("no standard input to read orders from")
        raw, close = stdin, False
    else:
        try:
            raw, close = open(source, "rb"), True  # noqa: SIM115 - closed by the OrderSource
        except OSError as err:
            raise InputError(f"{name}: cannot read it ({err.strerror or err})") from None
    try:
        head = raw.read(HEAD_BYTES) or b""
        check_head(head, name)
    except (OSError, InputError) as err:
        if close:
            raw.close()
        if isinstance(err, InputError):
            raise
        raise InputError(f"{name}: cannot read it ({err.strerror or err})") from None
    return head, io.BufferedReader(_Rewound(head, raw, close), CHUNK_BYTES)


def check_head(head: bytes, name: str) -> None:
    """Refuse, with a useful line, what is plainly not UTF-8 order text."""
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise InputError(f"{name}: is UTF-16 text; {SAVE_AS_UTF8}")
    if head.startswith(b"PK\x03\x04"):
        raise InputError(
            f"{name}: is an Excel workbook or a zip archive, not CSV or JSON text; "
            "in Excel use Save As › CSV UTF-8"
        )
    if b"\x00" in head:
        raise InputError(f"{name}: looks like a binary file, not CSV or JSON text")
    if not head.removeprefix(codecs.BOM_UTF8).strip():
        raise InputError(f"{name}: is empty; it needs a header row and at least one order")


def _not_utf8(name: str, line: int, offset: int, byte: int) -> InputError:
    return InputError(
        f"{name}: line {line}, byte offset {offset}: byte 0x{byte:02X} is not UTF-8; {SAVE_AS_UTF8}"
    )


def _nul(name: str, line: int, offset: int) -> InputError:
    return InputError(
        f"{name}: line {line}, byte offset {offset}: a NUL byte; this is not a text file "
        f"({SAVE_AS_UTF8})"
    )


def text_lines(stream: BinaryIO, name: str) -> Iterator[tuple[int, str]]:
    """(physical line number, decoded line with its newline), streaming."""
    offset = 0
    number = 0
    while True:
        raw = stream.readline(MAX_LINE_BYTES + 1)
        if not raw:
            return
        number += 1
        if len(raw) > MAX_LINE_BYTES:
            raise InputError(f"{name}: line {number} is longer than 1 MB; is this an orders file?")
        if number == 1 and raw.startswith(codecs.BOM_UTF8):
            raw, offset = raw[3:], 3
        yield number, _decode(raw, name, number, offset)
        offset += len(raw)


def _decode(raw: bytes, name: str, line: int, offset: int) -> str:
    nul = raw.find(b"\x00")
    if nul >= 0:
        raise _nul(name, line + raw.count(b"\n", 0, nul), offset + nul)
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as err:
        line += raw.count(b"\n", 0, err.start)
        raise _not_utf8(name, line, offset + err.start, raw[err.start]) from None


def _complete_prefix(data: bytes) -> int:
    """Length of `data` without a trailing, still incomplete UTF-8 sequence."""
    for back in range(1, min(4, len(data)) + 1):
        byte = data[-back]
        if byte & 0xC0 == 0x80:  # a continuation byte: keep looking for the lead byte
            continue
        if byte < 0xC0:
            return len(data)
        needed = 2 if byte < 0xE0 else 3 if byte < 0xF0 else 4
        return len(data) - back if needed > back else len(data)
    return len(data)


def text_chunks(stream: BinaryIO, name: str) -> Iterator[str]:
    """Decoded text in chunks of about 64 KB, for formats that need not be line-based (JSON)."""
    carry, offset, line, first = b"", 0, 1, True
    while True:
        chunk = stream.read(CHUNK_BYTES)
        data = carry + chunk
        if first and data.startswith(codecs.BOM_UTF8):
            data, offset = data[3:], 3
        first = False
        if not data:
            return
        cut = _complete_prefix(data) if chunk else len(data)
        part, carry = data[:cut], data[cut:]
        yield _decode(part, name, line, offset)
        line += part.count(b"\n")
        offset += len(part)
        if not chunk:
            return
