"""Property-based contract test: schemathesis against a real gmac and the document it serves.

    python3 tests/contract/schemathesis_run.py --gmac target/debug/gmac [--max-examples 25]
        [--seed 20240617] [--workers 1] [--report-dir DIR]

Starts `gmac serve` on a fresh SQLite data directory (see serve.py), signs in as a Super Admin
enrolled in TOTP, makes an API token with every permission, and runs the schemathesis CLI with
every check against `/api/openapi.json` as served. schemathesis.toml beside this file holds the
few settings that differ from schemathesis' defaults, each with its reason, and hooks.py the one
check that stands in for a built-in one (ST202, minus rules no schema can state).

Exits non-zero when schemathesis reports any failure or error, or when gmac did not survive
the run. After schemathesis' own summary it prints every failure grouped by operation and
check, with one request and response for each.
"""

from __future__ import annotations

import argparse
import base64
import glob
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from serve import GmacServer, log  # noqa: E402

HERE = Path(__file__).resolve().parent
CONFIG = HERE / "schemathesis.toml"
# Registers `positive_data_acceptance_gmac`, which replaces the built-in
# `positive_data_acceptance` (see hooks.py for the one kind of answer it lets through).
HOOKS = HERE / "hooks.py"

# Operations whose responses never end (server-sent events, long polls, log follows) would hold
# a worker until the request timeout and then count as failures. gmac has none yet; add the
# path of each one here as it comes. `/metrics` is in the document but answers one finite text
# body, so it is tested like everything else.
STREAMING_PATHS_EXCLUDED: list[str] = []

# A hard stop for the whole schemathesis run, far above its usual length (about a minute on two
# cores), so that nothing can stall CI.
RUN_TIMEOUT_SECS = 600

# The default seed: the same seed against the same binary sends the same kinds of requests.
DEFAULT_SEED = 20240617


def run_schemathesis(server: GmacServer, args, report_dir: Path) -> int:
    cmd = [
        sys.executable,
        "-m",
        "schemathesis.cli",
        "--no-color",
        "--config-file",
        str(CONFIG),
        "run",
        server.url("/api/openapi.json"),
        "--url",
        server.base_url,
        "--header",
        f"Authorization: Bearer {server.api_token}",
        "--checks",
        "all",
        # Replaced by `positive_data_acceptance_gmac` and `ensure_resource_availability_gmac`
        # from hooks.py, which `all` includes.
        "--exclude-checks",
        "positive_data_acceptance,ensure_resource_availability",
        "--max-examples",
        str(args.max_examples),
        "--seed",
        str(args.seed),
        "--workers",
        str(args.workers),
        "--report",
        "ndjson,junit",
        "--report-dir",
        str(report_dir),
    ]
    for path in STREAMING_PATHS_EXCLUDED:
        cmd += ["--exclude-path", path]
    shown = " ".join(
        c if not c.startswith("Authorization") else "'Authorization: Bearer gmac_…'" for c in cmd
    )
    log(f"running {shown}")
    started = time.monotonic()
    try:
        # The working directory is the report directory: whatever schemathesis leaves behind
        # stays out of the repository.
        env = {**os.environ, "SCHEMATHESIS_HOOKS": str(HOOKS)}
        completed = subprocess.run(
            cmd, cwd=report_dir, env=env, timeout=RUN_TIMEOUT_SECS, check=False
        )
        code = completed.returncode
    except subprocess.TimeoutExpired:
        log(f"schemathesis did not finish in {RUN_TIMEOUT_SECS} s")
        code = 124
    log(f"schemathesis exited with {code} after {time.monotonic() - started:.0f} s")
    return code


def _decode(payload) -> str:
    if not payload:
        return ""
    if isinstance(payload, dict) and "$base64" in payload:
        return base64.b64decode(payload["$base64"]).decode(errors="replace")
    return str(payload)


def _short(text: str, limit: int = 600) -> str:
    text = text.replace("\n", "\\n")
    return text if len(text) <= limit else text[:limit] + f"… ({len(text)} chars)"


def _reason(status, body: str) -> str:
    """What the answer says went wrong, in a line: the problem's code, and for a validation
    failure each field's pointer and code; for a success, the status alone."""
    try:
        problem = json.loads(body)
    except ValueError:
        return f"{status}"
    if not isinstance(problem, dict) or "code" not in problem:
        return f"{status}"
    fields = problem.get("errors")
    if isinstance(fields, list) and fields:
        listed = ", ".join(
            f"{e.get('pointer')} {e.get('code')}" for e in fields if isinstance(e, dict)
        )
        return f"{status} {problem['code']}: {listed}"
    return f"{status} {problem['code']}: {_short(str(problem.get('detail', '')), 160)}"


def summarize(report_dir: Path) -> tuple[int, int]:
    """Prints the failures and errors in the NDJSON report; returns their counts."""
    files = sorted(glob.glob(str(report_dir / "ndjson-*.ndjson")))
    if not files:
        log("schemathesis wrote no NDJSON report")
        return 0, 0
    groups: dict[tuple[str, str, str], list[tuple[str, str, str]]] = {}
    errors: list[str] = []
    with open(files[-1], encoding="utf-8") as report:
        for line in report:
            event = json.loads(line)
            if "NonFatalError" in event:
                err = event["NonFatalError"]
                errors.append(
                    f"{err.get('label')} ({err.get('phase')}): "
                    f"{err['value'].get('type')}: {err['value'].get('message')}"
                )
                continue
            if "FatalError" in event:
                errors.append(f"fatal: {_short(json.dumps(event['FatalError']))}")
                continue
            finished = event.get("ScenarioFinished")
            if not finished:
                continue
            recorder = finished["recorder"]
            for case_id, checks in (recorder.get("checks") or {}).items():
                for check in checks:
                    if check.get("status") != "failure":
                        continue
                    failure = check["failure_info"]["failure"]
                    key = (
                        failure.get("operation") or recorder.get("label"),
                        failure.get("code", "?"),
                        failure.get("title", check["name"]),
                    )
                    interaction = (recorder.get("interactions") or {}).get(case_id)
                    if interaction:
                        req, resp = interaction["request"], interaction.get("response") or {}
                        headers = {
                            k: v
                            for k, v in (req.get("headers") or {}).items()
                            if k.lower()
                            not in (
                                "authorization",
                                "user-agent",
                                "accept",
                                "accept-encoding",
                                "connection",
                                "content-length",
                                "x-schemathesis-testcaseid",
                            )
                        }
                        request = (
                            f"{req['method']} {req['uri']}"
                            + (f" headers={json.dumps(headers)}" if headers else "")
                            + (
                                f" body={_short(_decode(req.get('body')), 400)}"
                                if req.get("body")
                                else ""
                            )
                        )
                        content = _decode(resp.get("content"))
                        response = f"{resp.get('status_code')} {_short(content, 400)}"
                        reason = _reason(resp.get("status_code"), content)
                    else:
                        request, response = f"(case {case_id}, no interaction recorded)", ""
                        reason = "?"
                    groups.setdefault(key, []).append((request, response, reason))
    failures = sum(len(v) for v in groups.values())
    if groups:
        print(
            f"\n=== contract: {failures} failed checks in {len(groups)} groups "
            "(operation, check): the answers seen, and one request and response ==="
        )
        for (operation, code, title), cases in sorted(groups.items()):
            request, response, _ = cases[0]
            reasons = sorted({reason for _, _, reason in cases})
            print(f"\n* {operation} — {code} {title} ({len(cases)} failed check(s))")
            for reason in reasons:
                print(f"  answer:   {reason}")
            print(f"  request:  {request}")
            print(f"  response: {response}")
    if errors:
        print(f"\n=== contract: {len(errors)} errors ===")
        for err in errors:
            print(f"* {_short(err, 1000)}")
    sys.stdout.flush()
    return failures, len(errors)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gmac", required=True, help="the gmac binary to serve")
    parser.add_argument(
        "--max-examples",
        type=int,
        default=25,
        help="test cases per operation and phase (default 25)",
    )
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    # One worker: schemathesis' workers are threads, and on this Python (3.11) two threads
    # building strategies at once can hit CPython's `SystemError: AST constructor recursion
    # depth mismatch` (gh-106905), reported as a schemathesis error that is not gmac's. On two
    # cores a second worker saved under 10% of the time anyway.
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--report-dir", help="keep schemathesis' JUnit and NDJSON reports here")
    args = parser.parse_args()

    report_dir = (
        Path(args.report_dir).resolve()
        if args.report_dir
        else Path(tempfile.mkdtemp(prefix="gmac-schemathesis-"))
    )
    report_dir.mkdir(parents=True, exist_ok=True)
    try:
        # TOTP enrolment: the run may set "MFA required" on the Super Admin role (PUT
        # /api/v1/roles/{id}/policy); an admin without MFA would then be refused everything and
        # the rest of the run would test nothing but that refusal.
        with GmacServer(args.gmac, enroll_mfa=True) as server:
            code = run_schemathesis(server, args, report_dir)
            alive = server.alive()
            if not alive:
                log(f"gmac exited during the run:\n{server.log_tail()}")
        failures, errors = summarize(report_dir)
        if args.report_dir:
            log(f"reports kept in {report_dir}")
        else:
            log("the reports above went with their temporary directory; --report-dir keeps them")
    finally:
        if not args.report_dir:
            shutil.rmtree(report_dir, ignore_errors=True)
    if code != 0 or not alive or failures or errors:
        log(
            f"FAILED: schemathesis exit {code}, {failures} failed checks, {errors} errors"
            + ("" if alive else ", gmac died")
        )
        return 1
    log("passed: schemathesis found no failure")
    return 0


if __name__ == "__main__":
    sys.exit(main())
