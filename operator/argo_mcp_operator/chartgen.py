"""Write the Helm chart's generated helpers from the operator's tables (RBAC rules, server arguments, pod template).

    python -m argo_mcp_operator.chartgen > deploy/helm/argo-mcp/templates/_generated.tpl

The chart and the operator then deploy the same rules and the same command line by construction; a unit test
fails when the checked-in file differs from this output, naming the command above.
"""

from __future__ import annotations

import json
import re
import sys
from typing import Any

from argo_mcp_operator.podtemplate import TEMPLATES, Each, If, Of, Setting, Where
from argo_mcp_operator.rbac import ALL_MODES, CLUSTER_WORKFLOW_TEMPLATE_GRANT, GRANTS, Grant, target_use_rules
from argo_mcp_operator.serverargs import ARGS, Value

# Strings printed without quotes: plain YAML scalars that no YAML reader takes for a bool, null or number.
_PLAIN = re.compile(r"[A-Za-z/][A-Za-z0-9/_.-]*")
_NOT_PLAIN = {"true", "false", "null", "yes", "no", "on", "off", "y", "n", "~"}

COMMAND = "python -m argo_mcp_operator.chartgen > deploy/helm/argo-mcp/templates/_generated.tpl"
HEADER = (
    "{{/* Generated from operator/argo_mcp_operator/{rbac,serverargs,podtemplate}.py by "
    f"`{COMMAND}`; do not edit. */}}}}\n"
)


def _json(value: object) -> str:
    return json.dumps(value, separators=(", ", ": "))


def _mode_condition(grant: Grant) -> str | None:
    if set(grant.modes) == set(ALL_MODES):
        return None
    tests = [f'(eq .Values.mode "{mode}")' for mode in grant.modes]
    return tests[0][1:-1] if len(tests) == 1 else "or " + " ".join(tests)


def _rule_lines(grant: Grant) -> list[str]:
    """One rule as a flow mapping; the artifact-Secret rule takes its names from the values."""
    if not grant.artifact_secrets:
        return [f"- {_json(grant.rule())}"]
    head = _json(grant.rule([]))[: -len('"resourceNames": [], "verbs": ["get"]}')]
    verbs = _json(list(grant.verbs))
    return [
        "{{- with .Values.artifactRepositorySecrets }}",
        f'- {head}"resourceNames": {{{{ toJson (uniq .) }}}}, "verbs": {verbs}}}',
        "{{- end }}",
    ]


def role_rules() -> str:
    lines = ["{{/* Role rules per mode (operator: rbac.GRANTS). */}}", '{{- define "argo-mcp.roleRules" -}}']
    for grant in GRANTS:
        condition = _mode_condition(grant)
        if condition:
            lines.append(f"{{{{- if {condition} }}}}")
        lines += _rule_lines(grant)
        if condition:
            lines.append("{{- end }}")
    lines.append("{{- end }}")
    lines += [
        "",
        "{{/* ClusterRole rules for ClusterWorkflowTemplates (operator: rbac.CLUSTER_WORKFLOW_TEMPLATE_GRANT). */}}",
        '{{- define "argo-mcp.clusterWorkflowTemplateRules" -}}',
        f"- {_json(CLUSTER_WORKFLOW_TEMPLATE_GRANT.rule())}",
        "{{- end }}",
        "",
        "{{/* ClusterRole rules granting use on one target, called with its name (operator: rbac.target_use_rules). */}}",
        '{{- define "argo-mcp.targetUseRules" -}}',
        *(f"- {_json(rule)}".replace('"\\u0000"', "{{ . | toJson }}") for rule in target_use_rules("\0")),
        "{{- end }}",
    ]
    return "\n".join(lines) + "\n"


def server_args() -> str:
    lines = [
        "{{/* Server command-line flags (operator: serverargs.ARGS). */}}",
        '{{- define "argo-mcp.args" -}}',
    ]
    for arg in ARGS:
        if arg.when is not None:
            lines.append(f"{{{{- if {arg.when.chart} }}}}")
        lines.append(f"- {arg.flag}")
        if isinstance(arg.value, Value):
            lines.append(f"- {{{{ {arg.value.chart} | quote }}}}")
        elif arg.value is not None:
            lines.append(f"- {_json(arg.value)}")
        if arg.when is not None:
            lines.append("{{- end }}")
    lines.append("{{- end }}")
    return "\n".join(lines) + "\n"


def _scalar(node: Any) -> str | None:
    """A value written on its key's line: a setting (printed as JSON by the chart), a constant, an empty
    collection; None for a mapping or list that needs lines of its own."""
    if isinstance(node, (Setting, Of)):
        return f"{{{{ {node.chart} | toJson }}}}"
    if isinstance(node, (dict, list)) and node:
        return None
    if isinstance(node, str) and _PLAIN.fullmatch(node) and node.lower() not in _NOT_PLAIN:
        return node
    return _json(node)


def _block(node: Any, pad: str) -> list[str]:
    """Block YAML lines for a mapping or list of the pod-template table, ``If`` and ``Where`` parts wrapped in Go
    conditions, ``Each`` in a ``range`` over the targets."""
    lines: list[str] = []
    entries = node.items() if isinstance(node, dict) else ((None, item) for item in node)
    for key, entry in entries:
        if isinstance(entry, Each):
            assert key is None, "Each stands for list items"
            lines.append("{{- range $t := $.Values.targets }}")
            lines += _block(list(entry.values), pad)
            lines.append("{{- end }}")
            continue
        condition = (
            entry.when.chart if isinstance(entry, If) else entry.chart if isinstance(entry, Where) else None
        )
        value = entry.value if isinstance(entry, (If, Where)) else entry
        if condition is not None:
            lines.append(f"{{{{- if {condition} }}}}")
        scalar = _scalar(value)
        if key is not None:
            lines += (
                [f"{pad}{key}: {scalar}"]
                if scalar is not None
                else [f"{pad}{key}:", *_block(value, pad + "  ")]
            )
        elif scalar is not None:
            lines.append(f"{pad}- {scalar}")
        else:
            inner = _block(value, pad + "  ")
            assert not inner[0].startswith("{{"), "a list item's first key must be unconditional"
            lines += [f"{pad}- {inner[0][len(pad) + 2 :]}", *inner[1:]]
        if condition is not None:
            lines.append("{{- end }}")
    return lines


def pod_template() -> str:
    lines: list[str] = []
    for name, table in TEMPLATES.items():
        lines += [
            f"{{{{/* Pod template: {name} (operator: podtemplate.TEMPLATES). */}}}}",
            f'{{{{- define "argo-mcp.{name}" -}}}}',
            *_block(table, ""),
            "{{- end }}",
            "",
        ]
    return "\n".join(lines)


def generated_helpers() -> str:
    """The whole content of the chart's ``templates/_generated.tpl``."""
    return HEADER + "\n" + role_rules() + "\n" + server_args() + "\n" + pod_template()


def main() -> None:
    sys.stdout.write(generated_helpers())


if __name__ == "__main__":
    main()
