"""A camera frame for Chromium's fake webcam: one Y4M frame of a QR code.

Chromium loops the file (`--use-file-for-fake-video-capture=FILE.y4m`), so one
frame is a camera that sees the code steadily. 4:2:0 planes: luma full size,
chroma at half size and neutral (128), so the picture is grey-scale.
"""

from __future__ import annotations

from pathlib import Path

from server.checkin import qr

WHITE, BLACK, NEUTRAL = 235, 16, 128  # video-range luma, no colour


def write_y4m(path: Path, payload: str, width: int = 640, height: int = 480) -> Path:
    """Draw `payload` as a QR code big and centred on white, and write one frame."""
    matrix = qr.matrix(payload)  # includes the 4-module quiet zone
    modules = len(matrix)
    cell = max(1, int(min(width, height) * 0.85) // modules)
    size = cell * modules
    left, top = (width - size) // 2, (height - size) // 2
    luma = bytearray([WHITE]) * (width * height)
    for row, line in enumerate(matrix):
        for col, dark in enumerate(line):
            if not dark:
                continue
            for y in range(top + row * cell, top + (row + 1) * cell):
                start = y * width + left + col * cell
                luma[start:start + cell] = bytes([BLACK]) * cell
    chroma = bytes([NEUTRAL]) * ((width // 2) * (height // 2))
    header = f"YUV4MPEG2 W{width} H{height} F30:1 Ip A1:1 C420jpeg\n".encode()
    path.write_bytes(header + b"FRAME\n" + bytes(luma) + chroma + chroma)
    return path
