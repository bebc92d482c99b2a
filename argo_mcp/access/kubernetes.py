"""`--auth-inbound kubernetes`: callers are Kubernetes identities, checked by the API server itself.

TokenReview validates the caller's token for argo-mcp's audience (so a token minted for anything else, such as
the API server, is rejected); SubjectAccessReview asks, for every tool call, whether that caller may perform the
Kubernetes verb on the Argo resource the tool touches. argo-mcp never forwards the caller's token anywhere.
Credentials for these two calls are argo-mcp's own: in-cluster service account, or a kubeconfig out of cluster.
"""

from __future__ import annotations

import os
from typing import Any

from argo_mcp.access.caller import Caller, InvalidToken
from argo_mcp.policy import Permission


class KubernetesAccess:
    def __init__(self, *, audience: str, kubeconfig: str | None = None) -> None:
        self.audience = audience
        self.kubeconfig = kubeconfig
        self._api: Any = None

    async def _client(self) -> Any:
        if self._api is None:
            from kubernetes_asyncio import client, config  # noqa: PLC0415 - only this mode needs the client

            if self.kubeconfig is None and os.environ.get("KUBERNETES_SERVICE_HOST"):
                config.load_incluster_config()  # type: ignore[no-untyped-call]
                self._api = client.ApiClient()
            else:
                configuration = client.Configuration()
                await config.load_kube_config(config_file=self.kubeconfig, client_configuration=configuration)
                self._api = client.ApiClient(configuration)
        return self._api

    async def close(self) -> None:
        if self._api is not None:
            await self._api.close()
            self._api = None

    def authorization_servers(self) -> list[str]:
        return []

    async def verify(self, token: str) -> Caller:
        from kubernetes_asyncio import client  # noqa: PLC0415

        api = client.AuthenticationV1Api(await self._client())
        review = client.V1TokenReview(
            api_version="authentication.k8s.io/v1",
            kind="TokenReview",
            spec=client.V1TokenReviewSpec(token=token, audiences=[self.audience]),
        )
        try:
            answer = await api.create_token_review(review)
        except client.ApiException as exc:
            raise InvalidToken(f"the Kubernetes TokenReview failed ({exc.status} {exc.reason})") from None
        status = answer.status
        if not status or not status.authenticated:
            reason = (status.error if status else None) or "not authenticated"
            raise InvalidToken(f"token rejected by Kubernetes: {reason}")
        if self.audience not in (status.audiences or []):
            raise InvalidToken(f"token is not for audience {self.audience!r}")
        user = status.user
        return Caller(
            username=user.username or "",
            uid=user.uid or "",
            groups=tuple(user.groups or ()),
            extra={k: list(v) for k, v in (user.extra or {}).items()},
        )

    async def allowed(self, caller: Caller, permission: Permission, namespace: str) -> tuple[bool, str]:
        from kubernetes_asyncio import client  # noqa: PLC0415

        api = client.AuthorizationV1Api(await self._client())
        review = client.V1SubjectAccessReview(
            api_version="authorization.k8s.io/v1",
            kind="SubjectAccessReview",
            spec=client.V1SubjectAccessReviewSpec(
                user=caller.username,
                uid=caller.uid or None,
                groups=list(caller.groups) or None,
                extra=caller.extra or None,
                resource_attributes=client.V1ResourceAttributes(
                    namespace=namespace,
                    verb=permission.verb,
                    group=permission.group,
                    resource=permission.resource,
                    subresource=permission.subresource,
                    name=permission.name,
                ),
            ),
        )
        answer = await api.create_subject_access_review(review)
        return bool(answer.status.allowed), answer.status.reason or ""
