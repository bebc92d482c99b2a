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
{{- include "argo-mcp.commonLabels" . }}
{{- end }}

{{/* The user's commonLabels, one per line after a newline (nothing when there are none), for every object's and
pod's labels; never in selectors, so setting them later does not orphan the pods. */}}
{{- define "argo-mcp.commonLabels" -}}
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{/* The server's ServiceAccount: serviceAccount.name, else the full name. */}}
{{- define "argo-mcp.serviceAccountName" -}}
{{- default (include "argo-mcp.fullname" .) .Values.serviceAccount.name }}
{{- end }}

{{/* A security context from the pod-template table (the include's output) with the user's entries merged
over it; a null entry removes one. Call with (list $ "argo-mcp.podSecurityContext" .Values.podSecurityContext). */}}
{{- define "argo-mcp.mergedSecurityContext" -}}
{{- if not (index . 2) }}
{{- include (index . 1) (index . 0) }}
{{- else }}
{{- $base := include (index . 1) (index . 0) | fromYaml }}
{{- range $key, $value := index . 2 }}
{{- if kindIs "invalid" $value }}{{ $_ := unset $base $key }}{{ else }}{{ $_ := set $base $key $value }}{{ end }}
{{- end }}
{{- toYaml $base }}
{{- end }}
{{- end }}

{{/* Target namespaces: values.namespaces, or the release namespace. */}}
{{- define "argo-mcp.namespaces" -}}
{{- if .Values.namespaces }}{{ join "," .Values.namespaces }}{{ else }}{{ .Release.Namespace }}{{ end }}
{{- end }}

{{/* Namespace of a tool call that names none: defaultNamespace, else the release namespace when it is a
target, else the first target (the operator's rule too). */}}
{{- define "argo-mcp.defaultNamespace" -}}
{{- include "argo-mcp.compat" . }}
{{- $targets := splitList "," (include "argo-mcp.namespaces" .) }}
{{- if .Values.defaultNamespace }}{{ .Values.defaultNamespace }}
{{- else if has .Release.Namespace $targets }}{{ .Release.Namespace }}
{{- else }}{{ first $targets }}{{ end }}
{{- end }}

{{/* URL of the Argo Server: argoServer.url, else the Service that argo-helm's argo-workflows chart makes for a
release named argoServer.argoHelmRelease in the same namespace (plain HTTP on 2746, its default without server.secure). */}}
{{- define "argo-mcp.argoServerUrl" -}}
{{- include "argo-mcp.compat" . }}
{{- if .Values.argoServer.url }}{{ .Values.argoServer.url }}
{{- else }}
{{- $release := .Values.argoServer.argoHelmRelease }}
{{- $server := ternary $release (printf "%s-argo-workflows" $release) (contains "argo-workflows" $release) | trunc 63 | trimSuffix "-" }}
{{- printf "http://%s-server.%s.svc:2746" $server .Release.Namespace }}
{{- end }}
{{- end }}

{{- define "argo-mcp.image" -}}
{{- $tag := default .Chart.AppVersion .Values.image.tag }}
{{- if .Values.image.digest }}{{ printf "%s@%s" .Values.image.repository .Values.image.digest }}{{ else }}{{ printf "%s:%s" .Values.image.repository $tag }}{{ end }}
{{- end }}

{{/* Name of a cluster-scoped object of this release: "<namespace>-<fullname>-<suffix>", past 63 characters its
first 54 and 8 hex digits of its SHA-256 (unique per release and suffix; the operator's cluster_scoped_name).
Call with (dict "root" $ "suffix" "cwt"). */}}
{{- define "argo-mcp.clusterScopedName" -}}
{{- $full := printf "%s-%s-%s" .root.Release.Namespace (include "argo-mcp.fullname" .root) .suffix }}
{{- if le (len $full) 63 }}{{ $full }}
{{- else }}{{ printf "%s-%s" ($full | trunc 54 | trimSuffix "-") (sha256sum $full | trunc 8) }}{{ end }}
{{- end }}

{{/* Name of the Secret with the serving certificate. */}}
{{- define "argo-mcp.tlsSecretName" -}}
{{- if .Values.tls.secretName }}{{ .Values.tls.secretName }}{{ else }}{{ include "argo-mcp.fullname" . }}-tls{{ end }}
{{- end }}

{{/* Secret and key of the task key every replica shares: taskKeySecretRef's, else the chart's own. */}}
{{- define "argo-mcp.taskKeySecretName" -}}
{{- if .Values.taskKeySecretRef.name }}{{ .Values.taskKeySecretRef.name }}{{ else }}{{ include "argo-mcp.fullname" . }}-task-key{{ end }}
{{- end }}
{{- define "argo-mcp.taskKeySecretKey" -}}
{{- if .Values.taskKeySecretRef.name }}{{ .Values.taskKeySecretRef.key | default "task.key" }}{{ else }}task.key{{ end }}
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
{{- list $n (printf "%s.%s" $n $ns) (printf "%s.%s.svc" $n $ns) (printf "%s.%s.svc.cluster.local" $n $ns) "localhost" | toJson }}
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
{{- $cert := genSignedCert $n (list "127.0.0.1") (include "argo-mcp.dnsNames" . | fromJsonArray) $days $ca }}
{{- $data = dict "ca.crt" ($ca.Cert | b64enc) "tls.crt" ($cert.Cert | b64enc) "tls.key" ($cert.Key | b64enc) }}
{{- end }}
{{- $_ := set .Values "__argoMcpTLS" $data }}
{{- end }}
{{- index .Values "__argoMcpTLS" | toJson }}
{{- end }}

{{/* The server's args and Role rules are generated from the operator's tables: see _generated.tpl. */}}

{{/* Host names from ingress, httpRoute and allowedHosts, comma-separated; empty when there are none. */}}
{{- define "argo-mcp.extraHosts" -}}
{{- $hosts := list }}
{{- if .Values.ingress.enabled }}{{ $hosts = concat $hosts .Values.ingress.hosts }}{{ end }}
{{- if .Values.httpRoute.enabled }}{{ $hosts = concat $hosts .Values.httpRoute.hostnames }}{{ end }}
{{- join "," (concat $hosts .Values.allowedHosts | uniq) }}
{{- end }}

{{/* The generated args, then the chart-only ones: --allowed-hosts (the server's defaults plus extraHosts, since
the flag replaces them) and extraArgs. */}}
{{- define "argo-mcp.containerArgs" -}}
{{- include "argo-mcp.compat" . -}}
{{ include "argo-mcp.args" . }}
{{- with include "argo-mcp.extraHosts" . }}
- --allowed-hosts
- {{ printf "localhost,*.localhost,*.svc,*.svc.cluster.local,%s" . | quote }}
{{- end }}
{{- with .Values.extraArgs }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{/* The security contexts, probes, port and volumes come from the operator's pod-template table: see
_generated.tpl (argo-mcp.podSecurityContext, argo-mcp.volumes, ...). */}}

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
{{- include "argo-mcp.commonLabels" . }}
{{- end }}

{{/*
The former value names, read into the current ones (the ArgoMCPServer spec's names) once per render; every
template that reads a renamed value includes this first. A former name that is set wins over the current
name's default; maps (argo.caSecret, argo.token) are merged key by key. The pairs used are kept in
.Values.__argoMcpRenamed for NOTES, which prints a deprecation line for each. Renders nothing.
*/}}
{{- define "argo-mcp.compat" -}}
{{- if not (hasKey .Values "__argoMcpRenamed") }}
{{- $v := .Values }}
{{- $renamed := list }}
{{- $argo := $v.argo | default dict }}
{{- range $pair := list (list "serverUrl" "url") (list "argoHelmRelease" "argoHelmRelease") (list "insecureSkipTLSVerify" "insecureSkipTLSVerify") }}
{{- if hasKey $argo (first $pair) }}
{{- $_ := set $v.argoServer (last $pair) (get $argo (first $pair)) }}
{{- $renamed = append $renamed (list (printf "argo.%s" (first $pair)) (printf "argoServer.%s" (last $pair))) }}
{{- end }}
{{- end }}
{{- if hasKey $argo "caSecret" }}
{{- $_ := mergeOverwrite $v.argoServer.caSecretRef ($argo.caSecret | default dict) }}
{{- $renamed = append $renamed (list "argo.caSecret" "argoServer.caSecretRef") }}
{{- end }}
{{- if hasKey $argo "defaultNamespace" }}
{{- $_ := set $v "defaultNamespace" $argo.defaultNamespace }}
{{- $renamed = append $renamed (list "argo.defaultNamespace" "defaultNamespace") }}
{{- end }}
{{- $token := $argo.token | default dict }}
{{- if hasKey $token "audience" }}
{{- $_ := set $v.serviceAccount "audience" $token.audience }}
{{- $renamed = append $renamed (list "argo.token.audience" "serviceAccount.audience") }}
{{- end }}
{{- if hasKey $token "expirationSeconds" }}
{{- $_ := set $v.serviceAccount "tokenExpirationSeconds" $token.expirationSeconds }}
{{- $renamed = append $renamed (list "argo.token.expirationSeconds" "serviceAccount.tokenExpirationSeconds") }}
{{- end }}
{{- if hasKey $v "replicaCount" }}
{{- $_ := set $v "replicas" $v.replicaCount }}
{{- $renamed = append $renamed (list "replicaCount" "replicas") }}
{{- end }}
{{- if hasKey $v "extraEnv" }}
{{- $_ := set $v "env" $v.extraEnv }}
{{- $renamed = append $renamed (list "extraEnv" "env") }}
{{- end }}
{{- $certManager := $v.tls.certManager | default dict }}
{{- range $key := list "duration" "renewBefore" }}
{{- if hasKey $certManager $key }}
{{- $_ := set $v.tls $key (get $certManager $key) }}
{{- $renamed = append $renamed (list (printf "tls.certManager.%s" $key) (printf "tls.%s" $key)) }}
{{- end }}
{{- end }}
{{- $_ := set $v "__argoMcpRenamed" $renamed }}
{{- end }}
{{- end }}
