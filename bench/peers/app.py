"""The peer: the stack teams commonly build for the same job, serving `me`, `convert`,
the client-credentials grant and a page of users for clients.

Flask + Flask-JWT-Extended (revoked tokens in a Redis blocklist checked on every request,
falling back to a per-process set when Redis fails), Flask-Limiter on Redis with its
in-memory fallback (`PEER_RATE_LIMIT=off` turns it off), Flask-Caching on Redis, Authlib's
OAuth 2 server for machines (oauth.py), users in Redis, under gunicorn with 2 (sync)
workers. Every Redis client gets the same 0.25 s timeouts as Ballast, so a hung Redis costs
each side the same per call. Run by bench/compare.py in its own venv
(bench/peers/requirements.txt).
"""

import os
from datetime import timedelta
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation, localcontext
from typing import Any

import redis
from flask import Flask, jsonify, request
from flask_caching import Cache
from flask_jwt_extended import (
    JWTManager,
    create_access_token,
    get_jwt,
    get_jwt_identity,
    jwt_required,
)
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from oauth import install

REDIS_URL = os.environ["PEER_REDIS_URL"]
PASSWORD = os.environ["PEER_ADMIN_PASSWORD"]
RATE_LIMIT = os.environ.get("PEER_RATE_LIMIT", "1000000 per second")
TIMEOUTS = {"socket_timeout": 0.25, "socket_connect_timeout": 0.25}
# Units of each currency per euro: the same kind of table as Ballast's built-in one.
RATES = {
    "EUR": Decimal(1),
    "USD": Decimal("1.0837"),
    "GBP": Decimal("0.8560"),
    "JPY": Decimal("161.88"),
    "CHF": Decimal("0.9624"),
}

app = Flask(__name__)
app.config.update(
    JWT_SECRET_KEY=os.environ["PEER_JWT_SECRET"],
    JWT_ACCESS_TOKEN_EXPIRES=timedelta(minutes=15),
    CACHE_TYPE="RedisCache",
    CACHE_REDIS_URL=REDIS_URL,
    CACHE_OPTIONS=TIMEOUTS,
    CACHE_DEFAULT_TIMEOUT=60,
    RATELIMIT_ENABLED=RATE_LIMIT != "off",
)
jwt = JWTManager(app)
cache = Cache(app)
limiter = Limiter(
    get_remote_address,
    app=app,
    default_limits=[] if RATE_LIMIT == "off" else [RATE_LIMIT],
    storage_uri=REDIS_URL,
    storage_options=TIMEOUTS,
    in_memory_fallback_enabled=True,
)
blocklist = redis.Redis.from_url(REDIS_URL, **TIMEOUTS)  # type: ignore[arg-type]
store = redis.Redis.from_url(REDIS_URL, decode_responses=True, **TIMEOUTS)  # type: ignore[arg-type]
revoked_here: set[str] = set()  # the fallback while Redis fails: this process only
USERNAMES = "peer:usernames"  # a sorted set: users are paged by username


def jti_revoked(jti: str) -> bool:
    try:
        return bool(blocklist.exists(f"blocklist:{jti}"))
    except redis.RedisError:
        return jti in revoked_here


@jwt.token_in_blocklist_loader
def is_revoked(_header: dict[str, Any], payload: dict[str, Any]) -> bool:
    return jti_revoked(payload["jti"])


require_oauth = install(app, store, os.environ["PEER_JWT_SECRET"], jti_revoked)
# The admin, as a user record (each worker writes the same at start).
store.hset(
    "peer:user:admin",
    mapping={"username": "admin", "roles": "admin", "disabled": "0", "created_at": "2024-01-01"},
)
store.zadd(USERNAMES, {"admin": 0})


@app.post("/api/auth/login")
def login() -> Any:
    body = request.get_json(silent=True) or {}
    if body.get("username") != "admin" or body.get("password") != PASSWORD:
        return jsonify(msg="bad credentials"), 401
    token = create_access_token(identity="admin", additional_claims={"roles": ["admin"]})
    return jsonify(access_token=token)


@app.post("/api/auth/logout")
@jwt_required()
def logout() -> Any:
    jti = get_jwt()["jti"]
    try:
        blocklist.set(f"blocklist:{jti}", "1", ex=900)
    except redis.RedisError:
        revoked_here.add(jti)
    return "", 204


@app.get("/api/auth/me")
@jwt_required()
def me() -> Any:
    return jsonify(username=get_jwt_identity(), roles=sorted(get_jwt().get("roles", [])))


@app.get("/api/currency/convert")
@cache.cached(query_string=True)
def convert() -> Any:
    args = request.args
    source, target = args.get("from", ""), args.get("to", "")
    if source not in RATES or target not in RATES:
        return jsonify(msg="unknown currency"), 422
    try:
        amount = Decimal(args.get("amount", ""))
    except InvalidOperation:
        return jsonify(msg="bad amount"), 422
    with localcontext() as ctx:
        ctx.prec = 10
        ctx.rounding = ROUND_HALF_EVEN
        rate = +(RATES[target] / RATES[source])
    result = (amount * rate).quantize(Decimal("0.01"), rounding=ROUND_HALF_EVEN)
    return jsonify(
        amount=str(amount), to=target, rate=format(rate, "f"), result=format(result, "f")
    )


@app.get("/api/users")
@require_oauth("users:read")
def users() -> Any:
    """A page of users by username, for a client holding `users:read`."""
    limit = request.args.get("limit", default=50, type=int)
    cursor = request.args.get("cursor")
    start = f"({cursor}" if cursor else "-"
    names = store.zrange(USERNAMES, start, "+", bylex=True, offset=0, num=limit + 1)
    page = names[:limit]
    records = [store.hgetall(f"peer:user:{name}") for name in page]
    items = [
        {
            "username": r["username"],
            "roles": sorted(r["roles"].split()),
            "disabled": r["disabled"] == "1",
            "created_at": r["created_at"],
        }
        for r in records
    ]
    return jsonify(items=items, next_cursor=page[-1] if len(names) > limit else None)
