"""The floor: the smallest Flask app, one JSON route, run by scan_bench.py under the same
gunicorn settings as Wushe. Nothing a real request does can be faster than this."""

from flask import Flask

app = Flask(__name__)


@app.get("/api/v1/health")
def health():
    return {"status": "ok"}
