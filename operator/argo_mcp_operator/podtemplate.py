"""The server's pod template as one table, read by the operator and generated into the Helm chart.

Security contexts, the port, the probes, the volumes (projected tokens, TLS, the Argo CA, the task key, /tmp) and their mounts
are written once here, as data with a few settings in it. ``resolve`` turns an entry into the objects the
operator applies; ``python -m argo_mcp_operator.chartgen`` writes each entry as a named template of the chart
(``argo-mcp.volumes`` etc. in ``_generated.tpl``), which ``deployment.yaml`` includes. The chart stays a
readable Helm chart (its Deployment is a normal template; only these blocks are included), and a change here
reaches both deployers or fails the check that the generated file is current.

An entry is plain JSON-like data in which two markers may appear:

- ``Setting``: a value read from the spec by the operator and from ``.Values`` by the chart (a Go template
  expression whose ``toJson`` prints the same JSON);
- ``If``: a mapping entry or list item present only when its condition (the ``When`` of ``serverargs``) holds.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from argo_mcp_operator import constants as c
from argo_mcp_operator.serverargs import INBOUND_KUBERNETES, TLS_ON, Target, When
from argo_mcp_operator.spec import SecretKeyRef


@dataclass(frozen=True)
class Setting:
    """A value read two ways: from the spec, and by a chart expression whose ``toJson`` is the same JSON."""

    operator: Callable[[Target], Any]
    chart: str


@dataclass(frozen=True)
class If:
    """A mapping entry or list item that is present only when ``when`` holds."""

    when: When
    value: Any


def tls_secret(target: Target) -> str:
    """Secret of the serving certificate when TLS is on: the named one (secretRef, or cert-manager's if named),
    else ``<name>-tls``."""
    tls = target.spec.tls
    if tls.mode == "secretRef" or (tls.mode == "cert-manager" and tls.secret_name):
        assert tls.secret_name is not None  # enforced by the spec model for secretRef
        return tls.secret_name
    return f"{target.name}-tls"


def _ca_ref(target: Target) -> SecretKeyRef:
    ref = target.spec.argo_server.ca_secret_ref
    assert ref is not None  # only read under ARGO_CA
    return ref


def task_key_secret(target: Target) -> str:
    """Secret of the shared task key: the named one (taskKeySecretRef), else ``<name>-task-key``, which the
    operator and the chart create."""
    ref = target.spec.task_key_secret_ref
    return ref.name if ref is not None else f"{target.name}-task-key"


def task_key_key(target: Target) -> str:
    """The key inside that Secret: the named Secret's (default task.key), else ours, task.key."""
    ref = target.spec.task_key_secret_ref
    return ref.key if ref is not None else c.TASK_KEY_NAME


ARGO_CA = When(lambda t: t.spec.argo_server.ca_secret_ref is not None, ".Values.argoServer.caSecretRef.name")
TOKEN_AUDIENCE = When(lambda t: bool(t.spec.service_account.audience), ".Values.serviceAccount.audience")
CA_KEY = Setting(lambda t: _ca_ref(t).key, ".Values.argoServer.caSecretRef.key")
SCHEME = Setting(
    lambda t: "HTTP" if t.spec.tls.mode == "disabled" else "HTTPS",
    'ternary "HTTP" "HTTPS" (eq .Values.tls.mode "disabled")',
)

# OpenShift's restricted-v2 SCC assigns each namespace a UID range and refuses a pod that names a UID outside
# it, so with `openshift` the pods name no UID, GID or fsGroup (runAsNonRoot still holds: the image's user is
# not root, and OpenShift's UIDs never are).
FIXED_UID = When(lambda t: not t.spec.openshift, "not .Values.openshift")

POD_SECURITY_CONTEXT: dict[str, Any] = {
    "runAsNonRoot": True,
    "runAsUser": If(FIXED_UID, c.RUN_AS_USER),
    "runAsGroup": If(FIXED_UID, c.RUN_AS_USER),
    "fsGroup": If(FIXED_UID, c.RUN_AS_USER),
    "seccompProfile": {"type": "RuntimeDefault"},
}
"""Restricted Pod Security Standard, pod level (also the chart's operator and `helm test` pods)."""

CONTAINER_SECURITY_CONTEXT: dict[str, Any] = {
    "runAsNonRoot": True,
    "runAsUser": If(FIXED_UID, c.RUN_AS_USER),
    "runAsGroup": If(FIXED_UID, c.RUN_AS_USER),
    "readOnlyRootFilesystem": True,
    "allowPrivilegeEscalation": False,
    "capabilities": {"drop": ["ALL"]},
    "seccompProfile": {"type": "RuntimeDefault"},
}
"""Restricted Pod Security Standard, container level."""

PORTS: list[Any] = [
    {
        "name": c.PORT_NAME,
        "containerPort": Setting(lambda t: t.spec.service.port, ".Values.service.port"),
        "protocol": "TCP",
    }
]


def _probe(path: str, period: int) -> dict[str, Any]:
    return {
        "httpGet": {"path": path, "port": c.PORT_NAME, "scheme": SCHEME},
        "periodSeconds": period,
        "timeoutSeconds": 3,
        "failureThreshold": 3,
    }


LIVENESS_PROBE = _probe("/healthz", 10)
READINESS_PROBE = _probe("/readyz", 5)

VOLUMES: list[Any] = [
    # The token the server presents to Argo, for the audience Argo expects; the kubelet rotates it.
    {
        "name": "argo-token",
        "projected": {
            "sources": [
                {
                    "serviceAccountToken": {
                        "path": "token",
                        "expirationSeconds": Setting(
                            lambda t: t.spec.service_account.token_expiration_seconds,
                            ".Values.serviceAccount.tokenExpirationSeconds",
                        ),
                        "audience": If(
                            TOKEN_AUDIENCE,
                            Setting(
                                lambda t: t.spec.service_account.audience, ".Values.serviceAccount.audience"
                            ),
                        ),
                    }
                }
            ]
        },
    },
    # TokenReview and SubjectAccessReview go to the API server with the server's own identity: the credentials
    # automount would give (API-audience token, cluster CA, namespace), mounted only for inbound mode kubernetes.
    If(
        INBOUND_KUBERNETES,
        {
            "name": "kube-api-access",
            "projected": {
                "sources": [
                    {"serviceAccountToken": {"path": "token", "expirationSeconds": 3607}},
                    {
                        "configMap": {
                            "name": "kube-root-ca.crt",
                            "items": [{"key": "ca.crt", "path": "ca.crt"}],
                        }
                    },
                    {
                        "downwardAPI": {
                            "items": [{"path": "namespace", "fieldRef": {"fieldPath": "metadata.namespace"}}]
                        }
                    },
                ]
            },
        },
    ),
    If(
        TLS_ON,
        {
            "name": "tls",
            "secret": {"secretName": Setting(tls_secret, 'include "argo-mcp.tlsSecretName" .')},
        },
    ),
    If(
        ARGO_CA,
        {
            "name": "argo-ca",
            "secret": {
                "secretName": Setting(lambda t: _ca_ref(t).name, ".Values.argoServer.caSecretRef.name"),
                "items": [{"key": CA_KEY, "path": CA_KEY}],
            },
        },
    ),
    # The key every replica shares (--task-key-file), under one file name whatever the Secret's key is.
    {
        "name": "task-key",
        "secret": {
            "secretName": Setting(task_key_secret, 'include "argo-mcp.taskKeySecretName" .'),
            "items": [
                {
                    "key": Setting(task_key_key, 'include "argo-mcp.taskKeySecretKey" .'),
                    "path": c.TASK_KEY_NAME,
                }
            ],
        },
    },
    # Artifact downloads land here (the root filesystem is read-only). The size limit is the chart's
    # tmpSizeLimit; the operator sets none.
    {
        "name": "tmp",
        "emptyDir": Setting(
            lambda t: {},
            'ternary (dict "sizeLimit" .Values.tmpSizeLimit) (dict) (not (empty .Values.tmpSizeLimit))',
        ),
    },
]

VOLUME_MOUNTS: list[Any] = [
    {"name": "argo-token", "mountPath": c.ARGO_TOKEN_DIR, "readOnly": True},
    If(INBOUND_KUBERNETES, {"name": "kube-api-access", "mountPath": c.KUBE_API_TOKEN_DIR, "readOnly": True}),
    If(TLS_ON, {"name": "tls", "mountPath": c.TLS_DIR, "readOnly": True}),
    If(ARGO_CA, {"name": "argo-ca", "mountPath": c.ARGO_CA_DIR, "readOnly": True}),
    {"name": "task-key", "mountPath": c.TASK_KEY_DIR, "readOnly": True},
    {"name": "tmp", "mountPath": "/tmp"},
]

TEMPLATES: dict[str, Any] = {
    "podSecurityContext": POD_SECURITY_CONTEXT,
    "containerSecurityContext": CONTAINER_SECURITY_CONTEXT,
    "ports": PORTS,
    "livenessProbe": LIVENESS_PROBE,
    "readinessProbe": READINESS_PROBE,
    "volumes": VOLUMES,
    "volumeMounts": VOLUME_MOUNTS,
}
"""Each entry's chart template name (``argo-mcp.<key>``) and its table."""


def resolve(node: Any, target: Target) -> Any:
    """The plain objects an entry stands for, for one spec: settings read, absent conditional parts dropped."""
    if isinstance(node, Setting):
        return node.operator(target)
    if isinstance(node, Mapping):
        out: dict[str, Any] = {}
        for key, entry in node.items():
            if isinstance(entry, If) and not entry.when.operator(target):
                continue
            out[key] = resolve(entry.value if isinstance(entry, If) else entry, target)
        return out
    if isinstance(node, Sequence) and not isinstance(node, str):
        items: list[Any] = []
        for entry in node:
            if isinstance(entry, If) and not entry.when.operator(target):
                continue
            items.append(resolve(entry.value if isinstance(entry, If) else entry, target))
        return items
    return node
