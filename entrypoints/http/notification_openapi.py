"""OpenAPI description of the notification routes."""

from domain.notifications import METADATA_MAX_BYTES, METADATA_MAX_DEPTH
from entrypoints.http.openapi import INTEGER, STRING, Schema, obj, operation, query

CHANNEL: Schema = {"type": "string", "enum": ["log", "webhook", "email"]}
STATUS: Schema = {"type": "string", "enum": ["pending", "sent", "failed", "read"]}
TIME: Schema = {"type": "string", "format": "date-time"}
NULLABLE_STRING: Schema = {"type": ["string", "null"]}
NOTIFICATION = obj(
    [
        "id",
        "recipient",
        "channel",
        "subject",
        "body",
        "status",
        "created_at",
        "updated_at",
        "attempts",
        "metadata",
    ],
    id=STRING,
    recipient=STRING,
    channel=CHANNEL,
    subject=STRING,
    body=STRING,
    target=NULLABLE_STRING,
    status=STATUS,
    created_at=TIME,
    updated_at=TIME,
    attempts=INTEGER,
    metadata={"type": "object"},
    error={**NULLABLE_STRING, "description": "why the last delivery attempt failed"},
)
ID: Schema = {"name": "id", "in": "path", "required": True, "schema": STRING}
IDEMPOTENCY_KEY: Schema = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": False,
    "schema": {"type": "string", "maxLength": 255},
    "description": "The same key from the same sender within 24 h returns the first notification",
}

PATHS: dict[str, dict[str, Schema]] = {
    "/api/notifications": {
        "post": operation(
            "Send a notification (admin or service); 200 when the Idempotency-Key was seen",
            ok=202,
            body=obj(
                ["recipient", "channel", "subject", "body"],
                recipient={"type": "string", "pattern": "^[A-Za-z0-9._-]{1,64}$"},
                channel=CHANNEL,
                subject={"type": "string", "minLength": 1, "maxLength": 200},
                body={"type": "string", "maxLength": 10_000},
                target={"type": "string", "description": "webhook URL or email address"},
                metadata={
                    "type": "object",
                    "description": f"nested at most {METADATA_MAX_DEPTH} levels deep (itself"
                    f" level 1), at most {METADATA_MAX_BYTES} bytes as compact JSON",
                },
            ),
            response=NOTIFICATION,
            errors=(400, 403, 409, 413, 422, 503),
            parameters=[IDEMPOTENCY_KEY],
            tag="notifications",
        ),
        "get": operation(
            "The caller's notifications, newest first",
            response=obj(
                ["items", "next_cursor"],
                items={"type": "array", "items": NOTIFICATION},
                next_cursor=NULLABLE_STRING,
            ),
            errors=(422, 503),
            parameters=[
                query("status", STATUS),
                query("limit", {"type": "integer", "minimum": 1, "maximum": 100, "default": 20}),
                query("cursor", STRING, description="next_cursor of the previous page"),
            ],
            tag="notifications",
        ),
    },
    "/api/notifications/{id}": {
        "get": operation(
            "One notification (its recipient or an admin)",
            response=NOTIFICATION,
            errors=(404, 503),
            parameters=[ID],
            tag="notifications",
        ),
        "patch": operation(
            "Mark a notification read",
            body=obj(["status"], status={"type": "string", "enum": ["read"]}),
            response=NOTIFICATION,
            errors=(400, 404, 413, 422, 503),
            parameters=[ID],
            tag="notifications",
        ),
    },
    "/api/notifications/{id}/redeliver": {
        "post": operation(
            "Put a failed notification back to pending (admin or its sender); 409 otherwise",
            ok=202,
            response=NOTIFICATION,
            errors=(404, 409, 503),
            parameters=[ID],
            tag="notifications",
        ),
    },
}
