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
- ``If``: a mapping entry or list item present only when its condition (the ``When`` of ``serverargs``) holds;
- ``Each``: list items repeated for each target of ``spec.targets`` (the chart: ``range $t := .Values.targets``),
  in which ``Of`` reads a value of the target and ``Where`` keeps an item only for the targets it applies to.
  Inside ``Each`` a chart expression reads the target as ``$t`` and the values as ``$.Values``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from argo_mcp.settings import AuthMode
from argo_mcp_operator import constants as c
from argo_mcp_operator.serverargs import INBOUND_KUBERNETES, TLS_ON, Target, When
from argo_mcp_operator.spec import SecretKeyRef, TargetSpec


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


@dataclass(frozen=True)
class Of:
    """A value of one target (inside ``Each``): from its spec, and by a chart expression over ``$t``."""

    operator: Callable[[TargetSpec], Any]
    chart: str


@dataclass(frozen=True)
class Where:
    """An item (or mapping entry) inside ``Each`` present only for the targets ``operator`` holds for; ``chart``
    is the same condition over ``$t``."""

    operator: Callable[[TargetSpec], bool]
    chart: str
    value: Any


@dataclass(frozen=True)
class Each:
    """The items ``values`` (each maybe a ``Where``) repeated for every target of the spec, in order."""

    values: tuple[Any, ...]


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

# Reading a target in the chart: `dig` gives a field's default when the values leave it (or its parent) out.
_T_NAME = Of(lambda t: t.name, "$t.name")
_T_MODE = '(dig "auth" "mode" "k8s-service-account" $t)'
_T_AUDIENCE = '(dig "auth" "audience" "" $t)'
_T_TOKEN_NAME = '(dig "auth" "tokenSecretRef" "name" "" $t)'
_T_TOKEN_KEY = '(dig "auth" "tokenSecretRef" "key" "token" $t)'
_T_CA_NAME = '(dig "argoServer" "caSecretRef" "name" "" $t)'
_T_CA_KEY = '(dig "argoServer" "caSecretRef" "key" "ca.crt" $t)'


def _projected(t: TargetSpec) -> bool:
    return t.auth.mode is AuthMode.K8S_SERVICE_ACCOUNT and t.auth.audience is not None


def _bearer_file(t: TargetSpec) -> bool:
    return t.auth.mode is AuthMode.BEARER_FILE


def _token_ref(t: TargetSpec) -> SecretKeyRef:
    assert t.auth.token_secret_ref is not None  # enforced by the spec model for bearer and bearer-file
    return t.auth.token_secret_ref


def _target_ca(t: TargetSpec) -> SecretKeyRef:
    assert t.argo_server.ca_secret_ref is not None  # only read under TARGET_CA
    return t.argo_server.ca_secret_ref


def token_env(name: str) -> str:
    """bearer: the environment variable that holds a target's token (the targets file's auth.tokenEnv)."""
    return c.TARGET_TOKEN_ENV.format(name.upper().replace("-", "_"))


def target_token_file(t: TargetSpec) -> str:
    """Where the server reads a target's token: its own mount (a projected token for its audience, or its
    bearer-file Secret), else the server's Argo token (k8s-service-account without an audience)."""
    if _projected(t) or _bearer_file(t):
        return f"{c.TARGET_TOKEN_ROOT}/{t.name}/token"
    return c.ARGO_TOKEN_FILE


PROJECTED = f'and (eq {_T_MODE} "k8s-service-account") (ne {_T_AUDIENCE} "")'
BEARER_FILE = f'eq {_T_MODE} "bearer-file"'
BEARER = f'eq {_T_MODE} "bearer"'
TARGET_CA = _T_CA_NAME
TARGETS = When(lambda t: bool(t.spec.targets), ".Values.targets")
TOKEN_VOLUME_NAME = Of(lambda t: f"target-{t.name}-token", 'printf "target-%s-token" $t.name')
CA_VOLUME_NAME = Of(lambda t: f"target-{t.name}-ca", 'printf "target-%s-ca" $t.name')

TARGET_VOLUMES: list[Any] = [
    # The targets file, re-read by the server when the kubelet updates the mounted ConfigMap.
    If(
        TARGETS,
        {
            "name": "targets",
            "configMap": {
                "name": Setting(
                    lambda t: f"{t.name}-targets", 'printf "%s-targets" (include "argo-mcp.fullname" .)'
                )
            },
        },
    ),
    Each(
        (
            # k8s-service-account with an audience: a token of the server's ServiceAccount for that audience.
            Where(
                _projected,
                PROJECTED,
                {
                    "name": TOKEN_VOLUME_NAME,
                    "projected": {
                        "sources": [
                            {
                                "serviceAccountToken": {
                                    "path": "token",
                                    "audience": Of(lambda t: t.auth.audience, _T_AUDIENCE),
                                    "expirationSeconds": Setting(
                                        lambda t: t.spec.service_account.token_expiration_seconds,
                                        "$.Values.serviceAccount.tokenExpirationSeconds",
                                    ),
                                }
                            }
                        ]
                    },
                },
            ),
            # bearer-file: the Secret's key as the file `token`; the kubelet updates it when the Secret changes.
            Where(
                _bearer_file,
                BEARER_FILE,
                {
                    "name": TOKEN_VOLUME_NAME,
                    "secret": {
                        "secretName": Of(lambda t: _token_ref(t).name, _T_TOKEN_NAME),
                        "items": [{"key": Of(lambda t: _token_ref(t).key, _T_TOKEN_KEY), "path": "token"}],
                    },
                },
            ),
            Where(
                lambda t: t.argo_server.ca_secret_ref is not None,
                TARGET_CA,
                {
                    "name": CA_VOLUME_NAME,
                    "secret": {
                        "secretName": Of(lambda t: _target_ca(t).name, _T_CA_NAME),
                        "items": [
                            {
                                "key": Of(lambda t: _target_ca(t).key, _T_CA_KEY),
                                "path": Of(lambda t: _target_ca(t).key, _T_CA_KEY),
                            }
                        ],
                    },
                },
            ),
        )
    ),
]

TARGET_VOLUME_MOUNTS: list[Any] = [
    If(TARGETS, {"name": "targets", "mountPath": c.TARGETS_FILE_DIR, "readOnly": True}),
    Each(
        (
            Where(
                lambda t: _projected(t) or _bearer_file(t),
                f"or ({PROJECTED}) ({BEARER_FILE})",
                {
                    "name": TOKEN_VOLUME_NAME,
                    "mountPath": Of(
                        lambda t: f"{c.TARGET_TOKEN_ROOT}/{t.name}",
                        f'printf "{c.TARGET_TOKEN_ROOT}/%s" $t.name',
                    ),
                    "readOnly": True,
                },
            ),
            Where(
                lambda t: t.argo_server.ca_secret_ref is not None,
                TARGET_CA,
                {
                    "name": CA_VOLUME_NAME,
                    "mountPath": Of(
                        lambda t: f"{c.TARGET_CA_ROOT}/{t.name}/ca",
                        f'printf "{c.TARGET_CA_ROOT}/%s/ca" $t.name',
                    ),
                    "readOnly": True,
                },
            ),
        )
    ),
]

ENV: list[Any] = [
    # bearer: the token from the Secret, in the variable the targets file names (auth.tokenEnv).
    Each(
        (
            Where(
                lambda t: t.auth.mode is AuthMode.BEARER,
                BEARER,
                {
                    "name": Of(
                        lambda t: token_env(t.name),
                        'printf "'
                        + c.TARGET_TOKEN_ENV.format("%s")
                        + '" ($t.name | upper | replace "-" "_")',
                    ),
                    "valueFrom": {
                        "secretKeyRef": {
                            "name": Of(lambda t: _token_ref(t).name, _T_TOKEN_NAME),
                            "key": Of(lambda t: _token_ref(t).key, _T_TOKEN_KEY),
                        }
                    },
                },
            ),
        )
    ),
]

TARGETS_FILE: dict[str, Any] = {
    # The targets file (--targets-file) in the server's own names, with each target's Secrets and tokens
    # turned into the paths and variables the pod has them at. Inside ConfigMap <name>-targets.
    "defaultTarget": If(
        When(lambda t: t.spec.default_target is not None, ".Values.defaultTarget"),
        Setting(lambda t: t.spec.default_target, ".Values.defaultTarget"),
    ),
    "oidcGroups": If(
        When(lambda t: bool(t.spec.oidc_groups), ".Values.oidcGroups"),
        Setting(lambda t: t.spec.oidc_groups, ".Values.oidcGroups"),
    ),
    "targets": [
        Each(
            (
                {
                    "name": _T_NAME,
                    "argoServer": {
                        "url": Of(lambda t: t.argo_server.url, "$t.argoServer.url"),
                        "caFile": Where(
                            lambda t: t.argo_server.ca_secret_ref is not None,
                            TARGET_CA,
                            Of(
                                lambda t: f"{c.TARGET_CA_ROOT}/{t.name}/ca/{_target_ca(t).key}",
                                f'printf "{c.TARGET_CA_ROOT}/%s/ca/%s" $t.name {_T_CA_KEY}',
                            ),
                        ),
                        "insecureSkipTLSVerify": Where(
                            lambda t: t.argo_server.insecure_skip_tls_verify,
                            'dig "argoServer" "insecureSkipTLSVerify" false $t',
                            True,
                        ),
                    },
                    "auth": {
                        "mode": Of(lambda t: t.auth.mode.value, _T_MODE),
                        "audience": Where(_projected, PROJECTED, Of(lambda t: t.auth.audience, _T_AUDIENCE)),
                        "tokenFile": Where(
                            lambda t: t.auth.mode in (AuthMode.K8S_SERVICE_ACCOUNT, AuthMode.BEARER_FILE),
                            f'or (eq {_T_MODE} "k8s-service-account") ({BEARER_FILE})',
                            Of(
                                target_token_file,
                                f'ternary (printf "{c.TARGET_TOKEN_ROOT}/%s/token" $t.name) '
                                f'"{c.ARGO_TOKEN_FILE}" (or ({PROJECTED}) ({BEARER_FILE}))',
                            ),
                        ),
                        "tokenEnv": Where(
                            lambda t: t.auth.mode is AuthMode.BEARER,
                            BEARER,
                            Of(
                                lambda t: token_env(t.name),
                                'printf "'
                                + c.TARGET_TOKEN_ENV.format("%s")
                                + '" ($t.name | upper | replace "-" "_")',
                            ),
                        ),
                    },
                    "namespaces": Where(
                        lambda t: bool(t.namespaces),
                        "$t.namespaces",
                        Of(lambda t: t.namespaces, "$t.namespaces"),
                    ),
                    "defaultNamespace": Where(
                        lambda t: t.default_namespace is not None,
                        "$t.defaultNamespace",
                        Of(lambda t: t.default_namespace, "$t.defaultNamespace"),
                    ),
                    "mode": Where(lambda t: t.mode is not None, "$t.mode", Of(lambda t: t.mode, "$t.mode")),
                    "toolsets": Where(
                        lambda t: bool(t.toolsets),
                        "$t.toolsets",
                        Of(lambda t: [g.value for g in t.toolsets or ()], "$t.toolsets"),
                    ),
                    "confirmDestructive": Where(
                        lambda t: t.confirm_destructive is not None,
                        'hasKey $t "confirmDestructive"',
                        Of(lambda t: t.confirm_destructive, "$t.confirmDestructive"),
                    ),
                },
            )
        )
    ],
}

TEMPLATES: dict[str, Any] = {
    "podSecurityContext": POD_SECURITY_CONTEXT,
    "containerSecurityContext": CONTAINER_SECURITY_CONTEXT,
    "ports": PORTS,
    "livenessProbe": LIVENESS_PROBE,
    "readinessProbe": READINESS_PROBE,
    "volumes": VOLUMES,
    "volumeMounts": VOLUME_MOUNTS,
    "targetVolumes": TARGET_VOLUMES,
    "targetVolumeMounts": TARGET_VOLUME_MOUNTS,
    "targetEnv": ENV,
    "targetsFile": TARGETS_FILE,
}
"""Each entry's chart template name (``argo-mcp.<key>``) and its table."""


def resolve(node: Any, target: Target, item: TargetSpec | None = None) -> Any:
    """The plain objects an entry stands for, for one spec: settings read, absent conditional parts dropped;
    ``Each`` repeated over the spec's targets (``item`` is the one being rendered)."""
    if isinstance(node, Setting):
        return node.operator(target)
    if isinstance(node, Of):
        assert item is not None, "Of outside Each"
        return node.operator(item)
    if isinstance(node, Mapping):
        out: dict[str, Any] = {}
        for key, entry in node.items():
            kept = _kept(entry, target, item)
            if kept is not _ABSENT:
                out[key] = resolve(kept, target, item)
        return out
    if isinstance(node, Sequence) and not isinstance(node, str):
        items: list[Any] = []
        for entry in node:
            if isinstance(entry, Each):
                for spec in target.spec.targets or ():
                    for value in entry.values:
                        kept = _kept(value, target, spec)
                        if kept is not _ABSENT:
                            items.append(resolve(kept, target, spec))
                continue
            kept = _kept(entry, target, item)
            if kept is not _ABSENT:
                items.append(resolve(kept, target, item))
        return items
    return node


_ABSENT = object()


def _kept(entry: Any, target: Target, item: TargetSpec | None) -> Any:
    """The entry's value, or _ABSENT when its ``If`` or ``Where`` does not hold."""
    if isinstance(entry, If):
        return entry.value if entry.when.operator(target) else _ABSENT
    if isinstance(entry, Where):
        assert item is not None, "Where outside Each"
        return entry.value if entry.operator(item) else _ABSENT
    return entry
