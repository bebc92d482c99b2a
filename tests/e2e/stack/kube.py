"""A small synchronous Kubernetes REST client (stdlib only) built from a kubeconfig file.

The harness and the test executor use it; it knows just enough: JSON, server-side apply, TokenRequest.
"""

from __future__ import annotations

import base64
import json
import ssl
import tempfile
import time
import urllib.parse
from collections.abc import Callable, Iterable
from http.client import HTTPResponse, HTTPSConnection
from pathlib import Path
from typing import Any

import yaml

JSON = dict[str, Any]


def status_of(obj: JSON | None) -> JSON:
    """An object's status, {} while it is absent OR null (Argo v4 and fresh CRDs answer `"status": null`)."""
    return (obj or {}).get("status") or {}


def conditions(obj: JSON | None) -> list[JSON]:
    """status.conditions, [] while absent or null (a CRD just applied has `"conditions": null`)."""
    return [c for c in (status_of(obj).get("conditions") or []) if isinstance(c, dict)]


def has_condition(obj: JSON | None, kind: str, status: str = "True") -> bool:
    """Whether the object has condition `kind` with `status` (robust to null fields at every level)."""
    return any(c.get("type") == kind and c.get("status") == status for c in conditions(obj))


class KubeError(RuntimeError):
    def __init__(self, status: int, method: str, path: str, body: str) -> None:
        super().__init__(f"{method} {path} -> {status}: {body[:500]}")
        self.status = status
        self.body = body


def _materialize(data_b64: str | None, path: str | None, tmp: list[str]) -> str | None:
    if path:
        return path
    if data_b64:
        f = tempfile.NamedTemporaryFile(delete=False, prefix="argo-mcp-kube-")  # noqa: SIM115
        f.write(base64.b64decode(data_b64))
        f.close()
        tmp.append(f.name)
        return f.name
    return None


class Kube:
    """REST client for one kubeconfig (current context): client certificates or a bearer token."""

    def __init__(self, kubeconfig: str | Path, token: str | None = None, timeout: float = 30) -> None:
        cfg = yaml.safe_load(Path(kubeconfig).read_text())
        ctx_name = cfg.get("current-context")
        ctx = next(c["context"] for c in cfg["contexts"] if c["name"] == ctx_name)
        cluster = next(c["cluster"] for c in cfg["clusters"] if c["name"] == ctx["cluster"])
        user: JSON = next((u["user"] for u in cfg.get("users", []) if u["name"] == ctx.get("user")), {}) or {}
        url = urllib.parse.urlsplit(cluster["server"])
        self.server = cluster["server"].rstrip("/")
        self.host = url.hostname or "127.0.0.1"
        self.port = url.port or 443
        self.timeout = timeout
        tmp: list[str] = []
        ca = _materialize(cluster.get("certificate-authority-data"), cluster.get("certificate-authority"), [])
        self.ssl = ssl.create_default_context(cafile=ca)
        if cluster.get("insecure-skip-tls-verify"):
            self.ssl.check_hostname = False
            self.ssl.verify_mode = ssl.CERT_NONE
        self.token = token or user.get("token")
        if not token:
            cert = _materialize(user.get("client-certificate-data"), user.get("client-certificate"), tmp)
            key = _materialize(user.get("client-key-data"), user.get("client-key"), tmp)
            if cert and key:
                self.ssl.load_cert_chain(cert, key)
        for name in tmp:
            Path(name).unlink(missing_ok=True)
        self.ca_file = ca
        self._resources: dict[tuple[str, str], tuple[str, bool]] = {}

    # -- raw requests ----------------------------------------------------------------------------------------
    def _conn(self, timeout: float | None = None) -> HTTPSConnection:
        return HTTPSConnection(self.host, self.port, context=self.ssl, timeout=timeout or self.timeout)

    def request(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        params: dict[str, str] | None = None,
        content_type: str = "application/json",
        raw: bool = False,
        timeout: float | None = None,
    ) -> Any:
        if params:
            path = f"{path}?{urllib.parse.urlencode(params)}"
        headers = {"Accept": "application/json"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        data: bytes | None = None
        if body is not None:
            data = body if isinstance(body, bytes) else json.dumps(body).encode()
            headers["Content-Type"] = content_type
        conn = self._conn(timeout)
        try:
            conn.request(method, path, body=data, headers=headers)
            resp = conn.getresponse()
            payload = resp.read()
        finally:
            conn.close()
        if resp.status >= 400:
            raise KubeError(resp.status, method, path, payload.decode(errors="replace"))
        if raw:
            return payload
        return json.loads(payload) if payload else None

    def get(self, path: str, **kw: Any) -> Any:
        return self.request("GET", path, **kw)

    def get_or_none(self, path: str) -> Any:
        try:
            return self.get(path)
        except KubeError as exc:
            if exc.status == 404:
                return None
            raise

    def create(self, path: str, obj: JSON) -> Any:
        return self.request("POST", path, obj)

    def delete(self, path: str, missing_ok: bool = True) -> Any:
        try:
            return self.request("DELETE", path)
        except KubeError as exc:
            if missing_ok and exc.status == 404:
                return None
            raise

    def merge_patch(self, path: str, patch: JSON) -> Any:
        return self.request("PATCH", path, patch, content_type="application/merge-patch+json")

    def apply(self, obj: JSON, field_manager: str = "argo-mcp-e2e") -> Any:
        """Server-side apply of one object (forced), path derived from apiVersion/kind/namespace/name."""
        path = self.object_path(obj)
        return self.request(
            "PATCH",
            path,
            json.dumps(obj).encode(),
            params={"fieldManager": field_manager, "force": "true"},
            content_type="application/apply-patch+yaml",
        )

    def apply_all(self, objs: Iterable[JSON]) -> None:
        for obj in objs:
            if obj:
                self.apply(obj)

    # -- discovery -------------------------------------------------------------------------------------------
    def resource_for(self, api_version: str, kind: str) -> tuple[str, bool]:
        """(plural, namespaced) for a kind, via discovery."""
        key = (api_version, kind)
        if key not in self._resources:
            base = "/api/v1" if api_version == "v1" else f"/apis/{api_version}"
            for r in self.get(base)["resources"]:
                if "/" not in r["name"]:
                    self._resources[(api_version, r["kind"])] = (r["name"], r["namespaced"])
        if key not in self._resources:
            raise KubeError(404, "DISCOVER", f"{api_version}/{kind}", "kind not served")
        return self._resources[key]

    def collection_path(self, api_version: str, kind: str, namespace: str | None = None) -> str:
        plural, namespaced = self.resource_for(api_version, kind)
        base = "/api/v1" if api_version == "v1" else f"/apis/{api_version}"
        if namespaced:
            if not namespace:
                raise ValueError(f"{kind} is namespaced: a namespace is needed")
            return f"{base}/namespaces/{namespace}/{plural}"
        return f"{base}/{plural}"

    def object_path(self, obj: JSON) -> str:
        md = obj["metadata"]
        return f"{self.collection_path(obj['apiVersion'], obj['kind'], md.get('namespace'))}/{md['name']}"

    # -- helpers ---------------------------------------------------------------------------------------------
    def wait_for(
        self, what: str, check: Callable[[], Any], timeout: float = 60, interval: float = 0.5
    ) -> Any:
        deadline = time.monotonic() + timeout
        last: BaseException | None = None
        while time.monotonic() < deadline:
            try:
                result = check()
                if result:
                    return result
                last = None
            except (KubeError, OSError, ssl.SSLError) as exc:
                last = exc
            time.sleep(interval)
        raise TimeoutError(
            f"timed out after {timeout:.0f}s waiting for {what}" + (f": {last}" if last else "")
        )

    def mint_token(
        self, service_account: str, namespace: str, audience: str | None = None, seconds: int = 600
    ) -> str:
        spec: JSON = {"expirationSeconds": seconds}
        if audience:
            spec["audiences"] = [audience]
        resp = self.create(
            f"/api/v1/namespaces/{namespace}/serviceaccounts/{service_account}/token",
            {"apiVersion": "authentication.k8s.io/v1", "kind": "TokenRequest", "spec": spec},
        )
        return str(resp["status"]["token"])

    def stream(self, path: str, params: dict[str, str] | None = None, timeout: float = 60) -> HTTPResponse:
        """Open a streaming GET (the caller reads lines and closes the response)."""
        if params:
            path = f"{path}?{urllib.parse.urlencode(params)}"
        headers = {"Accept": "application/json"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        conn = self._conn(timeout)
        conn.request("GET", path, headers=headers)
        resp = conn.getresponse()
        if resp.status >= 400:
            body = resp.read().decode(errors="replace")
            conn.close()
            raise KubeError(resp.status, "GET", path, body)
        return resp


def kubeconfig_with_token(server: str, ca_file: str | None, token: str, namespace: str, path: Path) -> Path:
    """Write a kubeconfig that authenticates with a bearer token (for Argo's controller and server)."""
    cluster: JSON = {"server": server}
    if ca_file:
        cluster["certificate-authority"] = ca_file
    else:
        cluster["insecure-skip-tls-verify"] = True
    cfg = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": "e2e", "cluster": cluster}],
        "users": [{"name": "sa", "user": {"token": token}}],
        "contexts": [{"name": "e2e", "context": {"cluster": "e2e", "user": "sa", "namespace": namespace}}],
        "current-context": "e2e",
    }
    path.write_text(yaml.safe_dump(cfg))
    path.chmod(0o600)
    return path


def load_yaml_docs(path: Path, namespace: str | None = None) -> list[JSON]:
    docs = [d for d in yaml.safe_load_all(path.read_text()) if d]
    if namespace:
        for d in docs:
            if d.get("kind") not in {
                "ClusterRole",
                "ClusterRoleBinding",
                "CustomResourceDefinition",
                "PriorityClass",
                "Namespace",
            }:
                d.setdefault("metadata", {})["namespace"] = namespace
            for s in d.get("subjects", []) or []:
                if s.get("kind") == "ServiceAccount":
                    s["namespace"] = namespace
    return docs
