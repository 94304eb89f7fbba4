"""Uploaded materials outside one machine's disk: the database storage, memory, backups."""

import io
import os
import shutil
import subprocess
import tracemalloc
import uuid
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url
from werkzeug.datastructures import FileStorage
from werkzeug.test import stream_encode_multipart

from eventhub import create_app
from eventhub.extensions import db
from eventhub.followup.minutes.storage import CHUNK_SIZE
from eventhub.followup.models import Material, MaterialChunk
from tests.conftest import PG_URL, base_config, login
from tests.factories import EventFactory, UserFactory

MB = 1_000_000
PDF_HEAD = b"%PDF-1.4\n1 0 obj<<>>endobj\n"


def pdf_of(size: int) -> bytes:
    """A file the upload accepts, of several chunks, whose bytes differ everywhere."""
    return PDF_HEAD + os.urandom(size - len(PDF_HEAD))


def instance(make_app, folder: Path, **settings):
    """An app as on another machine: its own instance folder (and so its own uploads)."""
    app = make_app(UPLOAD_FOLDER=None, **settings)
    folder.mkdir(parents=True, exist_ok=True)
    app.instance_path = str(folder)
    return app


def signed_in(app):
    client = app.test_client()
    client.post("/language", data={"lang": "en"})
    assert login(client, "organiser@example.org").status_code == 302
    return client


def make_event(app) -> int:
    with app.app_context():
        user = UserFactory(email="organiser@example.org")
        event = EventFactory(created_by_id=user.id)
        db.session.commit()
        return event.id


def upload(client, event_id: int, file, name="acta.pdf"):
    """POST a file. The body is encoded here (to a temporary file past 500 KB) and closed
    after the request: Werkzeug's test client leaves the one it makes itself open."""
    form = {"file": FileStorage(file, filename=name), "visibility": "private"}
    body, length, boundary = stream_encode_multipart(form)
    try:
        with client.post(
            f"/events/{event_id}/materials",
            input_stream=body,
            content_length=length,
            content_type=f"multipart/form-data; boundary={boundary}",
        ) as response:
            return response
    finally:
        body.close()


def material_ids(app) -> list[int]:
    with app.app_context():
        return list(db.session.scalars(select(Material.id).order_by(Material.id)))


def download(client, event_id: int, material_id: int):
    response = client.get(f"/events/{event_id}/materials/{material_id}")
    response.get_data()
    response.close()
    return response


def files_in(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*") if p.is_file()] if folder.exists() else []


def test_two_machines_share_files_kept_in_the_database(make_app, tmp_path):
    one = instance(make_app, tmp_path / "one", FILE_STORAGE="database")
    two = instance(make_app, tmp_path / "two", FILE_STORAGE="database")
    event_id = make_event(one)
    data = pdf_of(3 * CHUNK_SIZE + 1234)  # four chunks, the last one short
    first, second = signed_in(one), signed_in(two)

    assert upload(first, event_id, io.BytesIO(data), "Acta — Peñalolén.pdf").status_code == 302
    [material_id] = material_ids(one)
    with one.app_context():
        assert db.session.get(Material, material_id).storage == "database"
        chunks = db.session.scalars(
            select(func.length(MaterialChunk.data)).order_by(MaterialChunk.seq)
        ).all()
    assert chunks == [CHUNK_SIZE] * 3 + [1234]
    assert files_in(tmp_path / "one") == files_in(tmp_path / "two") == []

    answer = download(second, event_id, material_id)
    assert answer.status_code == 200
    assert answer.data == data
    assert answer.headers["Content-Type"] == "application/pdf"
    assert answer.headers["Content-Length"] == str(len(data))
    assert answer.headers["Content-Disposition"].startswith("inline")
    disposition = answer.headers["Content-Disposition"]
    assert 'filename="Acta  Penalolen.pdf"' in disposition
    assert "filename*=UTF-8''Acta%20%E2%80%94%20Pe%C3%B1alol%C3%A9n.pdf" in disposition
    assert answer.headers["X-Content-Type-Options"] == "nosniff"
    again = second.get(
        f"/events/{event_id}/materials/{material_id}",
        headers={"If-None-Match": answer.headers["ETag"]},
    )
    assert again.status_code == 304 and again.data == b""

    deleted = first.post(f"/events/{event_id}/materials/{material_id}/delete")
    assert deleted.status_code == 302
    assert download(second, event_id, material_id).status_code == 404
    with two.app_context():
        assert db.session.scalar(select(func.count()).select_from(MaterialChunk)) == 0


def test_local_storage_is_the_default_and_stays_on_its_machine(make_app, tmp_path):
    one = instance(make_app, tmp_path / "one")
    two = instance(make_app, tmp_path / "two")
    event_id = make_event(one)
    data = pdf_of(300_000)
    assert upload(signed_in(one), event_id, io.BytesIO(data)).status_code == 302
    [material_id] = material_ids(one)
    [stored] = files_in(tmp_path / "one" / "uploads")
    assert stored.read_bytes() == data
    assert download(signed_in(one), event_id, material_id).data == data
    # What the database storage is for: the other machine has no such file.
    assert download(signed_in(two), event_id, material_id).status_code == 404


def test_files_stored_before_a_change_of_setting_stay_readable(make_app, tmp_path):
    local = instance(make_app, tmp_path / "m")
    event_id = make_event(local)
    data = pdf_of(100_000)
    upload(signed_in(local), event_id, io.BytesIO(data))
    switched = instance(make_app, tmp_path / "m", FILE_STORAGE="database")
    client = signed_in(switched)
    upload(client, event_id, io.BytesIO(pdf_of(50_000)), "b.pdf")
    old, new = material_ids(switched)
    assert download(client, event_id, old).data == data
    with switched.app_context():
        assert db.session.get(Material, new).storage == "database"


def test_an_unknown_storage_setting_stops_the_app_at_start(app_config):
    with pytest.raises(RuntimeError, match="EVENTHUB_FILE_STORAGE"):
        create_app({**app_config, "FILE_STORAGE": "s3"})


@pytest.mark.parametrize("storage", ["local", "database"])
def test_a_25_mb_file_is_never_held_whole_in_memory(make_app, tmp_path, storage):
    app = instance(make_app, tmp_path / "m", FILE_STORAGE=storage)
    event_id = make_event(app)
    client = signed_in(app)
    size = 25 * MB - 1000
    source = tmp_path / "big.pdf"
    with source.open("wb") as out:
        out.write(PDF_HEAD)
        for _ in range(size // MB):
            out.write(os.urandom(MB))
        out.write(b"\0" * (size - out.tell()))
    tracemalloc.start()
    try:
        with source.open("rb") as file:
            tracemalloc.reset_peak()
            assert upload(client, event_id, file, "big.pdf").status_code == 302
        upload_peak = tracemalloc.get_traced_memory()[1]
        [material_id] = material_ids(app)
        tracemalloc.reset_peak()
        response = client.get(f"/events/{event_id}/materials/{material_id}", buffered=False)
        received = 0
        with source.open("rb") as expected:
            for piece in response.response:
                assert piece == expected.read(len(piece))
                received += len(piece)
        response.close()
        download_peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert received == size
    print(f"{storage}: peak {upload_peak / MB:.1f} MB upload, {download_peak / MB:.1f} MB download")
    assert upload_peak < 5 * MB
    assert download_peak < 5 * MB


@pytest.mark.parametrize("storage", ["local", "database"])
def test_flask_backup_carries_the_uploaded_files(tmp_path, storage):
    config = base_config(f"sqlite:///{tmp_path / 'live.sqlite'}", tmp_path)
    live = create_app({**config, "FILE_STORAGE": storage})
    with live.app_context():
        db.create_all()
    event_id = make_event(live)
    data = pdf_of(2 * CHUNK_SIZE + 77)
    assert upload(signed_in(live), event_id, io.BytesIO(data)).status_code == 302
    result = live.test_cli_runner().invoke(args=["backup", str(tmp_path / "copy.sqlite")])
    assert result.exit_code == 0, result.output
    with live.app_context():
        db.session.remove()
        db.engine.dispose()

    # Restored on a machine that has nothing but the backup file, in either storage mode.
    restored_config = base_config(f"sqlite:///{tmp_path / 'copy.sqlite'}", tmp_path / "new")
    restored = create_app({**restored_config, "FILE_STORAGE": "local"})
    [material_id] = material_ids(restored)
    assert not (tmp_path / "new" / "uploads").exists()
    assert download(signed_in(restored), event_id, material_id).data == data
    with restored.app_context():
        db.session.remove()
        db.engine.dispose()
    expected = 1 if storage == "local" else 0
    assert f"{expected} uploaded files from the local folder included" in result.output


def test_pg_dump_carries_files_kept_in_the_database(tmp_path, pg_schema):
    if not shutil.which("pg_dump"):
        pytest.skip("pg_dump is not installed")
    schema = f"eventhub_dump_{uuid.uuid4().hex[:8]}"
    server = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with server.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    restored_db = f"eventhub_restore_{uuid.uuid4().hex[:8]}"
    url = make_url(PG_URL)
    libpq = url.set(drivername="postgresql").render_as_string(hide_password=False)
    try:
        separator = "&" if "?" in PG_URL else "?"
        live_url = f"{PG_URL}{separator}options=-csearch_path%3D{schema}"
        live = create_app({**base_config(live_url, tmp_path), "FILE_STORAGE": "database"})
        with live.app_context():
            db.create_all()
        event_id = make_event(live)
        data = pdf_of(CHUNK_SIZE + 5)
        assert upload(signed_in(live), event_id, io.BytesIO(data)).status_code == 302
        with live.app_context():
            db.session.remove()
            db.engine.dispose()
        dump = tmp_path / "eventhub.dump"
        subprocess.run(
            ["pg_dump", "--format=custom", f"--schema={schema}", f"--file={dump}", libpq],
            check=True,
        )
        with server.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{restored_db}"'))
        target = url.set(drivername="postgresql", database=restored_db)
        subprocess.run(
            [
                "pg_restore",
                "--no-owner",
                f"--dbname={target.render_as_string(hide_password=False)}",
                str(dump),
            ],
            check=True,
        )
        restored_url = url.set(database=restored_db).render_as_string(hide_password=False)
        restored_url += f"?options=-csearch_path%3D{schema}"
        restored = create_app(base_config(restored_url, tmp_path / "elsewhere"))
        [material_id] = material_ids(restored)
        assert download(signed_in(restored), event_id, material_id).data == data
        with restored.app_context():
            db.session.remove()
            db.engine.dispose()
    finally:
        with server.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{restored_db}" WITH (FORCE)'))
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        server.dispose()


def test_files_from_one_machines_folder_move_into_the_database(make_app, tmp_path):
    one = instance(make_app, tmp_path / "one")
    event_id = make_event(one)
    data = pdf_of(CHUNK_SIZE * 2)
    assert upload(signed_in(one), event_id, io.BytesIO(data)).status_code == 302
    [material_id] = material_ids(one)
    two = instance(make_app, tmp_path / "two", FILE_STORAGE="database")
    assert download(signed_in(two), event_id, material_id).status_code == 404

    elsewhere = two.test_cli_runner().invoke(args=["materials", "to-database"])
    assert elsewhere.exit_code == 1 and "acta.pdf" in elsewhere.output
    moved = one.test_cli_runner().invoke(args=["materials", "to-database"])
    assert moved.exit_code == 0 and "moved into the database: 1" in moved.output
    assert files_in(tmp_path / "one" / "uploads") == []
    assert download(signed_in(two), event_id, material_id).data == data
