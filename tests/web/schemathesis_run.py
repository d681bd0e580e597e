"""Running schemathesis (its command line, as CI would) against a live server."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

CHECKS = (
    "not_a_server_error,status_code_conformance,content_type_conformance,"
    "response_schema_conformance"
)


def run_schemathesis(
    document: str, authorization: str, folder: Path, exclude_paths: str
) -> subprocess.CompletedProcess[str]:
    """Examples and fuzzing, three cases per operation, over the OpenAPI ``document``'s URL.

    ``exclude_paths`` is a regular expression of paths left out (the
    analyses, whose every run takes seconds).
    """
    command = [
        str(Path(sys.executable).with_name("schemathesis")),
        "run",
        document,
        "--header",
        f"Authorization: {authorization}",
        "--checks",
        CHECKS,
        "--max-examples",
        "3",
        "--phases",
        "examples,fuzzing",
        "--workers",
        "1",
        "--seed",
        "1",
        "--generation-database",
        "none",
        "--exclude-path-regex",
        exclude_paths,
    ]
    return subprocess.run(
        command,
        capture_output=True,
        text=True,
        timeout=300,
        cwd=folder,
        env={**os.environ, "NO_COLOR": "1"},
    )
