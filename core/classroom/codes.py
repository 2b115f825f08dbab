"""Class codes that students type, and the teacher's secret.

A code is 8 characters of a 30-character alphabet: the digits 2-9 and the capital letters without
I, L, O and U (Crockford's choice: no 0/O, 1/I/L look-alikes, and U goes too). That is
30**8 = 6.6e11 codes, log2(30**8) = 39.3 bits, drawn with `secrets`.

How long guessing takes: the store lets one address fail 10 joins a minute (`Limits.failed_joins`),
so one address tries at most 14,400 codes in a class's 24 h; against one live class it finds it with
a chance of 14,400 / 6.6e11 = 2.2e-8, and for even odds it would need 0.5 * 6.6e11 / 14,400 days,
about 62,000 years. A thousand addresses against a hundred live classes still hit one with a chance
of about 0.2% a day. A wrong guess learns nothing else: the limit is checked before the code.

The teacher's secret is `secrets.token_urlsafe(32)` (256 bits) in the teacher's link; the store
keeps only its SHA-256 and compares with `hmac.compare_digest`.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets

from core.errors import UserError

ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"  # 30 characters: no 0/O, 1/I/L, and no U
CODE_LENGTH = 8  # log2(30**8) = 39.3 bits
CODE_PATTERN = re.compile(f"[{ALPHABET}]{{{CODE_LENGTH}}}")


def new_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))


def checked_code(code: object) -> str:
    """What a student typed -> the code: case, spaces and dashes ignored ("abcd-efgh" reads as
    ABCDEFGH); anything else that is not 8 of the alphabet's characters is a UserError."""
    if not isinstance(code, str) or len(code) > 32:
        raise UserError("A class code is 8 letters and digits, e.g. 7KQM-4RXT.")
    typed = code.strip().upper().replace("-", "").replace(" ", "")
    if not CODE_PATTERN.fullmatch(typed):
        raise UserError("A class code is 8 letters and digits, e.g. 7KQM-4RXT (no 0, 1, I, L, O or U).")
    return typed


def new_secret() -> str:
    return secrets.token_urlsafe(32)


def secret_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def secret_matches(secret: object, stored_hash: str) -> bool:
    """Whether `secret` is the one whose SHA-256 is `stored_hash`, compared in constant time."""
    if not isinstance(secret, str) or len(secret) > 256:
        return False
    return hmac.compare_digest(secret_hash(secret), stored_hash)
