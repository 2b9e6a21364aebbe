"""Keep secrets out of failure messages and logs."""

from __future__ import annotations

import re

_SECRET_NAME = re.compile(r"(PASSWORD|SECRET|TOKEN|KEY|PASSPHRASE|CREDENTIAL)", re.IGNORECASE)
_URL_PASSWORD = re.compile(r"(\w+://[^:/@\s]+:)([^@\s]+)(@)")
_MIN_LENGTH = 6  # shorter values would mask ordinary words


def redact(text: str, env: dict[str, str]) -> str:
    """Mask the values of secret-looking variables and passwords inside connection URLs."""
    values = sorted((value for name, value in env.items()
                     if _SECRET_NAME.search(name) and len(value) >= _MIN_LENGTH), key=len, reverse=True)
    for value in values:
        text = text.replace(value, "****")
    return _URL_PASSWORD.sub(r"\1****\3", text)
