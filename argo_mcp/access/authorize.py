"""Per-call authorization for `--auth-inbound kubernetes`: Kubernetes RBAC decides, per caller, per tool call.

Before a tool acts, a SubjectAccessReview asks whether the validated caller may perform the tool's verb on its
Argo resource in the namespace the registry placed the call in (for an object addressed by UID, the namespace
its lookup revealed). A refusal is a tool error naming the missing permission. (argo-mcp's own identity must hold the permission too, since it is what Argo sees.)
"""

from __future__ import annotations

from argo_mcp.access.caller import Caller
from argo_mcp.access.kubernetes import KubernetesAccess
from argo_mcp.policy import Authorizer, Permission, ToolError
from argo_mcp.policy import Caller as AnyCaller


def rbac_authorizer(access: KubernetesAccess) -> Authorizer:
    async def authorize(permission: Permission, namespace: str, caller: AnyCaller | None) -> None:
        if not isinstance(caller, Caller):
            raise ToolError("refused: this call carries no authenticated caller, so it cannot be authorized")
        allowed, reason = await access.allowed(caller, permission, namespace)
        if not allowed:
            detail = f": {reason}" if reason else ""
            where = f"in namespace {namespace!r}" if namespace else "cluster-wide"
            # A cluster-scoped resource (namespace "") is reviewed, and so must be granted, cluster-wide.
            grant = (
                f"a Role granting '{permission.verb}' on '{permission.resource}' in {namespace!r}"
                if namespace
                else f"a ClusterRole granting '{permission.verb}' on '{permission.resource}'"
            )
            # The pipeline appends what Argo has seen so far (nothing, or only a lookup by UID).
            raise ToolError(
                f"Refused by Kubernetes RBAC: {caller.username} may not {permission.describe()} {where}{detail}. "
                f"Ask a cluster admin for {grant}, bound to that identity."
            )

    return authorize
