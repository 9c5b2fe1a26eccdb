"""Starting a service: settings it refuses are told by variable, never by value."""

from pydantic import ValidationError


def refusal(exc: ValidationError, prefix: str) -> str:
    """What is wrong with the settings, by variable. Only pydantic's messages: its full text
    quotes the input, and the input is every PREFIX_* value, secrets included."""
    reasons = []
    for error in exc.errors():
        variable = "_".join(str(part) for part in error["loc"]).upper()
        reasons.append(f"{prefix}_{variable}: {error['msg']}" if variable else error["msg"])
    return "; ".join(reasons)
