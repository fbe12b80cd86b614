"""The built-in rate table: the last resort when neither the feed nor any cache ever answered.

Approximate euro reference rates of early January 2025, for every currency of the ECB's
daily list (BGN left out: it is no longer an ISO 4217 currency since Bulgaria adopted the
euro). Always served as stale, with source `fallback`, so clients know not to rely on it.
"""

import datetime
from decimal import Decimal

from domain.rates import RateOrigin, RateTable

AS_OF = datetime.date(2025, 1, 2)
BASE = "EUR"

RATES = {
    "AUD": "1.6655",
    "BRL": "6.3978",
    "CAD": "1.4858",
    "CHF": "0.9384",
    "CNY": "7.5343",
    "CZK": "25.100",
    "DKK": "7.4586",
    "GBP": "0.82765",
    "HKD": "8.0191",
    "HUF": "412.38",
    "IDR": "16741.21",
    "ILS": "3.7696",
    "INR": "88.4170",
    "ISK": "143.90",
    "JPY": "162.88",
    "KRW": "1517.37",
    "MXN": "21.2863",
    "MYR": "4.6260",
    "NOK": "11.7630",
    "NZD": "1.8421",
    "PHP": "59.881",
    "PLN": "4.2713",
    "RON": "4.9743",
    "SEK": "11.4735",
    "SGD": "1.4090",
    "THB": "35.484",
    "TRY": "36.4835",
    "USD": "1.0321",
    "ZAR": "19.5005",
}


def fallback_table() -> RateTable:
    """Never fresh: `fetched_at` 0 and source `fallback` make it stale by definition."""
    rates = {code: Decimal(rate) for code, rate in RATES.items()}
    return RateTable(BASE, rates, AS_OF, RateOrigin.FALLBACK, fetched_at=0.0)
