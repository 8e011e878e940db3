"""A real `gmac serve` on a fresh SQLite data directory, for the contract tests.

Shared by `schemathesis_run.py` and `generated_client_test.py`; run by hand it starts a server,
prints its address and a full-scope API token, and serves until Ctrl-C:

    python3 tests/contract/serve.py --gmac target/debug/gmac

Only the standard library is used here, so a broken third-party install cannot hide a server
that did not start. All traffic goes to 127.0.0.1.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import hmac
import json
import os
import secrets
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

ADMIN_EMAIL = "ada@example.com"

# Raised for the run: a fuzzer sends thousands of requests from one address, and the default
# limits would turn most of them into 429s that test nothing.
RATE_LIMITS = {
    "GMAC_RATE_LIMIT__PER_SECOND": "100000",
    "GMAC_RATE_LIMIT__BURST": "100000",
    "GMAC_AUTH_RATE_LIMIT__PER_MINUTE": "100000",
    "GMAC_AUTH_RATE_LIMIT__BURST": "100000",
    # Generated cloud accounts name endpoints anywhere, and one without an endpoint means AWS:
    # the run must stay on this machine, so gmac may reach loopback only and looks no name up.
    "GMAC_EGRESS__PUBLIC": "false",
    "GMAC_EGRESS__ALLOW": '["127.0.0.1/32"]',
}


def log(message: str) -> None:
    print(f"contract: {message}", file=sys.stderr, flush=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def totp(secret_base32: str, at: float | None = None) -> str:
    """RFC 6238 with gmac's parameters: SHA-1, 6 digits, 30-second steps."""
    padded = secret_base32.upper() + "=" * (-len(secret_base32) % 8)
    key = base64.b32decode(padded)
    counter = int((time.time() if at is None else at) // 30)
    digest = hmac.new(key, struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    code = struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF
    return f"{code % 1_000_000:06d}"


class HttpError(RuntimeError):
    def __init__(self, method: str, url: str, status: int, body: str):
        super().__init__(f"{method} {url} answered {status}: {body[:2000]}")
        self.status = status
        self.body = body


def request_json(method: str, url: str, body=None, token: str | None = None, timeout: float = 30):
    """One JSON request; returns the decoded answer, raises HttpError on a non-2xx status."""
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, method=method)
    req.add_header("Accept", "application/json")
    if data is not None:
        req.add_header("Content-Type", "application/json")
    if token:
        req.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            raw = resp.read()
    except urllib.error.HTTPError as err:
        raise HttpError(method, url, err.code, err.read().decode(errors="replace")) from None
    return json.loads(raw) if raw else None


class GmacServer:
    """`with GmacServer(gmac) as server:` starts gmac, signs in and makes an API token; the
    server (its whole process group) is stopped and the data directory removed on exit, also
    when the body raises."""

    def __init__(self, gmac: str | os.PathLike, *, sign_in: bool = True, enroll_mfa: bool = False):
        """`sign_in`: sign in, list the permissions and make an API token with all of them
        (`access_token`, `permissions`, `api_token`). `enroll_mfa`: then also turn TOTP on for
        the admin (`totp_secret`), so that no role policy requiring MFA can lock them out."""
        self.gmac = str(Path(gmac).resolve())
        self.sign_in = sign_in
        self.enroll_mfa = enroll_mfa
        self.totp_secret: str | None = None
        self.password = secrets.token_urlsafe(24)
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.data_dir: Path | None = None
        self.process: subprocess.Popen | None = None
        self.log_file = None
        self.access_token: str | None = None
        self.api_token: str | None = None
        self.permissions: list[str] = []

    # -- lifecycle -------------------------------------------------------------------------

    def __enter__(self) -> "GmacServer":
        try:
            self._start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def env(self) -> dict[str, str]:
        # No GMAC_* setting of the caller leaks in: a GMAC_DATABASE_URL or GMAC_CONFIG would point
        # the run at a real database or configuration.
        env = {k: v for k, v in os.environ.items() if not k.startswith("GMAC_")}
        env.update(RATE_LIMITS)
        env["GMAC_DATA_DIR"] = str(self.data_dir)
        env["GMAC_LOG_LEVEL"] = "warn"
        return env

    def _start(self) -> None:
        if not os.access(self.gmac, os.X_OK):
            raise RuntimeError(f"no gmac binary at {self.gmac} (build it first)")
        self.data_dir = Path(tempfile.mkdtemp(prefix="gmac-contract-"))
        env = self.env()
        # The working directory is the fresh data dir, so no stray ./gmac.toml is read.
        cwd = str(self.data_dir)

        created = subprocess.run(
            [
                self.gmac,
                "admin",
                "create-user",
                "--email",
                ADMIN_EMAIL,
                "--role",
                "super_admin",
                "--password-stdin",
            ],
            input=self.password + "\n",
            text=True,
            env=env,
            cwd=cwd,
            capture_output=True,
            timeout=120,
        )
        if created.returncode != 0:
            raise RuntimeError(
                f"gmac admin create-user failed ({created.returncode}):\n"
                f"{created.stdout}{created.stderr}"
            )

        self.log_file = open(self.data_dir / "server.log", "wb")
        # A session (process group) of its own, so stop() ends gmac and anything it started.
        self.process = subprocess.Popen(
            [self.gmac, "serve", "--bind", f"127.0.0.1:{self.port}"],
            env=env,
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            stdout=self.log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log(f"started gmac serve on {self.base_url} (pid {self.process.pid}, data {self.data_dir})")
        self._wait_healthy(timeout=60)
        if self.sign_in:
            self._bootstrap()

    def _bootstrap(self) -> None:
        login = request_json(
            "POST",
            self.url("/api/v1/auth/login"),
            {"email": ADMIN_EMAIL, "password": self.password},
        )
        self.access_token = login["access_token"]
        listed = request_json("GET", self.url("/api/v1/permissions"), token=self.access_token)
        self.permissions = [p["id"] for p in listed]
        if not self.permissions:
            raise RuntimeError("GET /api/v1/permissions listed no permissions")
        self.api_token = self.create_token(self.access_token, "contract", self.permissions)
        log(f"signed in as {ADMIN_EMAIL}; API token with {len(self.permissions)} scopes")
        if self.enroll_mfa:
            started = request_json("POST", self.url("/api/v1/me/mfa/totp"), token=self.access_token)
            self.totp_secret = started["secret"]
            request_json(
                "POST",
                self.url("/api/v1/me/mfa/totp/confirm"),
                {"code": totp(self.totp_secret)},
                token=self.access_token,
            )
            me = request_json("GET", self.url("/api/v1/me"), token=self.api_token)
            if not me.get("mfa_enabled"):
                raise RuntimeError(f"TOTP confirmed, but GET /api/v1/me says {me}")
            log(f"TOTP enrolled for {ADMIN_EMAIL}")

    def create_token(self, bearer: str, name: str, scopes: list[str]) -> str:
        made = request_json(
            "POST",
            self.url("/api/v1/tokens"),
            {"name": name, "scopes": scopes, "expires_in_days": 30},
            token=bearer,
        )
        token = made["token"]
        if not token.startswith("gmac_"):
            raise RuntimeError(f"POST /api/v1/tokens returned an unexpected token {token[:8]}...")
        return token

    def _wait_healthy(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"gmac serve exited with {self.process.returncode}:\n{self.log_tail()}"
                )
            try:
                with urllib.request.urlopen(self.url("/healthz"), timeout=2) as resp:
                    if resp.status == 200:
                        return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            time.sleep(0.1)
        raise RuntimeError(
            f"gmac serve did not answer /healthz in {timeout:.0f} s:\n{self.log_tail()}"
        )

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def log_tail(self, lines: int = 40) -> str:
        if self.data_dir is None or not (self.data_dir / "server.log").exists():
            return ""
        if self.log_file:
            self.log_file.flush()
        text = (self.data_dir / "server.log").read_text(errors="replace").splitlines()
        return "\n".join(text[-lines:])

    def stop(self) -> None:
        if self.process is not None:
            if self.process.poll() is None:
                try:
                    os.killpg(self.process.pid, signal.SIGTERM)
                    self.process.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    os.killpg(self.process.pid, signal.SIGKILL)
                    self.process.wait(timeout=15)
                except ProcessLookupError:
                    pass
            else:
                code = self.process.returncode
                log(f"gmac serve had already exited with {code}:\n{self.log_tail()}")
            # Whatever the server left in its group (nothing, normally) goes too.
            try:
                os.killpg(self.process.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
            self.process = None
        if self.log_file:
            self.log_file.close()
            self.log_file = None
        if self.data_dir is not None:
            shutil.rmtree(self.data_dir, ignore_errors=True)
            self.data_dir = None

    def url(self, path: str) -> str:
        return self.base_url + path


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gmac", required=True, help="the gmac binary")
    parser.add_argument("--mfa", action="store_true", help="also enroll the admin in TOTP")
    args = parser.parse_args()
    # A plain `kill` stops the server and cleans up too, not only Ctrl-C.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    with GmacServer(args.gmac, enroll_mfa=args.mfa) as server:
        print(f"GMAC_URL={server.base_url}")
        print(f"GMAC_TOKEN={server.api_token}")
        print(f"password of {ADMIN_EMAIL}: {server.password}")
        if server.totp_secret:
            print(f"TOTP secret: {server.totp_secret}")
        sys.stdout.flush()
        try:
            while server.alive():
                time.sleep(0.5)
        except KeyboardInterrupt:
            pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
