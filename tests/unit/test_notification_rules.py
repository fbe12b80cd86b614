"""A new notification's rules live in the domain, once: the HTTP shape refuses nothing the
domain accepts, and what both refuse they refuse in the same words."""

from hypothesis import given, settings
from hypothesis import strategies as st

from domain.errors import ValidationError
from domain.notifications import BODY_MAX, SUBJECT_MAX, idempotency_key_problem, message_problems
from entrypoints.api.notification_shapes import EmailMessage, LogMessage, SendHeaders
from entrypoints.http.contract import decode, decode_params

TEXT = st.text(st.characters(codec="utf-8"), max_size=80)


def refusals(shape: type, data: dict[str, object]) -> dict[str, str]:
    try:
        decode(shape, data)
    except ValidationError as e:
        return {error.field: error.message for error in e.errors}
    return {}


@settings(max_examples=200)
@given(
    recipient=TEXT,
    subject=st.integers(0, SUBJECT_MAX + 2).map("s".__mul__) | TEXT,
    body=st.integers(BODY_MAX - 1, BODY_MAX + 1).map("b".__mul__) | TEXT,
    email=st.booleans(),
    target=TEXT | st.just("alice@example.com"),
)
def test_the_shape_and_the_domain_refuse_a_message_in_the_same_words(
    recipient: str, subject: str, body: str, email: bool, target: str
) -> None:
    channel, shape = ("email", EmailMessage) if email else ("log", LogMessage)
    fields = {"recipient": recipient, "channel": channel, "subject": subject, "body": body}
    if email:
        fields["target"] = target
    by_shape = refusals(shape, fields)
    by_domain = {
        e.field: e.message
        for e in message_problems(recipient, channel, subject, body, fields.get("target"), None)
    }
    for field, message in by_shape.items():
        assert by_domain.get(field) == message, (field, message)


@given(st.text(st.characters(codec="utf-8"), max_size=260))
def test_the_idempotency_key_is_refused_in_the_same_words(key: str) -> None:
    try:
        decode_params(SendHeaders, {"Idempotency-Key": key})
        by_shape = None
    except ValidationError as e:
        (error,) = e.errors
        by_shape = error.message
    if by_shape is not None:
        assert idempotency_key_problem(key) == by_shape
