"""The real node of the local stack: containerd, CNI bridge, kube-proxy, CoreDNS, relays and a kubelet.

Started after the control plane (`start()`), stopped before it (`teardown()`), every process through the stack's
own spawner (recorded in state.json), every host change recorded in the node state so `teardown()` (at `down`,
pytest exit, SIGTERM, or the reaper after `kill -9`) undoes exactly that: processes, containers and their shims,
mounts, network namespaces, the bridge, iptables chains, pod cgroups, sysctls, and the fixed host paths that
containerd 1.6 and the kubelet use whatever their configuration says (/run/containerd, /var/lib/kubelet,
/var/log/containers, /run/netns).

One real node per host: kube-proxy's iptables chains, the kubelet's fixed paths and the `kubepods` cgroups are
host-wide, so a host lock (``<cache>/e2e/run/node.lock``) names the stack that owns them; a stale owner (its
processes gone) is cleaned up and replaced, a live one makes `start()` fail with the way out.

Networking (no hostNetwork): pods get 10.213.0.0/16 on bridge `amcp-e2e0` (gateway 10.213.0.1, cluster DNS
there). The stack's apiserver, S3 and Argo server listen on 127.0.0.1; socat relays that accept only the pod
range make them reachable: the `kubernetes` Service (kube-proxy -> the advertised address -> relay -> apiserver,
TLS verified with the pod's ServiceAccount CA and token), S3 at 10.213.0.1:<port>, and the selectorless Service
`argo-server.argo.svc:2746`.
"""

from __future__ import annotations

import contextlib
import ipaddress
import json
import os
import signal
import socket
import subprocess
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import yaml

from . import images as I
from . import procs
from . import versions as V
from .kube import JSON, Kube, has_condition, status_of

POD_CIDR = "10.213.0.0/16"
GATEWAY = "10.213.0.1"
BRIDGE = "amcp-e2e0"
NODE_LABEL = "argo-mcp.e2e/node"
NODE_LABEL_VALUE = "real"
TAINT_KEY = "argo-mcp.e2e/real"
# Pods that should run for real carry these (the workflow controller adds them to every workflow).
TOLERATIONS: list[JSON] = [{"key": TAINT_KEY, "operator": "Exists", "effect": "NoSchedule"}]
NODE_SELECTOR = {NODE_LABEL: NODE_LABEL_VALUE}
ARGO_SERVICE_PORT = 2746
# Host paths containerd 1.6 and the kubelet use whatever their configuration says; removed at teardown if the
# stack created them.
FIXED_PATHS = ("/run/containerd", "/var/lib/kubelet", "/var/log/containers", "/run/netns")
# Kernel settings the kubelet (protectKernelDefaults: false) and the node's forwarding change; restored.
SYSCTLS = (
    "net/ipv4/ip_forward",
    "net/bridge/bridge-nf-call-iptables",
    "vm/overcommit_memory",
    "vm/panic_on_oom",
    "kernel/panic",
    "kernel/panic_on_oops",
    "kernel/keys/root_maxkeys",
    "kernel/keys/root_maxbytes",
)
KUBELET_CHAINS = ("KUBE-FIREWALL", "KUBE-KUBELET-CANARY", "KUBE-IPTABLES-HINT")
PROCESSES = ("kubelet", "coredns", "kube-proxy", "argo-relay", "s3-relay", "api-relay", "containerd")

Spawner = Callable[..., tuple[subprocess.Popen[bytes], procs.ProcInfo]]


class NodeError(RuntimeError):
    pass


def lock_path() -> Path:
    return V.cache_root() / "e2e" / "run" / "node.lock"


@dataclass
class NodeState:
    """Everything teardown needs, stored under `node` in state.json."""

    dir: str
    node_name: str = ""
    node_ip: str = ""
    pod_cidr: str = POD_CIDR
    gateway: str = GATEWAY
    bridge: str = BRIDGE
    bridge_created: bool = False
    containerd_socket: str = ""
    created_paths: list[str] = field(default_factory=list)
    sysctls: dict[str, str] = field(default_factory=dict)
    netns_before: list[str] = field(default_factory=list)
    images: dict[str, dict[str, str]] = field(default_factory=dict)
    s3_endpoint: str = ""
    argo_url: str = ""
    kubelet_version: str = ""
    bin_dir: str = ""

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> NodeState:
        return cls(**data)


# -- small host helpers ----------------------------------------------------------------------------------------
def _run(args: list[str], timeout: float = 60, check: bool = True) -> subprocess.CompletedProcess[str]:
    res = subprocess.run(args, capture_output=True, text=True, timeout=timeout, check=False)
    if check and res.returncode != 0:
        raise NodeError(
            f"`{' '.join(args)}` failed ({res.returncode}): {res.stderr.strip() or res.stdout.strip()}"
        )
    return res


def _read_sysctl(name: str) -> str | None:
    try:
        return Path("/proc/sys", name).read_text().strip()
    except OSError:
        return None


def _write_sysctl(name: str, value: str) -> None:
    with contextlib.suppress(OSError):
        Path("/proc/sys", name).write_text(value + "\n")


def _netns() -> list[str]:
    d = Path("/run/netns")
    return sorted(p.name for p in d.iterdir()) if d.is_dir() else []


def _mounts_under(prefixes: list[str]) -> list[str]:
    found = []
    with contextlib.suppress(OSError):
        for line in Path("/proc/self/mountinfo").read_text().splitlines():
            point = line.split()[4].replace("\\040", " ")
            if any(point == p or point.startswith(p.rstrip("/") + "/") for p in prefixes):
                found.append(point)
    return sorted(set(found), key=len, reverse=True)


def _cgroup_dirs() -> list[Path]:
    """The pod cgroups the kubelet (cgroupfs driver) makes: <hierarchy>/kubepods in every hierarchy."""
    root = Path("/sys/fs/cgroup")
    dirs = [root / "kubepods"] if (root / "kubepods").is_dir() else []
    if root.is_dir():
        dirs += [h / "kubepods" for h in root.iterdir() if (h / "kubepods").is_dir()]
    return dirs


def _kubepods_pids() -> set[int]:
    pids: set[int] = set()
    for top in _cgroup_dirs():
        for procs_file in top.rglob("cgroup.procs"):
            with contextlib.suppress(OSError, ValueError):
                pids.update(int(x) for x in procs_file.read_text().split())
    return pids


def _shims_of(socket_path: str) -> list[int]:
    """containerd-shim-runc-v2 processes serving our containerd (their command line names its socket)."""
    found = []
    for d in Path("/proc").iterdir():
        if not d.name.isdigit():
            continue
        with contextlib.suppress(OSError):
            cmd = (d / "cmdline").read_bytes().split(b"\0")
            if cmd and cmd[0].endswith(b"containerd-shim-runc-v2") and socket_path.encode() in b" ".join(cmd):
                found.append(int(d.name))
    return found


def _node_ip() -> str:
    """The source address of the default route (the kubelet refuses a loopback node IP).

    Asked of the routing table (`ip -4 route get`) rather than by connecting a UDP socket: a probe address can
    be this host's broadcast address (192.0.2.255 on a 192.0.2.0/24 host), where connect() fails with EACCES."""
    out = _run(["ip", "-4", "-o", "route", "get", "1.1.1.1"]).stdout.split()
    if "src" not in out:
        raise NodeError(f"no IPv4 default route with a source address (`ip route get`: {' '.join(out)})")
    return out[out.index("src") + 1]


def check_pod_cidr_free(cidr: str = POD_CIDR) -> None:
    net = ipaddress.ip_network(cidr)
    routes = _run(["ip", "-4", "route", "show"], check=False).stdout.splitlines()
    for line in routes:
        dest = line.split()[0]
        if dest == "default" or f"dev {BRIDGE}" in line:
            continue
        with contextlib.suppress(ValueError):
            if ipaddress.ip_network(dest, strict=False).overlaps(net):
                raise NodeError(
                    f"the pod range {cidr} overlaps a route of this host ({line}): change POD_CIDR"
                )


# -- the host lock ---------------------------------------------------------------------------------------------
def acquire_lock(run_dir: Path, cleanup_stale: Callable[[Path], None]) -> None:
    path = lock_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    for _ in range(3):
        try:
            fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            owner = Path(json.loads(path.read_text() or "{}").get("run_dir", "/nonexistent"))
            if owner == run_dir:
                return
            state_file = owner / "state.json"
            live = False
            if state_file.is_file() and not (owner / "stopped").exists():
                state = json.loads(state_file.read_text())
                live = any(procs.alive(p["pid"]) for p in state.get("processes", []))
            if live:
                raise NodeError(
                    f"the real node of another stack is running (run dir {owner}); only one real node per host"
                    " (kube-proxy's iptables chains and the kubelet's paths are host-wide): stop it with"
                    f" `python -m tests.e2e.stack down --run-dir {owner}`"
                ) from None
            if state_file.is_file():
                cleanup_stale(owner)
            path.unlink(missing_ok=True)
            continue
        with os.fdopen(fd, "w") as fh:
            json.dump({"run_dir": str(run_dir), "pid": os.getpid()}, fh)
        return
    raise NodeError(f"could not take the real-node lock {path}")


def release_lock(run_dir: Path) -> None:
    path = lock_path()
    with contextlib.suppress(OSError, ValueError):
        if Path(json.loads(path.read_text()).get("run_dir", "")) == run_dir:
            path.unlink()


# -- start -----------------------------------------------------------------------------------------------------
class RealNode:
    """Start the node's parts in order; `state` is saved by the caller after each step."""

    def __init__(self, run_dir: Path, kube: Kube, kubeconfig: str, spawn: Spawner, ports: set[int]) -> None:
        self.run_dir = run_dir
        self.kube = kube
        self.kubeconfig = kubeconfig
        self.spawn = spawn
        self.ports = ports
        self.state = NodeState(dir=str(run_dir / "node"), bin_dir=str(V.node_bin_dir()))
        self.dir = Path(self.state.dir)

    @property
    def ctr_socket(self) -> str:
        return str(self.dir / "containerd" / "containerd.sock")

    def ctr(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        return _run(["ctr", "--address", self.ctr_socket, *args], timeout=timeout)

    def prepare_host(self) -> None:
        """Record what exists before (fixed paths, netns, sysctls), then the bridge and forwarding."""
        st = self.state
        check_pod_cidr_free(st.pod_cidr)
        st.node_name = socket.gethostname()
        st.node_ip = _node_ip()
        st.created_paths = [p for p in FIXED_PATHS if not os.path.lexists(p)]
        st.netns_before = _netns()
        st.sysctls = {k: v for k in SYSCTLS if (v := _read_sysctl(k)) is not None}
        if _run(["ip", "link", "show", st.bridge], check=False).returncode != 0:
            _run(["ip", "link", "add", st.bridge, "type", "bridge"])
            st.bridge_created = True
        prefix = st.pod_cidr.split("/")[1]
        addrs = _run(["ip", "-4", "addr", "show", "dev", st.bridge]).stdout
        if f"inet {st.gateway}/" not in addrs:
            _run(["ip", "addr", "add", f"{st.gateway}/{prefix}", "dev", st.bridge])
        _run(["ip", "link", "set", st.bridge, "up"])
        _write_sysctl("net/ipv4/ip_forward", "1")
        _write_sysctl("net/bridge/bridge-nf-call-iptables", "1")

    def images(self) -> dict[str, I.ImageRef]:
        refs = I.ensure_images()
        self.state.images = {k: v.to_json() for k, v in refs.items()}
        return refs

    def start_containerd(self, pause_ref: str) -> None:
        d = self.dir / "containerd"
        for sub in ("root", "state", "runc"):
            (d / sub).mkdir(parents=True, exist_ok=True)
        cni_conf = self.dir / "cni" / "net.d"
        cni_conf.mkdir(parents=True, exist_ok=True)
        self.state.containerd_socket = self.ctr_socket
        cri = 'plugins."io.containerd.grpc.v1.cri"'
        (d / "config.toml").write_text(
            f"""version = 2
root = "{d / "root"}"
state = "{d / "state"}"
[grpc]
  address = "{self.ctr_socket}"
[ttrpc]
  address = "{self.ctr_socket}.ttrpc"
[{cri}]
  sandbox_image = "{pause_ref}"
  enable_unprivileged_ports = false
  # no CAP_SYS_RESOURCE in this sandbox: never ask for an oom_score_adj below containerd's own
  restrict_oom_score_adj = true
  [{cri}.containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [{cri}.containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [{cri}.containerd.runtimes.runc.options]
        SystemdCgroup = false
        Root = "{d / "runc"}"
  [{cri}.cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "{cni_conf}"
"""
        )
        (cni_conf / "10-argo-mcp-e2e.conflist").write_text(
            json.dumps(
                {
                    "cniVersion": "1.0.0",
                    "name": "argo-mcp-e2e",
                    "plugins": [
                        {
                            "type": "bridge",
                            "bridge": self.state.bridge,
                            "isGateway": True,
                            "ipMasq": False,
                            "hairpinMode": True,
                            "ipam": {
                                "type": "host-local",
                                "ranges": [[{"subnet": self.state.pod_cidr, "gateway": self.state.gateway}]],
                                "routes": [{"dst": "0.0.0.0/0"}],
                                "dataDir": str(self.dir / "cni" / "ipam"),
                            },
                        }
                    ],
                },
                indent=2,
            )
        )
        proc, pinfo = self.spawn("containerd", ["containerd", "--config", str(d / "config.toml")])
        procs.wait_until(
            "containerd", lambda: self.ctr("version", timeout=10).returncode == 0, 60, proc=proc, info=pinfo
        )

    def import_images(self, refs: dict[str, I.ImageRef]) -> None:
        for ref in refs.values():
            self.ctr("-n", "k8s.io", "images", "import", str(ref.archive), timeout=300)
        listed = self.ctr("-n", "k8s.io", "images", "ls", "-q").stdout.split()
        missing = [r.ref for r in refs.values() if r.ref not in listed]
        if missing:
            raise NodeError(f"images not in containerd after import: {missing}")

    def start_relays(self, s3_endpoint: str) -> None:
        """socat relays for the pod range: the apiserver at its advertised address, S3 on the gateway."""
        slice_ = self.kube.get("/apis/discovery.k8s.io/v1/namespaces/default/endpointslices/kubernetes")
        address = slice_["endpoints"][0]["addresses"][0]
        port = int(slice_["ports"][0]["port"])
        api_port = int(self.kube.port)
        if ipaddress.ip_address(address).is_loopback:
            raise NodeError(f"the apiserver advertises {address}: pods cannot reach a loopback address")
        self._relay("api-relay", address, port, api_port)
        s3_port = int(s3_endpoint.rsplit(":", 1)[1])
        self._relay("s3-relay", self.state.gateway, s3_port, s3_port)
        self.state.s3_endpoint = f"{self.state.gateway}:{s3_port}"

    def _relay(self, name: str, bind: str, port: int, target_port: int) -> None:
        proc, pinfo = self.spawn(
            name,
            [
                "socat",
                f"TCP-LISTEN:{port},bind={bind},fork,reuseaddr,range={self.state.pod_cidr}",
                f"TCP:127.0.0.1:{target_port}",
            ],
        )
        procs.wait_until(
            f"{name} on {bind}:{port}", lambda: procs.port_in_use(port, bind), 20, proc=proc, info=pinfo
        )
        time.sleep(0.2)  # someone else's listener also passes the check above: the relay must still be alive
        if proc.poll() is not None:
            raise NodeError(
                f"{name} exited ({proc.returncode}) after start: {procs.tail(Path(pinfo.log), 5)}"
            )

    def start_kube_proxy(self) -> None:
        health = procs.free_port(self.ports)
        proc, pinfo = self.spawn(
            "kube-proxy",
            [
                str(V.node_bin_dir() / "kube-proxy"),
                "--kubeconfig", self.kubeconfig,
                "--hostname-override", self.state.node_name,
                "--proxy-mode", "iptables",
                "--cluster-cidr", self.state.pod_cidr,
                "--metrics-bind-address", f"127.0.0.1:{procs.free_port(self.ports)}",
                "--healthz-bind-address", f"127.0.0.1:{health}",
                "--iptables-localhost-nodeports=false",
                # NodePorts only on the node's primary address, not on every address of the host
                "--nodeport-addresses", "primary",
                # never touch the host's conntrack sysctls (read-only here, host-wide anyway)
                "--conntrack-max-per-core", "0",
                "--conntrack-tcp-timeout-established", "0",
                "--conntrack-tcp-timeout-close-wait", "0",
                "--v=1",
            ],
        )  # fmt: skip
        procs.wait_until(
            "kube-proxy /healthz",
            lambda: procs.port_in_use(health),
            60,
            proc=proc,
            info=pinfo,
        )

    def start_coredns(self) -> None:
        corefile = self.dir / "Corefile"
        corefile.write_text(
            f""".:53 {{
    bind {self.state.gateway}
    errors
    kubernetes cluster.local in-addr.arpa ip6.arpa {{
        kubeconfig {self.kubeconfig}
        pods insecure
        fallthrough in-addr.arpa ip6.arpa
    }}
    cache 5
}}
"""
        )
        proc, pinfo = self.spawn("coredns", [str(V.node_bin_dir() / "coredns"), "-conf", str(corefile)])
        procs.wait_until(
            "coredns on :53", lambda: _udp_dns_answers(self.state.gateway), 30, proc=proc, info=pinfo
        )

    def start_kubelet(self, ca_file: str) -> None:
        st = self.state
        kd = self.dir / "kubelet"
        (kd / "root").mkdir(parents=True, exist_ok=True)
        (kd / "pod-logs").mkdir(parents=True, exist_ok=True)
        port, healthz = procs.free_port(self.ports), procs.free_port(self.ports)
        config = {
            "apiVersion": "kubelet.config.k8s.io/v1beta1",
            "kind": "KubeletConfiguration",
            # cgroup v1 hosts (this one): kubelet 1.36 refuses them unless told
            "failCgroupV1": False,
            "cgroupDriver": "cgroupfs",
            "containerRuntimeEndpoint": f"unix://{self.ctr_socket}",
            "address": "127.0.0.1",
            "port": port,
            "readOnlyPort": 0,
            "healthzBindAddress": "127.0.0.1",
            "healthzPort": healthz,
            # the apiserver presents its kubelet client certificate (kwokctl componentsPatches)
            "authentication": {
                "anonymous": {"enabled": False},
                "webhook": {"enabled": True},
                "x509": {"clientCAFile": ca_file},
            },
            "authorization": {"mode": "Webhook"},
            "registerNode": True,
            "registerWithTaints": [{"key": TAINT_KEY, "value": "true", "effect": "NoSchedule"}],
            "clusterDomain": "cluster.local",
            "clusterDNS": [st.gateway],
            "resolvConf": "/etc/resolv.conf",
            "maxPods": 110,
            "serializeImagePulls": False,
            "imageGCHighThresholdPercent": 95,
            "imageGCLowThresholdPercent": 90,
            "evictionHard": {
                "memory.available": "200Mi",
                "nodefs.available": "2%",
                "imagefs.available": "2%",
            },
            "containerLogMaxSize": "10Mi",
            "podLogsDir": str(kd / "pod-logs"),
            "failSwapOn": False,
        }
        (kd / "config.yaml").write_text(yaml.safe_dump(config))
        proc, pinfo = self.spawn(
            "kubelet",
            [
                str(V.node_bin_dir() / "kubelet"),
                "--config", str(kd / "config.yaml"),
                "--kubeconfig", self.kubeconfig,
                "--root-dir", str(kd / "root"),
                "--cert-dir", str(kd / "pki"),
                "--hostname-override", st.node_name,
                "--node-ip", st.node_ip,
                "--node-labels", f"{NODE_LABEL}={NODE_LABEL_VALUE}",
                "--v=1",
            ],
        )  # fmt: skip

        def ready() -> bool:
            node = self.kube.get_or_none(f"/api/v1/nodes/{st.node_name}")
            if not node:
                return False
            st.kubelet_version = (status_of(node).get("nodeInfo") or {}).get("kubeletVersion", "")
            return has_condition(node, "Ready")

        procs.wait_until(f"real node {st.node_name} Ready", ready, 90, proc=proc, info=pinfo, interval=0.5)

    def start_argo_relay(self, argo_url: str, namespace: str) -> None:
        """The Argo server for pods: a relay on the gateway and a selectorless Service argo-server:2746."""
        target = int(argo_url.rsplit(":", 1)[1])
        # its own port: the Argo server listens on every address, so its own port is taken on the gateway too
        port = procs.free_port(self.ports)
        self._relay("argo-relay", self.state.gateway, port, target)
        self.kube.apply(
            {
                "apiVersion": "v1",
                "kind": "Service",
                "metadata": {"name": "argo-server", "namespace": namespace},
                "spec": {
                    "ports": [
                        {"name": "web", "port": ARGO_SERVICE_PORT, "targetPort": port, "protocol": "TCP"}
                    ]
                },
            }
        )
        self.kube.apply(
            {
                "apiVersion": "discovery.k8s.io/v1",
                "kind": "EndpointSlice",
                "metadata": {
                    "name": "argo-server-relay",
                    "namespace": namespace,
                    "labels": {"kubernetes.io/service-name": "argo-server"},
                },
                "addressType": "IPv4",
                "ports": [{"name": "web", "port": port, "protocol": "TCP"}],
                "endpoints": [{"addresses": [self.state.gateway], "conditions": {"ready": True}}],
            }
        )
        scheme = argo_url.split(":", 1)[0]
        self.state.argo_url = f"{scheme}://argo-server.{namespace}.svc:{ARGO_SERVICE_PORT}"


def _udp_dns_answers(host: str) -> bool:
    """A DNS query for kubernetes.default.svc.cluster.local gets any answer (CoreDNS is serving)."""
    query = (
        b"\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00"
        + b"".join(bytes([len(p)]) + p.encode() for p in ["kubernetes", "default", "svc", "cluster", "local"])
        + b"\x00\x00\x01\x00\x01"
    )
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.settimeout(1)
        s.sendto(query, (host, 53))
        data, _ = s.recvfrom(512)
    return data[:2] == b"\x12\x34"


# -- teardown --------------------------------------------------------------------------------------------------
def teardown(node: dict[str, Any], processes: list[dict[str, Any]], run_dir: Path) -> list[str]:
    """Undo everything the node did; return what could not be removed (empty when the host is clean)."""
    st = NodeState.from_json(node)
    pids = {p["name"]: int(p["pid"]) for p in processes if p["name"] in PROCESSES}
    problems: list[str] = []
    # 1. the kubelet first (it would restart containers), then every container while containerd still serves
    if "kubelet" in pids and procs.alive(pids["kubelet"]):
        procs.stop_group(pids["kubelet"], grace=10)
    if st.containerd_socket and "containerd" in pids and procs.alive(pids["containerd"]):
        _stop_containers(st.containerd_socket)
    procs.stop_groups(
        [pids[name] for name in PROCESSES if name in pids and procs.alive(pids[name])], grace=10
    )
    # 2. what outlived containerd: shims, then any process still in a pod cgroup
    for pid in _shims_of(st.containerd_socket) if st.containerd_socket else []:
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)
    for _ in range(3):
        left = _kubepods_pids()
        if not left:
            break
        for pid in left:
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
        time.sleep(0.5)
    # 3. mounts (rootfs, shm, secrets/tokens, netns), deepest first, then the netns the pods had
    new_netns = [n for n in _netns() if n not in st.netns_before]
    prefixes = [st.dir, *[p for p in st.created_paths if p != "/run/netns"]]
    prefixes += [f"/run/netns/{n}" for n in new_netns]
    for point in _mounts_under(prefixes):
        res = _run(["umount", point], check=False)
        if res.returncode != 0:
            _run(["umount", "-l", point], check=False)
    for n in new_netns:
        with contextlib.suppress(OSError):
            os.unlink(f"/run/netns/{n}")
    # 4. network: the bridge (pod veths went with their netns), kube-proxy's and the kubelet's iptables chains
    if st.bridge_created and _run(["ip", "link", "show", st.bridge], check=False).returncode == 0:
        _run(["ip", "link", "del", st.bridge], check=False)
    kube_proxy = Path(st.bin_dir or V.node_bin_dir()) / "kube-proxy"
    if kube_proxy.is_file():
        _run([str(kube_proxy), "--cleanup", "--proxy-mode", "iptables"], check=False, timeout=60)
    _remove_kubelet_chains()
    # 5. pod cgroups, deepest first
    for top in _cgroup_dirs():
        for d in sorted((p for p in top.rglob("*") if p.is_dir()), key=lambda p: len(p.parts), reverse=True):
            with contextlib.suppress(OSError):
                d.rmdir()
        with contextlib.suppress(OSError):
            top.rmdir()
    # 6. sysctls, fixed host paths the stack created, the node's scratch (images, snapshots)
    for name, value in st.sysctls.items():
        if _read_sysctl(name) != value:
            _write_sysctl(name, value)
    for path in st.created_paths:
        if os.path.lexists(path) and not _mounts_under([path]):
            _run(["rm", "-rf", "--one-file-system", path], check=False)
    if Path(st.dir).exists() and not _mounts_under([st.dir]):
        for sub in ("containerd", "kubelet/root", "cni"):
            _run(["rm", "-rf", "--one-file-system", str(Path(st.dir) / sub)], check=False)
    release_lock(run_dir)
    problems += [f"mount {m}" for m in _mounts_under(prefixes)]
    problems += [f"cgroup {d}" for d in _cgroup_dirs()]
    problems += [f"path {p}" for p in st.created_paths if os.path.lexists(p)]
    if st.bridge_created and _run(["ip", "link", "show", st.bridge], check=False).returncode == 0:
        problems.append(f"bridge {st.bridge}")
    return problems


def teardown_run(run_dir: Path) -> None:
    """Tear down the stack of another run dir (a stale owner of the node lock)."""
    from . import local  # the stack's teardown owns the order; imported here to avoid an import cycle

    local.teardown(local.StackInfo.load(run_dir))


def _stop_containers(socket_path: str) -> None:
    def ctr(*args: str) -> subprocess.CompletedProcess[str]:
        return _run(["ctr", "--address", socket_path, "-n", "k8s.io", *args], check=False, timeout=30)

    tasks = ctr("tasks", "ls", "-q").stdout.split()
    for t in tasks:
        ctr("tasks", "kill", "-s", "SIGKILL", t)
    deadline = time.monotonic() + 10
    while tasks and time.monotonic() < deadline:
        for t in tasks:
            ctr("tasks", "rm", "-f", t)
        tasks = ctr("tasks", "ls", "-q").stdout.split()
    for c in ctr("containers", "ls", "-q").stdout.split():
        ctr("containers", "rm", c)


def _remove_kubelet_chains() -> None:
    for ipt in ("iptables", "ip6tables"):
        if _run(["sh", "-c", f"command -v {ipt}"], check=False).returncode != 0:
            continue
        for hook in ("INPUT", "OUTPUT", "FORWARD"):
            for _ in range(5):
                if _run([ipt, "-w", "-D", hook, "-j", "KUBE-FIREWALL"], check=False).returncode != 0:
                    break
        for table in ("filter", "nat", "mangle"):
            for chain in KUBELET_CHAINS:
                if _run([ipt, "-w", "-t", table, "-F", chain], check=False).returncode == 0:
                    _run([ipt, "-w", "-t", table, "-X", chain], check=False)


def leftovers() -> list[str]:
    """What a real node leaves on the host if not torn down (for tests and `status`)."""
    found = [f"cgroup {d}" for d in _cgroup_dirs()]
    if _run(["ip", "link", "show", BRIDGE], check=False).returncode == 0:
        found.append(f"bridge {BRIDGE}")
    rules = (
        _run(["iptables-save"], check=False).stdout
        if _run(["sh", "-c", "command -v iptables-save"], check=False).returncode == 0
        else ""
    )
    found += sorted(
        {f"iptables chain {line.split()[0][1:]}" for line in rules.splitlines() if line.startswith(":KUBE-")}
    )
    found += [f"netns {n}" for n in _netns() if n.startswith("cni-")]
    return found
