{{/* Generated from operator/argo_mcp_operator/{rbac,serverargs,podtemplate}.py by `python -m argo_mcp_operator.chartgen > deploy/helm/argo-mcp/templates/_generated.tpl`; do not edit. */}}

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

{{/* ClusterRole rules granting use on one target, called with its name (operator: rbac.target_use_rules). */}}
{{- define "argo-mcp.targetUseRules" -}}
- {"apiGroups": ["argo-mcp.io"], "resources": ["targets"], "resourceNames": [{{ . | toJson }}], "verbs": ["use"]}
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
{{- if .Values.argoServer.insecureSkipTLSVerify }}
- --argo-insecure-skip-tls-verify
{{- end }}
{{- if .Values.argoServer.caSecretRef.name }}
- --argo-ca-file
- {{ printf "/etc/argo-mcp/argo-ca/%s" .Values.argoServer.caSecretRef.key | quote }}
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
{{- if ne .Values.inboundAuth.mode "none" }}
- --inbound-audience
- {{ .Values.inboundAuth.audience | quote }}
{{- end }}
{{- if eq .Values.inboundAuth.mode "oidc" }}
- --oidc-issuer
- {{ .Values.inboundAuth.oidc.issuer | quote }}
{{- end }}
{{- if and (eq .Values.inboundAuth.mode "oidc") .Values.inboundAuth.oidc.jwksUrl }}
- --oidc-jwks-url
- {{ .Values.inboundAuth.oidc.jwksUrl | quote }}
{{- end }}
{{- if .Values.inboundAuth.resourceUrl }}
- --resource-url
- {{ .Values.inboundAuth.resourceUrl | quote }}
{{- end }}
- --artifact-dir
- "/tmp/artifacts"
- --task-key-file
- "/etc/argo-mcp/task-key/task.key"
{{- if ne (int .Values.limits.maxInflightCalls) 64 }}
- --max-inflight-calls
- {{ int .Values.limits.maxInflightCalls | quote }}
{{- end }}
{{- if ne (int .Values.limits.maxLongCalls) 16 }}
- --max-long-calls
- {{ int .Values.limits.maxLongCalls | quote }}
{{- end }}
{{- if ne (int .Values.limits.maxLongCallsPerCaller) 4 }}
- --max-long-calls-per-caller
- {{ int .Values.limits.maxLongCallsPerCaller | quote }}
{{- end }}
{{- if ne (int .Values.limits.maxBufferedMiB) 256 }}
- --max-buffered-mib
- {{ int .Values.limits.maxBufferedMiB | quote }}
{{- end }}
{{- if ne (int .Values.limits.maxConnections) 1000 }}
- --max-connections
- {{ int .Values.limits.maxConnections | quote }}
{{- end }}
{{- if .Values.redactParameterNames }}
- --redact-parameter-names
- {{ join "," .Values.redactParameterNames | quote }}
{{- end }}
{{- if .Values.allowedServiceAccounts }}
- --allowed-service-accounts
- {{ join "," .Values.allowedServiceAccounts | quote }}
{{- end }}
- --log-level
- {{ .Values.logLevel | quote }}
{{- if .Values.targets }}
- --targets-file
- "/etc/argo-mcp/targets-file/targets.yaml"
{{- end }}
{{- end }}

{{/* Pod template: podSecurityContext (operator: podtemplate.TEMPLATES). */}}
{{- define "argo-mcp.podSecurityContext" -}}
runAsNonRoot: true
{{- if not .Values.openshift }}
runAsUser: 65532
{{- end }}
{{- if not .Values.openshift }}
runAsGroup: 65532
{{- end }}
{{- if not .Values.openshift }}
fsGroup: 65532
{{- end }}
seccompProfile:
  type: RuntimeDefault
{{- end }}

{{/* Pod template: containerSecurityContext (operator: podtemplate.TEMPLATES). */}}
{{- define "argo-mcp.containerSecurityContext" -}}
runAsNonRoot: true
{{- if not .Values.openshift }}
runAsUser: 65532
{{- end }}
{{- if not .Values.openshift }}
runAsGroup: 65532
{{- end }}
readOnlyRootFilesystem: true
allowPrivilegeEscalation: false
capabilities:
  drop:
    - ALL
seccompProfile:
  type: RuntimeDefault
{{- end }}

{{/* Pod template: ports (operator: podtemplate.TEMPLATES). */}}
{{- define "argo-mcp.ports" -}}
- name: mcp
  containerPort: {{ .Values.service.port | toJson }}
  protocol: TCP
{{- end }}

{{/* Pod template: livenessProbe (operator: podtemplate.TEMPLATES). */}}
{{- define "argo-mcp.livenessProbe" -}}
httpGet:
  path: /healthz
  port: mcp
  scheme: {{ ternary "HTTP" "HTTPS" (eq .Values.tls.mode "disabled") | toJson }}
periodSeconds: 10
timeoutSeconds: 3
failureThreshold: 3
{{- end }}

{{/* Pod template: readinessProbe (operator: podtemplate.TEMPLATES). */}}
{{- define "argo-mcp.readinessProbe" -}}
httpGet:
  path: /readyz
  port: mcp
  scheme: {{ ternary "HTTP" "HTTPS" (eq .Values.tls.mode "disabled") | toJson }}
periodSeconds: 5
timeoutSeconds: 3
failureThreshold: 3
{{- end }}

{{/* Pod template: volumes (operator: podtemplate.TEMPLATES). */}}
{{- define "argo-mcp.volumes" -}}
- name: argo-token
  projected:
    sources:
      - serviceAccountToken:
          path: token
          expirationSeconds: {{ .Values.serviceAccount.tokenExpirationSeconds | toJson }}
{{- if .Values.serviceAccount.audience }}
          audience: {{ .Values.serviceAccount.audience | toJson }}
{{- end }}
{{- if eq .Values.inboundAuth.mode "kubernetes" }}
- name: kube-api-access
  projected:
    sources:
      - serviceAccountToken:
          path: token
          expirationSeconds: 3607
      - configMap:
          name: kube-root-ca.crt
          items:
            - key: ca.crt
              path: ca.crt
      - downwardAPI:
          items:
            - path: namespace
              fieldRef:
                fieldPath: metadata.namespace
{{- end }}
{{- if ne .Values.tls.mode "disabled" }}
- name: tls
  secret:
    secretName: {{ include "argo-mcp.tlsSecretName" . | toJson }}
{{- end }}
{{- if .Values.argoServer.caSecretRef.name }}
- name: argo-ca
  secret:
    secretName: {{ .Values.argoServer.caSecretRef.name | toJson }}
    items:
      - key: {{ .Values.argoServer.caSecretRef.key | toJson }}
        path: {{ .Values.argoServer.caSecretRef.key | toJson }}
{{- end }}
- name: task-key
  secret:
    secretName: {{ include "argo-mcp.taskKeySecretName" . | toJson }}
    items:
      - key: {{ include "argo-mcp.taskKeySecretKey" . | toJson }}
        path: task.key
- name: tmp
  emptyDir: {{ ternary (dict "sizeLimit" .Values.tmpSizeLimit) (dict) (not (empty .Values.tmpSizeLimit)) | toJson }}
{{- end }}

{{/* Pod template: volumeMounts (operator: podtemplate.TEMPLATES). */}}
{{- define "argo-mcp.volumeMounts" -}}
- name: argo-token
  mountPath: /var/run/secrets/argo-mcp/argo
  readOnly: true
{{- if eq .Values.inboundAuth.mode "kubernetes" }}
- name: kube-api-access
  mountPath: /var/run/secrets/kubernetes.io/serviceaccount
  readOnly: true
{{- end }}
{{- if ne .Values.tls.mode "disabled" }}
- name: tls
  mountPath: /etc/argo-mcp/tls
  readOnly: true
{{- end }}
{{- if .Values.argoServer.caSecretRef.name }}
- name: argo-ca
  mountPath: /etc/argo-mcp/argo-ca
  readOnly: true
{{- end }}
- name: task-key
  mountPath: /etc/argo-mcp/task-key
  readOnly: true
- name: tmp
  mountPath: /tmp
{{- end }}

{{/* Pod template: targetVolumes (operator: podtemplate.TEMPLATES). */}}
{{- define "argo-mcp.targetVolumes" -}}
{{- if .Values.targets }}
- name: targets
  configMap:
    name: {{ printf "%s-targets" (include "argo-mcp.fullname" .) | toJson }}
{{- end }}
{{- range $t := $.Values.targets }}
{{- if and (eq (dig "auth" "mode" "k8s-service-account" $t) "k8s-service-account") (ne (dig "auth" "audience" "" $t) "") }}
- name: {{ printf "target-%s-token" $t.name | toJson }}
  projected:
    sources:
      - serviceAccountToken:
          path: token
          audience: {{ (dig "auth" "audience" "" $t) | toJson }}
          expirationSeconds: {{ $.Values.serviceAccount.tokenExpirationSeconds | toJson }}
{{- end }}
{{- if eq (dig "auth" "mode" "k8s-service-account" $t) "bearer-file" }}
- name: {{ printf "target-%s-token" $t.name | toJson }}
  secret:
    secretName: {{ (dig "auth" "tokenSecretRef" "name" "" $t) | toJson }}
    items:
      - key: {{ (dig "auth" "tokenSecretRef" "key" "token" $t) | toJson }}
        path: token
{{- end }}
{{- if (dig "argoServer" "caSecretRef" "name" "" $t) }}
- name: {{ printf "target-%s-ca" $t.name | toJson }}
  secret:
    secretName: {{ (dig "argoServer" "caSecretRef" "name" "" $t) | toJson }}
    items:
      - key: {{ (dig "argoServer" "caSecretRef" "key" "ca.crt" $t) | toJson }}
        path: {{ (dig "argoServer" "caSecretRef" "key" "ca.crt" $t) | toJson }}
{{- end }}
{{- end }}
{{- end }}

{{/* Pod template: targetVolumeMounts (operator: podtemplate.TEMPLATES). */}}
{{- define "argo-mcp.targetVolumeMounts" -}}
{{- if .Values.targets }}
- name: targets
  mountPath: /etc/argo-mcp/targets-file
  readOnly: true
{{- end }}
{{- range $t := $.Values.targets }}
{{- if or (and (eq (dig "auth" "mode" "k8s-service-account" $t) "k8s-service-account") (ne (dig "auth" "audience" "" $t) "")) (eq (dig "auth" "mode" "k8s-service-account" $t) "bearer-file") }}
- name: {{ printf "target-%s-token" $t.name | toJson }}
  mountPath: {{ printf "/var/run/secrets/argo-mcp/targets/%s" $t.name | toJson }}
  readOnly: true
{{- end }}
{{- if (dig "argoServer" "caSecretRef" "name" "" $t) }}
- name: {{ printf "target-%s-ca" $t.name | toJson }}
  mountPath: {{ printf "/etc/argo-mcp/targets/%s/ca" $t.name | toJson }}
  readOnly: true
{{- end }}
{{- end }}
{{- end }}

{{/* Pod template: targetEnv (operator: podtemplate.TEMPLATES). */}}
{{- define "argo-mcp.targetEnv" -}}
{{- range $t := $.Values.targets }}
{{- if eq (dig "auth" "mode" "k8s-service-account" $t) "bearer" }}
- name: {{ printf "ARGO_MCP_TARGET_%s_TOKEN" ($t.name | upper | replace "-" "_") | toJson }}
  valueFrom:
    secretKeyRef:
      name: {{ (dig "auth" "tokenSecretRef" "name" "" $t) | toJson }}
      key: {{ (dig "auth" "tokenSecretRef" "key" "token" $t) | toJson }}
{{- end }}
{{- end }}
{{- end }}

{{/* Pod template: targetsFile (operator: podtemplate.TEMPLATES). */}}
{{- define "argo-mcp.targetsFile" -}}
{{- if .Values.defaultTarget }}
defaultTarget: {{ .Values.defaultTarget | toJson }}
{{- end }}
{{- if .Values.oidcGroups }}
oidcGroups: {{ .Values.oidcGroups | toJson }}
{{- end }}
targets:
{{- range $t := $.Values.targets }}
  - name: {{ $t.name | toJson }}
    argoServer:
      url: {{ $t.argoServer.url | toJson }}
{{- if (dig "argoServer" "caSecretRef" "name" "" $t) }}
      caFile: {{ printf "/etc/argo-mcp/targets/%s/ca/%s" $t.name (dig "argoServer" "caSecretRef" "key" "ca.crt" $t) | toJson }}
{{- end }}
{{- if dig "argoServer" "insecureSkipTLSVerify" false $t }}
      insecureSkipTLSVerify: true
{{- end }}
    auth:
      mode: {{ (dig "auth" "mode" "k8s-service-account" $t) | toJson }}
{{- if and (eq (dig "auth" "mode" "k8s-service-account" $t) "k8s-service-account") (ne (dig "auth" "audience" "" $t) "") }}
      audience: {{ (dig "auth" "audience" "" $t) | toJson }}
{{- end }}
{{- if or (eq (dig "auth" "mode" "k8s-service-account" $t) "k8s-service-account") (eq (dig "auth" "mode" "k8s-service-account" $t) "bearer-file") }}
      tokenFile: {{ ternary (printf "/var/run/secrets/argo-mcp/targets/%s/token" $t.name) "/var/run/secrets/argo-mcp/argo/token" (or (and (eq (dig "auth" "mode" "k8s-service-account" $t) "k8s-service-account") (ne (dig "auth" "audience" "" $t) "")) (eq (dig "auth" "mode" "k8s-service-account" $t) "bearer-file")) | toJson }}
{{- end }}
{{- if eq (dig "auth" "mode" "k8s-service-account" $t) "bearer" }}
      tokenEnv: {{ printf "ARGO_MCP_TARGET_%s_TOKEN" ($t.name | upper | replace "-" "_") | toJson }}
{{- end }}
{{- if $t.namespaces }}
    namespaces: {{ $t.namespaces | toJson }}
{{- end }}
{{- if $t.defaultNamespace }}
    defaultNamespace: {{ $t.defaultNamespace | toJson }}
{{- end }}
{{- if $t.mode }}
    mode: {{ $t.mode | toJson }}
{{- end }}
{{- if $t.toolsets }}
    toolsets: {{ $t.toolsets | toJson }}
{{- end }}
{{- if hasKey $t "confirmDestructive" }}
    confirmDestructive: {{ $t.confirmDestructive | toJson }}
{{- end }}
{{- end }}
{{- end }}
