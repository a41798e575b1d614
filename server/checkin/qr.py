"""QR images from the qrcode package: SVG for pages, PNG for downloads and posters."""

from __future__ import annotations

import io

import qrcode
from qrcode.constants import ERROR_CORRECT_M
from qrcode.image.pure import PyPNGImage
from qrcode.image.svg import SvgPathFillImage


def _qr(payload: str, box: int = 10) -> qrcode.QRCode:
    qr = qrcode.QRCode(error_correction=ERROR_CORRECT_M, box_size=box, border=4)
    qr.add_data(payload)
    qr.make(fit=True)
    return qr


def svg(payload: str) -> str:
    """Black on a white quiet zone: readable from a dimmed phone screen."""
    image = _qr(payload).make_image(image_factory=SvgPathFillImage)
    text = image.to_string(encoding="unicode")
    # scale with its container rather than a fixed size in mm
    return text.replace('width="', 'data-w="', 1).replace('height="', 'data-h="', 1)


def png(payload: str, box: int = 10) -> bytes:
    buffer = io.BytesIO()
    _qr(payload, box).make_image(image_factory=PyPNGImage).save(buffer)
    return buffer.getvalue()


def matrix(payload: str) -> list[list[bool]]:
    """The modules, for tests that draw a code into a camera frame."""
    return _qr(payload).get_matrix()
