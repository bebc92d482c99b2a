"""Write the Helm chart's generated helpers from the operator's tables (RBAC rules, server arguments).

    python -m argo_mcp_operator.chartgen > deploy/helm/argo-mcp/templates/_generated.tpl

The chart and the operator then deploy the same rules and the same command line by construction; a unit test
fails when the checked-in file differs from this output, naming the command above.
"""

from __future__ import annotations

import json
import sys

from argo_mcp_operator.rbac import ALL_MODES, CLUSTER_WORKFLOW_TEMPLATE_GRANT, GRANTS, Grant
from argo_mcp_operator.serverargs import ARGS, Value

COMMAND = "python -m argo_mcp_operator.chartgen > deploy/helm/argo-mcp/templates/_generated.tpl"
HEADER = f"{{{{/* Generated from operator/argo_mcp_operator/{{rbac,serverargs}}.py by `{COMMAND}`; do not edit. */}}}}\n"


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


def generated_helpers() -> str:
    """The whole content of the chart's ``templates/_generated.tpl``."""
    return HEADER + "\n" + role_rules() + "\n" + server_args()


def main() -> None:
    sys.stdout.write(generated_helpers())


if __name__ == "__main__":
    main()
