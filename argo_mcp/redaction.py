"""Secrets never leave argo-mcp: one scrubber for every log line, every Argo error text and every tool error.

Tokens are kept out of logs and answers by construction (they are never passed to a logger or put into a
message); this is the second line of defence for what we do not control: an Argo or proxy that echoes the
Authorization header in its error text, an exception message from a library, a token that reaches a traceback.
It masks bearer/basic credentials, Authorization header values, JWT-looking strings and the exact tokens
argo-mcp knows (its own Argo token, and the caller's token during a request).
"""

from __future__ import annotations

import contextvars
import itertools
import math
import os
import re
from collections import Counter, deque
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

REDACTED = "[redacted]"
_MIN_SECRET = 8
_KNOWN_LIMIT = 16

_PATTERNS = [
    # Authorization: <scheme> <credentials> (as a header line, a JSON key or a Python dict repr)
    re.compile(r"(?i)(authorization[\"']?\s*[:=]\s*[\"']?)[^\r\n\"',;}]+"),
    re.compile(r"(?i)\b(bearer)(\s+)[A-Za-z0-9._~+/=-]{8,}"),
    re.compile(r"(?<![A-Za-z0-9_-])eyJ[A-Za-z0-9_-]{4,}+\.[A-Za-z0-9_-]{4,}+\.[A-Za-z0-9_-]*+"),  # JWT
]
# Every pattern here and below runs over text a workflow controls (log lines, Argo messages), so none may backtrack
# more than a bounded amount: a match starts only where a run of its characters starts (a lookbehind) and runs are
# taken possessively (`++`, `*+`), which keeps each scan linear in the text (tests/unit/test_redaction_linear.py).

_known: deque[str] = deque(maxlen=_KNOWN_LIMIT)
_request_secrets: contextvars.ContextVar[tuple[str, ...]] = contextvars.ContextVar(
    "argo_mcp_request_secrets", default=()
)


def remember_secret(secret: str | None) -> None:
    """Mask this exact value everywhere from now on (argo-mcp's own token; the last few rotations of it)."""
    if secret and len(secret) >= _MIN_SECRET and secret not in _known:
        _known.append(secret)


@contextmanager
def request_secret(secret: str) -> Iterator[None]:
    """Mask `secret` (a caller's token) in whatever is logged or answered while this request runs."""
    token = _request_secrets.set((*_request_secrets.get(), secret))
    try:
        yield
    finally:
        _request_secrets.reset(token)


def _replace(match: re.Match[str]) -> str:
    if match.re is _PATTERNS[0]:
        return f"{match.group(1)}{REDACTED}"
    if match.re is _PATTERNS[1]:
        return f"{match.group(1)}{match.group(2)}{REDACTED}"
    return REDACTED


def scrub(text: str) -> str:
    """`text` with every secret masked."""
    for secret in (*_known, *_request_secrets.get()):
        if len(secret) >= _MIN_SECRET:
            text = text.replace(secret, REDACTED)
            for line in secret.splitlines():  # a multi-line token file shows up line by line
                if len(line.strip()) >= _MIN_SECRET:
                    text = text.replace(line.strip(), REDACTED)
    for pattern in _PATTERNS:
        text = pattern.sub(_replace, text)
    return text


def scrub_value(value: Any, _depth: int = 0) -> Any:
    """Scrub strings inside nested dicts/lists/tuples (log events, exception dicts); other values as they are."""
    if isinstance(value, str):
        return scrub(value)
    if _depth > 32:
        return value
    if isinstance(value, dict):
        return {key: scrub_value(item, _depth + 1) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [scrub_value(item, _depth + 1) for item in value]
    return value


# ---- secrets in workflow parameters (names and values) ---------------------------------------------------------
# A parameter is secret when its name says so or its value looks like a credential; its default, value and enum
# are then never shown or offered (tool answers, resources, completions).
#
# By name: a stem anywhere in the lower-cased name (`db_password`, `githubToken`, `sshPrivateKey`), or a whole
# word part (split at `_`, `-`, `.`, digits and camelCase: `ssh_key`, `apiKey`, `db_pass`, `dsn`, `authHeader`);
# `key` counts only as a whole part, so `keyword`, `monkey` or `keycloak_realm` stay visible.
SECRET_NAME_STEMS = (
    "passw",  # password, passwd
    "passphrase",
    "pwd",
    "secret",
    "token",
    "credential",
    "apikey",
    "privatekey",
    "accesskey",
    "sshkey",
    "signingkey",
    "connectionstring",
    "connstr",
)
SECRET_NAME_WORDS = frozenset(
    {
        "pass", "key", "keys", "dsn", "auth", "authorization", "oauth", "private", "cred", "creds",
        "jwt", "bearer", "cookie", "kubeconfig", "cert", "pem", "pat",
    }
)  # fmt: skip
SECRET_NAMES_VARIABLE = "ARGO_MCP_REDACT_PARAMETER_NAMES"
_WORD_SPLIT = re.compile(r"[^A-Za-z]+|(?<=[a-z])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")


def parse_secret_name_fragments(text: str, source: str = SECRET_NAMES_VARIABLE) -> tuple[str, ...]:
    """Comma-separated regular expressions (searched in a parameter's name, case-insensitively) that add to the
    built-in secret-name rules; ValueError naming `source` and the fix for one that does not compile."""
    fragments = tuple(part.strip() for part in text.split(",") if part.strip())
    for fragment in fragments:
        try:
            re.compile(fragment)
        except re.error as exc:
            raise ValueError(
                f"{source}: {fragment!r} is not a valid regular expression ({exc}); give comma-separated "
                "regular expressions matched inside parameter names, e.g. 'conn_?str,^sig_'"
            ) from None
    return fragments


def _extra_names_from(fragments: Iterable[str]) -> re.Pattern[str] | None:
    parts = [f"(?:{fragment})" for fragment in fragments]
    return re.compile("|".join(parts), re.IGNORECASE) if parts else None


def _extra_names_from_environment() -> re.Pattern[str] | None:
    """The variable's fragments; one that does not compile is matched literally (more redaction, never less):
    start-up validation (`parse_secret_name_fragments`) is what reports it."""
    text = os.environ.get(SECRET_NAMES_VARIABLE, "")
    fragments = []
    for part in (p.strip() for p in text.split(",")):
        if part:
            try:
                re.compile(part)
                fragments.append(part)
            except re.error:
                fragments.append(re.escape(part))
    return _extra_names_from(fragments)


_extra_secret_names: re.Pattern[str] | None = _extra_names_from_environment()


def configure_secret_names(fragments: Iterable[str] | None) -> None:
    """Replace the user's extra secret-name patterns (the setting's value; None re-reads the environment)."""
    global _extra_secret_names  # noqa: PLW0603 - one process-wide setting, like the known tokens above
    if fragments is None:
        _extra_secret_names = _extra_names_from_environment()
    else:
        _extra_secret_names = _extra_names_from(parse_secret_name_fragments(",".join(fragments)))


def is_secret_name(name: str) -> bool:
    """Whether a parameter's name says its value is a credential (its value is then never shown)."""
    squashed = re.sub(r"[^a-z]", "", name.lower())
    if any(stem in squashed for stem in SECRET_NAME_STEMS):
        return True
    if any(part.lower() in SECRET_NAME_WORDS for part in _WORD_SPLIT.split(name) if part):
        return True
    return _extra_secret_names is not None and _extra_secret_names.search(name) is not None


# By value: a URL with a password in its user info, a PEM block, a JWT, a well-known token format, or a long
# random-looking string (24+ characters of the base64/base64url alphabet with upper and lower case letters and
# digits and high entropy; or 32+ hex digits, except 40 and 64 long, which are commit SHAs and image digests).
_URL_PASSWORD = re.compile(r"(?<![A-Za-z0-9+.-])[A-Za-z][A-Za-z0-9+.-]*+://[^/\s:@]*+:[^/\s@]++@")
_SECRET_VALUES = [
    _URL_PASSWORD,
    re.compile(r"-----BEGIN [A-Z0-9 ]+-----"),
    re.compile(r"(?<![A-Za-z0-9_-])eyJ[A-Za-z0-9_-]{4,}+\.[A-Za-z0-9_-]{4,}+\."),  # JWT
    re.compile(r"\bAKIA[0-9A-Z]{16}\b"),  # AWS access key id
    re.compile(r"\b(?:gh[pousr]_|github_pat_|glpat-|xox[abprs]-|sk-|sk_live_|rk_live_)[A-Za-z0-9_-]{16,}"),
]
_RANDOM_CANDIDATE = re.compile(r"[A-Za-z0-9+/=_-]{24,}")
_HEX = re.compile(r"[0-9a-fA-F]+")
_DIGEST_LENGTHS = (40, 64)
MIN_RANDOM_LENGTH = 24
MIN_HEX_LENGTH = 32
MIN_ENTROPY_BITS = 3.9  # per character; English words and identifiers stay well below, random base64 above
MAX_MEAN_RUN = 2.2  # characters per run of one kind (upper, lower, digit, symbol); random base64 about 1.6


def _entropy(text: str) -> float:
    counts = Counter(text)
    return -sum(n / len(text) * math.log2(n / len(text)) for n in counts.values())


def _looks_random(candidate: str) -> bool:
    if _HEX.fullmatch(candidate):
        return len(candidate) >= MIN_HEX_LENGTH and len(candidate) not in _DIGEST_LENGTHS
    core = candidate.strip("=")
    if candidate.startswith("/") or len(core) < MIN_RANDOM_LENGTH:
        return False  # a path, not a key
    if not any(c.isdigit() for c in core) or not any(c.isalpha() for c in core):
        return False
    # Random text switches between upper case, lower case, digits and symbols about every other character
    # (runs of 1.6 on average); words and CamelCase identifiers (`SomeLongIdentifierName123`) run longer.
    kinds = [0 if c.isdigit() else 1 if c.islower() else 2 if c.isupper() else 3 for c in core]
    runs = 1 + sum(a != b for a, b in itertools.pairwise(kinds))
    return len(core) / runs <= MAX_MEAN_RUN and _entropy(core) >= MIN_ENTROPY_BITS


def is_secret_value(value: str) -> bool:
    """Whether a value looks like a credential whatever its parameter is called (see the rules above)."""
    if any(pattern.search(value) for pattern in _SECRET_VALUES):
        return True
    return any(_looks_random(match.group()) for match in _RANDOM_CANDIDATE.finditer(value))


def redact_url_passwords(text: str) -> str:
    """`scheme://user:password@host` as `scheme://user:[redacted]@host` (the rest of the URL stays readable)."""
    return _URL_PASSWORD.sub(
        lambda m: (
            m.group().split("://", 1)[0]
            + "://"
            + m.group().split("://", 1)[1].split(":", 1)[0]
            + f":{REDACTED}@"
        ),
        text,
    )


def shown_parameter_value(name: str, value: Any) -> Any:
    """A parameter's value or default as it may be shown: REDACTED when the name or the value is secret."""
    if value is None:
        return None
    text = value if isinstance(value, str) else str(value)
    if is_secret_name(name) or is_secret_value(text):
        return REDACTED
    return value


def shown_enum(name: str, values: Any) -> Any:
    """A parameter's enum as it may be shown: every value REDACTED when the name is secret (the count stays, so
    an agent knows it must choose), otherwise each secret-looking value REDACTED."""
    if not isinstance(values, list):
        return values
    if is_secret_name(name):
        return [REDACTED] * len(values)
    return [REDACTED if isinstance(v, str) and is_secret_value(v) else v for v in values]
