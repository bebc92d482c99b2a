{{/* Chart name. */}}
{{- define "argo-mcp.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Full name of every object: "<release>" when it contains the chart name, else "<release>-<chart>". */}}
{{- define "argo-mcp.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "argo-mcp.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Selector labels of the server (the same as the operator's: name and instance). */}}
{{- define "argo-mcp.selectorLabels" -}}
app.kubernetes.io/name: {{ include "argo-mcp.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/* Common labels of the server's objects. */}}
{{- define "argo-mcp.labels" -}}
{{ include "argo-mcp.selectorLabels" . }}
app.kubernetes.io/component: server
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ include "argo-mcp.chart" . }}
{{- end }}

{{/* Target namespaces: values.namespaces, or the release namespace. */}}
{{- define "argo-mcp.namespaces" -}}
{{- if .Values.namespaces }}{{ join "," .Values.namespaces }}{{ else }}{{ .Release.Namespace }}{{ end }}
{{- end }}

{{- define "argo-mcp.defaultNamespace" -}}
{{- if .Values.argo.defaultNamespace }}{{ .Values.argo.defaultNamespace }}{{ else }}{{ first (splitList "," (include "argo-mcp.namespaces" .)) }}{{ end }}
{{- end }}

{{- define "argo-mcp.image" -}}
{{- $tag := default .Chart.AppVersion .Values.image.tag }}
{{- if .Values.image.digest }}{{ printf "%s@%s" .Values.image.repository .Values.image.digest }}{{ else }}{{ printf "%s:%s" .Values.image.repository $tag }}{{ end }}
{{- end }}

{{/* Name of the Secret with the serving certificate. */}}
{{- define "argo-mcp.tlsSecretName" -}}
{{- if .Values.tls.secretName }}{{ .Values.tls.secretName }}{{ else }}{{ include "argo-mcp.fullname" . }}-tls{{ end }}
{{- end }}

{{- define "argo-mcp.scheme" -}}
{{- if eq .Values.tls.mode "disabled" }}http{{ else }}https{{ end }}
{{- end }}

{{/* In-cluster URL of the MCP endpoint. */}}
{{- define "argo-mcp.endpoint" -}}
{{ include "argo-mcp.scheme" . }}://{{ include "argo-mcp.fullname" . }}.{{ .Release.Namespace }}.svc:{{ .Values.service.port }}/mcp
{{- end }}

{{/* DNS names of the serving certificate. */}}
{{- define "argo-mcp.dnsNames" -}}
{{- $n := include "argo-mcp.fullname" . }}
{{- $ns := .Release.Namespace }}
{{- list $n (printf "%s.%s" $n $ns) (printf "%s.%s.svc" $n $ns) (printf "%s.%s.svc.cluster.local" $n $ns) | toJson }}
{{- end }}

{{/*
Data of the self-signed TLS Secret, computed once per render (memoised in .Values so the Secret and the
Deployment's checksum agree) and reused from the live Secret on upgrade so the certificate does not rotate.
*/}}
{{- define "argo-mcp.selfSignedTLS" -}}
{{- if not (hasKey .Values "__argoMcpTLS") }}
{{- $secretName := include "argo-mcp.tlsSecretName" . }}
{{- $existing := lookup "v1" "Secret" .Release.Namespace $secretName }}
{{- $data := dict }}
{{- if and $existing (hasKey ($existing.data | default dict) "tls.crt") (hasKey ($existing.data | default dict) "tls.key") }}
{{- $data = $existing.data }}
{{- else }}
{{- $n := include "argo-mcp.fullname" . }}
{{- $days := int .Values.tls.selfSigned.validityDays }}
{{- $ca := genCA (printf "%s-ca" $n) $days }}
{{- $cert := genSignedCert $n nil (include "argo-mcp.dnsNames" . | fromJsonArray) $days $ca }}
{{- $data = dict "ca.crt" ($ca.Cert | b64enc) "tls.crt" ($cert.Cert | b64enc) "tls.key" ($cert.Key | b64enc) }}
{{- end }}
{{- $_ := set .Values "__argoMcpTLS" $data }}
{{- end }}
{{- index .Values "__argoMcpTLS" | toJson }}
{{- end }}

{{/* Server command-line flags (the same as the operator renders). */}}
{{- define "argo-mcp.args" -}}
- --host
- 0.0.0.0
- --port
- {{ .Values.service.port | quote }}
- --argo-server-url
- {{ .Values.argo.serverUrl | quote }}
- --argo-auth-mode
- k8s-service-account
- --argo-token-file
- /var/run/secrets/argo-mcp/argo/token
- --argo-default-namespace
- {{ include "argo-mcp.defaultNamespace" . | quote }}
- --namespaces
- {{ include "argo-mcp.namespaces" . | quote }}
{{- if eq .Values.mode "read-only" }}
- --read-only
{{- else if eq .Values.mode "operate" }}
- --disable-destructive
{{- end }}
{{- if .Values.argo.insecureSkipTLSVerify }}
- --argo-insecure-skip-tls-verify
{{- end }}
{{- if .Values.argo.caSecret.name }}
- --argo-ca-file
- /etc/argo-mcp/argo-ca/{{ .Values.argo.caSecret.key }}
{{- end }}
{{- if ne .Values.tls.mode "disabled" }}
- --tls-cert
- /etc/argo-mcp/tls/tls.crt
- --tls-key
- /etc/argo-mcp/tls/tls.key
{{- end }}
- --auth-inbound
- {{ .Values.inboundAuth.mode }}
{{- if eq .Values.inboundAuth.mode "kubernetes" }}
- --inbound-audience
- {{ .Values.inboundAuth.audience | quote }}
{{- end }}
- --artifact-dir
- /tmp/artifacts
- --log-level
- {{ .Values.logLevel }}
{{- end }}

{{/* Role rules per mode (the same table as the operator's render). */}}
{{- define "argo-mcp.roleRules" -}}
- apiGroups: ["argoproj.io"]
  resources: ["workflows", "workflowtemplates", "cronworkflows", "eventsources", "sensors"]
  verbs: ["get", "list", "watch"]
- apiGroups: [""]
  resources: ["pods", "pods/log"]
  verbs: ["get", "list", "watch"]
{{- with .Values.artifactRepositorySecrets }}
- apiGroups: [""]
  resources: ["secrets"]
  resourceNames: {{ toJson . }}
  verbs: ["get"]
{{- end }}
{{- if or (eq .Values.mode "operate") (eq .Values.mode "full") }}
- apiGroups: ["argoproj.io"]
  resources: ["workflows", "eventsources", "sensors"]
  verbs: ["create", "update", "patch"]
{{- end }}
{{- if eq .Values.mode "full" }}
- apiGroups: ["argoproj.io"]
  resources: ["workflows", "eventsources", "sensors"]
  verbs: ["delete"]
- apiGroups: [""]
  resources: ["pods"]
  verbs: ["delete"]
{{- end }}
{{- end }}

{{/* Restricted Pod Security Standard: container security context. */}}
{{- define "argo-mcp.containerSecurityContext" -}}
runAsNonRoot: true
runAsUser: 65532
runAsGroup: 65532
readOnlyRootFilesystem: true
allowPrivilegeEscalation: false
capabilities:
  drop: ["ALL"]
seccompProfile:
  type: RuntimeDefault
{{- end }}

{{- define "argo-mcp.podSecurityContext" -}}
runAsNonRoot: true
runAsUser: 65532
runAsGroup: 65532
fsGroup: 65532
seccompProfile:
  type: RuntimeDefault
{{- end }}

{{/* The operator's pods have another name label, so the server's Service never selects them. */}}
{{- define "argo-mcp.operatorSelectorLabels" -}}
app.kubernetes.io/name: {{ include "argo-mcp.name" . }}-operator
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "argo-mcp.operatorLabels" -}}
{{ include "argo-mcp.operatorSelectorLabels" . }}
app.kubernetes.io/component: operator
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ include "argo-mcp.chart" . }}
{{- end }}
