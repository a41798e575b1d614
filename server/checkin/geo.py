"""Browser coordinates (WGS-84) to the GCJ-02 that WeChat and Chinese maps use.

The published transform ("火星坐标"): Krasovsky 1940 ellipsoid plus a fixed
polynomial-and-sine offset, applied only inside China's bounding box. The venue
is stored in GCJ-02, so a scan's location must be converted before they are
compared; distance is a signal for the reviewer, never a reason to refuse.
"""

from __future__ import annotations

from math import cos, pi, sin, sqrt

_A = 6378245.0  # semi-major axis of the Krasovsky 1940 ellipsoid
_EE = 0.00669342162296594323  # its eccentricity squared


def out_of_china(lat: float, lng: float) -> bool:
    """A coarse box: GCJ-02 leaves points outside China unchanged."""
    return not (73.66 < lng < 135.05 and 3.86 < lat < 53.55)


def _d_lat(x: float, y: float) -> float:
    ret = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * sqrt(abs(x))
    ret += (20.0 * sin(6.0 * x * pi) + 20.0 * sin(2.0 * x * pi)) * 2.0 / 3.0
    ret += (20.0 * sin(y * pi) + 40.0 * sin(y / 3.0 * pi)) * 2.0 / 3.0
    ret += (160.0 * sin(y / 12.0 * pi) + 320.0 * sin(y * pi / 30.0)) * 2.0 / 3.0
    return ret


def _d_lng(x: float, y: float) -> float:
    ret = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * sqrt(abs(x))
    ret += (20.0 * sin(6.0 * x * pi) + 20.0 * sin(2.0 * x * pi)) * 2.0 / 3.0
    ret += (20.0 * sin(x * pi) + 40.0 * sin(x / 3.0 * pi)) * 2.0 / 3.0
    ret += (150.0 * sin(x / 12.0 * pi) + 300.0 * sin(x / 30.0 * pi)) * 2.0 / 3.0
    return ret


def wgs84_to_gcj02(lat: float, lng: float) -> tuple[float, float]:
    """(lat, lng) in WGS-84 → (lat, lng) in GCJ-02."""
    if out_of_china(lat, lng):
        return lat, lng
    d_lat = _d_lat(lng - 105.0, lat - 35.0)
    d_lng = _d_lng(lng - 105.0, lat - 35.0)
    rad = lat / 180.0 * pi
    magic = 1 - _EE * sin(rad) ** 2
    root = sqrt(magic)
    d_lat = (d_lat * 180.0) / ((_A * (1 - _EE)) / (magic * root) * pi)
    d_lng = (d_lng * 180.0) / (_A / root * cos(rad) * pi)
    return lat + d_lat, lng + d_lng
