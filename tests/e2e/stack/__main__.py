"""python -m tests.e2e.stack build|up|down|status|env|token"""

from __future__ import annotations

import argparse
import shlex
import signal
import sys
import time
from pathlib import Path

from . import build as B
from . import events_build, local, node_build, procs
from . import node as N
from . import versions as V
from .kube import Kube


def _print_info(info: local.StackInfo) -> None:
    env = info.env()
    print(
        f"""
argo-mcp e2e stack is up ({info.timings.get("total", 0):.0f}s)   run dir: {info.run_dir}
  versions: {", ".join(f"{k} {v}" for k, v in info.versions.items())}

  ARGO_SERVER_URL={info.argo_url}     (plain HTTP; Argo Server auth modes: client + server)
  KUBECONFIG={info.kubeconfig}        (cluster admin)
  real node: {info.node.get("node_name", "?")} (kubelet {info.node.get("kubelet_version", "?")}); workflow pods run there
  WORKLOAD_IMAGE={env["WORKLOAD_IMAGE"]}   (busybox; use it in your workflows, it is never pulled)
  ARGO_MCP_IMAGE={env["ARGO_MCP_IMAGE"] or "(not built by this stack yet)"}
  Argo Events: controller-manager and nats (JetStream) in namespace argo-events; EventBus `default` in {info.namespace}
  ARGO_EVENTS_IMAGE={env["ARGO_EVENTS_IMAGE"]}   NATS_IMAGE={env["NATS_IMAGE"]}
  namespace: {info.namespace}; S3 (moto): http://{info.s3_endpoint} bucket {info.s3_bucket};"""
        f""" PostgreSQL archive: 127.0.0.1:{info.postgres_port}
  logs: {info.logs_dir}

Point your shell at it:
  eval "$(python -m tests.e2e.stack env)"
  kubectl get nodes,pods -A
  curl -s $ARGO_SERVER_URL/api/v1/version

Run argo-mcp against it (a token for a ServiceAccount, RBAC enforced by the kube-apiserver):
  python -m tests.e2e.stack token {local.FULL_SA} > /tmp/argo-token      # or {local.READONLY_SA}
  argo-mcp --argo-server-url {env["ARGO_SERVER_URL"]} --argo-auth-mode bearer-file \\
           --argo-token-file /tmp/argo-token --argo-default-namespace {info.namespace}
An MCP client then connects to http://127.0.0.1:8081/mcp (or runs argo-mcp with --stdio).

Stop it:  python -m tests.e2e.stack down
"""
    )


def cmd_build(steps: list[str]) -> int:
    """The control plane's binaries (build.py), then the real node's (node_build.py), then Argo Events'
    (events_build.py), each in its own cache."""
    rc = B.main(steps)
    if rc != 0 or steps:
        return rc
    for what, build in (("node", node_build.build), ("Argo Events", events_build.build)):
        try:
            build()
        except B.BuildError as exc:
            print(f"e2e {what} build FAILED: {exc}", file=sys.stderr)
            return 1
    return 0


def cmd_up(args: argparse.Namespace) -> int:
    cur = local.current_run()
    if cur and (cur / "state.json").exists() and not (cur / "stopped").exists():
        info = local.StackInfo.load(cur)
        if any(procs.alive(p["pid"]) for p in info.processes):
            print(f"a stack is already running (run dir {cur}); `down` it first", file=sys.stderr)
            _print_info(info)
            return 1
    stack = local.LocalStack()
    try:
        info = stack.up(build_if_missing=not args.no_build)
    except Exception as exc:
        print(f"\ne2e stack FAILED to start: {exc}", file=sys.stderr)
        return 1
    _print_info(info)
    if args.foreground:
        print("running in the foreground; Ctrl-C stops the stack", file=sys.stderr)
        stop = False

        def _stop(*_: object) -> None:
            nonlocal stop
            stop = True

        signal.signal(signal.SIGINT, _stop)
        signal.signal(signal.SIGTERM, _stop)
        while not stop:
            time.sleep(0.5)
        stack.down()
    return 0


def cmd_down(args: argparse.Namespace) -> int:
    cur = Path(args.run_dir) if args.run_dir else local.current_run()
    if not cur or not (cur / "state.json").exists():
        print("no stack found", file=sys.stderr)
        return 0
    local.teardown(local.StackInfo.load(cur))
    print(f"stack stopped; logs kept in {cur / 'logs'}")
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    print(f"versions: {V.load().summary()}")
    print(f"binaries: {V.bin_dir()} ({'built' if B.is_built() else 'NOT built'})")
    print(f"node binaries: {V.node_bin_dir()} ({'built' if node_build.is_built() else 'NOT built'})")
    print(
        f"Argo Events binaries: {V.events_bin_dir()} ({'built' if events_build.is_built() else 'NOT built'})"
    )
    cur = local.current_run()
    if not cur or not (cur / "state.json").exists():
        print("stack: none")
        return 0
    info = local.StackInfo.load(cur)
    print(f"stack: run dir {cur}{' (stopped)' if (cur / 'stopped').exists() else ''}")
    for p in info.processes:
        print(
            f"  {p['name']:<22} pid {p['pid']:<8} {'alive' if procs.alive(p['pid']) else 'DEAD'}  {p['log']}"
        )
    print(f"  ARGO_SERVER_URL={info.argo_url}\n  KUBECONFIG={info.kubeconfig}")
    if info.node:
        print(f"  real node {info.node.get('node_name')} (kubelet {info.node.get('kubelet_version')})")
        for role, img in (info.node.get("images") or {}).items():
            print(f"  image {role:<11} {img['ref']}")
    if (cur / "stopped").exists():
        left = N.leftovers()
        print(f"  host leftovers of a real node: {', '.join(left) if left else 'none'}")
    return 0


def cmd_argo_versions(args: argparse.Namespace) -> int:
    """versions.toml's Argo Workflows versions, one a line, the default first (./dev e2e loops over them)."""
    print("\n".join(V.argo_versions()))
    return 0


def cmd_env(args: argparse.Namespace) -> int:
    cur = local.current_run()
    if not cur or not (cur / "state.json").exists():
        print("no stack is up", file=sys.stderr)
        return 1
    for k, v in local.StackInfo.load(cur).env().items():
        print(f"export {k}={shlex.quote(v)}")
    # the version-matched kubectl built with the control plane
    print(f'export PATH={shlex.quote(str(V.bin_dir()))}:"$PATH"')
    return 0


def cmd_token(args: argparse.Namespace) -> int:
    cur = local.current_run()
    if not cur:
        print("no stack is up", file=sys.stderr)
        return 1
    info = local.StackInfo.load(cur)
    print(
        Kube(info.kubeconfig).mint_token(
            args.service_account, args.namespace or info.namespace, seconds=args.seconds
        )
    )
    return 0


def cmd_reap(args: argparse.Namespace) -> int:
    """Wait for a process (the pytest run) to exit; if its stack is still up then, tear it down."""
    run_dir = Path(args.run_dir)
    while procs.alive(args.pid) and not (run_dir / "stopped").exists():
        time.sleep(1)
    if not (run_dir / "stopped").exists():
        print(f"process {args.pid} is gone and left its stack up: tearing it down", flush=True)
        local.teardown(local.StackInfo.load(run_dir))
    return 0


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(prog="python -m tests.e2e.stack", description=__doc__)
    sub = ap.add_subparsers(dest="cmd", required=True)
    b = sub.add_parser("build", help="build the pinned binaries into the cache (idempotent)")
    b.add_argument("steps", nargs="*", help="only these steps: manifests etcd kwok argo kubernetes")
    u = sub.add_parser("up", help="start the local stack and leave it running")
    u.add_argument("--no-build", action="store_true", help="fail instead of building missing binaries")
    u.add_argument("--foreground", action="store_true", help="stay in the foreground; Ctrl-C stops the stack")
    d = sub.add_parser("down", help="stop the stack (logs are kept)")
    d.add_argument("--run-dir")
    sub.add_parser("status", help="versions, build state, processes")
    sub.add_parser("env", help="print export lines for KUBECONFIG / ARGO_SERVER_URL")
    sub.add_parser(
        "argo-versions",
        help=f"the pinned Argo Workflows versions, default first (pick one: {V.ARGO_ENV}=...)",
    )
    t = sub.add_parser("token", help="mint a ServiceAccount token (TokenRequest API)")
    t.add_argument("service_account")
    t.add_argument("--namespace")
    t.add_argument("--seconds", type=int, default=3600)
    r = sub.add_parser("reap", help="(internal) tear the stack down when --pid exits")
    r.add_argument("--run-dir", required=True)
    r.add_argument("--pid", type=int, required=True)
    args = ap.parse_args(argv)
    try:
        V.load()
    except ValueError as exc:  # e.g. ARGO_MCP_E2E_ARGO names a version versions.toml does not pin
        print(f"python -m tests.e2e.stack: {exc}", file=sys.stderr)
        return 2
    if args.cmd == "build":
        return cmd_build(args.steps)
    return {
        "up": cmd_up,
        "down": cmd_down,
        "status": cmd_status,
        "env": cmd_env,
        "argo-versions": cmd_argo_versions,
        "token": cmd_token,
        "reap": cmd_reap,
    }[args.cmd](args)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
