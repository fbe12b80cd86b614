"""OpenAPI description of the currency routes."""

from entrypoints.http.openapi import Schema, obj, operation, query

DECIMAL: Schema = {"type": "string", "pattern": "^[0-9]+(\\.[0-9]+)?$"}
CODE: Schema = {"type": "string", "pattern": "^[A-Za-z]{3}$"}
UPPER_CODE: Schema = {"type": "string", "pattern": "^[A-Z]{3}$"}
SOURCE: Schema = {"type": "string", "enum": ["live", "cache", "fallback"]}
DATE: Schema = {"type": "string", "format": "date"}
BOOLEAN: Schema = {"type": "boolean"}

RATES = obj(
    ["base", "rates", "as_of", "source", "stale", "feeds"],
    base=UPPER_CODE,
    rates={"type": "object", "additionalProperties": DECIMAL},
    as_of=DATE,
    source=SOURCE,
    stale=BOOLEAN,
    feeds={
        "type": "array",
        "items": {"type": "string"},
        "description": "the feeds whose rates the table holds (no credentials or query)",
    },
)
AT_DATE = query(
    "date",
    DATE,
    description="YYYY-MM-DD: the rates published that day, or the latest before it",
)
CONVERSION = obj(
    ["amount", "from", "to", "rate", "result", "as_of", "source", "stale"],
    amount=DECIMAL,
    rate=DECIMAL,
    result=DECIMAL,
    as_of=DATE,
    source=SOURCE,
    stale=BOOLEAN,
    **{"from": UPPER_CODE, "to": UPPER_CODE},
)

PATHS: dict[str, dict[str, Schema]] = {
    "/api/currency/rates": {
        "get": operation(
            "Exchange rates from a base currency (decimal strings)",
            response=RATES,
            errors=(422,),
            secured=False,
            tag="currency",
            parameters=[
                query("base", {**CODE, "default": "EUR"}, description="ISO 4217, any case"),
                AT_DATE,
            ],
        )
    },
    "/api/currency/convert": {
        "get": operation(
            "Convert an amount; the result is rounded half-to-even to the target's minor units",
            response=CONVERSION,
            errors=(422,),
            secured=False,
            tag="currency",
            parameters=[
                query(
                    "amount",
                    {**DECIMAL, "maxLength": 50},
                    required=True,
                    description="Non-negative decimal, at most 15 integer digits",
                ),
                query("from", CODE, required=True, description="ISO 4217, any case"),
                query("to", CODE, required=True, description="ISO 4217, any case"),
                AT_DATE,
            ],
        )
    },
}
