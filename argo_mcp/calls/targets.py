"""The live targets of one process, and the call stage that chooses one: which Argo server a call goes to.

Without a targets file there is one implicit target made of the command line's settings, and nothing about a
call changes. With one, every target is a complete `Settings` (targets.py) with its own Argo client; all of them
share one admission budget and one answer-byte budget, so a busy target cannot starve the others of slots or
memory beyond the fair share admission already enforces.

Choosing is part of the call pipeline (the first stage after the call arrives), so every road into a call
(tools, resources, completions, tasks) names its target the same way and is refused the same way: a target that
does not exist and a target the caller may not use get the same answer, so names cannot be probed.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import structlog

from argo_mcp.argo.buffers import AnswerBudget
from argo_mcp.argo.client import ArgoClient
from argo_mcp.policy import Authorizer, Caller, Permission, ToolError
from argo_mcp.settings import ConfigError, Settings
from argo_mcp.targets import TargetsFile, read_targets, target_settings
from argo_mcp.tools.registry import Tool, exposed

log = structlog.get_logger("argo_mcp.targets")

TARGET_ARGUMENT = "target"
TARGET_HEADER = "Target"
"""`x-mcp-header` of the `target` argument: 2026-07-28 clients send it as `Mcp-Param-Target`, so a gateway can
route a call by target without reading its body."""
RELOAD_CHECK_SECONDS = 2.0


def use_permission(name: str) -> Permission:
    """What a caller needs to call a target, reviewed like any Kubernetes permission: verb `use` on the virtual
    resource `targets` of group `argo-mcp.io`, named after the target (granted with an ordinary ClusterRole)."""
    return Permission("use", "targets", group="argo-mcp.io", name=name)


@dataclass(frozen=True)
class Target:
    name: str
    settings: Settings
    argo: ArgoClient
    tools: dict[str, Tool[Any]]
    """The tools this target exposes (its toolsets and mode)."""


def no_such_target(name: str) -> ToolError:
    return ToolError(
        f"No target {name!r} that you may use: call list_targets for the targets you may use (a target is "
        "granted with RBAC verb 'use' on 'targets' of group 'argo-mcp.io' named after it)"
    )


class Targets:
    """The targets a process serves, re-read from the targets file when it changes (a bad file keeps the last
    good set and says why in the log)."""

    def __init__(
        self,
        base: Settings,
        tools: Sequence[Tool[Any]],
        *,
        argo: ArgoClient | None = None,
        file: TargetsFile | None = None,
        path: Path | None = None,
        multi_tools: Sequence[Tool[Any]] = (),
    ) -> None:
        self.base = base
        self.tools = tuple(tools)
        self.multi_tools = tuple(multi_tools)
        """Tools offered only with more than one target (list_targets)."""
        self.path = path
        self.answers = argo.answers if argo is not None else AnswerBudget(base.argo.max_buffered_bytes)
        self._stamp: tuple[float, int] | None = None
        self._checked = 0.0
        self._lock = asyncio.Lock()
        self.file = file
        if file is None:
            single = Target(
                "default", base, argo or ArgoClient(base.argo), {t.name: t for t in exposed(tools, base)}
            )
            self._targets = {single.name: single}
            self.default = single.name
        else:
            self._targets = self._build(file, {})
            self.default = file.default
        self.generation = 0
        """Bumped on every accepted reload, so listings made from the old set are rebuilt."""

    @classmethod
    def from_file(
        cls, base: Settings, tools: Sequence[Tool[Any]], path: Path, *, multi_tools: Sequence[Tool[Any]] = ()
    ) -> Targets:
        """Start-up: a bad file stops the process (a ConfigError naming the field)."""
        targets = cls(base, tools, file=read_targets(path), path=path, multi_tools=multi_tools)
        targets._stamp = _stamp_of(path)
        return targets

    @property
    def multi(self) -> bool:
        return len(self._targets) > 1

    @property
    def names(self) -> list[str]:
        return list(self._targets)

    def all(self) -> list[Target]:
        return list(self._targets.values())

    def get(self, name: str | None) -> Target | None:
        return self._targets.get(name or self.default)

    @property
    def primary(self) -> Target:
        return self._targets[self.default]

    def offered(self) -> tuple[Tool[Any], ...]:
        """Every tool some target may expose, in declaration order."""
        return self.tools + self.multi_tools if self.multi else self.tools

    def _build(self, file: TargetsFile, old: dict[str, Target]) -> dict[str, Target]:
        built: dict[str, Target] = {}
        tools = self.tools + self.multi_tools if len(file.targets) > 1 else self.tools
        for spec in file.targets:
            settings = target_settings(self.base, spec)
            previous = old.get(spec.name)
            client = (
                previous.argo
                if previous is not None and previous.settings.argo == settings.argo
                else ArgoClient(settings.argo, answers=self.answers)
            )
            built[spec.name] = Target(
                spec.name, settings, client, {t.name: t for t in exposed(tools, settings)}
            )
        return built

    async def choose(self, name: str | None, caller: Caller | None, authorize: Authorizer | None) -> Target:
        """The target a call goes to: the one it names, or the default; refused alike when it does not exist
        or the caller may not use it."""
        await self.reload_if_changed()
        wanted = name or self.default
        target = self._targets.get(wanted)
        if target is None or not await self.may_use(target, caller, authorize):
            raise no_such_target(wanted)
        return target

    async def may_use(self, target: Target, caller: Caller | None, authorize: Authorizer | None) -> bool:
        if self.file is None:
            return True  # the implicit target: today's behaviour, whatever the caller
        groups = self.file.oidc_groups
        if authorize is not None:
            try:
                await authorize(use_permission(target.name), "", caller)
            except ToolError:
                return False
            return True
        if groups and caller is not None:
            mine = set(getattr(caller, "groups", ()) or ())
            return any(target.name in granted for group, granted in groups.items() if group in mine)
        return True

    async def usable(self, caller: Caller | None, authorize: Authorizer | None) -> list[Target]:
        chosen = []
        for target in self._targets.values():
            if await self.may_use(target, caller, authorize):
                chosen.append(target)
        return chosen

    async def reload_if_changed(self) -> None:
        """Re-read the file when its modification time or size changed (checked at most every 2 s)."""
        if self.path is None:
            return
        loop = asyncio.get_running_loop()
        if loop.time() - self._checked < RELOAD_CHECK_SECONDS:
            return
        self._checked = loop.time()
        async with self._lock:
            path = self.path
            stamp = await asyncio.to_thread(_stamp_of, path)
            if stamp == self._stamp:
                return
            self._stamp = stamp
            try:
                file = await asyncio.to_thread(read_targets, path)
                targets = self._build(file, self._targets)
            except ConfigError as exc:
                log.error("targets_file_rejected", path=str(path), reason=str(exc), kept=self.names)
                return
            retired = [
                t.argo for t in self._targets.values() if t.argo not in {n.argo for n in targets.values()}
            ]
            self.file, self._targets, self.default = file, targets, file.default
            self.generation += 1
            log.info("targets_reloaded", path=str(path), targets=self.names, default=self.default)
            await _close_later(retired)

    async def close(self) -> None:
        await asyncio.gather(*(target.argo.close() for target in self._targets.values()))


def _stamp_of(path: Path) -> tuple[float, int] | None:
    try:
        info = os.stat(path)
    except OSError:
        return None
    return info.st_mtime, info.st_size


async def _close_later(clients: Iterable[ArgoClient]) -> None:
    """A retired target's client is closed once calls already running on it have had time to finish."""
    pending = list(clients)
    if not pending:
        return

    async def close() -> None:
        await asyncio.sleep(60)
        await asyncio.gather(*(client.close() for client in pending), return_exceptions=True)

    task = asyncio.create_task(close())
    _RETIRING.add(task)
    task.add_done_callback(_RETIRING.discard)


_RETIRING: set[asyncio.Task[None]] = set()
