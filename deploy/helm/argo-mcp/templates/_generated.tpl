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
