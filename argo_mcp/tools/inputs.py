"""Shared input models and field types for tool arguments.

Arguments are camelCase on the wire (Argo's own spelling: labelSelector, podName, tailLines ...). Each field
type has a validator whose message names the rule and gives an example, so an agent can fix its call from the
error alone. The schema advertises a rule only where a model could not guess it: a JSON-schema `format`
(`uuid`, `date-time`, `label-selector`, `dns-1123-subdomain` for a name the caller makes up), never the regular
expression and length of a Kubernetes name; the namespace and the names of existing objects (copied from an
earlier answer) carry none, ~6 tokens in each of ~55 schemas on every conversation (the server still checks them).
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Callable
from typing import Annotated, Any, Self

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, WithJsonSchema
from pydantic.alias_generators import to_camel

from argo_mcp.tools.paths import segment_problem

DNS1123_LABEL = r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$"
DNS1123_SUBDOMAIN = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$"
OFF_LOOP_ARGUMENT_BYTES = 64 * 1024
"""Arguments whose JSON is at least this big are validated in a worker thread (see parse_tool_arguments)."""

UID_PATTERN = r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"

_ALNUM = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
_LOWER_ALNUM = frozenset("abcdefghijklmnopqrstuvwxyz0123456789")
_NAME_INNER = _ALNUM | frozenset("-_.")
_FIELD_KEY_CHARS = _ALNUM | frozenset("_.-[]")
_LABEL_KEY_CHARS = _NAME_INNER | frozenset("/")
_SPACE = frozenset(" \t\n\r\f\v")

# Selectors are checked by the hand-written scanners below rather than by regular expressions: every character
# is looked at a bounded number of times, so validation is linear in the input's length. (The overlapping
# quantifiers of a selector regex backtrack catastrophically: a 3 KB fieldSelector froze the event loop.)


def _is_label_name(text: str) -> bool:
    """A label name or value body: alphanumeric at both ends, `-_.` inside, at most 63 characters."""
    return (
        0 < len(text) <= 63
        and text[0] in _ALNUM
        and text[-1] in _ALNUM
        and all(char in _NAME_INNER for char in text)
    )


def _is_dns_subdomain(text: str) -> bool:
    """Dot-separated DNS-1123 labels (lowercase alphanumeric at both ends, `-` inside), at most 253."""
    if not 0 < len(text) <= 253:
        return False
    for label in text.split("."):
        if not label or label[0] not in _LOWER_ALNUM or label[-1] not in _LOWER_ALNUM:
            return False
        if any(char not in _LOWER_ALNUM and char != "-" for char in label):
            return False
    return True


def _is_label_key(text: str) -> bool:
    prefix, slash, name = text.rpartition("/")
    if slash and not _is_dns_subdomain(prefix):
        return False
    return _is_label_name(name)


def _is_label_value(text: str) -> bool:
    return text == "" or _is_label_name(text)


def _is_label_requirement(requirement: str) -> bool:
    """key, !key, key=value, key==value, key!=value, key in (v,...), key notin (v,...)."""
    text = requirement.strip()
    if text.startswith("!"):
        return _is_label_key(text[1:].strip())
    end = 0
    while end < len(text) and text[end] in _LABEL_KEY_CHARS:
        end += 1
    key, rest = text[:end], text[end:]
    if not _is_label_key(key):
        return False
    if not rest:
        return True
    stripped = rest.lstrip()
    for operator in ("==", "!=", "="):
        if stripped.startswith(operator):
            return _is_label_value(stripped[len(operator) :].strip())
    if stripped == rest:  # `in`/`notin` must be separated from the key by whitespace
        return False
    for operator in ("notin", "in"):
        if stripped.startswith(operator):
            values = stripped[len(operator) :].lstrip()
            if len(values) < 2 or values[0] != "(" or values[-1] != ")":
                return False
            return all(_is_label_value(value.strip()) for value in values[1:-1].split(","))
    return False


def _is_field_requirement(requirement: str) -> bool:
    """field=value, field==value or field!=value; the value may not contain `,`, `=` or `!`."""
    text = requirement.lstrip()
    end = 0
    while end < len(text) and text[end] in _FIELD_KEY_CHARS:
        end += 1
    if end == 0:
        return False
    rest = text[end:].lstrip()
    for operator in ("==", "!=", "="):
        if rest.startswith(operator):
            value = rest[len(operator) :]
            return not any(char in "=!" for char in value)
    return False


def _split_selector(selector: str) -> list[str]:
    """Split on commas that are not inside `in (...)` sets."""
    parts: list[str] = []
    current: list[str] = []
    depth = 0
    for char in selector:
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        if char == "," and depth == 0:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    parts.append("".join(current))
    return parts


def _matching(value: str, pattern: str, problem: str, *, max_length: int | None = None) -> str:
    """`value` when it matches `pattern` (and is at most `max_length` long); else the error an agent fixes its
    call from: the value, then `problem` (the rule and an example)."""
    if (max_length is not None and len(value) > max_length) or not re.match(pattern, value):
        raise ValueError(f"{value!r} {problem}")
    return value


def _check_dns_label(value: str) -> str:
    return _matching(
        value,
        DNS1123_LABEL,
        "is not a valid namespace: use a DNS-1123 label (lowercase letters, digits and '-', starting and ending "
        "with a letter or digit, at most 63 characters), e.g. 'argo'",
    )


def namespace_name(value: str) -> str:
    """A namespace taken from somewhere other than the `namespace` argument (a manifest), checked the same way."""
    return _check_dns_label(value)


def _check_dns_subdomain(value: str) -> str:
    return _matching(
        value,
        DNS1123_SUBDOMAIN,
        "is not a valid Kubernetes name: use lowercase letters, digits, '-' and '.', starting and ending with a "
        "letter or digit, at most 253 characters, e.g. 'hello-world-abc12'",
        max_length=253,
    )


def _check_uid(value: str) -> str:
    return _matching(
        value,
        UID_PATTERN,
        "is not a UID: pass the workflow's metadata.uid, e.g. '3f1e9c2a-5b7d-4e8f-9a0b-1c2d3e4f5a6b' "
        "(list_archived_workflows shows it)",
    )


def _every_requirement(
    value: str, requirements: list[str], valid: Callable[[str], bool], problem: str
) -> str:
    """`value` when each of its comma-separated requirements is `valid`; else an error naming the first one
    that is not, then `problem` (the syntax and an example)."""
    for requirement in requirements:
        if not valid(requirement):
            raise ValueError(f"{requirement.strip()!r} {problem}")
    return value


def _check_label_selector(value: str) -> str:
    return _every_requirement(
        value,
        _split_selector(value),
        _is_label_requirement,
        "is not a valid label selector requirement: use key, !key, key=value, key!=value, key in (a,b) or "
        "key notin (a,b), comma-separated, e.g. 'workflows.argoproj.io/phase=Failed,app=etl'",
    )


def _check_field_selector(value: str) -> str:
    return _every_requirement(
        value,
        value.split(","),
        _is_field_requirement,
        "is not a valid field selector requirement: use field=value or field!=value, comma-separated, e.g. "
        "'metadata.name=my-wf'",
    )


Namespace = Annotated[
    str,
    AfterValidator(_check_dns_label),
    # No `format` on the wire: every tool takes a namespace, a model knows what one is, and the validator's
    # message gives the rule to a call that breaks it (~6 tokens in each of ~55 schemas).
    WithJsonSchema({"type": "string"}),
]
# The name of an object that exists (copied from a list or an earlier answer): checked, no `format` on the wire
# for the same reason. A name the caller makes up for a new object says its rule (NewResourceName).
ResourceName = Annotated[str, AfterValidator(_check_dns_subdomain), WithJsonSchema({"type": "string"})]
NewResourceName = Annotated[
    str,
    AfterValidator(_check_dns_subdomain),
    WithJsonSchema({"type": "string", "format": "dns-1123-subdomain"}),
]
Uid = Annotated[str, AfterValidator(_check_uid), WithJsonSchema({"type": "string", "format": "uuid"})]
LabelSelector = Annotated[
    str, AfterValidator(_check_label_selector), WithJsonSchema({"type": "string", "format": "label-selector"})
]
FieldSelector = Annotated[
    str, AfterValidator(_check_field_selector), WithJsonSchema({"type": "string", "format": "field-selector"})
]


def _check_path_segment(value: str) -> str:
    problem = segment_problem(value)
    if problem is not None:
        raise ValueError(
            f"{value!r} is not usable: it goes into the Argo API path as one segment, so it {problem}; pass the "
            "exact name or ID as Argo shows it (e.g. a key of status.nodes from get_workflow)"
        )
    return value


PathSegment = Annotated[
    str,
    AfterValidator(_check_path_segment),
    WithJsonSchema({"type": "string", "minLength": 1, "maxLength": 253, "pattern": r"^(?!\.{1,2}$)[^/\\]+$"}),
]
"""A value that becomes one segment of an Argo URL path (pod name, node ID, artifact name)."""


class ToolInput(BaseModel):
    """Base of every tool's arguments: camelCase aliases, unknown arguments rejected, nothing coerced.

    Strict, because a guess is worse than an error: `"yes"` is not `true` and `0` is not 1970-01-01. Arguments
    are validated as the JSON they arrived as (see `parse_arguments`), so JSON's own types still work: numbers
    for numbers, RFC 3339 strings for date-times. Strings are never trimmed: manifests, parameter values and
    messages reach Argo exactly as written (a YAML block scalar's final newline is part of a script).
    """

    model_config = ConfigDict(extra="forbid", alias_generator=to_camel, populate_by_name=True, strict=True)

    @classmethod
    def parse_arguments(cls, arguments: dict[str, Any] | None) -> Self:
        """Validate a tool call's arguments in strict JSON mode (the only way tool inputs are built)."""
        return cls.parse_json(json.dumps(arguments or {}))

    @classmethod
    def parse_json(cls, text: str) -> Self:
        """Validate arguments given as JSON text, then `prepare` what the call will need."""
        parsed = cls.model_validate_json(text)
        parsed.prepare()
        return parsed

    def prepare(self) -> None:
        """Work derived from the arguments that a call needs anyway (parsing a YAML manifest): done right after
        validation, so that for big arguments it runs off the event loop with it (see `parse_tool_arguments`)."""

    @classmethod
    async def parse_tool_arguments(cls, arguments: dict[str, Any] | None) -> Self:
        """`parse_arguments` for a call: in a worker thread when the arguments are big.

        Validating a manifest of a few hundred KB (pure-Python YAML) takes a second of CPU; on the event loop
        that would stall every other session and the health probes. Small arguments stay on the loop, where a
        thread hop would cost more than the validation."""
        text = json.dumps(arguments or {})
        if len(text) < OFF_LOOP_ARGUMENT_BYTES:
            return cls.parse_json(text)
        return await asyncio.to_thread(cls.parse_json, text)


# Parameters every tool shares carry the shortest true description: the server's instructions say once what
# `namespace` is and how `limit`/`continue` page; each description is paid in each of ~60 schemas on every
# conversation.
class NamespacedInput(ToolInput):
    namespace: Namespace | None = Field(default=None, description="Namespace.")


# A page an agent can reason about: 100 workflow summaries are ~9k tokens (cl100k), where a namespace's whole
# history could be hundreds of thousands. A longer list answers Argo's `continue` token (and how many remain).
DEFAULT_PAGE_SIZE = 100
MAX_PAGE_SIZE = 500


# Kubernetes list options, forwarded as Argo's `listOptions.*` query parameters; paged by default. (A comment,
# not a docstring: a cluster-scoped list takes this model as it is, and a docstring would be its description.)
class ListOptions(ToolInput):
    label_selector: LabelSelector | None = Field(default=None, description="Kubernetes label selector.")
    field_selector: FieldSelector | None = Field(default=None, description="Kubernetes field selector.")
    limit: int = Field(default=DEFAULT_PAGE_SIZE, ge=1, le=MAX_PAGE_SIZE, description="Page size.")
    continue_: str | None = Field(default=None, alias="continue", description="Next page token.")

    def list_options(self) -> dict[str, Any]:
        return {
            "listOptions.labelSelector": self.label_selector,
            "listOptions.fieldSelector": self.field_selector,
            "listOptions.limit": self.limit,
            "listOptions.continue": self.continue_,
        }

    def extra_query(self) -> dict[str, Any]:
        """Query parameters of this list beyond Kubernetes' list options (a kind's own filters)."""
        return {}


# List options of a namespaced list (the namespace first in the schema, then the options). Input models carry
# comments rather than docstrings: a docstring would become the schema's description in every tools/list.
class ListOptionsInput(ListOptions, NamespacedInput):
    pass


class NamedInput(NamespacedInput):
    name: ResourceName = Field(description="Name.")


class NoInput(ToolInput):
    pass
