"""Graph's error answers: `{"error": {"code", "message", "innerError"}}` with the HTTP status."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime


class GraphError(Exception):
    """A request Graph refuses: the status and the error code its reference documents."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


def error_body(code: str, message: str) -> dict:
    return {
        "error": {
            "code": code,
            "message": message,
            "innerError": {
                "date": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S"),
                "request-id": str(uuid.uuid4()),
                "client-request-id": str(uuid.uuid4()),
            },
        }
    }


def error_bytes(code: str, message: str) -> bytes:
    return json.dumps(error_body(code, message)).encode()


def not_found(what: str = "The specified object was not found in the store.") -> GraphError:
    return GraphError(404, "ErrorItemNotFound", what)


def invalid(message: str) -> GraphError:
    return GraphError(400, "ErrorInvalidRequest", message)


def not_supported(method: str, path: str) -> GraphError:
    return GraphError(405, "ErrorInvalidRequest", f"{method} is not supported on {path}.")
