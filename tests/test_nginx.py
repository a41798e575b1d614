"""deploy/nginx/wushe.conf, run by Debian's nginx in front of a real gunicorn: TLS, plain
http sent to https, static files straight from disk with their compressed twins and a year
of caching for hashed names, the app behind the proxy, /metrics hidden, an access log with
neither query strings nor addresses. Only the certificate (made here), the ports and the
paths differ from the file an operator installs."""

from __future__ import annotations

import datetime as dt
import http.client
import json
import os
import re
import shutil
import signal
import ssl
import subprocess
import time
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from bench.loadgen import free_port

pytestmark = pytest.mark.concurrency
ROOT = Path(__file__).resolve().parents[1]
BROTLI_MODULE = Path("/usr/lib/nginx/modules/ngx_http_brotli_static_module.so")


def _certificate(folder: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "wushe.example.org")])
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + dt.timedelta(days=1)).sign(key, hashes.SHA256()))
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


@pytest.fixture
def nginx(gunicorn, tmp_path):
    binary = shutil.which("nginx") or "/usr/sbin/nginx"
    assert Path(binary).exists(), "Debian's nginx is missing: run `make system-deps`"
    plain, tls = free_port(), free_port()
    cert, key = _certificate(tmp_path)
    site = (ROOT / "deploy" / "nginx" / "wushe.conf").read_text()
    for old, new in (("127.0.0.1:8000", f"127.0.0.1:{gunicorn.port}"),
                     ("listen 80;", f"listen 127.0.0.1:{plain};"),
                     ("listen [::]:80;", ""), ("listen [::]:443 ssl http2;", ""),
                     ("listen 443 ssl http2;", f"listen 127.0.0.1:{tls} ssl http2;"),
                     ("/etc/letsencrypt/live/wushe.example.org/fullchain.pem", str(cert)),
                     ("/etc/letsencrypt/live/wushe.example.org/privkey.pem", str(key)),
                     ("/opt/wushe/current/static/", f"{ROOT}/static/"),
                     ("/var/log/nginx/wushe.access.log", str(tmp_path / "access.log"))):
        assert old in site, old
        site = site.replace(old, new)
    (tmp_path / "wushe.conf").write_text(site)
    for name in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (tmp_path / name).mkdir()
    modules = f"load_module {BROTLI_MODULE};" if BROTLI_MODULE.exists() else ""
    user = "user root;" if os.geteuid() == 0 else ""
    (tmp_path / "nginx.conf").write_text(f"""
{user}
{modules}
daemon off;
worker_processes 1;
pid {tmp_path}/nginx.pid;
error_log {tmp_path}/error.log;
events {{ worker_connections 64; }}
http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    client_body_temp_path {tmp_path}/body;
    proxy_temp_path {tmp_path}/proxy;
    fastcgi_temp_path {tmp_path}/fastcgi;
    uwsgi_temp_path {tmp_path}/uwsgi;
    scgi_temp_path {tmp_path}/scgi;
    include {tmp_path}/wushe.conf;
}}
""")
    checked = subprocess.run([binary, "-t", "-c", str(tmp_path / "nginx.conf")],
                             capture_output=True, text=True)
    assert checked.returncode == 0, checked.stderr
    process = subprocess.Popen([binary, "-c", str(tmp_path / "nginx.conf")],
                               start_new_session=True, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        probe = http.client.HTTPConnection("127.0.0.1", plain, timeout=1)
        try:
            probe.request("GET", "/")
            probe.getresponse().read()
            break
        except OSError:
            time.sleep(0.1)
        finally:
            probe.close()
    yield plain, tls, tmp_path
    os.killpg(process.pid, signal.SIGQUIT)
    process.wait(timeout=15)


def _get(port: int, path: str, headers: dict | None = None, *, tls: bool = True):
    if tls:
        context = ssl.create_default_context()
        context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
        conn = http.client.HTTPSConnection("127.0.0.1", port, timeout=15, context=context)
    else:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=15)
    try:
        conn.request("GET", path, headers={"Host": "wushe.example.org", **(headers or {})})
        response = conn.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        conn.close()


def test_the_shipped_nginx_configuration_in_front_of_gunicorn(nginx):
    plain, tls, folder = nginx
    manifest = json.loads((ROOT / "static" / "manifest.json").read_text())
    hashed = f"/static/{manifest['dist/app.css']}"

    status, headers, _ = _get(plain, "/activities?x=1", tls=False)
    assert status == 301 and headers["Location"] == "https://wushe.example.org/activities?x=1"

    status, headers, body = _get(tls, hashed, {"Accept-Encoding": "br, gzip"})
    assert status == 200 and headers["Content-Encoding"] == "br"
    assert headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert body == (ROOT / "static" / (manifest["dist/app.css"] + ".br")).read_bytes()
    status, headers, _ = _get(tls, hashed, {"Accept-Encoding": "gzip"})
    assert headers["Content-Encoding"] == "gzip" and headers["Content-Type"] == "text/css"
    status, headers, _ = _get(tls, "/static/vendor/zxing/zxing_reader.wasm")
    assert status == 200 and headers["Content-Type"] == "application/wasm"
    assert headers["Cache-Control"] == "no-cache"

    status, headers, body = _get(tls, "/login?next=%2Fme&q=13800000001")
    assert status == 200 and "五社通".encode() in body
    assert "max-age=31536000" in headers["Strict-Transport-Security"]
    assert "default-src 'self'" in headers["Content-Security-Policy"]
    assert re.fullmatch(r"[0-9a-f]{32}", headers["X-Request-ID"])  # nginx's, passed on
    status, _, body = _get(tls, "/api/v1/health")
    assert status == 200 and json.loads(body) == {"status": "ok"}
    assert _get(tls, "/metrics")[0] == 404
    assert _get(tls, "/" + "x" * 9000)[0] == 414

    time.sleep(0.2)  # nginx writes its log line after the answer
    log = (folder / "access.log").read_text()
    assert '"GET /login"' in log
    assert "13800000001" not in log and "127.0.0.1" not in log
