"""The test executor: plays the part of each workflow pod's containers (Argo's `argoexec` + the user's main).

For every Running pod that the workflow-controller created (label `workflows.argoproj.io/workflow`), it:
1. optionally waits (`argo-mcp.test/duration: "<seconds>"`), finishing early as failed if the workflow is
   stopped/terminated (spec.shutdown) and giving up if the pod is deleted;
2. uploads the template's declared output artifacts to S3 (content deterministic, or chosen by annotation);
3. writes the pod's CRI-format log files and the kwok `Logs` object that serves them to `kubectl logs` and to
   Argo's log API;
4. writes the `WorkflowTaskResult` (name = the pod's node id, outputs at the top level, labelled
   report-outputs-completed) exactly as argoexec does;
5. sets `argo-mcp.test/result` on the pod, and kwok's pod-complete / pod-fail Stage finishes the pod.

Annotations read from the pod (put them on the template's `metadata.annotations`):
- `argo-mcp.test/fail`: "true" -> the main container fails; "once" -> fails the first run of this node only
  (per workflow and node name; a retry then succeeds).
- `argo-mcp.test/exit-code`: exit code of a failing main container (default 1).
- `argo-mcp.test/duration`: seconds the container "runs" before finishing.
- `argo-mcp.test/parameters`: JSON object {output parameter name: value}.
- `argo-mcp.test/artifacts`: JSON object {artifact name: text content | {"size": N} (N deterministic bytes)}.
- `argo-mcp.test/log-lines`: N extra numbered log lines on `main` (a long log: 2000 lines is > 64 KiB).
- `argo-mcp.test/log`: text logged by `main` (lines split on newlines); also the script `result` output.
"""

from __future__ import annotations

import argparse
import contextlib
import gzip
import hashlib
import io
import json
import logging
import signal
import tarfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3  # type: ignore[import-untyped]

from .kube import JSON, Kube, KubeError

log = logging.getLogger("argo-mcp-e2e-executor")

A = "argo-mcp.test/"
WF_LABEL = "workflows.argoproj.io/workflow"
NODE_ID = "workflows.argoproj.io/node-id"
NODE_NAME = "workflows.argoproj.io/node-name"


def default_artifact_content(name: str) -> bytes:
    """What an output artifact holds unless the test chooses (tests can recompute the sha256)."""
    return f"argo-mcp e2e artifact {name}\n".encode()


def sized_content(size: int) -> bytes:
    """N deterministic bytes: the repeated sha256 chain of b'argo-mcp' (tests can recompute it)."""
    out = bytearray()
    block = hashlib.sha256(b"argo-mcp").digest()
    while len(out) < size:
        out += block
        block = hashlib.sha256(block).digest()
    return bytes(out[:size])


def artifact_bytes(name: str, annotations: dict[str, str]) -> bytes:
    chosen = _json_annotation(annotations, "artifacts").get(name)
    if isinstance(chosen, str):
        return chosen.encode()
    if isinstance(chosen, dict) and "size" in chosen:
        return sized_content(int(chosen["size"]))
    return default_artifact_content(name)


def main_log_lines(pod_name: str, template: JSON, annotations: dict[str, str]) -> list[str]:
    lines = [f"argo-mcp e2e executor: template {template.get('name', '?')} running in pod {pod_name}"]
    if A + "log" in annotations:
        lines += annotations[A + "log"].splitlines()
    n = int(annotations.get(A + "log-lines", "0") or 0)
    lines += [f"line {i:06d} of {n}: {'x' * 40}" for i in range(1, n + 1)]
    lines.append("argo-mcp e2e executor: done")
    return lines


def _json_annotation(annotations: dict[str, str], key: str) -> dict[str, Any]:
    raw = annotations.get(A + key)
    if not raw:
        return {}
    try:
        val = json.loads(raw)
    except json.JSONDecodeError:
        log.warning("annotation %s%s is not JSON: %r", A, key, raw)
        return {}
    return val if isinstance(val, dict) else {}


def _cri(lines: list[str], stream: str = "stdout") -> str:
    now = datetime.now(UTC)
    ts = now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond:06d}000Z"
    return "".join(f"{ts} {stream} F {line}\n" for line in lines)


def _template_of(pod: JSON) -> JSON:
    for c in pod["spec"].get("initContainers", []) + pod["spec"].get("containers", []):
        for e in c.get("env", []) or []:
            if e.get("name") == "ARGO_TEMPLATE" and e.get("value"):
                return dict(json.loads(e["value"]))
    return {}


class Executor:
    def __init__(self, state: JSON, poll: float = 0.25) -> None:
        self.state = state
        self.run_dir = Path(state["run_dir"])
        self.kube = Kube(state["kubeconfig"])
        self.poll = poll
        self.logs_dir = self.run_dir / "pod-logs"
        self.logs_dir.mkdir(parents=True, exist_ok=True)
        self.seen: set[str] = set()
        self.lock = threading.Lock()
        self.failed_once_file = self.run_dir / "executor-failed-once.json"
        self.failed_once: set[str] = set()
        if self.failed_once_file.exists():
            self.failed_once = set(json.loads(self.failed_once_file.read_text()))
        self.pool = ThreadPoolExecutor(max_workers=16, thread_name_prefix="pod")
        self.stop = threading.Event()
        self.s3 = boto3.client(
            "s3",
            endpoint_url=f"http://{state['s3_endpoint']}",
            aws_access_key_id=state["s3_access_key"],
            aws_secret_access_key=state["s3_secret_key"],
            region_name=state["s3_region"],
        )

    def run(self) -> None:
        (self.run_dir / "executor.ready").write_text(str(time.time()))
        log.info("executor watching workflow pods")
        while not self.stop.is_set():
            try:
                pods = self.kube.get("/api/v1/pods", params={"labelSelector": WF_LABEL})["items"]
            except (KubeError, OSError) as exc:
                log.warning("listing pods failed: %s", exc)
                self.stop.wait(1)
                continue
            for pod in pods:
                uid = pod["metadata"]["uid"]
                ann = pod["metadata"].get("annotations") or {}
                if uid in self.seen or A + "result" in ann:
                    continue
                if pod.get("status", {}).get("phase") != "Running" or pod["metadata"].get(
                    "deletionTimestamp"
                ):
                    continue
                self.seen.add(uid)
                self.pool.submit(self._safe_play, pod)
            self.stop.wait(self.poll)
        self.pool.shutdown(wait=False, cancel_futures=True)

    def _safe_play(self, pod: JSON) -> None:
        name = f"{pod['metadata']['namespace']}/{pod['metadata']['name']}"
        try:
            self.play(pod)
        except Exception:
            log.exception("playing pod %s failed", name)
            with contextlib.suppress(Exception):
                self._finish(pod, "failed", 2)

    # -- one pod ---------------------------------------------------------------------------------------------
    def play(self, pod: JSON) -> None:
        md = pod["metadata"]
        ns, name = md["namespace"], md["name"]
        ann: dict[str, str] = md.get("annotations") or {}
        labels: dict[str, str] = md.get("labels") or {}
        wf = labels.get(WF_LABEL, "")
        node_id = ann.get(NODE_ID) or name
        node_name = ann.get(NODE_NAME, name)
        template = _template_of(pod)
        log.info(
            "pod %s/%s (workflow %s, node %s, template %s)", ns, name, wf, node_name, template.get("name")
        )

        fail_mode = ann.get(A + "fail", "").lower()
        fail = fail_mode in {"true", "1", "yes"}
        if fail_mode == "once":
            key = f"{ns}/{wf}/{node_name}"
            with self.lock:
                if key not in self.failed_once:
                    self.failed_once.add(key)
                    self.failed_once_file.write_text(json.dumps(sorted(self.failed_once)))
                    fail = True
        exit_code = int(ann.get(A + "exit-code", "1") or 1) if fail else 0

        main_lines = main_log_lines(name, template, ann)
        self._start_logs(ns, name, main_lines[0])
        duration = float(ann.get(A + "duration", "0") or 0)
        if duration > 0:
            outcome = self._wait(ns, name, wf, duration)
            if outcome == "deleted":
                log.info("pod %s/%s was deleted while running", ns, name)
                return
            if outcome == "shutdown":
                fail, exit_code = True, 143

        outputs: JSON = {}
        params = self._parameters(template, ann)
        if params:
            outputs["parameters"] = params
        arts = self._artifacts(ns, name, template, ann)
        if arts:
            outputs["artifacts"] = arts
        if "script" in template:
            outputs["result"] = ann.get(A + "log", main_lines[0])
        outputs["exitCode"] = str(exit_code)
        self._finish_logs(ns, name, main_lines[1:], fail)
        self._task_result(pod, wf, node_id, outputs, fail)
        self._finish(pod, "failed" if fail else "succeeded", exit_code)

    def _wait(self, ns: str, pod: str, wf: str, duration: float) -> str:
        deadline = time.monotonic() + duration
        while time.monotonic() < deadline and not self.stop.is_set():
            with contextlib.suppress(KubeError, OSError):
                p = self.kube.get_or_none(f"/api/v1/namespaces/{ns}/pods/{pod}")
                if p is None or p["metadata"].get("deletionTimestamp"):
                    return "deleted"
                w = self.kube.get_or_none(f"/apis/argoproj.io/v1alpha1/namespaces/{ns}/workflows/{wf}")
                if w is None:
                    return "deleted"
                if w.get("spec", {}).get("shutdown"):
                    return "shutdown"
            time.sleep(0.5)
        return "done"

    def _parameters(self, template: JSON, ann: dict[str, str]) -> list[JSON]:
        chosen = _json_annotation(ann, "parameters")
        out = []
        for p in (template.get("outputs") or {}).get("parameters") or []:
            name = p["name"]
            vf = p.get("valueFrom") or {}
            if name in chosen:
                value = str(chosen[name])
            elif "default" in vf:
                value = str(vf["default"])
            elif "value" in p:
                value = str(p["value"])
            else:
                value = f"{name}-value"
            entry: JSON = {"name": name, "value": value}
            if vf:
                entry["valueFrom"] = vf
            out.append(entry)
        return out

    def _artifacts(self, ns: str, pod: str, template: JSON, ann: dict[str, str]) -> list[JSON]:
        specs = (template.get("outputs") or {}).get("artifacts") or []
        if not specs:
            return []
        loc = (template.get("archiveLocation") or {}).get("s3") or {}
        prefix = loc.get("key") or f"{pod}"
        bucket = loc.get("bucket") or self.state["s3_bucket"]
        out = []
        for spec in specs:
            name = spec["name"]
            if name == "main-logs":
                continue
            content = artifact_bytes(name, ann)
            raw = "none" in (spec.get("archive") or {})
            if raw:
                key = f"{prefix}/{name}"
                body = content
            else:
                key = f"{prefix}/{name}.tgz"
                body = _tgz(Path(spec.get("path") or name).name or name, content)
            own_s3 = spec.get("s3") or {}
            if own_s3.get("key"):
                key = own_s3["key"]
            self.s3.put_object(Bucket=own_s3.get("bucket") or bucket, Key=key, Body=body)
            art: JSON = {
                k: v
                for k, v in spec.items()
                if k not in {"s3", "artifactory", "gcs", "oss", "hdfs", "http", "git", "raw", "azure"}
            }
            art["s3"] = {**{k: v for k, v in loc.items() if k != "key"}, **own_s3, "key": key}
            out.append(art)
            log.info(
                "uploaded artifact %s to s3://%s/%s (%d bytes, sha256 %s)",
                name,
                bucket,
                key,
                len(content),
                hashlib.sha256(content).hexdigest(),
            )
        return out

    def _log_files(self, ns: str, pod: str) -> dict[str, Path]:
        return {c: self.logs_dir / f"{ns}_{pod}_{c}.log" for c in ("main", "wait", "init")}

    def _start_logs(self, ns: str, pod: str, first_line: str) -> None:
        """While the pod runs: its first lines and the kwok Logs object (so logs of running pods work too)."""
        files = self._log_files(ns, pod)
        files["init"].write_text(_cri(["argo-mcp e2e executor (init): nothing to load"]))
        files["wait"].write_text("")
        files["main"].write_text(_cri([first_line]))
        logs_obj = {
            "apiVersion": "kwok.x-k8s.io/v1alpha1",
            "kind": "Logs",
            "metadata": {"name": pod, "namespace": ns},
            "spec": {
                "logs": [{"containers": [c], "logsFile": str(f), "follow": False} for c, f in files.items()]
            },
        }
        self.kube.apply(logs_obj, field_manager="argo-mcp-e2e-executor")

    def _finish_logs(self, ns: str, pod: str, more_lines: list[str], fail: bool) -> None:
        files = self._log_files(ns, pod)
        text = _cri(more_lines)
        if fail:
            text += _cri(["argo-mcp e2e executor: failing as asked"], "stderr")
        with files["main"].open("a") as fh:
            fh.write(text)
        with files["wait"].open("a") as fh:
            fh.write(_cri(["argo-mcp e2e executor (wait): outputs reported"]))

    def _task_result(self, pod: JSON, wf: str, node_id: str, outputs: JSON, fail: bool) -> None:
        md = pod["metadata"]
        ns = md["namespace"]
        obj = {
            "apiVersion": "argoproj.io/v1alpha1",
            "kind": "WorkflowTaskResult",
            "metadata": {
                "name": node_id,
                "namespace": ns,
                "labels": {WF_LABEL: wf, "workflows.argoproj.io/report-outputs-completed": "true"},
                "ownerReferences": [
                    {"apiVersion": "v1", "kind": "Pod", "name": md["name"], "uid": md["uid"]}
                ],
            },
            "outputs": outputs,
            "progress": "1/1",
        }
        self.kube.apply(obj, field_manager="argo-mcp-e2e-executor")

    def _finish(self, pod: JSON, result: str, exit_code: int) -> None:
        md = pod["metadata"]
        self.kube.merge_patch(
            f"/api/v1/namespaces/{md['namespace']}/pods/{md['name']}",
            {"metadata": {"annotations": {A + "result": result, A + "exit-code": str(exit_code)}}},
        )
        log.info("pod %s/%s -> %s (exit %d)", md["namespace"], md["name"], result, exit_code)


def _tgz(filename: str, content: bytes) -> bytes:
    buf = io.BytesIO()
    with gzip.GzipFile(fileobj=buf, mode="wb", mtime=0) as gz, tarfile.open(fileobj=gz, mode="w") as tar:
        info = tarfile.TarInfo(filename)
        info.size = len(content)
        info.mtime = 0
        tar.addfile(info, io.BytesIO(content))
    return buf.getvalue()


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(prog="python -m tests.e2e.stack executor")
    ap.add_argument("--run-dir", required=True)
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(threadName)s %(message)s")
    state = json.loads((Path(args.run_dir) / "state.json").read_text())
    ex = Executor(state)

    def _stop(*_: object) -> None:
        ex.stop.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    ex.run()
    return 0
