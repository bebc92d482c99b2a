"""The ``status`` the operator reports: Ready / Progressing / Degraded conditions, endpoint, replicas, TLS.

Pure functions of what one reconcile observed, so the wording and the transitions are unit-tested. A
condition's ``lastTransitionTime`` only moves when its status flips, as Kubernetes conventions ask.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from argo_mcp_operator.tls import rfc3339

Obj = dict[str, Any]


@dataclass(frozen=True)
class Observation:
    """What a reconcile found out."""

    generation: int
    endpoint: str | None = None
    replicas: int = 1
    ready_replicas: int = 0
    updated_replicas: int = 0
    rollout_current: bool = False  # the Deployment controller has seen the latest pod template
    tls_not_after: datetime | None = None
    error_reason: str | None = None  # set when the reconcile failed (InvalidSpec, ApplyFailed, ...)
    error_message: str | None = None
    waiting_for: str | None = None  # something outside the operator's hands, e.g. a user's TLS Secret

    @property
    def ready(self) -> bool:
        return (
            self.error_reason is None
            and self.waiting_for is None
            and self.rollout_current
            and self.updated_replicas >= self.replicas
            and self.ready_replicas >= self.replicas
        )


def deployment_progress(deployment: Mapping[str, Any] | None) -> tuple[int, int, bool]:
    """``(readyReplicas, updatedReplicas, rollout current)`` of a Deployment as the API server returned it."""
    if not deployment:
        return 0, 0, False
    status = deployment.get("status") or {}
    generation = (deployment.get("metadata") or {}).get("generation", 0)
    current = status.get("observedGeneration", -1) >= generation
    return int(status.get("readyReplicas") or 0), int(status.get("updatedReplicas") or 0), current


def _condition(kind: str, value: bool, reason: str, message: str) -> Obj:
    return {"type": kind, "status": "True" if value else "False", "reason": reason, "message": message}


def conditions(obs: Observation) -> list[Obj]:
    """Ready, Progressing and Degraded for one observation (without timestamps)."""
    replicas = f"{obs.ready_replicas}/{obs.replicas} replicas ready"
    if obs.error_reason is not None:
        message = obs.error_message or obs.error_reason
        return [
            _condition("Ready", False, obs.error_reason, message),
            _condition("Progressing", False, obs.error_reason, "reconciliation stopped: " + message),
            _condition("Degraded", True, obs.error_reason, message),
        ]
    if obs.waiting_for is not None:
        return [
            _condition("Ready", False, "Waiting", obs.waiting_for),
            _condition("Progressing", True, "Waiting", obs.waiting_for),
            _condition("Degraded", False, "AsExpected", "no errors"),
        ]
    if obs.ready:
        return [
            _condition("Ready", True, "Available", f"{replicas}; serving at {obs.endpoint}"),
            _condition("Progressing", False, "RolloutComplete", replicas),
            _condition("Degraded", False, "AsExpected", "no errors"),
        ]
    return [
        _condition("Ready", False, "RollingOut", replicas),
        _condition("Progressing", True, "RollingOut", replicas),
        _condition("Degraded", False, "AsExpected", "no errors"),
    ]


def with_transition_times(
    new: Sequence[Obj], old: Sequence[Mapping[str, Any]] | None, now: datetime
) -> list[Obj]:
    """Keep a condition's previous ``lastTransitionTime`` while its status is unchanged."""
    previous = {c.get("type"): c for c in old or []}
    stamped = []
    for cond in new:
        before = previous.get(cond["type"])
        if before is not None and before.get("status") == cond["status"] and before.get("lastTransitionTime"):
            moment = before["lastTransitionTime"]
        else:
            moment = rfc3339(now)
        stamped.append({**cond, "lastTransitionTime": moment})
    return stamped


def build_status(obs: Observation, old_status: Mapping[str, Any] | None, now: datetime) -> Obj:
    """The ``status`` object to merge into the custom resource."""
    old_conditions = (old_status or {}).get("conditions")
    conds = with_transition_times(conditions(obs), old_conditions, now)
    for cond in conds:
        cond["observedGeneration"] = obs.generation
    return {
        "observedGeneration": obs.generation,
        "conditions": conds,
        "endpoint": obs.endpoint,
        "readyReplicas": obs.ready_replicas,
        "tls": {"notAfter": rfc3339(obs.tls_not_after) if obs.tls_not_after else None},
    }
