"""Schemathesis hooks (loaded through SCHEMATHESIS_HOOKS): every secured operation is called
as the admin, logged in afresh whenever the token stops working (a fuzzed logout revokes it).
The server and password come from BALLAST_FUZZ_BASE and BALLAST_FUZZ_PASSWORD."""

import os
from typing import Any

import httpx
import schemathesis


@schemathesis.auth()
class AdminToken:
    def get(self, case: Any, context: Any) -> str:
        response = httpx.post(
            os.environ["BALLAST_FUZZ_BASE"] + "/api/auth/login",
            json={"username": "admin", "password": os.environ["BALLAST_FUZZ_PASSWORD"]},
        )
        response.raise_for_status()
        return str(response.json()["access_token"])

    def set(self, case: Any, data: str, context: Any) -> None:
        case.headers = {**(case.headers or {}), "Authorization": f"Bearer {data}"}
