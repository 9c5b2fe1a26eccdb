"""Make a token for an officer or a kiosk: python -m ticketing.tokens [officer|kiosk] [id].

Prints the token (hand it to the person or set the kiosk up with it, once) and the catalog
line holding only its SHA-256. 32 random bytes: well over the 128 bits production asks for.
"""

import hashlib
import secrets
import sys


def new_token() -> tuple[str, str]:
    """(token, its sha256 hex)."""
    token = secrets.token_urlsafe(32)
    return token, hashlib.sha256(token.encode()).hexdigest()


def main(argv: list[str]) -> None:
    kind = argv[0] if argv else "officer"
    who = argv[1] if len(argv) > 1 else "<id>"
    token, digest = new_token()
    print(f"token for {kind} {who} (give it once, keep it nowhere else): {token}")
    if kind == "kiosk":
        print(f"set the kiosk up by opening: /kiosk#kiosk-token={token}")
    print(f'catalog, in its [[{kind}s]] entry:  token_sha256 = "{digest}"')


if __name__ == "__main__":
    main(sys.argv[1:])
