{{/* Generated from operator/argo_mcp_operator/{rbac,serverargs}.py by `python -m argo_mcp_operator.chartgen > deploy/helm/argo-mcp/templates/_generated.tpl`; do not edit. */}}

{{/* Role rules per mode (operator: rbac.GRANTS). */}}
{{- define "argo-mcp.roleRules" -}}
- {"apiGroups": ["argoproj.io"], "resources": ["workflows", "workflowtemplates", "cronworkflows", "eventsources", "sensors"], "verbs": ["get", "list", "watch"]}
- {"apiGroups": [""], "resources": ["pods", "pods/log"], "verbs": ["get", "list", "watch"]}
{{- with .Values.artifactRepositorySecrets }}
- {"apiGroups": [""], "resources": ["secrets"], "resourceNames": {{ toJson (uniq .) }}, "verbs": ["get"]}
{{- end }}
{{- if or (eq .Values.mode "operate") (eq .Values.mode "full") }}
- {"apiGroups": ["argoproj.io"], "resources": ["workflows", "workflowtemplates", "cronworkflows", "eventsources", "sensors"], "verbs": ["create", "update", "patch"]}
{{- end }}
{{- if eq .Values.mode "full" }}
- {"apiGroups": ["argoproj.io"], "resources": ["workflows", "workflowtemplates", "cronworkflows", "eventsources", "sensors"], "verbs": ["delete"]}
{{- end }}
{{- if eq .Values.mode "full" }}
- {"apiGroups": [""], "resources": ["pods"], "verbs": ["delete"]}
{{- end }}
{{- end }}

{{/* ClusterRole rules for ClusterWorkflowTemplates (operator: rbac.CLUSTER_WORKFLOW_TEMPLATE_GRANT). */}}
{{- define "argo-mcp.clusterWorkflowTemplateRules" -}}
- {"apiGroups": ["argoproj.io"], "resources": ["clusterworkflowtemplates"], "verbs": ["get", "list"]}
{{- end }}

{{/* Server command-line flags (operator: serverargs.ARGS). */}}
{{- define "argo-mcp.args" -}}
- --host
- "0.0.0.0"
- --port
- {{ toString .Values.service.port | quote }}
- --argo-server-url
- {{ include "argo-mcp.argoServerUrl" . | quote }}
- --argo-auth-mode
- "k8s-service-account"
- --argo-token-file
- "/var/run/secrets/argo-mcp/argo/token"
- --argo-default-namespace
- {{ include "argo-mcp.defaultNamespace" . | quote }}
- --namespaces
- {{ include "argo-mcp.namespaces" . | quote }}
{{- if eq .Values.mode "read-only" }}
- --read-only
{{- end }}
{{- if eq .Values.mode "operate" }}
- --disable-destructive
{{- end }}
{{- if .Values.argo.insecureSkipTLSVerify }}
- --argo-insecure-skip-tls-verify
{{- end }}
{{- if .Values.argo.caSecret.name }}
- --argo-ca-file
- {{ printf "/etc/argo-mcp/argo-ca/%s" .Values.argo.caSecret.key | quote }}
{{- end }}
{{- if ne .Values.tls.mode "disabled" }}
- --tls-cert
- "/etc/argo-mcp/tls/tls.crt"
{{- end }}
{{- if ne .Values.tls.mode "disabled" }}
- --tls-key
- "/etc/argo-mcp/tls/tls.key"
{{- end }}
- --auth-inbound
- {{ .Values.inboundAuth.mode | quote }}
{{- if eq .Values.inboundAuth.mode "kubernetes" }}
- --inbound-audience
- {{ .Values.inboundAuth.audience | quote }}
{{- end }}
- --artifact-dir
- "/tmp/artifacts"
- --log-level
- {{ .Values.logLevel | quote }}
{{- end }}
