"""Where uploaded materials live: a local folder (one machine) or the database (any number).

``EVENTHUB_FILE_STORAGE`` chooses where new files go: ``local`` (the default) writes them under
``EVENTHUB_UPLOAD_FOLDER`` (``instance/uploads``) on the machine that received the upload;
``database`` writes them into ``material_chunk`` rows, in the same transaction as the material,
so every machine sharing the database serves them and ``pg_dump`` carries them. Each material
remembers which storage holds it, so files stored before a change of setting stay readable.

Bytes move in chunks of ``CHUNK_SIZE`` both ways: a 25 MB upload, already spooled to disk by
Werkzeug, is copied piece by piece, and a download streams piece by piece, so no request holds
a whole file in memory.
"""

import os
import re
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from flask import current_app
from sqlalchemy import Engine, delete, insert, select

from eventhub.extensions import db
from eventhub.followup.models import Material, MaterialChunk

CHUNK_SIZE = 256 * 1024
STORAGES = ("local", "database")


def new_key() -> str:
    """A random name for the bytes, never derived from the uploaded name."""
    return secrets.token_hex(16)


def upload_root() -> Path:
    configured = current_app.config.get("UPLOAD_FOLDER")
    return Path(configured) if configured else Path(current_app.instance_path) / "uploads"


def configured_storage() -> str:
    return storage_name(current_app.config.get("FILE_STORAGE"))


def storage_name(setting: str | None) -> str:
    name = (setting or "local").strip().lower()
    if name not in STORAGES:
        raise RuntimeError(
            f"EVENTHUB_FILE_STORAGE is {name!r}; it must be one of: {', '.join(STORAGES)}"
        )
    return name


def local_path(root: Path, key: str) -> Path:
    if not re.fullmatch(r"[0-9a-f]{32}", key):
        raise ValueError("not a storage key")
    return root / key[:2] / key


def _chunks_of(stream: BinaryIO) -> Iterator[bytes]:
    stream.seek(0)
    while chunk := stream.read(CHUNK_SIZE):
        yield chunk


def write(material: Material, stream: BinaryIO) -> None:
    """Store ``stream`` as the material's bytes, in the storage the material names.

    The material must be flushed (its id is the chunks' key). Database chunks belong to the
    caller's transaction; a local file exists at once, so a caller whose commit fails calls
    ``discard``.
    """
    if material.storage == "database":
        for seq, chunk in enumerate(_chunks_of(stream)):
            db.session.execute(
                insert(MaterialChunk), {"material_id": material.id, "seq": seq, "data": chunk}
            )
        return
    target = local_path(upload_root(), material.storage_key)
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(".part")
    with partial.open("wb") as out:
        for chunk in _chunks_of(stream):
            out.write(chunk)
    os.replace(partial, target)  # readers never see half a file


def remove(material: Material) -> None:
    """Within the transaction that deletes the material: its database chunks go with it."""
    if material.storage == "database":
        db.session.execute(delete(MaterialChunk).where(MaterialChunk.material_id == material.id))


def discard(storage: str, key: str) -> None:
    """After the commit (or after a failed one): remove a local file nobody refers to."""
    if storage == "local":
        local_path(upload_root(), key).unlink(missing_ok=True)


def local_file(material: Material) -> Path | None:
    """The file on this machine, or None when it is missing here."""
    path = local_path(upload_root(), material.storage_key)
    return path if path.is_file() else None


def has_chunks(material: Material) -> bool:
    return (
        db.session.scalar(
            select(MaterialChunk.seq).where(MaterialChunk.material_id == material.id).limit(1)
        )
        is not None
    )


def stream_chunks(engine: Engine, material_id: int) -> Iterator[bytes]:
    """The material's bytes, one chunk per query, for a response that outlives the request.

    Each chunk takes a pooled connection only while it is read: a slow client downloading a
    large file does not hold a database connection for the whole transfer.
    """
    with engine.connect() as conn:
        seqs = list(
            conn.scalars(
                select(MaterialChunk.seq)
                .where(MaterialChunk.material_id == material_id)
                .order_by(MaterialChunk.seq)
            )
        )
    for seq in seqs:
        with engine.connect() as conn:
            chunk = conn.scalar(
                select(MaterialChunk.data).where(
                    MaterialChunk.material_id == material_id, MaterialChunk.seq == seq
                )
            )
        if chunk is None:  # deleted while being read: end the response short
            return
        yield bytes(chunk)


def move_to_database() -> tuple[int, list[str]]:
    """Copy every material kept in this machine's folder into the database, one commit per
    file, and remove the file once its commit is done. Files missing here are listed."""
    moved, missing = 0, []
    ids = db.session.scalars(
        select(Material.id).where(Material.storage == "local").order_by(Material.id)
    ).all()
    for material_id in ids:
        material = db.session.get_one(Material, material_id)
        path = local_file(material)
        if path is None:
            missing.append(f"{material.filename} ({material.storage_key})")
            continue
        material.storage = "database"
        with path.open("rb") as source:
            write(material, source)
        db.session.commit()
        path.unlink(missing_ok=True)
        moved += 1
    return moved, missing
