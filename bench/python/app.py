"""The LINE webhook job done the usual way with LINE's official Python SDK (line-bot-sdk, PyPI):
WebhookParser checks X-Line-Signature and parses the body, every event id is stored in SQLite
(INSERT OR IGNORE, one commit per request), and the answer is 200. Served by gunicorn.

    LINE_CHANNEL_SECRET=S BENCH_DB=bench/out/python.db gunicorn -w 5 -b 127.0.0.1:28391 app:app
"""

import os
import sqlite3
import threading

from linebot.v3 import WebhookParser
from linebot.v3.exceptions import InvalidSignatureError

parser = WebhookParser(os.environ["LINE_CHANNEL_SECRET"])
DB_PATH = os.environ["BENCH_DB"]
_local = threading.local()


def db():
    conn = getattr(_local, "conn", None)
    if conn is None:
        # The same SQLite settings store-assistant uses: WAL, synchronous=NORMAL, a busy timeout
        # (gunicorn's workers are processes, each with its own connection).
        conn = sqlite3.connect(DB_PATH, timeout=5.0, isolation_level=None)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute(
            "CREATE TABLE IF NOT EXISTS webhook_events (webhook_event_id TEXT PRIMARY KEY)"
        )
        _local.conn = conn
    return conn


def app(environ, start_response):
    if environ["REQUEST_METHOD"] != "POST" or environ["PATH_INFO"] != "/line/webhook":
        start_response("404 Not Found", [("Content-Type", "text/plain")])
        return [b"not found"]
    length = int(environ.get("CONTENT_LENGTH") or 0)
    body = environ["wsgi.input"].read(length).decode("utf-8")
    signature = environ.get("HTTP_X_LINE_SIGNATURE", "")
    try:
        events = parser.parse(body, signature)
    except InvalidSignatureError:
        start_response("401 Unauthorized", [("Content-Type", "text/plain")])
        return [b"bad signature"]
    conn = db()
    conn.execute("BEGIN")
    conn.executemany(
        "INSERT OR IGNORE INTO webhook_events (webhook_event_id) VALUES (?)",
        [(event.webhook_event_id,) for event in events],
    )
    conn.execute("COMMIT")
    start_response("200 OK", [("Content-Type", "application/json")])
    return [b'{"status":"ok"}']
