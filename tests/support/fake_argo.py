"""An aiohttp stand-in for the Argo Server, generated from Argo's own swagger.json.

Every path and method in the spec is served (and nothing else), each request is checked against its
operation: unknown query parameters, badly typed query values and JSON bodies that do not match the body
schema are answered 400 and recorded as violations, which the test fixtures turn into failures. Canned answers
are validated against the operation's response schema when a test programs them (error answers against the
spec's error schema), so payloads stay faithful. An operation the test did not program is a violation too,
answered 501: a test never passes on an answer nobody chose.
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import jsonschema
from aiohttp import web

from tests.support.argo_spec import ARGO_WORKFLOWS_VERSION, load_swagger

StreamFn = Callable[[web.Request], Awaitable[web.StreamResponse]]
Chunks = Callable[[], AsyncIterator[bytes]]


@dataclass
class Recorded:
    operation: str
    method: str
    path: str
    path_params: dict[str, str]
    query: list[tuple[str, str]]
    body: Any
    headers: dict[str, str]

    def q(self, name: str) -> str | None:
        values = [v for k, v in self.query if k == name]
        return values[-1] if values else None

    def q_all(self, name: str) -> list[str]:
        return [v for k, v in self.query if k == name]

    @property
    def query_dict(self) -> dict[str, str]:
        return dict(self.query)


@dataclass
class Canned:
    status: int = 200
    body: Any = None
    stream: Chunks | None = None
    content_type: str = "application/json"


@dataclass
class StreamStats:
    bytes_sent: int = 0
    closed_early: bool = False
    finished: bool = False


def _to_aiohttp_path(path: str) -> str:
    return path


def _specificity(path: str) -> tuple[int, int]:
    params = path.count("{")
    return (params, -len(path))


class FakeArgo:
    """Routes from swagger.json; answers programmed per operationId with `on()`."""

    def __init__(self, argo_version: str = ARGO_WORKFLOWS_VERSION) -> None:
        """The stand-in of Argo Workflows `argo_version` (one whose swagger.json is pinned under tests/data)."""
        self.spec = load_swagger(argo_version)
        self.requests: list[Recorded] = []
        self.violations: list[str] = []
        self.canned: dict[str, Canned] = {}
        self.stream_stats: dict[str, StreamStats] = {}
        self.sequences: dict[str, list[Any]] = {}
        self.sequence_status: dict[str, list[int]] = {}
        self.operations: dict[str, tuple[str, str, dict[str, Any]]] = {}
        self.app = web.Application(client_max_size=64 * 1024 * 1024)
        for path in sorted(self.spec["paths"], key=_specificity):
            item = self.spec["paths"][path]
            for method, operation in item.items():
                if method == "parameters":
                    continue
                op_id = operation["operationId"]
                self.operations[op_id] = (method.upper(), path, operation)
                self.app.router.add_route(method.upper(), _to_aiohttp_path(path), self._handler(op_id))

    # ---- programming -------------------------------------------------------------------------------------
    def on(
        self,
        operation: str,
        body: Any = None,
        *,
        status: int = 200,
        stream: Chunks | None = None,
        content_type: str = "application/json",
    ) -> None:
        if operation not in self.operations:
            raise KeyError(f"{operation} is not an operation of Argo's swagger.json")
        if stream is None and body is not None and content_type == "application/json":
            schema = self._response_schema(operation, "200" if status < 400 else "default")
            if schema is not None:
                self._validate(schema, body, f"canned {status} answer of {operation}")
        self.canned[operation] = Canned(status=status, body=body, stream=stream, content_type=content_type)

    def on_sequence(self, operation: str, bodies: list[Any]) -> None:
        """Successive answers for successive requests; the last one repeats (statuses: `sequence_status`)."""
        self.sequences[operation] = list(bodies)

    def error(self, operation: str, status: int, message: str, grpc_code: int = 2) -> None:
        self.on(operation, {"code": grpc_code, "message": message}, status=status)

    # ---- inspection --------------------------------------------------------------------------------------
    def calls(self, operation: str) -> list[Recorded]:
        return [r for r in self.requests if r.operation == operation]

    def last(self, operation: str) -> Recorded:
        calls = self.calls(operation)
        if not calls:
            seen = sorted({r.operation for r in self.requests})
            raise AssertionError(f"Argo received no {operation} request (it received: {seen})")
        return calls[-1]

    # ---- internals ---------------------------------------------------------------------------------------
    def _response_schema(self, operation: str, status: str = "200") -> dict[str, Any] | None:
        responses = self.operations[operation][2].get("responses", {})
        schema = responses.get(status, {}).get("schema")
        if schema is None or "$ref" not in schema:
            return None
        return {"$ref": schema["$ref"], "definitions": self.spec["definitions"]}

    def _validate(self, schema: dict[str, Any], value: Any, what: str) -> None:
        try:
            jsonschema.Draft4Validator(schema).validate(value)
        except jsonschema.ValidationError as exc:
            where = "/".join(str(p) for p in exc.absolute_path)
            raise AssertionError(
                f"{what} does not follow Argo's swagger.json at '{where}': {exc.message}"
            ) from None

    def _check_query(self, operation: str, query: list[tuple[str, str]]) -> list[str]:
        params = {
            p["name"]: p for p in self.operations[operation][2].get("parameters", []) if p["in"] == "query"
        }
        problems = []
        for name, value in query:
            param = params.get(name)
            if param is None:
                problems.append(f"{operation}: unknown query parameter {name!r}")
                continue
            kind, fmt = param.get("type"), param.get("format")
            if kind == "boolean" and value not in ("true", "false"):
                problems.append(f"{operation}: {name}={value!r} is not a boolean")
            if (kind == "integer" or fmt in ("int64", "int32")) and not re.fullmatch(r"-?\d+", value):
                problems.append(f"{operation}: {name}={value!r} is not an integer")
            if kind != "array" and [n for n, _ in query].count(name) > 1:
                problems.append(f"{operation}: {name} given more than once")
        return problems

    def _check_body(self, operation: str, body: Any) -> list[str]:
        body_params = [p for p in self.operations[operation][2].get("parameters", []) if p["in"] == "body"]
        if not body_params:
            return [] if body is None else [f"{operation}: takes no body but one was sent"]
        schema = body_params[0]["schema"]
        if body is None:
            return [f"{operation}: requires a JSON body"] if body_params[0].get("required") else []
        full = {**schema, "definitions": self.spec["definitions"]}
        try:
            jsonschema.Draft4Validator(full).validate(body)
        except jsonschema.ValidationError as exc:
            where = "/".join(str(p) for p in exc.absolute_path)
            return [f"{operation}: body does not match swagger at '{where}': {exc.message}"]
        return []

    def _handler(self, operation: str) -> StreamFn:
        async def handle(request: web.Request) -> web.StreamResponse:
            raw = await request.read()
            body: Any = None
            problems: list[str] = []
            if raw:
                try:
                    body = json.loads(raw)
                except ValueError:
                    problems.append(f"{operation}: body is not JSON")
            query = list(request.query.items())
            problems += self._check_query(operation, query)
            problems += self._check_body(operation, body)
            self.requests.append(
                Recorded(
                    operation=operation,
                    method=request.method,
                    path=request.path,
                    path_params=dict(request.match_info),
                    query=query,
                    body=body,
                    headers=dict(request.headers),
                )
            )
            if problems:
                self.violations.extend(problems)
                return web.json_response({"code": 3, "message": "; ".join(problems)}, status=400)
            sequence = self.sequences.get(operation)
            if sequence:
                statuses = self.sequence_status.get(operation) or [200]
                status_now = statuses.pop(0) if len(statuses) > 1 else statuses[0]
                body_now = sequence.pop(0) if len(sequence) > 1 else sequence[0]
                schema = self._response_schema(operation, "200" if status_now < 400 else "default")
                if schema is not None:
                    self._validate(schema, body_now, f"sequenced {status_now} answer of {operation}")
                return web.json_response(body_now, status=status_now)
            canned = self.canned.get(operation)
            if canned is None and operation == "InfoService_GetVersion":
                # Every stdio argo-mcp asks for the version once at start (its "Argo answered" log line).
                return web.json_response({"version": "v3.7.6"})
            if canned is None:
                problem = f"{operation}: argo-mcp called it, but this test did not program an answer for it"
                self.violations.append(problem)
                return web.json_response({"code": 12, "message": f"argo stand-in: {problem}"}, status=501)
            if canned.stream is not None:
                return await self._stream(request, operation, canned)
            if canned.content_type != "application/json":
                return web.Response(status=canned.status, body=canned.body, content_type=canned.content_type)
            return web.json_response(canned.body if canned.body is not None else {}, status=canned.status)

        return handle

    async def _stream(self, request: web.Request, operation: str, canned: Canned) -> web.StreamResponse:
        assert canned.stream is not None
        stats = self.stream_stats.setdefault(operation, StreamStats())
        response = web.StreamResponse(status=canned.status)
        response.content_type = canned.content_type
        await response.prepare(request)
        chunks = canned.stream()
        while True:
            try:
                chunk = await anext(chunks)
            except StopAsyncIteration:
                break
            except ConnectionError:
                # The scripted stream simulates a network failure: cut the connection mid-body.
                if request.transport is not None:
                    request.transport.abort()
                return response
            try:
                await response.write(chunk)
            except (ConnectionError, RuntimeError):
                stats.closed_early = True
                return response
            stats.bytes_sent += len(chunk)
        await response.write_eof()
        stats.finished = True
        return response


def ndjson_log(lines: list[tuple[str, str]]) -> Chunks:
    """A log stream as Argo sends it: one `{"result": {"content", "podName"}}` JSON object per line."""

    async def chunks() -> AsyncIterator[bytes]:
        for pod, content in lines:
            yield (json.dumps({"result": {"content": content, "podName": pod}}) + "\n").encode()

    return chunks


@dataclass
class Workflow:
    """A minimal Workflow object that validates against io.argoproj.workflow.v1alpha1.Workflow."""

    name: str
    namespace: str = "argo"
    phase: str = "Running"
    uid: str = "3f1e9c2a-5b7d-4e8f-9a0b-1c2d3e4f5a6b"
    labels: dict[str, str] = field(default_factory=dict)

    def json(self) -> dict[str, Any]:
        return {
            "metadata": {
                "name": self.name,
                "namespace": self.namespace,
                "uid": self.uid,
                "labels": self.labels,
                "creationTimestamp": "2026-11-25T10:00:00Z",
                "managedFields": [{"manager": "workflow-controller", "operation": "Update"}],
            },
            "spec": {
                "entrypoint": "main",
                "templates": [{"name": "main", "container": {"image": "busybox"}}],
            },
            "status": {"phase": self.phase, "startedAt": "2026-11-25T10:00:01Z", "progress": "0/1"},
        }
