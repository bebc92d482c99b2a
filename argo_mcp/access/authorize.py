"""Per-call authorization for `--auth-inbound kubernetes`: Kubernetes RBAC decides, per caller, per tool call.

Before a tool reaches Argo, a SubjectAccessReview asks whether the validated caller may perform the tool's verb
on its Argo resource in the target namespace. A refusal is a tool error naming the missing permission; Argo is
never called. (argo-mcp's own identity must hold the permission too, since it is what Argo sees.)
"""

from __future__ import annotations

from typing import Any

from argo_mcp.access.caller import Caller
from argo_mcp.access.kubernetes import KubernetesAccess
from argo_mcp.tools.registry import Authorizer, Tool, ToolError


def rbac_authorizer(access: KubernetesAccess) -> Authorizer:
    async def authorize(tool: Tool[Any], namespace: str, caller: Any) -> None:
        permission = tool.permission
        if permission is None:
            return
        if not isinstance(caller, Caller):
            raise ToolError("refused: this call carries no authenticated caller, so it cannot be authorized")
        allowed, reason = await access.allowed(caller, permission, namespace)
        if not allowed:
            detail = f": {reason}" if reason else ""
            if not namespace:  # a cluster-scoped resource: reviewed (and granted) cluster-wide
                raise ToolError(
                    f"Refused by Kubernetes RBAC: {caller.username} may not {permission.describe()} "
                    f"cluster-wide{detail}. Nothing was sent to Argo. Ask a cluster admin for a ClusterRole "
                    f"granting '{permission.verb}' on '{permission.resource}', bound to that identity."
                )
            raise ToolError(
                f"Refused by Kubernetes RBAC: {caller.username} may not {permission.describe()} in namespace "
                f"{namespace!r}{detail}. Nothing was sent to Argo. Ask a cluster admin for a Role granting "
                f"'{permission.verb}' on '{permission.resource}' in {namespace!r}, bound to that identity."
            )

    return authorize
