"""Background worker for the {{ service_name }} service.

Starts a job every INTERVAL_SECONDS, logs JSON lines to stdout, answers
GET /healthz on PORT from a thread, and exits cleanly on SIGTERM or SIGINT.
Only the Python standard library is used.
"""

import json
import logging
import os
import signal
import sys
import threading
import time
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

SERVICE_NAME = os.environ.get("SERVICE_NAME", "{{ service_name }}")
QUEUE_NAME = os.environ.get("QUEUE_NAME", "{{ queue_name }}")
INTERVAL_SECONDS = int(os.environ.get("INTERVAL_SECONDS", "{{ interval_seconds }}"))
PORT = int(os.environ.get("PORT", "{{ port }}"))
LOG_LEVEL = os.environ.get("LOG_LEVEL", "{{ log_level }}").upper()

log = logging.getLogger("worker")


class JsonFormatter(logging.Formatter):
    """Formats each record as one JSON object per line."""

    def format(self, record):
        entry = {
            "ts": datetime.fromtimestamp(record.created, timezone.utc).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname.lower(),
            "service": SERVICE_NAME,
            "msg": record.getMessage(),
        }
        entry.update(getattr(record, "fields", None) or {})
        if record.exc_info:
            entry["error"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


def setup_logging():
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    try:
        root.setLevel(LOG_LEVEL)
    except ValueError:
        root.setLevel(logging.INFO)
        log.warning("unknown log level, using info", extra=dict(fields=dict(log_level=LOG_LEVEL)))


class Health:
    """Healthy while the job loop has made progress recently."""

    def __init__(self, max_silence):
        self._lock = threading.Lock()
        self._max_silence = max_silence
        self._last_beat = time.monotonic()
        self._jobs = 0

    def beat(self, jobs):
        with self._lock:
            self._last_beat = time.monotonic()
            self._jobs = jobs

    def snapshot(self):
        with self._lock:
            silence = time.monotonic() - self._last_beat
            jobs = self._jobs
        ok = silence <= self._max_silence
        return ok, dict(status="ok" if ok else "stalled", jobs=jobs, queue=QUEUE_NAME)


def make_handler(health):
    class HealthHandler(BaseHTTPRequestHandler):
        server_version = "worker"

        def do_GET(self):
            if self.path.split("?", 1)[0] != "/healthz":
                self._reply(404, dict(error="not found"))
                return
            ok, body = health.snapshot()
            self._reply(200 if ok else 503, body)

        def _reply(self, status, body):
            data = (json.dumps(body) + "\n").encode("utf-8")
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format, *args):
            log.debug("http request", extra=dict(fields=dict(request=format % args)))

    return HealthHandler


def process_job(job_id):
    """Replace this with real work, such as taking a message from QUEUE_NAME."""
    started = time.monotonic()
    time.sleep(0.05)  # Simulated work.
    duration_ms = round((time.monotonic() - started) * 1000, 1)
    log.info(
        "job processed",
        extra=dict(fields=dict(queue=QUEUE_NAME, job_id=job_id, duration_ms=duration_ms)),
    )


def main():
    setup_logging()

    stop = threading.Event()
    received = []

    def on_signal(signum, _frame):
        received.append(signal.Signals(signum).name)
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)

    health = Health(max_silence=INTERVAL_SECONDS * 3 + 30)
    server = ThreadingHTTPServer(("0.0.0.0", PORT), make_handler(health))
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, name="healthz", daemon=True).start()

    log.info(
        "worker started",
        extra=dict(fields=dict(queue=QUEUE_NAME, interval_seconds=INTERVAL_SECONDS, port=PORT)),
    )

    jobs = 0
    while not stop.is_set():
        started = time.monotonic()
        jobs += 1
        try:
            process_job(jobs)
        except Exception:
            log.exception("job failed", extra=dict(fields=dict(queue=QUEUE_NAME, job_id=jobs)))
        health.beat(jobs)
        stop.wait(max(0.0, started + INTERVAL_SECONDS - time.monotonic()))

    server.shutdown()
    server.server_close()
    log.info(
        "worker stopped",
        extra=dict(fields=dict(signal=received[0] if received else None, jobs=jobs)),
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
