"""``flask outbox send [--loop]``: the outbox worker."""

import contextlib
import signal
import threading

import click
from flask import current_app
from flask.cli import with_appcontext

from eventhub.extensions import db
from eventhub.log_redaction import redact
from eventhub.mail.worker import MAX_SENDERS, default_worker_id, deliver_due


@click.group("outbox", help="Deliver the mail outbox.")
def outbox_cli():
    pass


@outbox_cli.command("send")
@click.option("--loop", is_flag=True, help="Keep delivering until SIGTERM or SIGINT.")
@click.option(
    "--interval",
    type=click.FloatRange(min=0.1),
    default=5.0,
    show_default=True,
    help="Seconds between polls with --loop.",
)
@click.option(
    "--batch-size",
    type=click.IntRange(min=1),
    default=None,
    help="Messages per batch, shared by the senders; default MAIL_BATCH_SIZE.",
)
@click.option(
    "--concurrency",
    type=click.IntRange(min=1, max=MAX_SENDERS),
    default=None,
    help="Senders sharing each batch, each over its own SMTP and database connection; "
    "default MAIL_CONCURRENCY (1).",
)
@with_appcontext
def send(loop: bool, interval: float, batch_size: int | None, concurrency: int | None):
    """Deliver the messages that are due (once, or polling with --loop)."""
    worker_id = default_worker_id()
    if not loop:
        report = deliver_due(worker_id=worker_id, batch_size=batch_size, concurrency=concurrency)
        click.echo(report.summary())
        return

    stop = threading.Event()
    previous = _install_stop_handlers(stop)
    click.echo(f"outbox worker {worker_id}: polling every {interval:g}s")
    try:
        while not stop.is_set():
            try:
                report = deliver_due(
                    worker_id=worker_id, batch_size=batch_size, concurrency=concurrency
                )
            except Exception as error:  # a database hiccup must not end the worker
                db.session.rollback()
                # Database errors quote their SQL parameters, addresses among them.
                text = redact(f"{type(error).__name__}: {error}")
                click.echo(f"outbox: delivery failed: {text}", err=True)
                stop.wait(interval)
                continue
            finally:
                db.session.remove()
            if report.claimed or report.recovered or report.interrupted:
                click.echo(report.summary())
            full_batch = report.claimed >= (batch_size or current_app.config["MAIL_BATCH_SIZE"])
            if not (full_batch and (report.sent or report.kept)):  # more may be due right now
                stop.wait(interval)
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    click.echo("outbox worker stopped")


def _install_stop_handlers(stop: threading.Event) -> dict:
    """SIGTERM/SIGINT end the loop between batches, never in the middle of a send."""

    def request_stop(signum, frame):
        stop.set()

    previous = {}
    for signum in (signal.SIGTERM, signal.SIGINT):
        # Outside the main thread signals cannot be caught: the caller stops us otherwise.
        with contextlib.suppress(ValueError):
            previous[signum] = signal.signal(signum, request_stop)
    return previous
