"""A Python client generated from the served OpenAPI document must drive a real gmac.

    python3 tests/contract/generated_client_test.py --gmac target/debug/gmac [--keep DIR]

Starts `gmac serve` on a fresh SQLite data directory (see serve.py; only the first Super Admin is
made there, from the shell), generates a client from `/api/openapi.json` with
`openapi-python-client`, and then, through that client only: signs in, makes an API token with
`costs.view`, `costs.manage` and `clients.manage`, creates a client with the token, imports a
FOCUS CSV written here, and checks that `GET /api/v1/costs` totals exactly the file's BilledCost.

Exits non-zero when the generator refuses the document, when an operation the test needs was
not generated, or on any unexpected answer.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import importlib
import io
import re
import shutil
import subprocess
import sys
import tempfile
import urllib.request
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from serve import ADMIN_EMAIL, GmacServer, log  # noqa: E402

PACKAGE = "gmac_generated_client"
SCOPES = ["costs.view", "costs.manage", "clients.manage"]

# A small FOCUS 1.0 file: the six required columns and a few of the usual others. Amounts use
# up to 11 decimal places (gmac keeps 11) and include a credit, so a float sum anywhere on the
# way would show.
FOCUS_CSV = """\
BilledCost,EffectiveCost,ListCost,BillingCurrency,ChargePeriodStart,ChargePeriodEnd,ChargeCategory,ProviderName,BillingAccountId,SubAccountId,ServiceName,RegionId,ResourceId,Tags
12.34567890123,11.00000000001,13.5,USD,2024-09-01T00:00:00Z,2024-09-02T00:00:00Z,Usage,AWS,111111111111,222222222222,Amazon Elastic Compute Cloud,eu-west-1,i-0abc,"{""env"":""prod""}"
0.1,0.1,0.1,USD,2024-09-02T00:00:00Z,2024-09-03T00:00:00Z,Usage,AWS,111111111111,222222222222,Amazon Simple Storage Service,eu-west-1,bucket-1,
0.2,0.2,0.2,USD,2024-09-15T00:00:00Z,2024-09-16T00:00:00Z,Usage,AWS,111111111111,222222222222,Amazon Simple Storage Service,eu-west-1,bucket-1,
0.00001605990,0.00001605990,0.00001605990,USD,2024-09-20T00:00:00Z,2024-09-21T00:00:00Z,Usage,AWS,111111111111,333333333333,AWS Lambda,us-east-1,fn-1,
-1.05,-1.05,0,USD,2024-09-30T00:00:00Z,2024-10-01T00:00:00Z,Credit,AWS,111111111111,222222222222,Amazon Elastic Compute Cloud,eu-west-1,,
1000.00000000001,900,1000,USD,2024-09-10T00:00:00Z,2024-09-11T00:00:00Z,Purchase,AWS,111111111111,222222222222,Amazon Elastic Compute Cloud,eu-west-1,,
"""  # noqa: E501
FIRST_DAY, LAST_DAY = dt.date(2024, 9, 1), dt.date(2024, 9, 30)


class CheckFailed(AssertionError):
    pass


def check(condition: bool, message: str) -> None:
    if not condition:
        raise CheckFailed(message)
    print(f"ok: {message}", flush=True)


def focus_csv() -> tuple[bytes, int, Decimal]:
    """The file's bytes, its number of rows, and the sum of its BilledCost column."""
    rows = list(csv.DictReader(io.StringIO(FOCUS_CSV)))
    # Summed with Python's decimal from the text written, never through floats.
    total = sum((Decimal(row["BilledCost"]) for row in rows), Decimal(0))
    return FOCUS_CSV.encode(), len(rows), total


def generate(document: Path, out_dir: Path) -> Path:
    """Runs openapi-python-client; returns the directory to put on sys.path."""
    target = out_dir / PACKAGE
    cmd = [
        sys.executable,
        "-m",
        "openapi_python_client",
        "generate",
        "--path",
        str(document),
        "--output-path",
        str(target),
        "--meta",
        "none",
        "--overwrite",
    ]
    log("running " + " ".join(cmd))
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=300, check=False)
    output = (done.stdout + done.stderr).strip()
    if done.returncode != 0 or not (target / "__init__.py").exists():
        print(output)
        raise CheckFailed(
            f"openapi-python-client refused the document (exit {done.returncode}); "
            "its output is above"
        )
    warnings = [line for line in output.splitlines() if line.startswith("WARNING")]
    print(f"ok: openapi-python-client generated the client ({len(warnings)} warnings)")
    if warnings:
        # Each is a part of the document the generator could not express (the operations this
        # test uses are checked to exist below). The JSON it quotes is left out.
        for line in output.splitlines():
            if line.strip() and not line.startswith((" ", "{", "}")):
                print(f"   generator: {line}")
    return out_dir


def run(gmac: str, work: Path) -> None:
    with GmacServer(gmac, sign_in=False) as server:
        document = work / "openapi.json"
        with urllib.request.urlopen(server.url("/api/openapi.json"), timeout=30) as resp:
            document.write_bytes(resp.read())
        sys.path.insert(0, str(generate(document, work)))

        pkg = importlib.import_module(PACKAGE)
        try:
            from gmac_generated_client.api.auth import create_session
            from gmac_generated_client.api.clients import create_client
            from gmac_generated_client.api.costs import get_costs
            from gmac_generated_client.api.tokens import create_token
            from gmac_generated_client.models import (
                Client as ClientModel,
            )
            from gmac_generated_client.models import (
                CostImport,
                CostReport,
                CreatedApiToken,
                LoginRequest,
                NewApiToken,
                NewClient,
                Permission,
                TokenResponse,
            )
        except ImportError as err:
            raise CheckFailed(
                f"an operation or model this test needs was not generated: {err}"
            ) from err

        # Undocumented statuses raise instead of passing as None: part of the contract.
        anonymous = pkg.Client(base_url=server.base_url, raise_on_unexpected_status=True)

        # The permission enum carries the wire ids.
        wire = {p.value for p in Permission}
        check(
            all(re.fullmatch(r"[a-z0-9_]+\.[a-z0-9_]+", v) for v in wire) and set(SCOPES) <= wire,
            f"Permission enum values are the wire ids ({', '.join(sorted(wire))})",
        )

        login = create_session.sync_detailed(
            client=anonymous, body=LoginRequest(email=ADMIN_EMAIL, password=server.password)
        )
        check(
            login.status_code == 200 and isinstance(login.parsed, TokenResponse),
            f"POST /api/v1/auth/login answered {login.status_code} with a TokenResponse",
        )
        session = pkg.AuthenticatedClient(
            base_url=server.base_url,
            token=login.parsed.access_token,
            raise_on_unexpected_status=True,
        )

        made = create_token.sync_detailed(
            client=session,
            body=NewApiToken(
                name="generated-client", scopes=[Permission(s) for s in SCOPES], expires_in_days=30
            ),
        )
        check(
            made.status_code == 201 and isinstance(made.parsed, CreatedApiToken),
            f"POST /api/v1/tokens answered {made.status_code} with a CreatedApiToken",
        )
        token = made.parsed
        check(
            token.token.startswith("gmac_")
            and sorted(p.value for p in token.scopes) == sorted(SCOPES),
            f"the API token is a gmac_ token with scopes {', '.join(SCOPES)}",
        )
        api_client = pkg.AuthenticatedClient(
            base_url=server.base_url, token=token.token, raise_on_unexpected_status=True
        )

        created = create_client.sync_detailed(
            client=api_client, body=NewClient(name="Contract Test Co", description="generated")
        )
        check(
            created.status_code == 201 and isinstance(created.parsed, ClientModel),
            f"POST /api/v1/clients with the API token answered {created.status_code} "
            f"(client {getattr(created.parsed, 'id', '?')})",
        )
        client_id = created.parsed.id

        body, rows, expected = focus_csv()
        # The generator cannot send this body: it supports no text/csv request body, and for
        # the other content type the document offers (multipart/form-data whose schema is a bare
        # string, not an object with a binary `file` field) it emits an `import_costs` that
        # sends the multipart header with no body at all. So this one call goes through the
        # generated client's own httpx client: same base URL, same token, same headers.
        raw = api_client.get_httpx_client().post(
            "/api/v1/cost-imports",
            params={"client_id": client_id, "file_name": "contract.csv"},
            content=body,
            headers={"Content-Type": "text/csv"},
        )
        check(
            raw.status_code == 201,
            f"POST /api/v1/cost-imports (text/csv, {rows} rows) answered "
            f"{raw.status_code}: {raw.text[:300]}",
        )
        imported = CostImport.from_dict(raw.json())
        check(
            imported.rows_imported == rows and imported.rows_rejected == 0,
            f"the import kept {imported.rows_imported} rows and rejected {imported.rows_rejected}",
        )
        check(
            Decimal(imported.billed_cost_total) == expected,
            f"the import's billed_cost_total {imported.billed_cost_total} == {expected}",
        )

        report = get_costs.sync_detailed(client=api_client, from_=FIRST_DAY, to=LAST_DAY)
        check(
            report.status_code == 200 and isinstance(report.parsed, CostReport),
            f"GET /api/v1/costs answered {report.status_code} with a CostReport",
        )
        total = report.parsed.total
        check(
            isinstance(total, str) and re.fullmatch(r"-?[0-9]+(\.[0-9]+)?", total) is not None,
            f"the total is a decimal string ({total!r})",
        )
        check(
            Decimal(total) == expected,
            f"GET /api/v1/costs total {total} == the CSV's BilledCost sum {expected} "
            f"({FIRST_DAY} to {LAST_DAY})",
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gmac", required=True, help="the gmac binary to serve")
    parser.add_argument("--keep", help="generate into this directory and keep it")
    args = parser.parse_args()
    work = Path(args.keep).resolve() if args.keep else Path(tempfile.mkdtemp(prefix="gmac-gen-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        run(args.gmac, work)
    except CheckFailed as failed:
        print(f"FAILED: {failed}", flush=True)
        return 1
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    log("passed: the generated client drives gmac")
    return 0


if __name__ == "__main__":
    sys.exit(main())
