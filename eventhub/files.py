"""Uploaded files: what they really are (by their bytes) and a safe name.

Materials (followup/minutes/storage.py) and event images (events/images.py) are checked here.

The type comes from the content, never from the name or the browser's Content-Type: an HTML
page or an executable renamed ``.pdf`` is refused. Office formats are ZIP or OLE containers,
so the ZIP's members say whether it is a document, a spreadsheet or a presentation.
"""

import io
import re
import unicodedata
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import IO, BinaryIO

from flask import Request


@dataclass(frozen=True)
class FileKind:
    content_type: str
    extension: str
    inline: bool  # shown in the browser (images, PDF) rather than downloaded


PDF = FileKind("application/pdf", "pdf", True)
PNG = FileKind("image/png", "png", True)
JPEG = FileKind("image/jpeg", "jpg", True)
GIF = FileKind("image/gif", "gif", True)
WEBP = FileKind("image/webp", "webp", True)
OOXML = {
    "word/": FileKind(
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document", "docx", False
    ),
    "xl/": FileKind(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx", False
    ),
    "ppt/": FileKind(
        "application/vnd.openxmlformats-officedocument.presentationml.presentation", "pptx", False
    ),
}
ODF_EXTENSIONS = {
    "application/vnd.oasis.opendocument.text": "odt",
    "application/vnd.oasis.opendocument.spreadsheet": "ods",
    "application/vnd.oasis.opendocument.presentation": "odp",
}
# The old binary Office formats share one container; the name is all that tells them apart.
OLE_KINDS = {
    "doc": FileKind("application/msword", "doc", False),
    "xls": FileKind("application/vnd.ms-excel", "xls", False),
    "ppt": FileKind("application/vnd.ms-powerpoint", "ppt", False),
}
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def detect_kind(data: bytes | BinaryIO, filename: str) -> FileKind | None:
    """The kind of an accepted file, or None for anything else.

    ``data`` may be a seekable file: only its first bytes are read, and for a ZIP container
    its directory, so a large upload spooled to disk is never read whole into memory.
    """
    stream = io.BytesIO(data) if isinstance(data, bytes | bytearray) else data
    stream.seek(0)
    head = stream.read(16)
    stream.seek(0)
    kind = _kind_from_head(head, stream, filename)
    stream.seek(0)
    return kind


def _kind_from_head(data: bytes, stream: BinaryIO, filename: str) -> FileKind | None:
    if data.startswith(b"%PDF-"):
        return PDF
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if data.startswith(b"\xff\xd8\xff"):
        return JPEG
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return GIF
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return WEBP
    if data.startswith(b"PK\x03\x04"):
        return _office_zip(stream)
    if data.startswith(OLE_MAGIC):
        return OLE_KINDS.get(Path(filename).suffix.lower().lstrip("."))
    return None


def _office_zip(stream: BinaryIO) -> FileKind | None:
    try:
        with zipfile.ZipFile(stream) as archive:
            names = archive.namelist()
            if "mimetype" in names:
                mimetype = archive.read("mimetype").decode("ascii", "replace").strip()
                extension = ODF_EXTENSIONS.get(mimetype)
                return FileKind(mimetype, extension, False) if extension else None
    except (zipfile.BadZipFile, OSError, ValueError):
        return None
    if "[Content_Types].xml" not in names:
        return None
    for prefix, kind in OOXML.items():
        if any(name.startswith(prefix) for name in names):
            return kind
    return None


_UNSAFE = re.compile(r"[\x00-\x1f\x7f/\\:*?\"<>|]+")


def safe_filename(original: str | None, kind: FileKind) -> str:
    """A name to offer on download: no path, no control characters, the right extension."""
    name = unicodedata.normalize("NFC", original or "")
    name = re.split(r"[/\\]", name)[-1]  # drop any directory part, "../" included
    name = _UNSAFE.sub("_", name).strip(" ._")
    stem, _dot, extension = name.rpartition(".")
    if not _dot:
        stem, extension = name, ""
    if extension.lower() != kind.extension and not (kind is JPEG and extension.lower() == "jpeg"):
        stem = name
        extension = kind.extension
    stem = stem[:120].strip(" ._") or "file"
    return f"{stem}.{extension.lower()}"


@dataclass
class Upload:
    """A file as received, before any check: bytes, or a seekable file (a spooled upload)."""

    filename: str | None
    data: bytes | BinaryIO

    @property
    def stream(self) -> BinaryIO:
        if isinstance(self.data, bytes | bytearray):
            self.data = io.BytesIO(self.data)
        return self.data

    @property
    def size(self) -> int:
        stream = self.stream
        size = stream.seek(0, io.SEEK_END)
        stream.seek(0)
        return size


class UploadsClosingRequest(Request):
    """A request that closes every file its form parser opened when it ends. Werkzeug closes
    the files it parsed whole; the part it was reading when the body was refused as too
    large (413) is left to the garbage collector."""

    def _get_file_stream(self, *args, **kwargs) -> IO[bytes]:
        stream = super()._get_file_stream(*args, **kwargs)
        self.__dict__.setdefault("_upload_streams", []).append(stream)
        return stream

    def close(self) -> None:
        try:
            super().close()
        finally:
            for stream in self.__dict__.pop("_upload_streams", ()):
                stream.close()
