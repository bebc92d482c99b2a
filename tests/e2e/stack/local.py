"""The `local` provider: the whole stack as local processes on loopback ports, plus one real node.

Start order (each step waited for): PostgreSQL (archive) -> moto S3 (bucket) -> kwokctl cluster (etcd,
kube-apiserver, kube-controller-manager, kube-scheduler, kwok managing only the fake node `kwok-node-0`;
`default` ServiceAccount) -> the real node (node.py: containerd, CNI bridge, relays, kube-proxy, CoreDNS,
kubelet; Ready) -> CRDs Established -> argo namespace, Secrets, ConfigMap (executor = the local argoexec image,
workflow pods steered to the real node), upstream RBAC -> workflow-controller (:6060) -> argo server
(/api/v1/version) -> the Argo relay for pods -> Argo Events (events.py: nats-server's JetStream and the upstream
controller-manager as pods, the EventBus `default`; applied after the Argo config, waited for last).
`down()` stops everything and keeps the logs in the run dir.
"""

from __future__ import annotations

import contextlib
import json
import os
import pwd
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3  # type: ignore[import-untyped]  # moto[server] brings boto3
import yaml

from . import build as B
from . import events as EV
from . import events_build, node_build, procs
from . import node as N
from . import versions as V
from .kube import JSON, Kube, KubeError, has_condition, kubeconfig_with_token, load_yaml_docs

NAMESPACE = "argo"
CLUSTER = "argo-mcp-e2e"
NODE = "kwok-node-0"
BUCKET = "argo-artifacts"
S3_REGION = "us-east-1"
S3_ACCESS_KEY = "argo-mcp-e2e"
S3_SECRET_KEY = "argo-mcp-e2e-secret"  # moto accepts any credentials; these only go into a Secret
PG_USER = "argo"
PG_PASSWORD = "argo-mcp-e2e"
PG_DB = "argo"
# Fixed in Argo's workflow-controller (":6060", all interfaces). A second stack's controller runs without it
# (Argo only logs the bind error), so readiness also uses the controller's metrics port, which we choose.
CONTROLLER_HEALTH_PORT = 6060
# Read-only and full-access ServiceAccounts the tests can mint tokens for (namespace `argo`).
READONLY_SA = "e2e-readonly"
FULL_SA = "e2e-full"


def runs_root() -> Path:
    return V.cache_root() / "e2e" / "run"


def say(msg: str) -> None:
    print(f"[e2e stack {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


@dataclass
class StackInfo:
    """What a running stack exposes; stored as state.json in its run dir."""

    run_dir: str
    kubeconfig: str
    argo_url: str
    namespace: str
    s3_endpoint: str
    s3_bucket: str
    s3_access_key: str
    s3_secret_key: str
    s3_region: str
    postgres_port: int
    versions: dict[str, str]
    processes: list[dict[str, Any]] = field(default_factory=list)
    kwok_workdir: str = ""
    pg_data: str = ""
    started_at: float = 0.0
    timings: dict[str, float] = field(default_factory=dict)
    bin_dir: str = ""
    controller_metrics_port: int = 0
    # the real node (node.NodeState as JSON) and its images by role ({"workload": "localhost/...", ...})
    node: dict[str, Any] = field(default_factory=dict)

    def save(self) -> None:
        Path(self.run_dir, "state.json").write_text(json.dumps(self.__dict__, indent=2))

    @classmethod
    def load(cls, run_dir: Path) -> StackInfo:
        return cls(**json.loads((run_dir / "state.json").read_text()))

    @property
    def logs_dir(self) -> Path:
        return Path(self.run_dir) / "logs"

    def env(self) -> dict[str, str]:
        """Environment that points argo-mcp (and kubectl) at this stack."""
        return {
            "KUBECONFIG": self.kubeconfig,
            "ARGO_SERVER_URL": self.argo_url,
            "ARGO_BASE_HREF": "/",
            "ARGO_NAMESPACE": self.namespace,
            "ARGO_DEFAULT_NAMESPACE": self.namespace,
            "ARGO_SECURE": "true" if self.argo_url.startswith("https") else "false",
            "ARGO_INSECURE_SKIP_VERIFY": "true" if self.argo_url.startswith("https") else "false",
            "WORKLOAD_IMAGE": self.image("workload"),
            # the argo-mcp image (built from the Dockerfile) once an image provider for it is registered
            "ARGO_MCP_IMAGE": self.image("argo-mcp"),
            # Argo Events' controller/eventsource/sensor image and the EventBus's nats-server (events.py)
            "ARGO_EVENTS_IMAGE": self.image("argo-events"),
            "NATS_IMAGE": self.image("nats"),
        }

    def image(self, role: str) -> str:
        """The reference of one of the real node's images ("pause", "workload", "argoexec", ...), or ""."""
        return str((self.node.get("images") or {}).get(role, {}).get("ref", ""))


class LocalStack:
    """Start/stop one stack. Use as a context manager or call up()/down()."""

    def __init__(self, run_dir: Path | None = None, watch_pid: int | None = None) -> None:
        self.run_dir = run_dir or runs_root() / f"{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}"
        # If set, a detached reaper tears the stack down when this process dies (e.g. pytest killed).
        self.watch_pid = watch_pid
        # ARGO_MCP_E2E_ARGO_SECURE=1: the Argo Server speaks HTTPS (self-signed) instead of plain HTTP
        self.secure = os.environ.get("ARGO_MCP_E2E_ARGO_SECURE", "") == "1"
        self.info: StackInfo | None = None
        self._procs: list[tuple[subprocess.Popen[bytes], procs.ProcInfo]] = []
        self._ports: set[int] = set()
        self.kube: Kube | None = None
        self.node: N.RealNode | None = None

    # -- lifecycle -------------------------------------------------------------------------------------------
    def __enter__(self) -> StackInfo:
        return self.up()

    def __exit__(self, *exc: object) -> None:
        self.down()

    def up(self, build_if_missing: bool = True) -> StackInfo:
        t0 = time.monotonic()
        if not B.is_built():
            if not build_if_missing:
                raise RuntimeError(
                    f"the e2e binaries are not built in {V.bin_dir()}: run `python -m tests.e2e.stack build`"
                )
            B.build()
        if not node_build.is_built():
            if not build_if_missing:
                raise RuntimeError(
                    f"the real node's binaries are not built in {V.node_bin_dir()}: run"
                    " `python -m tests.e2e.stack build`"
                )
            node_build.build()
        if not events_build.is_built():
            if not build_if_missing:
                raise RuntimeError(
                    f"Argo Events' binaries are not built in {V.events_bin_dir()}: run"
                    " `python -m tests.e2e.stack build`"
                )
            events_build.build()
        self.run_dir.mkdir(parents=True, exist_ok=True)
        (self.run_dir / "logs").mkdir(exist_ok=True)
        _point_current(self.run_dir)
        self.info = StackInfo(
            run_dir=str(self.run_dir),
            kubeconfig=str(self.run_dir / "kubeconfig.yaml"),
            argo_url="",
            namespace=NAMESPACE,
            s3_endpoint="",
            s3_bucket=BUCKET,
            s3_access_key=S3_ACCESS_KEY,
            s3_secret_key=S3_SECRET_KEY,
            s3_region=S3_REGION,
            postgres_port=0,
            versions=V.load().as_dict(),
            started_at=time.time(),
            bin_dir=str(V.bin_dir()),
        )
        try:
            self._step("postgres", self._start_postgres)
            self._step("s3", self._start_s3)
            if self.watch_pid:
                # first: a pytest killed while the stack starts leaves nothing behind either
                self._spawn_reaper(self.watch_pid)
            self._step("cluster", self._start_cluster)
            self._step("node", self._start_node)
            self._step("crds", self._install_crds)
            self._step("argo-config", self._configure_argo)
            self._step("argo-events", self._install_events)
            self._step("workflow-controller", self._start_controller)
            self._step("argo-server", self._start_server)
            self._step("argo-relay", self._start_argo_relay)
            self._step("argo-events-ready", self._wait_events)
        except BaseException:
            say(f"start FAILED; logs are in {self.run_dir / 'logs'}")
            self.down()
            raise
        self.info.timings["total"] = round(time.monotonic() - t0, 1)
        self.info.save()
        say(f"stack up in {self.info.timings['total']:.0f}s: {self.info.argo_url}")
        return self.info

    def _step(self, name: str, fn: Any) -> None:
        assert self.info is not None
        t = time.monotonic()
        say(f"starting {name} ...")
        fn()
        self.info.timings[name] = round(time.monotonic() - t, 1)
        self.info.save()
        say(f"{name} ready in {self.info.timings[name]:.1f}s")

    def _spawn(
        self, name: str, args: list[str], env: dict[str, str] | None = None, user: str | None = None
    ) -> tuple[subprocess.Popen[bytes], procs.ProcInfo]:
        assert self.info is not None
        proc, pinfo = procs.start(name, args, self.info.logs_dir, env=env, user=user)
        self._procs.append((proc, pinfo))
        self.info.processes.append(pinfo.to_json())
        self.info.save()
        return proc, pinfo

    # -- PostgreSQL ------------------------------------------------------------------------------------------
    def _start_postgres(self) -> None:
        assert self.info is not None
        pgbin = _postgres_bindir()
        user: str | None = None
        if os.geteuid() == 0:
            # initdb refuses root: run the server as Debian's `postgres` user, in a directory it can reach.
            user = "postgres"
            pw = pwd.getpwnam(user)
            data_root = Path(tempfile.mkdtemp(prefix="argo-mcp-e2e-pg-"))
            os.chown(data_root, pw.pw_uid, pw.pw_gid)
        else:
            data_root = self.run_dir / "postgres"
            data_root.mkdir(parents=True, exist_ok=True)
        self.info.pg_data = str(data_root)
        data = data_root / "data"
        pwfile = data_root / "pwfile"
        pwfile.write_text(PG_PASSWORD + "\n")
        if user:
            pw = pwd.getpwnam(user)
            os.chown(pwfile, pw.pw_uid, pw.pw_gid)
        initdb = subprocess.run(
            [
                str(pgbin / "initdb"),
                "-D",
                str(data),
                "-U",
                PG_USER,
                f"--pwfile={pwfile}",
                "--auth=scram-sha-256",
                "-E",
                "UTF8",
                "--no-sync",
            ],
            capture_output=True,
            text=True,
            timeout=120,
            user=user,
            group=user,
            extra_groups=[] if user else None,
            check=False,
        )
        if initdb.returncode != 0:
            raise RuntimeError(f"initdb failed: {initdb.stdout}\n{initdb.stderr}")
        port = procs.free_port(self._ports)
        self.info.postgres_port = port
        proc, pinfo = self._spawn(
            "postgres",
            [
                str(pgbin / "postgres"),
                "-D",
                str(data),
                "-h",
                "127.0.0.1",
                "-p",
                str(port),
                "-k",
                str(data_root),
                "-c",
                "fsync=off",
                "-c",
                "max_connections=200",
            ],
            user=user,
        )
        isready = str(pgbin / "pg_isready")
        procs.wait_until(
            "postgres",
            lambda: (
                subprocess.run(
                    [isready, "-h", "127.0.0.1", "-p", str(port)],
                    capture_output=True,
                    timeout=10,
                    check=False,
                ).returncode
                == 0
            ),
            60,
            proc=proc,
            info=pinfo,
        )
        env = {**os.environ, "PGPASSWORD": PG_PASSWORD}
        created = subprocess.run(
            [
                str(pgbin / "psql"),
                "-h",
                "127.0.0.1",
                "-p",
                str(port),
                "-U",
                PG_USER,
                "-d",
                "postgres",
                "-c",
                f"CREATE DATABASE {PG_DB}",
            ],
            capture_output=True,
            text=True,
            timeout=60,
            env=env,
            check=False,
        )
        if created.returncode != 0:
            raise RuntimeError(f"could not create the archive database: {created.stderr}")

    # -- S3 (moto) -------------------------------------------------------------------------------------------
    def _start_s3(self) -> None:
        assert self.info is not None
        port = procs.free_port(self._ports)
        proc, pinfo = self._spawn(
            "s3-moto", [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)]
        )
        self.info.s3_endpoint = f"127.0.0.1:{port}"
        url = f"http://127.0.0.1:{port}"
        procs.wait_until(
            "moto S3", lambda: procs.http_status(url + "/moto-api/") < 500, 60, proc=proc, info=pinfo
        )
        s3 = boto3.client(
            "s3",
            endpoint_url=url,
            aws_access_key_id=S3_ACCESS_KEY,
            aws_secret_access_key=S3_SECRET_KEY,
            region_name=S3_REGION,
        )
        s3.create_bucket(Bucket=BUCKET)
        s3.head_bucket(Bucket=BUCKET)

    # -- Kubernetes (kwokctl, binary runtime) ----------------------------------------------------------------
    def _kwok_env(self) -> dict[str, str]:
        assert self.info is not None
        bindir = str(V.bin_dir())
        return {
            "KWOK_WORKDIR": self.info.kwok_workdir,
            "KWOK_KUBE_VERSION": V.load().kubernetes,
            "PATH": f"{bindir}{os.pathsep}{os.environ.get('PATH', '')}",
        }

    def _start_cluster(self) -> None:
        assert self.info is not None
        self.info.kwok_workdir = str(self.run_dir / "kwok")
        bindir = V.bin_dir()
        config = self.run_dir / "kwok-config.yaml"
        pki = f"{self.info.kwok_workdir}/clusters/{CLUSTER}/pki"
        kwokctl_conf = {
            "apiVersion": "config.kwok.x-k8s.io/v1alpha1",
            "kind": "KwokctlConfiguration",
            "options": {
                "bindAddress": "127.0.0.1",
                # pods dial the `kubernetes` Service (ClusterIP 10.0.0.1 or its DNS names) and verify TLS
                "kubeApiserverCertSANs": [
                    "127.0.0.1",
                    "localhost",
                    "10.0.0.1",
                    "kubernetes",
                    "kubernetes.default",
                    "kubernetes.default.svc",
                    "kubernetes.default.svc.cluster.local",
                ],
            },
            "componentsPatches": [
                # kwok plays only the fake node (kwokctl's default, --manage-all-nodes, would take over the
                # real kubelet's node and rewrite its pods' status)
                {
                    "name": "kwok-controller",
                    "extraArgs": [
                        {"key": "manage-all-nodes", "value": "false", "override": True},
                        {"key": "manage-nodes-with-annotation-selector", "value": "kwok.x-k8s.io/node=fake"},
                    ],
                },
                # the apiserver authenticates to kubelets (x509 + Webhook there) for logs, exec, port-forward
                {
                    "name": "kube-apiserver",
                    "extraArgs": [
                        {"key": "kubelet-client-certificate", "value": f"{pki}/admin.crt"},
                        {"key": "kubelet-client-key", "value": f"{pki}/admin.key"},
                    ],
                },
            ],
        }
        stages = (Path(__file__).parent / "stages.yaml").read_text()
        config.write_text(yaml.safe_dump(kwokctl_conf) + "---\n" + stages)
        port = procs.free_port(self._ports)
        log = self.info.logs_dir / "kwokctl.log"
        args = [
            str(bindir / "kwokctl"),
            "--name",
            CLUSTER,
            "--config",
            str(config),
            "create",
            "cluster",
            "--runtime",
            "binary",
            "--etcd-binary",
            str(bindir / "etcd"),
            "--kube-apiserver-binary",
            str(bindir / "kube-apiserver"),
            "--kube-controller-manager-binary",
            str(bindir / "kube-controller-manager"),
            "--kube-scheduler-binary",
            str(bindir / "kube-scheduler"),
            "--kwok-controller-binary",
            str(bindir / "kwok"),
            "--kube-apiserver-port",
            str(port),
            "--kube-authorization=true",
            "--enable-crds=Logs,ClusterLogs",
            "--disable-qps-limits",
            "--kubeconfig=",
            "--wait=3m",
            "--timeout=6m",
        ]
        with log.open("ab") as fh:
            fh.write(f"$ {' '.join(args)}\n".encode())
            fh.flush()
            res = subprocess.run(
                args,
                stdout=fh,
                stderr=subprocess.STDOUT,
                env={**os.environ, **self._kwok_env()},
                timeout=420,
                start_new_session=True,
                check=False,
            )
        if res.returncode != 0:
            raise RuntimeError(
                f"kwokctl create cluster failed (exit {res.returncode}):\n{procs.tail(log, 40)}"
            )
        src_kubeconfig = Path(self.info.kwok_workdir) / "clusters" / CLUSTER / "kubeconfig.yaml"
        shutil.copy(src_kubeconfig, self.info.kubeconfig)
        kube = self.kube = Kube(self.info.kubeconfig)
        kube.wait_for("kube-apiserver /readyz", lambda: kube.get("/readyz", raw=True), 120)
        kube.apply(
            {
                "apiVersion": "v1",
                "kind": "Node",
                "metadata": {
                    "name": NODE,
                    "annotations": {"kwok.x-k8s.io/node": "fake", "node.alpha.kubernetes.io/ttl": "0"},
                    "labels": {
                        "kubernetes.io/hostname": NODE,
                        "kubernetes.io/os": "linux",
                        "kubernetes.io/arch": "amd64",
                        "type": "kwok",
                    },
                },
            }
        )

        def node_ready() -> bool:
            return has_condition(kube.get(f"/api/v1/nodes/{NODE}"), "Ready")

        kube.wait_for(f"node {NODE} Ready", node_ready, 90)
        kube.wait_for(
            "ServiceAccount default/default",
            lambda: kube.get_or_none("/api/v1/namespaces/default/serviceaccounts/default"),
            90,
        )

    # -- the real node ---------------------------------------------------------------------------------------
    def _start_node(self) -> None:
        assert self.info is not None
        kube = self._kube()
        N.acquire_lock(self.run_dir, N.teardown_run)
        node = self.node = N.RealNode(self.run_dir, kube, self.info.kubeconfig, self._spawn, self._ports)

        def save() -> None:
            assert self.info is not None
            self.info.node = node.state.to_json()
            self.info.save()

        save()  # from here on, teardown knows what to undo
        ca = Path(node.dir) / "ca.crt"
        ca.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(kube.ca_file or "", ca)
        refs = node.images()
        node.prepare_host()
        save()
        node.start_containerd(refs["pause"].ref)
        node.import_images(refs)
        node.start_relays(self.info.s3_endpoint)
        save()
        # the kubelet first: kube-proxy waits (30 s) for its Node object to learn the node's IP
        node.start_kubelet(str(ca))
        node.start_kube_proxy()
        node.start_coredns()
        save()
        say(f"real node {node.state.node_name} Ready (kubelet {node.state.kubelet_version})")

    def _start_argo_relay(self) -> None:
        assert self.info is not None and self.node is not None
        self.node.start_argo_relay(self.info.argo_url, NAMESPACE)
        self.info.node = self.node.state.to_json()

    # -- Argo Events ---------------------------------------------------------------------------------------
    def _install_events(self) -> None:
        assert self.info is not None
        EV.install(self._kube(), self.info.node.get("images") or {}, NAMESPACE)

    def _wait_events(self) -> None:
        EV.wait_ready(self._kube(), NAMESPACE)

    # -- CRDs ------------------------------------------------------------------------------------------------
    def _install_crds(self) -> None:
        kube = self._kube()
        v = V.load()
        argo_dir = V.module_dir(v.argo.module, v.argo_workflows)
        events_dir = V.module_dir("github.com/argoproj/argo-events", v.argo_events)
        files = sorted((argo_dir / v.argo.crd_dir).glob("argoproj.io_*.yaml"))
        files += sorted((events_dir / "manifests/base/crds").glob("argoproj.io_*.yaml"))
        if len(files) < 9:
            raise RuntimeError(
                f"CRD manifests missing (found {len(files)}) in {argo_dir} / {events_dir}: rebuild"
            )
        names = []
        for f in files:
            for doc in load_yaml_docs(f):
                kube.apply(doc)
                names.append(doc["metadata"]["name"])

        def established(name: str) -> bool:
            crd = kube.get(f"/apis/apiextensions.k8s.io/v1/customresourcedefinitions/{name}")
            return has_condition(crd, "Established")

        for name in names:
            kube.wait_for(f"CRD {name} Established", lambda n=name: established(n), 60)  # type: ignore[misc]
        # kwok's own Logs CRD (installed by kwokctl --enable-crds)
        kube.wait_for("CRD logs.kwok.x-k8s.io", lambda: established("logs.kwok.x-k8s.io"), 60)

    # -- Argo configuration ----------------------------------------------------------------------------------
    def _configure_argo(self) -> None:
        assert self.info is not None
        kube = self._kube()
        ns = NAMESPACE
        kube.apply({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}})
        kube.wait_for(
            f"ServiceAccount {ns}/default",
            lambda: kube.get_or_none(f"/api/v1/namespaces/{ns}/serviceaccounts/default"),
            60,
        )
        kube.apply(
            {
                "apiVersion": "v1",
                "kind": "Secret",
                "type": "Opaque",
                "metadata": {"name": "argo-artifacts-s3", "namespace": ns},
                "stringData": {"accesskey": S3_ACCESS_KEY, "secretkey": S3_SECRET_KEY},
            }
        )
        kube.apply(
            {
                "apiVersion": "v1",
                "kind": "Secret",
                "type": "Opaque",
                "metadata": {"name": "argo-postgres-config", "namespace": ns},
                "stringData": {"username": PG_USER, "password": PG_PASSWORD},
            }
        )
        metrics_port = procs.free_port(self._ports)
        self.info.controller_metrics_port = metrics_port
        telemetry_port = procs.free_port(self._ports)
        node = self.info.node
        data = {
            # Argo's real executor, imported into the node's containerd (never pulled)
            "executor": yaml.safe_dump(
                {"image": node["images"]["argoexec"]["ref"], "imagePullPolicy": "Never"}
            ),
            # the S3 endpoint the relay pods reach (the argo server, on the host, reaches it too)
            **controller_defaults(node["s3_endpoint"], "127.0.0.1", self.info.postgres_port),
            "metricsConfig": yaml.safe_dump({"enabled": True, "port": metrics_port, "secure": False}),
            "telemetryConfig": yaml.safe_dump({"enabled": True, "port": telemetry_port, "secure": False}),
        }
        kube.apply(
            {
                "apiVersion": "v1",
                "kind": "ConfigMap",
                "metadata": {"name": "workflow-controller-configmap", "namespace": ns},
                "data": data,
            }
        )
        # Upstream RBAC (cluster-install): ServiceAccounts argo and argo-server, their ClusterRoles, bindings,
        # and the aggregated argo-view/argo-edit/argo-admin roles.
        argo = V.load().argo
        argo_dir = V.module_dir(argo.module, argo.version)
        m = argo_dir / "manifests"
        rbac = argo_dir / argo.rbac_dir
        rbac_files = [
            m / "base/workflow-controller/workflow-controller-sa.yaml",
            m / "base/argo-server/argo-server-sa.yaml",
            *sorted((rbac / "workflow-controller-rbac").glob("*.yaml")),
            *sorted((rbac / "argo-server-rbac").glob("*.yaml")),
        ]
        for f in rbac_files:
            if f.name == "kustomization.yaml":
                continue
            for doc in load_yaml_docs(f, namespace=ns):
                kube.apply(doc)
        # Identities for the tests: read-only (argo-view aggregate) and full (argo-admin... plus workflow
        # taskresults) in the argo namespace; pods run as `default`, which needs the executor's permissions.
        kube.apply_all(e2e_rbac(ns))
        # The controller and server authenticate as their own ServiceAccounts (real RBAC, as in a cluster).
        server = kube.server
        for sa, fname in (("argo", "controller.kubeconfig"), ("argo-server", "server.kubeconfig")):
            token = kube.mint_token(sa, ns, seconds=7 * 24 * 3600)
            kubeconfig_with_token(server, kube.ca_file, token, ns, self.run_dir / fname)

    # -- Argo processes --------------------------------------------------------------------------------------
    def _start_controller(self) -> None:
        own_healthz = not procs.port_in_use(CONTROLLER_HEALTH_PORT)
        bindir = V.bin_dir()
        proc, pinfo = self._spawn(
            "workflow-controller",
            [
                str(bindir / "workflow-controller"),
                "--kubeconfig",
                str(self.run_dir / "controller.kubeconfig"),
                "--namespace",
                NAMESPACE,
                "--loglevel",
                "info",
                "--workflow-workers",
                "8",
                "--qps",
                "100",
                "--burst",
                "200",
            ],
            # DEFAULT_REQUEUE_TIME: how soon the controller re-checks a workflow (10s upstream) -> fast tests
            env={
                "LEADER_ELECTION_DISABLE": "true",
                "DEFAULT_REQUEUE_TIME": "1s",
                "KUBECONFIG": str(self.run_dir / "controller.kubeconfig"),
            },
        )
        assert self.info is not None
        metrics = f"http://127.0.0.1:{self.info.controller_metrics_port}/metrics"
        procs.wait_until(
            "workflow-controller /metrics",
            lambda: procs.http_status(metrics) == 200,
            120,
            proc=proc,
            info=pinfo,
        )
        if own_healthz:
            url = f"http://127.0.0.1:{CONTROLLER_HEALTH_PORT}/healthz"
            procs.wait_until(
                "workflow-controller /healthz",
                lambda: procs.http_status(url) == 200,
                60,
                proc=proc,
                info=pinfo,
            )
        else:
            say(f"port {CONTROLLER_HEALTH_PORT} is taken (another stack?): this controller has no /healthz")

    def _start_server(self) -> None:
        assert self.info is not None
        bindir = V.bin_dir()
        port = procs.free_port(self._ports)
        proc, pinfo = self._spawn(
            "argo-server",
            [
                str(bindir / "argo"),
                "server",
                "--kubeconfig",
                str(self.run_dir / "server.kubeconfig"),
                "--namespace",
                NAMESPACE,
                "--port",
                str(port),
                f"--secure={str(self.secure).lower()}",
                "--auth-mode=client",
                "--auth-mode=server",
                "--loglevel",
                "info",
                "--api-rate-limit",
                "100000",
            ],
            # client auth mode builds each caller's REST config from the default loading rules (KUBECONFIG),
            # not from --kubeconfig
            env={"KUBECONFIG": str(self.run_dir / "server.kubeconfig")},
        )
        # secure: Argo serves TLS with a self-signed certificate it makes at start (clients skip verification)
        self.info.argo_url = f"{'https' if self.secure else 'http'}://127.0.0.1:{port}"
        url = f"{self.info.argo_url}/api/v1/version"
        procs.wait_until(
            "argo server /api/v1/version", lambda: procs.http_status(url) == 200, 120, proc=proc, info=pinfo
        )
        # The server's HTTP gateway holds one gRPC connection per service to itself; those dialled before the
        # port was open back off, so /version can answer while others still say 503 "connection refused".
        # Wait until every service this project uses answers (no token: the server's own identity).
        ns = NAMESPACE
        paths = [
            f"/api/v1/workflows/{ns}",
            f"/api/v1/workflow-templates/{ns}",
            "/api/v1/cluster-workflow-templates",
            f"/api/v1/cron-workflows/{ns}",
            f"/api/v1/archived-workflows?namespace={ns}",
            f"/api/v1/event-sources/{ns}",
            f"/api/v1/sensors/{ns}",
            "/api/v1/info",
            "/api/v1/userinfo",
        ]
        base = self.info.argo_url
        procs.wait_until(
            "argo server: every API service",
            lambda: all(procs.http_status(base + p) == 200 for p in paths),
            60,
            proc=proc,
            info=pinfo,
        )

    def _spawn_reaper(self, pid: int) -> None:
        repo_root = Path(__file__).resolve().parents[3]
        self._spawn(
            "reaper",
            [
                sys.executable,
                "-m",
                "tests.e2e.stack",
                "reap",
                "--run-dir",
                str(self.run_dir),
                "--pid",
                str(pid),
            ],
            env={"PYTHONPATH": str(repo_root)},
        )

    def _kube(self) -> Kube:
        if self.kube is None:
            assert self.info is not None
            self.kube = Kube(self.info.kubeconfig)
        return self.kube

    # -- teardown --------------------------------------------------------------------------------------------
    def down(self) -> None:
        info = self.info
        if info is None:
            with contextlib.suppress(FileNotFoundError):
                info = StackInfo.load(self.run_dir)
        if info is None:
            return
        teardown(info)
        self.info = None


def teardown(info: StackInfo) -> None:
    """Stop every process of a stack (reverse start order), the kwok cluster, and remove scratch data."""
    run_dir = Path(info.run_dir)
    if info.node:
        # before the control plane: containers are stopped through the node's own containerd
        problems = N.teardown(info.node, info.processes, run_dir)
        if problems:
            say(f"real node teardown left: {', '.join(problems)}")
    # All at once, with a short grace: the stack is being thrown away (its logs are kept), and the argo server and
    # workflow-controller use 10 s and more of graceful shutdown that protects nothing here. PostgreSQL is asked
    # for its fast shutdown (SIGINT), which ends its clients' sessions instead of waiting for them.
    running = [p for p in reversed(info.processes) if p["pid"] != os.getpid() and procs.alive(p["pid"])]
    for p in running:
        if p["name"] == "postgres":
            with contextlib.suppress(OSError):
                os.kill(p["pid"], signal.SIGINT)
    procs.stop_groups([p["pid"] for p in running], grace=3)
    if info.kwok_workdir and Path(info.kwok_workdir).exists():
        bindir = Path(info.bin_dir) if info.bin_dir else V.bin_dir()
        cluster_dir = Path(info.kwok_workdir) / "clusters" / CLUSTER
        # keep the control plane's logs with the run (kwokctl delete removes the cluster dir)
        for log in (cluster_dir / "logs").glob("*.log") if cluster_dir.exists() else []:
            with contextlib.suppress(OSError):
                shutil.copy(log, run_dir / "logs" / f"kwok-{log.name}")
        env = {**os.environ, "KWOK_WORKDIR": info.kwok_workdir}
        pids = []
        for pidfile in (cluster_dir / "pids").glob("*.pid") if cluster_dir.exists() else []:
            with contextlib.suppress(ValueError, OSError):
                pids.append(int(pidfile.read_text().strip()))
        with (
            (run_dir / "logs" / "kwokctl.log").open("ab") as fh,
            contextlib.suppress(subprocess.SubprocessError, OSError),
        ):
            subprocess.run(
                [str(bindir / "kwokctl"), "--name", CLUSTER, "delete", "cluster"],
                check=False,
                stdout=fh,
                stderr=subprocess.STDOUT,
                env=env,
                timeout=120,
                start_new_session=True,
            )
        # Belt and braces: kwokctl runs its components detached; kill any recorded pid that is still alive.
        procs.stop_groups([pid for pid in pids if procs.alive(pid)], grace=5)
    if info.pg_data and Path(info.pg_data).exists() and not str(info.pg_data).startswith(str(run_dir)):
        shutil.rmtree(info.pg_data, ignore_errors=True)
    if info.kwok_workdir:
        shutil.rmtree(Path(info.kwok_workdir) / "clusters" / CLUSTER / "etcd", ignore_errors=True)
    with contextlib.suppress(OSError):
        (run_dir / "stopped").write_text(time.strftime("%Y-%m-%dT%H:%M:%S\n"))


def controller_defaults(s3_endpoint: str, postgres_host: str, postgres_port: int) -> dict[str, str]:
    """The workflow-controller-configmap keys both stacks share: every workflow's pods on the real node (tainted
    so nothing else lands there by accident), S3 artifacts and the PostgreSQL archive, reached where each stack
    serves them."""
    return {
        "workflowDefaults": yaml.safe_dump(
            {"spec": {"nodeSelector": dict(N.NODE_SELECTOR), "tolerations": list(N.TOLERATIONS)}}
        ),
        "artifactRepository": yaml.safe_dump(
            {
                "archiveLogs": False,
                "s3": {
                    "bucket": BUCKET,
                    "endpoint": s3_endpoint,
                    "insecure": True,
                    "region": S3_REGION,
                    "keyFormat": "{{workflow.name}}/{{pod.name}}",
                    "accessKeySecret": {"name": "argo-artifacts-s3", "key": "accesskey"},
                    "secretKeySecret": {"name": "argo-artifacts-s3", "key": "secretkey"},
                },
            }
        ),
        "persistence": yaml.safe_dump(
            {
                "archive": True,
                "nodeStatusOffLoad": False,
                "connectionPool": {"maxIdleConns": 10, "maxOpenConns": 0},
                "postgresql": {
                    "host": postgres_host,
                    "port": postgres_port,
                    "database": PG_DB,
                    "tableName": "argo_workflows",
                    "ssl": False,
                    "userNameSecret": {"name": "argo-postgres-config", "key": "username"},
                    "passwordSecret": {"name": "argo-postgres-config", "key": "password"},
                },
            }
        ),
    }


def e2e_rbac(ns: str) -> list[JSON]:
    """ServiceAccounts the tests mint tokens for, and the executor role for workflow pods (`default`)."""
    objs: list[JSON] = []
    wf_resources = [
        "workflows",
        "workflowtemplates",
        "cronworkflows",
        "workflowtaskresults",
        "workflowtasksets",
        "workfloweventbindings",
        "workflowartifactgctasks",
        "eventsources",
        "sensors",
        "eventbus",
    ]
    roles = {
        READONLY_SA: [
            {"apiGroups": ["argoproj.io"], "resources": wf_resources, "verbs": ["get", "list", "watch"]},
            {
                "apiGroups": [""],
                "resources": ["pods", "pods/log", "events", "configmaps"],
                "verbs": ["get", "list", "watch"],
            },
        ],
        FULL_SA: [
            {
                "apiGroups": ["argoproj.io"],
                "resources": [*wf_resources, "workflows/finalizers"],
                "verbs": ["*"],
            },
            {
                "apiGroups": [""],
                "resources": ["pods", "pods/log", "events", "configmaps", "secrets"],
                "verbs": ["get", "list", "watch"],
            },
            {"apiGroups": [""], "resources": ["pods"], "verbs": ["delete", "patch"]},
        ],
    }
    for sa, rules in roles.items():
        objs.append({"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": sa, "namespace": ns}})
        objs.append(
            {
                "apiVersion": "rbac.authorization.k8s.io/v1",
                "kind": "Role",
                "metadata": {"name": sa, "namespace": ns},
                "rules": rules,
            }
        )
        objs.append(
            {
                "apiVersion": "rbac.authorization.k8s.io/v1",
                "kind": "RoleBinding",
                "metadata": {"name": sa, "namespace": ns},
                "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": sa},
                "subjects": [{"kind": "ServiceAccount", "name": sa, "namespace": ns}],
            }
        )
        # cluster-scoped reads the Argo UI/API use (ClusterWorkflowTemplates)
        objs.append(
            {
                "apiVersion": "rbac.authorization.k8s.io/v1",
                "kind": "ClusterRoleBinding",
                "metadata": {"name": f"{ns}-{sa}-cwft"},
                "roleRef": {
                    "apiGroup": "rbac.authorization.k8s.io",
                    "kind": "ClusterRole",
                    "name": "argo-mcp-e2e-cwft-read" if sa == READONLY_SA else "argo-mcp-e2e-cwft-write",
                },
                "subjects": [{"kind": "ServiceAccount", "name": sa, "namespace": ns}],
            }
        )
    objs.append(
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "ClusterRole",
            "metadata": {"name": "argo-mcp-e2e-cwft-read"},
            "rules": [
                {
                    "apiGroups": ["argoproj.io"],
                    "resources": ["clusterworkflowtemplates"],
                    "verbs": ["get", "list", "watch"],
                }
            ],
        }
    )
    objs.append(
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "ClusterRole",
            "metadata": {"name": "argo-mcp-e2e-cwft-write"},
            "rules": [
                {"apiGroups": ["argoproj.io"], "resources": ["clusterworkflowtemplates"], "verbs": ["*"]}
            ],
        }
    )
    # What Argo's executor needs as the pod's ServiceAccount (`default`): write WorkflowTaskResults.
    objs.append(
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "Role",
            "metadata": {"name": "executor", "namespace": ns},
            "rules": [
                {
                    "apiGroups": ["argoproj.io"],
                    "resources": ["workflowtaskresults"],
                    "verbs": ["create", "patch"],
                }
            ],
        }
    )
    objs.append(
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "RoleBinding",
            "metadata": {"name": "executor-default", "namespace": ns},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "executor"},
            "subjects": [{"kind": "ServiceAccount", "name": "default", "namespace": ns}],
        }
    )
    return objs


def _postgres_bindir() -> Path:
    candidates = sorted(Path("/usr/lib/postgresql").glob("*/bin/postgres"), reverse=True)
    found = shutil.which("postgres")
    if found:
        candidates.append(Path(found).resolve())
    if not candidates:
        raise RuntimeError(
            "PostgreSQL server binaries not found (Debian: `apt-get install -y postgresql`; "
            "`scripts/e2e-prereqs` does it)"
        )
    return candidates[0].parent


def _point_current(run_dir: Path) -> None:
    link = runs_root() / "current"
    with contextlib.suppress(FileNotFoundError):
        link.unlink()
    link.symlink_to(run_dir)
    # keep the 5 newest run dirs (logs of earlier runs)
    runs = sorted(
        (p for p in runs_root().iterdir() if p.is_dir() and not p.is_symlink()), key=lambda p: p.name
    )
    for old in runs[:-5]:
        if (old / "stopped").exists():
            shutil.rmtree(old, ignore_errors=True)


def current_run() -> Path | None:
    link = runs_root() / "current"
    if link.exists():
        return link.resolve()
    return None


def with_kube_error_hint(exc: KubeError) -> str:
    return f"Kubernetes API error {exc.status}: {exc.body[:300]}"
