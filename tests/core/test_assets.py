"""Static files and pages as phones get them: content-hashed names cached for a year,
compressed twins for browsers that take them, everything else revalidated; the service
worker at the root."""

from __future__ import annotations

import gzip
import re

import brotli
import pytest

from tests.pages import text

BR = {"Accept-Encoding": "gzip, deflate, br"}


@pytest.fixture
def linked(client):
    """The assets a page links (hashed names, through url_for)."""
    return re.findall(r'"(/static/[^"]+)"', text(client.get("/login")))


def test_pages_link_content_hashed_names(linked, app):
    manifest = app.extensions["wushe_manifest"]
    assert manifest, "the assets are built (make assets)"
    assert linked and all(re.search(r"\.[0-9a-f]{10}\.(css|js|svg)$", url) for url in linked)
    assert f"/static/{manifest['dist/app.css']}" in linked


def test_a_hashed_asset_is_immutable_and_compressed(client, linked):
    css = next(url for url in linked if url.endswith(".css") and "/dist/app." in url)
    plain = client.get(css)
    assert plain.status_code == 200 and "Content-Encoding" not in plain.headers
    assert plain.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert plain.headers["Vary"] == "Accept-Encoding"  # never Cookie: one copy for all
    br = client.get(css, headers=BR)
    assert br.headers["Content-Encoding"] == "br"
    assert brotli.decompress(br.data) == plain.data
    assert len(br.data) < len(plain.data) / 3
    gz = client.get(css, headers={"Accept-Encoding": "gzip"})
    assert gz.headers["Content-Encoding"] == "gzip" and gzip.decompress(gz.data) == plain.data
    assert br.headers["Content-Type"].startswith("text/css")


def test_a_file_asked_for_by_name_is_revalidated(client):
    resp = client.get("/static/vendor/zxing/zxing_reader.wasm", headers=BR)
    assert resp.status_code == 200 and resp.headers["Content-Type"] == "application/wasm"
    assert resp.headers["Cache-Control"] == "no-cache" and resp.headers["ETag"]
    again = client.get("/static/vendor/zxing/zxing_reader.wasm",
                       headers={**BR, "If-None-Match": resp.headers["ETag"]})
    assert again.status_code == 304 and again.data == b""


def test_pages_and_json_are_compressed_as_they_are_made(client):
    page = client.get("/login", headers=BR)
    assert page.headers["Content-Encoding"] == "br" and "Accept-Encoding" in page.headers["Vary"]
    assert "五社通" in brotli.decompress(page.data).decode()
    spec = client.get("/api/v1/openapi.json", headers={"Accept-Encoding": "gzip"})
    assert spec.headers["Content-Encoding"] == "gzip"
    assert b'"openapi"' in gzip.decompress(spec.data)


def test_the_service_worker_is_at_the_root(client, app):
    resp = client.get("/sw.js")
    assert resp.status_code == 200
    assert resp.headers["Service-Worker-Allowed"] == "/"
    assert resp.headers["Cache-Control"] == "no-cache"
    body = resp.get_data(as_text=True)
    manifest = app.extensions["wushe_manifest"]
    # it keeps the scanner's hashed files, and loads its library from this site only
    assert f'"/static/{manifest["dist/scanner.js"]}"' in body
    assert 'importScripts("/static/vendor/workbox/workbox-sw.js")' in body
    assert "__WUSHE_PRECACHE" not in body and "http" not in body.split("importScripts")[1][:80]


def test_a_phone_can_add_wushe_to_its_home_screen(client):
    page = text(client.get("/login"))
    assert '<link rel="manifest" href="/manifest.webmanifest">' in page
    manifest = client.get("/manifest.webmanifest").get_json(force=True)
    assert manifest["short_name"] == "五社通" and manifest["display"] == "standalone"
    assert manifest["start_url"] == "/" and manifest["lang"] == "zh-CN"
    [icon] = manifest["icons"]
    assert re.search(r"/static/dist/icon\.[0-9a-f]{10}\.svg$", icon["src"])
    svg = client.get(icon["src"])
    assert svg.status_code == 200 and svg.mimetype == "image/svg+xml"
    assert f'href="{icon["src"]}"' in page  # the same picture as the tab's icon
