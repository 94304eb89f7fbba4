"""QR codes for the door: PNG for email attachments, SVG inline on the registrant's page."""

import base64
import io

import qrcode
from markupsafe import Markup
from qrcode.image.pure import PyPNGImage
from qrcode.image.svg import SvgPathImage


def png_base64(data: str) -> str:
    buffer = io.BytesIO()
    qrcode.make(data, image_factory=PyPNGImage, box_size=8, border=2).save(buffer)
    return base64.b64encode(buffer.getvalue()).decode()


def svg(data: str, label: str) -> Markup:
    image = qrcode.make(data, image_factory=SvgPathImage, box_size=10, border=2)
    markup = image.to_string(encoding="unicode")
    # The library's own markup, with our label for screen readers; ``data`` is our URL.
    labelled = markup.replace("<svg ", f'<svg role="img" aria-label="{Markup.escape(label)}" ', 1)
    return Markup(labelled)  # noqa: S704
