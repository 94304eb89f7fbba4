"""Delivery rate of the outbox worker: 1,000 messages to a local aiosmtpd server in one run.

    .venv/bin/python bench/outbox_rate.py [--count 1000] [--concurrency 4] [--database-url URL]
                                          [--server-delay-ms 0]

Builds an app on a temporary SQLite file (or the given database), enqueues the messages,
runs ``deliver_due(batch_size=count, concurrency=N)`` once, what
``flask outbox send --batch-size COUNT --concurrency N`` does, and prints messages/second
and the SMTP connections the server saw. ``--server-delay-ms`` makes the server take that
long to accept each message, as a mail relay across a network does.
"""

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from eventhub import create_app  # noqa: E402
from eventhub.extensions import db  # noqa: E402
from eventhub.mail import services  # noqa: E402
from eventhub.mail.services import Attachment, OutgoingMail  # noqa: E402
from eventhub.mail.worker import deliver_due  # noqa: E402
from tests.smtp import running_sink  # noqa: E402

ICS = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//EventHub//bench//ES\r\nEND:VCALENDAR\r\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument(
        "--concurrency", type=int, default=4, help="senders, one SMTP connection each"
    )
    parser.add_argument("--database-url", help="default: a temporary SQLite file")
    parser.add_argument("--server-delay-ms", type=float, default=0.0)
    args = parser.parse_args()

    delay = args.server_delay_ms / 1000
    with tempfile.TemporaryDirectory() as tmp, running_sink(accept_delay=delay) as sink:
        url = args.database_url or f"sqlite:///{Path(tmp) / 'bench.sqlite'}"
        app = create_app(
            {
                "SECRET_KEY": "bench",
                "SQLALCHEMY_DATABASE_URI": url,
                **sink.app_config(MAIL_SEND_TIMEOUT=30),
            }
        )
        with app.app_context():
            db.create_all()
            for n in range(args.count):
                services.enqueue(
                    OutgoingMail(
                        to_address=f"contact{n}@example.org",
                        to_name=f"Contacto {n}",
                        subject=f"Invitación: Mesa de Peñalolén ({n})",
                        text_body="Estimada contraparte:\nLa invitamos a la mesa intermunicipal.\n",
                        html_body="<p>Estimada contraparte: la invitamos a la mesa.</p>",
                        reply_to="ana@example.org",
                        attachments=[Attachment("invitacion.ics", "text/calendar", ICS)],
                        topic="bench",
                    )
                )
            db.session.commit()

            started = time.perf_counter()
            report = deliver_due(batch_size=args.count, concurrency=args.concurrency)
            elapsed = time.perf_counter() - started

            received = len(sink.wait_for(report.sent))
            print(f"database: {db.engine.dialect.name}  concurrency: {args.concurrency}")
            print(f"report: {report.summary()}")
            print(f"received by the SMTP server: {received} in {sink.connections} connection(s)")
            print(f"elapsed: {elapsed:.2f} s  rate: {report.sent / elapsed:.0f} messages/s")
            if args.database_url:
                db.session.remove()
                db.drop_all()
            db.engine.dispose()


if __name__ == "__main__":
    main()
