"""Argo Events for real on the stack's node: the upstream controller-manager as a pod, a NATS JetStream EventBus.

What `install()` applies (the controller's own objects come from the pinned module's `manifests/install.yaml`,
CRDs aside, which `local.py` applies with the others):
- namespace `argo-events`: the upstream ServiceAccount `argo-events-sa`, ClusterRoles and binding, the
  controller ConfigMap `argo-events-controller-config` and the `controller-manager` Deployment, changed only
  where this host needs it: the locally built image (never pulled), `ARGO_EVENTS_IMAGE` pointing at it and
  `IMAGE_PULL_POLICY=Never` (the controller gives both to every EventSource and Sensor Deployment it makes),
  the real node's selector and toleration;
- namespace `argo-events`: `nats`, a nats-server with JetStream (Deployment + Service, TLS with a per-stack CA,
  user/password auth, store on an emptyDir): argo-events' JetStream client always speaks TLS
  (pkg/eventbus/jetstream/base: `nats.Secure`), and with the CA given it verifies the server's name;
- namespace `argo` (where the tests' EventSources and Sensors live): the EventBus `default` of kind
  `jetstreamExotic` pointing at `nats://nats.argo-events.svc:4222`, its access Secret (`auth.yaml` with the
  user and password, what the event source and sensor pods mount), the CA Secret it verifies nats with, and the ServiceAccount SENSOR_SA whose Role
  lets a Sensor's k8s trigger create Workflows.

EventSources and Sensors must carry the node's selector and toleration in `spec.template` (`pod_template()`):
the node is tainted, as for every other pod. Everything runs as pods on the real node, so the node's teardown
(and the reaper's) removes it; nothing of it runs on the host.
"""

from __future__ import annotations

import copy
import datetime
import secrets
from dataclasses import dataclass
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from . import node as N
from . import versions as V
from .kube import JSON, Kube, has_condition, load_yaml_docs

EVENTS_NAMESPACE = "argo-events"
EVENTBUS = "default"
EVENTBUS_SECRET = "eventbus-default-auth"
EVENTBUS_TLS_SECRET = "eventbus-default-tls"
NATS = "nats"
NATS_USER = "argo-events"
NATS_URL = f"nats://{NATS}.{EVENTS_NAMESPACE}.svc:4222"
SENSOR_SA = "argo-events-sensor"
CONTROLLER = "controller-manager"
# The stream the event sources write and the sensors read (one node, one replica, small and short-lived).
STREAM_CONFIG = (
    "maxMsgs: 10000\nmaxAge: 1h\nmaxBytes: 67108864\nreplicas: 1\nduplicates: 60s\nretention: 0\ndiscard: 0\n"
)


class EventsError(RuntimeError):
    pass


@dataclass(frozen=True)
class NatsTLS:
    """PEM: a CA made for one stack, and nats' server certificate (its Service names) signed by it."""

    ca: bytes
    cert: bytes
    key: bytes


def nats_tls(days: int = 7) -> NatsTLS:
    now = datetime.datetime.now(datetime.UTC)
    start, end = now - datetime.timedelta(minutes=5), now + datetime.timedelta(days=days)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "argo-mcp-e2e nats CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(end)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True, key_cert_sign=True, crl_sign=True, content_commitment=False,
                key_encipherment=False, data_encipherment=False, key_agreement=False,
                encipher_only=False, decipher_only=False,
            ),
            critical=True,
        )
        .sign(ca_key, hashes.SHA256())
    )  # fmt: skip
    key = ec.generate_private_key(ec.SECP256R1())
    host = f"{NATS}.{EVENTS_NAMESPACE}.svc"
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, host)]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(end)
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName(host), x509.DNSName(f"{host}.cluster.local"), x509.DNSName(NATS)]
            ),
            critical=False,
        )
        .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    return NatsTLS(
        ca=ca.public_bytes(serialization.Encoding.PEM),
        cert=cert.public_bytes(serialization.Encoding.PEM),
        key=key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        ),
    )


def pod_template() -> JSON:
    """`spec.template` for an EventSource or Sensor whose pod should run on the real node."""
    return {"nodeSelector": dict(N.NODE_SELECTOR), "tolerations": copy.deepcopy(N.TOLERATIONS)}


def upstream_objects(events_image: str) -> list[JSON]:
    """The controller's objects from the module's install.yaml (no CRDs), set up for this host."""
    v = V.load()
    install = V.module_dir("github.com/argoproj/argo-events", v.argo_events) / "manifests" / "install.yaml"
    if not install.is_file():
        raise EventsError(f"{install} is missing: run `python -m tests.e2e.stack build`")
    objs = [d for d in load_yaml_docs(install) if d.get("kind") != "CustomResourceDefinition"]
    deployments = [d for d in objs if d.get("kind") == "Deployment"]
    if len(deployments) != 1 or deployments[0]["metadata"]["name"] != CONTROLLER:
        raise EventsError(f"{install}: expected the one Deployment {CONTROLLER}, found {deployments}")
    pod = deployments[0]["spec"]["template"]["spec"]
    pod["nodeSelector"] = dict(N.NODE_SELECTOR)
    pod["tolerations"] = copy.deepcopy(N.TOLERATIONS)
    (container,) = pod["containers"]
    container["image"] = events_image
    container["imagePullPolicy"] = "Never"
    env = [e for e in container.get("env", []) if e["name"] not in ("ARGO_EVENTS_IMAGE", "IMAGE_PULL_POLICY")]
    env += [
        # the image of every EventSource and Sensor pod, and their pull policy (pkg/shared/util GetImagePullPolicy)
        {"name": "ARGO_EVENTS_IMAGE", "value": events_image},
        {"name": "IMAGE_PULL_POLICY", "value": "Never"},
    ]
    container["env"] = env
    for obj in objs:
        if obj["kind"] in ("ServiceAccount", "ConfigMap", "Deployment"):
            obj["metadata"]["namespace"] = EVENTS_NAMESPACE
    return objs


def nats_objects(nats_image: str, password: str, tls: NatsTLS) -> list[JSON]:
    """nats-server with JetStream as a Deployment + Service (config, password, certificate: one Secret)."""
    labels = {"app": NATS}
    config = (
        "listen: 0.0.0.0:4222\n"
        "http: 0.0.0.0:8222\n"
        "server_name: argo-mcp-e2e-nats\n"
        "jetstream {\n  store_dir: /data\n  max_memory_store: 64MB\n  max_file_store: 512MB\n}\n"
        f'authorization {{\n  user: "{NATS_USER}"\n  password: "{password}"\n}}\n'
        "tls {\n  cert_file: /etc/nats/tls.crt\n  key_file: /etc/nats/tls.key\n}\n"
    )
    return [
        {
            "apiVersion": "v1",
            "kind": "Secret",
            "type": "Opaque",
            "metadata": {"name": f"{NATS}-config", "namespace": EVENTS_NAMESPACE},
            "stringData": {"nats.conf": config, "tls.crt": tls.cert.decode(), "tls.key": tls.key.decode()},
        },
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "metadata": {"name": NATS, "namespace": EVENTS_NAMESPACE, "labels": labels},
            "spec": {
                "replicas": 1,
                "selector": {"matchLabels": labels},
                "template": {
                    "metadata": {"labels": labels},
                    "spec": {
                        "nodeSelector": dict(N.NODE_SELECTOR),
                        "tolerations": copy.deepcopy(N.TOLERATIONS),
                        "terminationGracePeriodSeconds": 5,
                        "securityContext": {"runAsNonRoot": True, "runAsUser": 65534, "fsGroup": 65534},
                        "containers": [
                            {
                                "name": "nats",
                                "image": nats_image,
                                "imagePullPolicy": "Never",
                                "args": ["--config", "/etc/nats/nats.conf"],
                                "ports": [
                                    {"name": "client", "containerPort": 4222},
                                    {"name": "monitor", "containerPort": 8222},
                                ],
                                "readinessProbe": {
                                    "httpGet": {"path": "/healthz?js-enabled-only=true", "port": 8222},
                                    "periodSeconds": 1,
                                },
                                "volumeMounts": [
                                    {"name": "config", "mountPath": "/etc/nats", "readOnly": True},
                                    {"name": "data", "mountPath": "/data"},
                                ],
                            }
                        ],
                        "volumes": [
                            {"name": "config", "secret": {"secretName": f"{NATS}-config"}},
                            {"name": "data", "emptyDir": {}},
                        ],
                    },
                },
            },
        },
        {
            "apiVersion": "v1",
            "kind": "Service",
            "metadata": {"name": NATS, "namespace": EVENTS_NAMESPACE},
            "spec": {
                "selector": labels,
                "ports": [
                    {"name": "client", "port": 4222, "targetPort": 4222},
                    {"name": "monitor", "port": 8222, "targetPort": 8222},
                ],
            },
        },
    ]


def bus_objects(namespace: str, password: str, ca: bytes) -> list[JSON]:
    """The EventBus the namespace's EventSources and Sensors use, its Secret, and the Sensors' identity."""
    return [
        {
            "apiVersion": "v1",
            "kind": "Secret",
            "type": "Opaque",
            "metadata": {"name": EVENTBUS_SECRET, "namespace": namespace},
            # read by the event source and sensor pods (pkg/eventbus GetAuth: auth.yaml, basic auth)
            "stringData": {"auth.yaml": f"username: {NATS_USER}\npassword: {password}\n"},
        },
        {
            "apiVersion": "v1",
            "kind": "Secret",
            "type": "Opaque",
            "metadata": {"name": EVENTBUS_TLS_SECRET, "namespace": namespace},
            "stringData": {"ca.crt": ca.decode()},
        },
        {
            "apiVersion": "argoproj.io/v1alpha1",
            "kind": "EventBus",
            "metadata": {"name": EVENTBUS, "namespace": namespace},
            "spec": {
                "jetstreamExotic": {
                    "url": NATS_URL,
                    "accessSecret": {"name": EVENTBUS_SECRET, "key": "auth.yaml"},
                    "streamConfig": STREAM_CONFIG,
                    # the pods verify nats' certificate against this CA (and its name, the URL's host)
                    "tls": {"caCertSecret": {"name": EVENTBUS_TLS_SECRET, "key": "ca.crt"}},
                }
            },
        },
        {
            "apiVersion": "v1",
            "kind": "ServiceAccount",
            "metadata": {"name": SENSOR_SA, "namespace": namespace},
        },
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "Role",
            "metadata": {"name": SENSOR_SA, "namespace": namespace},
            "rules": [
                {
                    "apiGroups": ["argoproj.io"],
                    "resources": ["workflows"],
                    "verbs": ["create", "get", "list", "watch"],
                }
            ],
        },
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "RoleBinding",
            "metadata": {"name": SENSOR_SA, "namespace": namespace},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": SENSOR_SA},
            "subjects": [{"kind": "ServiceAccount", "name": SENSOR_SA, "namespace": namespace}],
        },
    ]


def install(kube: Kube, images: dict[str, Any], namespace: str) -> None:
    """Apply everything (not waited: `wait_ready`). `images` is the node's images by role (ref, archive)."""
    try:
        events_image = images["argo-events"]["ref"]
        nats_image = images["nats"]["ref"]
    except KeyError as exc:
        raise EventsError(f"the node has no {exc} image (images.py PROVIDERS)") from None
    password = secrets.token_hex(16)
    tls = nats_tls()
    kube.apply({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": EVENTS_NAMESPACE}})
    kube.wait_for(
        f"ServiceAccount {EVENTS_NAMESPACE}/default",
        lambda: kube.get_or_none(f"/api/v1/namespaces/{EVENTS_NAMESPACE}/serviceaccounts/default"),
        60,
    )
    for obj in [*nats_objects(nats_image, password, tls), *upstream_objects(events_image)]:
        kube.apply(obj)
    for obj in bus_objects(namespace, password, tls.ca):
        kube.apply(obj)


def _available(kube: Kube, namespace: str, name: str) -> bool:
    dep = kube.get_or_none(f"/apis/apps/v1/namespaces/{namespace}/deployments/{name}") or {}
    return has_condition(dep, "Available")


def _condition(obj: JSON, kind: str) -> bool:
    return has_condition(obj, kind)


def wait_ready(kube: Kube, namespace: str, timeout: float = 120) -> None:
    """nats and the controller Available, and the EventBus reconciled by the controller (Deployed)."""
    kube.wait_for(
        f"Deployment {EVENTS_NAMESPACE}/{NATS} Available",
        lambda: _available(kube, EVENTS_NAMESPACE, NATS),
        timeout,
    )
    kube.wait_for(
        f"Deployment {EVENTS_NAMESPACE}/{CONTROLLER} Available",
        lambda: _available(kube, EVENTS_NAMESPACE, CONTROLLER),
        timeout,
    )
    path = f"/apis/argoproj.io/v1alpha1/namespaces/{namespace}/eventbus/{EVENTBUS}"
    kube.wait_for(
        f"EventBus {namespace}/{EVENTBUS} Deployed",
        lambda: _condition(kube.get_or_none(path) or {}, "Deployed"),
        timeout,
    )
