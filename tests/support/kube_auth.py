"""A kube-apiserver stand-in for the two calls argo-mcp's inbound kubernetes auth makes.

TokenReview answers from a table of tokens (user, audiences), SubjectAccessReview from a set of allowed
(user, verb, resource, namespace); every review is recorded for the tests to inspect.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from aiohttp import web


@dataclass
class FakeKubeAuth:
    """A kube-apiserver stand-in for TokenReview and SubjectAccessReview (the two calls argo-mcp makes)."""

    tokens: dict[str, tuple[str, list[str]]] = field(default_factory=dict)  # token -> (user, audiences)
    allowed: set[tuple[str, str, str, str]] = field(default_factory=set)  # (user, verb, resource, namespace)
    reviews: list[dict[str, Any]] = field(default_factory=list)

    def service_account(self, token: str, user: str, *grants: tuple[str, str, str]) -> str:
        """Makes `token` authenticate as `user` for argo-mcp's audience, allowed each (verb, resource, namespace)
        of `grants` (namespace '' for cluster-wide); returns `user`."""
        self.tokens[token] = (user, ["argo-mcp"])
        self.allowed.update((user, *grant) for grant in grants)
        return user

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/apis/authentication.k8s.io/v1/tokenreviews", self.token_review)
        app.router.add_post("/apis/authorization.k8s.io/v1/subjectaccessreviews", self.access_review)
        return app

    async def token_review(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.reviews.append(body)
        token = body["spec"]["token"]
        wanted = body["spec"].get("audiences") or []
        status: dict[str, Any] = {"authenticated": False, "error": "invalid bearer token"}
        if token in self.tokens:
            user, audiences = self.tokens[token]
            matching = [a for a in wanted if a in audiences]
            if matching:
                status = {
                    "authenticated": True,
                    "user": {"username": user, "uid": "u-1", "groups": ["system:serviceaccounts"]},
                    "audiences": matching,
                }
            else:
                status = {"authenticated": False, "error": "token audiences do not match"}
        return web.json_response(
            {
                "apiVersion": "authentication.k8s.io/v1",
                "kind": "TokenReview",
                "spec": body["spec"],
                "status": status,
            }
        )

    async def access_review(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.reviews.append(body)
        spec = body["spec"]
        attrs = spec["resourceAttributes"]
        key = (spec["user"], attrs["verb"], attrs["resource"], attrs["namespace"])
        allowed = key in self.allowed
        status = {"allowed": allowed, "reason": "" if allowed else "no RBAC policy matched"}
        return web.json_response(
            {
                "apiVersion": "authorization.k8s.io/v1",
                "kind": "SubjectAccessReview",
                "spec": spec,
                "status": status,
            }
        )
