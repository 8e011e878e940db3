"""The committed OpenAPI document must be valid OpenAPI (openapi-spec-validator).

    python3 tests/contract/validate_openapi.py [openapi/openapi.json]

Runs openapi-spec-validator with every error shown, and exits non-zero when the document is
invalid. (Whether the committed document matches what gmac serves is checked by the Rust API
tests; the other scripts here test the served one.)
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def main() -> int:
    document = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "openapi" / "openapi.json"
    if not document.is_file():
        print(f"FAILED: no OpenAPI document at {document}", flush=True)
        return 1
    cmd = [
        sys.executable,
        "-m",
        "openapi_spec_validator",
        "--validation-errors",
        "all",
        "--subschema-errors",
        "all",
        str(document),
    ]
    print(f"contract: running {' '.join(cmd)}", file=sys.stderr, flush=True)
    done = subprocess.run(cmd, check=False, timeout=300)
    if done.returncode != 0:
        print(
            f"FAILED: {document} is not a valid OpenAPI document (exit {done.returncode})",
            flush=True,
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
