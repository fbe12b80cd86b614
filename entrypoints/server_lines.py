"""uvicorn's own lines about what a client did wrong: a request it could not parse (a broken
chunk, a bad header), an upgrade it does not serve. uvicorn writes them as WARNINGs, so any
client could raise warnings at will; they are the client's doing, logged at INFO."""

import logging

CLIENT_FAULTS = ("Invalid HTTP request received.", "Unsupported upgrade request.")
UPGRADE_HINT = "No supported WebSocket library detected."


class ClientFaultsAtInfo(logging.Filter):
    """On the `uvicorn.error` logger (see cli.logging_config): its client faults become INFO
    (and are dropped when INFO is not logged)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno != logging.WARNING or not isinstance(record.msg, str):
            return True
        if record.msg not in CLIENT_FAULTS and not record.msg.startswith(UPGRADE_HINT):
            return True
        record.levelno, record.levelname = logging.INFO, "INFO"
        return logging.getLogger().isEnabledFor(logging.INFO)
