"""Render an ``ArgoMCPServer`` into the Kubernetes objects that make up its endpoint; pure, no cluster access.

The handlers apply exactly what this returns, so everything the operator creates is unit-tested from a spec.
The Helm chart renders the same objects for the same settings.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import yaml

from argo_mcp_operator import constants as c
from argo_mcp_operator import podtemplate as pt
from argo_mcp_operator.podtemplate import resolve
from argo_mcp_operator.rbac import cluster_workflow_template_rules, namespace_rules, target_use_rules
from argo_mcp_operator.serverargs import Target, server_args
from argo_mcp_operator.spec import ArgoMCPServerSpec
from argo_mcp_operator.tls import ServingCert, service_dns_names

Obj = dict[str, Any]


@dataclass(frozen=True)
class Owner:
    """What the renderer needs to know about the custom resource itself."""

    name: str
    namespace: str
    uid: str

    @classmethod
    def of(cls, cr: Mapping[str, Any]) -> Owner:
        meta = cr["metadata"]
        return cls(name=meta["name"], namespace=meta["namespace"], uid=meta.get("uid", ""))

    def reference(self) -> Obj:
        return {
            "apiVersion": c.API_VERSION,
            "kind": c.KIND,
            "name": self.name,
            "uid": self.uid,
            "controller": True,
            "blockOwnerDeletion": True,
        }


def selector_labels(name: str) -> dict[str, str]:
    """The labels the Deployment and the Service select pods by (immutable once applied)."""
    return {c.LABEL_NAME: c.APP_NAME, c.LABEL_INSTANCE: name}


def labels(owner: Owner) -> dict[str, str]:
    """Labels on every child: the recommended ones plus the owner's coordinates, used to find them again."""
    return {
        **selector_labels(owner.name),
        c.LABEL_MANAGED_BY: c.MANAGED_BY,
        c.LABEL_COMPONENT: c.COMPONENT,
        c.LABEL_OWNER_NAME: owner.name,
        c.LABEL_OWNER_NAMESPACE: owner.namespace,
    }


def _meta(owner: Owner, name: str, namespace: str | None) -> Obj:
    """Metadata of a child; only objects in the owner's own namespace can carry an owner reference."""
    meta: Obj = {"name": name, "labels": labels(owner)}
    if namespace is not None:
        meta["namespace"] = namespace
    if namespace == owner.namespace and owner.uid:
        meta["ownerReferences"] = [owner.reference()]
    return meta


def endpoint(owner: Owner, spec: ArgoMCPServerSpec) -> str:
    """The in-cluster URL of the MCP endpoint, as reported in status."""
    scheme = "http" if spec.tls.mode == "disabled" else "https"
    return f"{scheme}://{owner.name}.{owner.namespace}.svc:{spec.service.port}/mcp"


def tls_secret_name(owner: Owner, spec: ArgoMCPServerSpec) -> str | None:
    """The Secret the server's certificate is read from, or None when TLS is disabled."""
    if spec.tls.mode == "disabled":
        return None
    return pt.tls_secret(Target(spec, owner.namespace, owner.name))


def _service_account(owner: Owner) -> Obj:
    return {
        "apiVersion": "v1",
        "kind": "ServiceAccount",
        "metadata": _meta(owner, owner.name, owner.namespace),
        # The pod gets exactly the tokens it needs through projected volumes, never the legacy automount.
        "automountServiceAccountToken": False,
    }


def _subject(owner: Owner) -> Obj:
    return {"kind": "ServiceAccount", "name": owner.name, "namespace": owner.namespace}


def _namespace_rbac(owner: Owner, spec: ArgoMCPServerSpec) -> list[Obj]:
    objects: list[Obj] = []
    rules = namespace_rules(spec.mode, spec.artifact_repository_secrets)
    for namespace in spec.target_namespaces(owner.namespace):
        objects.append(
            {
                "apiVersion": "rbac.authorization.k8s.io/v1",
                "kind": "Role",
                "metadata": _meta(owner, owner.name, namespace),
                "rules": rules,
            }
        )
        objects.append(
            {
                "apiVersion": "rbac.authorization.k8s.io/v1",
                "kind": "RoleBinding",
                "metadata": _meta(owner, owner.name, namespace),
                "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": owner.name},
                "subjects": [_subject(owner)],
            }
        )
    return objects


def cluster_scoped_name(owner: Owner, suffix: str) -> str:
    """``<namespace>-<name>-<suffix>``; past 63 characters its first 54 and 8 hex digits of its SHA-256, so long
    names stay unique per server and suffix. The chart's ``argo-mcp.clusterScopedName`` computes the same."""
    full = f"{owner.namespace}-{owner.name}-{suffix}"
    if len(full) <= 63:
        return full
    return f"{full[:54].removesuffix('-')}-{hashlib.sha256(full.encode()).hexdigest()[:8]}"


def _cluster_role_binding(owner: Owner, suffix: str, cluster_role: str) -> Obj:
    return {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "ClusterRoleBinding",
        "metadata": _meta(owner, cluster_scoped_name(owner, suffix), None),
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": cluster_role},
        "subjects": [_subject(owner)],
    }


def cwt_reader_name(owner: Owner) -> str:
    """The ClusterRole that lets this server read ClusterWorkflowTemplates (one per server, like the chart's)."""
    return cluster_scoped_name(owner, "cwt-reader")


def _cwt_reader_cluster_role(owner: Owner) -> Obj:
    """Per server, so that no two servers (or Helm releases) share, adopt or delete one another's role."""
    return {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "ClusterRole",
        "metadata": _meta(owner, cwt_reader_name(owner), None),
        "rules": cluster_workflow_template_rules(),
    }


def target_role_name(owner: Owner, target: str) -> str:
    """The ClusterRole granting `use` on one target, for operators to bind callers to."""
    return cluster_scoped_name(owner, f"target-{target}")


def _target_cluster_roles(owner: Owner, spec: ArgoMCPServerSpec) -> list[Obj]:
    """One ClusterRole per target (verb use on targets.argo-mcp.io named after it): a RoleBinding or
    ClusterRoleBinding to it lets a caller use that target; nothing binds it by itself."""
    roles: list[Obj] = []
    for target in spec.targets or ():
        meta = _meta(owner, target_role_name(owner, target.name), None)
        meta["labels"][c.LABEL_TARGET] = target.name
        roles.append(
            {
                "apiVersion": "rbac.authorization.k8s.io/v1",
                "kind": "ClusterRole",
                "metadata": meta,
                "rules": target_use_rules(target.name),
            }
        )
    return roles


def targets_config_map_name(owner: Owner) -> str:
    return f"{owner.name}-targets"


def targets_file(owner: Owner, spec: ArgoMCPServerSpec) -> str:
    """The targets file the server reads (--targets-file), from podtemplate's table like the chart's."""
    content = resolve(pt.TARGETS_FILE, Target(spec, owner.namespace, owner.name))
    return yaml.safe_dump(content, sort_keys=False, width=120)


def _targets_config_map(owner: Owner, spec: ArgoMCPServerSpec) -> Obj:
    """Mounted as a directory, so a change reaches the running pods in place (no rollout)."""
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": _meta(owner, targets_config_map_name(owner), owner.namespace),
        "data": {c.TARGETS_FILE_NAME: targets_file(owner, spec)},
    }


def _tls_secret(owner: Owner, cert: ServingCert) -> Obj:
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": _meta(owner, f"{owner.name}-tls", owner.namespace),
        "type": "kubernetes.io/tls",
        "data": cert.secret_data(),
    }


def task_key_secret_name(owner: Owner) -> str:
    """The Secret the operator makes for the shared task key when the spec names none."""
    return f"{owner.name}-task-key"


def _task_key_secret(owner: Owner, task_key: str) -> Obj:
    """``task_key`` is the Secret's base64 ``data`` value, made once by the reconciler and then always the one
    it finds: applying this object again never changes the key."""
    return {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": _meta(owner, task_key_secret_name(owner), owner.namespace),
        "type": "Opaque",
        "data": {c.TASK_KEY_NAME: task_key},
    }


def _certificate(owner: Owner, spec: ArgoMCPServerSpec) -> Obj:
    """tls.mode cert-manager: the Certificate cert-manager fills the serving Secret from (the chart's is the
    same object); the same names as a self-signed certificate, so port-forwarding to localhost verifies."""
    assert spec.tls.cert_manager is not None  # enforced by the spec model
    issuer = spec.tls.cert_manager.issuer_ref
    return {
        "apiVersion": c.CERTIFICATE_API_VERSION,
        "kind": "Certificate",
        "metadata": _meta(owner, owner.name, owner.namespace),
        "spec": {
            "secretName": tls_secret_name(owner, spec),
            "commonName": owner.name,
            "dnsNames": service_dns_names(owner.name, owner.namespace),
            "ipAddresses": ["127.0.0.1"],
            "duration": spec.tls.duration,
            "renewBefore": spec.tls.renew_before,
            "privateKey": {"algorithm": "ECDSA", "size": 256, "rotationPolicy": "Always"},
            "usages": ["server auth", "digital signature", "key encipherment"],
            "issuerRef": {"name": issuer.name, "kind": issuer.kind, "group": issuer.group},
        },
    }


def _service(owner: Owner, spec: ArgoMCPServerSpec) -> Obj:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": _meta(owner, owner.name, owner.namespace),
        "spec": {
            "type": "ClusterIP",
            "selector": selector_labels(owner.name),
            "ports": [
                {"name": c.PORT_NAME, "port": spec.service.port, "targetPort": c.PORT_NAME, "protocol": "TCP"}
            ],
        },
    }


def _deployment(owner: Owner, spec: ArgoMCPServerSpec, cert: ServingCert | None) -> Obj:
    """The server's Deployment; its security contexts, port, probes and volumes are podtemplate's table."""
    target = Target(spec, owner.namespace, owner.name)
    annotations = dict(spec.pod_annotations or {})
    if cert is not None and spec.tls.mode != "disabled":
        annotations[c.ANNOTATION_TLS_CHECKSUM] = cert.checksum
    pod_labels = {k: v for k, v in labels(owner).items() if not k.startswith("argo-mcp.io/")}
    container: Obj = {
        "name": c.CONTAINER_NAME,
        "image": spec.image or c.DEFAULT_IMAGE,
        "imagePullPolicy": "IfNotPresent",
        "args": server_args(spec, owner.namespace),
        "ports": resolve(pt.PORTS, target),
        "livenessProbe": resolve(pt.LIVENESS_PROBE, target),
        "readinessProbe": resolve(pt.READINESS_PROBE, target),
        "securityContext": resolve(pt.CONTAINER_SECURITY_CONTEXT, target),
        "volumeMounts": resolve(pt.VOLUME_MOUNTS, target) + resolve(pt.TARGET_VOLUME_MOUNTS, target),
    }
    env = resolve(pt.ENV, target) + [dict(variable) for variable in spec.env or ()]
    if env:
        container["env"] = env
    if spec.resources is not None:
        container["resources"] = spec.resources.model_dump(exclude_none=True)
    pod_spec: Obj = {
        "serviceAccountName": owner.name,
        "automountServiceAccountToken": False,
        "securityContext": resolve(pt.POD_SECURITY_CONTEXT, target),
        "containers": [container],
        "volumes": resolve(pt.VOLUMES, target) + resolve(pt.TARGET_VOLUMES, target),
    }
    if spec.node_selector:
        pod_spec["nodeSelector"] = dict(spec.node_selector)
    if spec.tolerations:
        pod_spec["tolerations"] = [dict(t) for t in spec.tolerations]
    if spec.affinity:
        pod_spec["affinity"] = dict(spec.affinity)
    template_meta: Obj = {"labels": pod_labels}
    if annotations:
        template_meta["annotations"] = annotations
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": _meta(owner, owner.name, owner.namespace),
        "spec": {
            "replicas": spec.replicas,
            "selector": {"matchLabels": selector_labels(owner.name)},
            "template": {"metadata": template_meta, "spec": pod_spec},
        },
    }


def render(
    owner: Owner, spec: ArgoMCPServerSpec, cert: ServingCert | None = None, task_key: str | None = None
) -> list[Obj]:
    """Every object the resource needs, in apply order (identity and RBAC before the workload).

    Takes the spec parsed once by the caller (the reconciler parses it for status too), never the raw body.
    ``cert`` is the serving certificate: required for ``tls.mode: self-signed`` (the handler issues or reuses
    it, keeping this function pure); optional for ``secretRef`` and ``cert-manager`` (the Secret as found),
    only for the pod template checksum, so a renewed certificate rolls the pods. ``task_key`` is the shared
    key's base64 data for the Secret the operator keeps (required unless ``taskKeySecretRef`` names one).
    """
    if spec.tls.mode == "self-signed" and cert is None:
        raise ValueError("tls.mode self-signed needs the serving certificate to render its Secret")
    if spec.task_key_secret_ref is None and task_key is None:
        raise ValueError("without taskKeySecretRef the task key is needed to render its Secret")
    objects: list[Obj] = [_service_account(owner), *_namespace_rbac(owner, spec)]
    if spec.cluster_workflow_templates:
        objects.append(_cwt_reader_cluster_role(owner))
        objects.append(_cluster_role_binding(owner, "cwt", cwt_reader_name(owner)))
    if spec.inbound_auth.mode == "kubernetes":
        objects.append(_cluster_role_binding(owner, "auth-delegator", c.AUTH_DELEGATOR_CLUSTER_ROLE))
    objects += _target_cluster_roles(owner, spec)
    if spec.tls.mode == "self-signed":
        assert cert is not None
        objects.append(_tls_secret(owner, cert))
    elif spec.tls.mode == "cert-manager":
        objects.append(_certificate(owner, spec))
    if spec.task_key_secret_ref is None:
        assert task_key is not None
        objects.append(_task_key_secret(owner, task_key))
    if spec.targets:
        objects.append(_targets_config_map(owner, spec))
    objects.append(_service(owner, spec))
    objects.append(_deployment(owner, spec, cert))
    return objects
