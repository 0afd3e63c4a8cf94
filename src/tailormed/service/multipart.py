"""Multipart uploads read straight into the sealed spool (:mod:`.spool`).

FastAPI's ``File()`` parameters would have Starlette parse the body first, into
temporary files in clear text; the upload routes read the request stream themselves
instead, with the same parser Starlette uses (``python-multipart``), writing file parts
into :class:`~.spool.SealedWriter` as they arrive. Text fields are small (at most
:data:`MAX_FIELD` bytes), must be UTF-8 and must not hold NUL.

``before_files`` runs once, before the first byte of the first file is kept, with the
text fields seen so far: the web UI checks its CSRF token there, so a forged upload is
refused before anything is written.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import anyio
from fastapi import Request
from python_multipart.exceptions import FormParserError
from python_multipart.multipart import MultipartParser, parse_options_header

from tailormed.errors import InputError
from tailormed.service.spool import SealedFile, SealedWriter, SpoolFolder

MAX_FIELD = 4096
MAX_PARTS = 16


@dataclass
class Received:
    """What an upload request carried: sealed files and text fields, by field name."""

    files: dict[str, SealedFile] = field(default_factory=dict)
    fields: dict[str, str] = field(default_factory=dict)


@dataclass
class _Part:
    name: str = ""
    filename: str | None = None
    is_file: bool = False
    empty_file: bool = False  # a file input left empty: browsers send filename=""
    data: bytearray = field(default_factory=bytearray)
    writer: SealedWriter | None = None


class _Reader:
    def __init__(
        self,
        folder: SpoolFolder,
        files: Mapping[str, str],
        fields: set[str],
        before_files: Callable[[dict[str, str]], None] | None,
    ) -> None:
        self.folder, self.allowed_files, self.allowed_fields = folder, files, fields
        self.before_files = before_files
        self.received = Received()
        self.part = _Part()
        self.header_name = bytearray()
        self.header_value = bytearray()
        self.disposition = b""
        self.parts = 0
        self.pending: list[tuple[SealedWriter, bytes]] = []
        self.writers: dict[str, SealedWriter] = {}  # by field name

    # -- python-multipart callbacks (synchronous, inside parser.write)
    def on_part_begin(self) -> None:
        self.parts += 1
        if self.parts > MAX_PARTS:
            raise InputError(f"an upload may have at most {MAX_PARTS} parts")
        self.part = _Part()
        self.disposition = b""

    def on_header_field(self, data: bytes, start: int, end: int) -> None:
        self.header_name += data[start:end]

    def on_header_value(self, data: bytes, start: int, end: int) -> None:
        self.header_value += data[start:end]

    def on_header_end(self) -> None:
        if bytes(self.header_name).lower() == b"content-disposition":
            self.disposition = bytes(self.header_value)
        self.header_name.clear()
        self.header_value.clear()

    def on_headers_finished(self) -> None:
        _kind, options = parse_options_header(self.disposition)
        name = _text(options.get(b"name", b""), "field name")
        self.part.name = name
        if b"filename" in options:
            if name not in self.allowed_files:
                raise InputError(f"unexpected file field {name!r}")
            if name in self.writers:
                raise InputError(f"file field {name!r} given twice")
            if self.before_files is not None:
                check, self.before_files = self.before_files, None
                check(dict(self.received.fields))
            filename = _text(options[b"filename"], "file name")
            self.part.is_file = True
            if not filename:
                self.part.empty_file = True  # kept only if it turns out to have data
                return
            self.part.filename = filename
            writer = self.folder.writer(filename or None, self.allowed_files[name])
            self.part.writer = writer
            self.writers[name] = writer

    def on_part_data(self, data: bytes, start: int, end: int) -> None:
        chunk = data[start:end]
        if self.part.empty_file and chunk:
            raise InputError(f"the file in field {self.part.name!r} has no name")
        if self.part.writer is not None:
            self.pending.append((self.part.writer, bytes(chunk)))
            return
        self.part.data += chunk
        if len(self.part.data) > MAX_FIELD:
            raise InputError(f"form field {self.part.name!r} is too long")

    def on_part_end(self) -> None:
        if self.part.empty_file:
            return  # no file chosen for this input
        if self.part.writer is not None:
            self.pending.append((self.part.writer, b""))  # b"" marks the end
            return
        if self.part.name in self.allowed_fields:
            self.received.fields[self.part.name] = _text(bytes(self.part.data), self.part.name)

    # -- file writes, in a worker thread (encryption and disk I/O off the event loop)
    def flush(self) -> None:
        pending, self.pending = self.pending, []
        for writer, chunk in pending:
            if chunk:
                writer.write(chunk)
            else:
                name = next(n for n, w in self.writers.items() if w is writer)
                self.received.files[name] = writer.close()

    def abort(self) -> None:
        for writer in self.writers.values():
            writer.abort()


def _text(raw: bytes, what: str) -> str:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise InputError(f"{what} is not UTF-8 text") from None
    if "\x00" in text:
        raise InputError(f"{what}: text must not contain NUL characters")
    return text


async def receive_upload(
    request: Request,
    folder: SpoolFolder,
    *,
    files: Mapping[str, str],
    fields: set[str] | frozenset[str] = frozenset(),
    required: tuple[str, ...] = ("file",),
    before_files: Callable[[dict[str, str]], None] | None = None,
) -> Received:
    """Read a ``multipart/form-data`` request into ``folder``.

    ``files`` maps each file field to the name used when the client sends none;
    ``fields`` are the text fields kept. Unusable requests raise
    :class:`~tailormed.errors.InputError` (422).
    """
    media, params = parse_options_header(request.headers.get("content-type", ""))
    boundary = params.get(b"boundary")
    if media != b"multipart/form-data" or not boundary:
        raise InputError("send the upload as multipart/form-data")
    reader = _Reader(folder, files, set(fields), before_files)
    parser = MultipartParser(
        boundary,
        {
            "on_part_begin": reader.on_part_begin,
            "on_part_data": reader.on_part_data,
            "on_part_end": reader.on_part_end,
            "on_header_field": reader.on_header_field,
            "on_header_value": reader.on_header_value,
            "on_header_end": reader.on_header_end,
            "on_headers_finished": reader.on_headers_finished,
        },
    )
    try:
        async for chunk in request.stream():
            parser.write(chunk)
            if reader.pending:
                await anyio.to_thread.run_sync(reader.flush)
        parser.finalize()
        if reader.pending:
            await anyio.to_thread.run_sync(reader.flush)
    except FormParserError:
        reader.abort()
        raise InputError("the upload is not valid multipart/form-data") from None
    except BaseException:
        reader.abort()
        raise
    for name in required:
        if name not in reader.received.files:
            raise InputError(f"the upload needs a file in the {name!r} field")
    return reader.received
