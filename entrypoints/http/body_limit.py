"""Refuse request bodies over a size limit before they are read whole."""

from starlette.types import Message, Receive, Scope

from entrypoints.http.problems import BodyTooLargeError, MalformedBodyError

MAX_BODY = 64 * 1024


def limited(scope: Scope, receive: Receive, max_body: int = MAX_BODY) -> Receive:
    """`receive`, bounded: a declared Content-Length over the limit is refused at once, an
    undeclared (chunked) body is counted as it arrives and refused when it passes the limit
    (the errors are answered 400 and 413 by the edge, like every other)."""
    # In HTTP/1.x a request with neither Content-Length nor Transfer-Encoding has no body:
    # nothing to count (HTTP/2 may send one without either).
    announced = not scope.get("http_version", "1.1").startswith("1")
    for name, value in scope["headers"]:
        if name == b"transfer-encoding":
            announced = True
        elif name == b"content-length":
            if not value.isdigit():
                raise MalformedBodyError("Content-Length is not a number")
            if int(value) > max_body:
                raise BodyTooLargeError(f"request body is over {max_body} bytes")
            announced = True
    if not announced:
        return receive
    received = 0

    async def counting_receive() -> Message:
        nonlocal received
        message = await receive()
        if message["type"] == "http.request":
            received += len(message.get("body", b""))
            if received > max_body:
                raise BodyTooLargeError(f"request body is over {max_body} bytes")
        return message

    return counting_receive
