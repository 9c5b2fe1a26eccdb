"""Development secrets, refused outside development (README, "What production refuses").

The defaults let tests and `make up` run with nothing set; a deployment that forgot one of
them must fail at start with a message an operator can act on, not be found out later by an
SMS bill or forged delivery reports. Case and whitespace are ignored when comparing with a
development value: ' Antre-Dev ' is still the development password.
"""

DEV_KANNEL_PASSWORD = "antre-dev"
"""The sendsms-user password of deploy/local/kannel/kannel.conf."""
DEV_DLR_SECRET = "antre-dev-dlr-secret-for-development-only"
DEV_NUMBER_HASH_KEY = "antre-dev-number-hash-key-for-development-only"
MIN_SECRET_CHARS = 32
_GENERATE = 'python -c "import secrets; print(secrets.token_urlsafe(32))"'


def _bare(value: str) -> str:
    return "".join(value.split()).lower()


def refuse_dev_password(password: str, variable: str) -> None:
    """Raise (naming the variable) for an empty or the development Kannel password."""
    if not _bare(password) or _bare(password) == _bare(DEV_KANNEL_PASSWORD):
        raise ValueError(
            f"{variable} is empty or the development password ({DEV_KANNEL_PASSWORD!r}): set the"
            " password of the SMS gateway's sendsms-user account"
        )


def refuse_weak_secrets(values: list[str], dev_value: str, variable: str) -> None:
    """Raise (naming the variable) unless every value is a secret of MIN_SECRET_CHARS or more
    characters and none is the development value."""
    for value in values:
        if _bare(value) == _bare(dev_value) or len(value.strip()) < MIN_SECRET_CHARS:
            raise ValueError(
                f"{variable} must be a secret of at least {MIN_SECRET_CHARS} characters, not"
                f" the development default; make one with {_GENERATE}"
            )
