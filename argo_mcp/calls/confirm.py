"""--confirm-destructive: the client's user confirms a destructive call before anything is sent to Argo.

The pipeline asks only once the call's arguments parsed and its namespace passed the allow-list and the caller's
check, so a call that would be refused is never put to the user.

The question is asked through elicitation, in whichever form the connection's protocol has:

- 2026-07-28 (`server/discover` clients, the HTTP default): the call first answers an `input_required` result
  carrying one `elicitation/create` form; the client asks its user and retries the same call with the answer in
  `inputResponses`. This needs no session and no back-channel, so it works on stateless HTTP behind any
  replica. `requestState` is sealed (sealing.py: an HMAC with the key every replica shares, `--task-key-file`)
  over the tool, its arguments and the caller, and expires after five minutes: an answer given for other
  arguments, by another caller, forged by a client that was never asked, or replayed later asks again.
- 2025-11-25 and older (handshake clients): a standalone `elicitation/create` request mid-call. That needs a
  channel from server to client: stdio has one; stateless HTTP has none (the client's reply would land on
  another request, and the handshake's capabilities are not kept either), so there the call is refused,
  nothing sent, with a message naming what works.

A client that has not declared elicitation gets the spec's missing-client-capability error (-32021; HTTP 400
on streamable HTTP), and a declined or cancelled confirmation is a tool error; neither sends anything to Argo.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import mcp_types as types
import orjson
from mcp.server.context import ServerRequestContext
from mcp.shared.exceptions import MCPError
from mcp_types.version import is_version_at_least
from pydantic import BaseModel

from argo_mcp.calls.audit import audit_target
from argo_mcp.calls.render import error_result
from argo_mcp.calls.requests import caller_of
from argo_mcp.policy import ScopeKind
from argo_mcp.sealing import Sealer
from argo_mcp.tools.registry import Tool

INPUT_KEY = "confirm"
_STATE_PREFIX = "argo-mcp/confirm/v2:"
CONFIRM_SECONDS = 300
"""How long a question's answer may take: a user answers within minutes; a recorded answer expires."""
_ARGUMENTS_SHOWN = 600
SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "confirm": {
            "type": "boolean",
            "title": "Run it",
            "description": "True runs the call; it cannot be undone.",
            "default": False,
        }
    },
    "required": ["confirm"],
}


@dataclass(frozen=True)
class Proceed:
    """The user confirmed: run the call."""


Outcome = Proceed | types.CallToolResult | types.InputRequiredResult


def question(tool: Tool[Any], arguments: Mapping[str, Any] | None, parsed: Any, namespace: str) -> str:
    """What the user is asked: the tool, what it acts on and where (the namespace the call was placed in, which
    has passed the allow-list and the caller's check), and the exact arguments."""
    target = audit_target(parsed)
    shown = orjson.dumps(dict(arguments or {}), option=orjson.OPT_SORT_KEYS, default=str).decode()
    if len(shown) > _ARGUMENTS_SHOWN:
        shown = shown[:_ARGUMENTS_SHOWN] + "…"
    subject = f" on {target}" if target else ""
    return (
        f"Confirm {tool.name} ({tool.title}){subject}{_where(tool, namespace)}? It is "
        f"destructive and cannot be undone. Arguments: {shown}"
    )


def _where(tool: Tool[Any], namespace: str) -> str:
    if tool.scope.kind is ScopeKind.CLUSTER:
        return " (cluster-wide)"
    return f" in namespace {namespace}" if tool.scope.namespaced and namespace else ""


def _subject(tool: Tool[Any], arguments: Mapping[str, Any] | None, caller: str) -> bytes:
    """What a confirmation stands for: this tool, these exact arguments, this caller."""
    return orjson.dumps(
        {"tool": tool.name, "arguments": dict(arguments or {}), "caller": caller},
        option=orjson.OPT_SORT_KEYS,
        default=str,
    )


def state_for(sealer: Sealer, tool: Tool[Any], arguments: Mapping[str, Any] | None, caller: str) -> str:
    """The sealed `requestState` of a question: only argo-mcp (any replica sharing the key) can make one, and it
    expires after CONFIRM_SECONDS, so a confirmation is one the server asked for, recently, of this caller."""
    return _STATE_PREFIX + sealer.seal("confirm", _subject(tool, arguments, caller), CONFIRM_SECONDS)


def _answered(sealer: Sealer, tool: Tool[Any], params: types.CallToolRequestParams, caller: str) -> bool:
    state = params.request_state or ""
    return state.startswith(_STATE_PREFIX) and sealer.opens(
        "confirm", _subject(tool, params.arguments, caller), state.removeprefix(_STATE_PREFIX)
    )


def missing_capability() -> MCPError:
    required = types.ClientCapabilities(
        elicitation=types.ElicitationCapability(form=types.FormElicitationCapability())
    )
    data = types.MissingRequiredClientCapabilityErrorData(required_capabilities=required)
    return MCPError(
        code=types.MISSING_REQUIRED_CLIENT_CAPABILITY,
        message=(
            "This server confirms destructive tools with the user (--confirm-destructive), which needs the "
            "client's form elicitation capability; the client did not declare it, so nothing was sent to Argo"
        ),
        data=data.model_dump(by_alias=True, mode="json", exclude_none=True),
    )


def _declares_form_elicitation(capabilities: types.ClientCapabilities | None) -> bool:
    elicitation = capabilities.elicitation if capabilities is not None else None
    # A bare `elicitation: {}` (before modes existed) means form; url-only does not.
    return elicitation is not None and (elicitation.form is not None or elicitation.url is None)


def declined(tool: Tool[Any], action: str) -> types.CallToolResult:
    verb = {"decline": "declined", "cancel": "cancelled"}.get(action, "did not confirm")
    return error_result(
        f"The user {verb} {tool.name}, so nothing was sent to Argo; call it again only if the user asks for it"
    )


def _answer(raw: Any) -> tuple[str, bool]:
    """(action, confirmed) from an elicitation answer, typed or as sent."""
    value = raw.model_dump(mode="json") if isinstance(raw, BaseModel) else raw
    if not isinstance(value, Mapping):
        return "invalid", False
    action = str(value.get("action", "invalid"))
    content = value.get("content")
    confirmed = isinstance(content, Mapping) and content.get(INPUT_KEY) is True
    return action, action == "accept" and confirmed


async def confirm(
    ctx: ServerRequestContext[Any, Any],
    tool: Tool[Any],
    params: types.CallToolRequestParams,
    parsed: Any,
    namespace: str,
    sealer: Sealer,
) -> Outcome:
    """Ask (or read the answer to) the confirmation of one destructive call whose arguments parsed and which
    passed placement and the caller's check (a call that would be refused is never put to the user)."""
    session = ctx.session
    modern = is_version_at_least(ctx.protocol_version, "2026-07-28")
    if not modern and not session.can_send_request:
        # Stateless HTTP keeps nothing of a handshake client's initialize, not even its capabilities, and
        # has no channel for the question: say what works instead.
        return error_result(
            f"{tool.name} needs the user's confirmation (--confirm-destructive), and a 2025-11-25 client can only "
            "be asked over a connection that carries server requests: stateless HTTP does not. Nothing was sent "
            "to Argo; connect with a 2026-07-28 client (server/discover) or over stdio"
        )
    if not _declares_form_elicitation(session.client_capabilities):
        raise missing_capability()
    message = question(tool, params.arguments, parsed, namespace)
    if modern:
        caller = getattr(caller_of(ctx), "username", "")
        responses = params.input_responses or {}
        if INPUT_KEY in responses and _answered(sealer, tool, params, caller):
            action, confirmed = _answer(responses[INPUT_KEY])
            return Proceed() if confirmed else declined(tool, action)
        state = state_for(sealer, tool, params.arguments, caller)
        ask = types.ElicitRequest(
            params=types.ElicitRequestFormParams(message=message, requested_schema=SCHEMA)
        )
        return types.InputRequiredResult(input_requests={INPUT_KEY: ask}, request_state=state)
    try:
        result = await session.elicit_form(message, SCHEMA, related_request_id=ctx.request_id)
    except MCPError as exc:
        return error_result(
            f"{tool.name} was not confirmed: the client answered the confirmation with an error ({exc}), so "
            "nothing was sent to Argo"
        )
    action, confirmed = _answer(result)
    return Proceed() if confirmed else declined(tool, action)
