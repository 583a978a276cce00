{{/* What every Rex pod shares, gateway or expert silo. */}}

{{/*
Environment beyond the ConfigMap: the pod's own address (other silos and gateways reach it on its pod IP, so
Orleans advertises that and the data plane listens on it), secrets (Redis', the data plane's, the API key), and
telemetry.
include "rex.podEnv" (list $ "rex-gateway")
*/}}
{{- define "rex.podEnv" -}}
{{- $root := index . 0 -}}
{{- $values := $root.Values -}}
- name: POD_NAME
  valueFrom:
    fieldRef:
      fieldPath: metadata.name
- name: POD_NAMESPACE
  valueFrom:
    fieldRef:
      fieldPath: metadata.namespace
- name: REX_AdvertisedAddress
  valueFrom:
    fieldRef:
      fieldPath: status.podIP
{{- if $values.redis.enabled }}
- name: REDIS_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ printf "%s-redis" (include "rex.fullname" $root) }}
      key: password
- name: REX_RedisConnectionString
  value: {{ printf "%s-redis:6379,password=$(REDIS_PASSWORD)" (include "rex.fullname" $root) | quote }}
{{- else if $values.redis.existingSecret }}
- name: REX_RedisConnectionString
  valueFrom:
    secretKeyRef:
      name: {{ $values.redis.existingSecret }}
      key: {{ $values.redis.existingSecretKey }}
{{- else if $values.redis.connectionString }}
- name: REX_RedisConnectionString
  valueFrom:
    secretKeyRef:
      name: {{ include "rex.fullname" $root }}
      key: redis-connection-string
{{- else }}
{{- fail "redis.enabled is false: set redis.connectionString or redis.existingSecret" }}
{{- end }}
- name: REX_DataPlaneSecret
  valueFrom:
    secretKeyRef:
      name: {{ include "rex.dataPlaneSecret" $root }}
      key: {{ include "rex.dataPlaneSecretKey" $root }}
{{- if $values.clusterTls.secretName }}
- name: REX_ClusterTlsDirectory
  value: /etc/rex/cluster-tls
{{- end }}
{{- with include "rex.apiKeySecret" $root }}
- name: REX_ApiKey
  valueFrom:
    secretKeyRef:
      name: {{ . }}
      key: {{ include "rex.apiKeySecretKey" $root }}
{{- end }}
- name: OTEL_SERVICE_NAME
  value: {{ index . 1 }}
- name: OTEL_RESOURCE_ATTRIBUTES
  value: "k8s.pod.name=$(POD_NAME),k8s.namespace.name=$(POD_NAMESPACE),service.instance.id=$(POD_NAME)"
{{- with $values.telemetry.otlpEndpoint }}
- name: OTEL_EXPORTER_OTLP_ENDPOINT
  value: {{ . | quote }}
{{- end }}
{{- with $values.telemetry.otlpProtocol }}
- name: OTEL_EXPORTER_OTLP_PROTOCOL
  value: {{ . | quote }}
{{- end }}
{{- end -}}

{{/* Volumes: the checkpoint and the cluster's TLS credentials (read-only), and a writable /tmp beside a read-only root filesystem. */}}
{{- define "rex.volumes" -}}
- name: tmp
  emptyDir: {}
{{- with .Values.clusterTls.secretName }}
- name: cluster-tls
  secret:
    secretName: {{ . }}
{{- end }}
{{- if .Values.model.path }}
- name: model
{{- if .Values.model.existingClaim }}
  persistentVolumeClaim:
    claimName: {{ .Values.model.existingClaim }}
    {{- /* Read-only for every container, unless the download's init container writes to it. */}}
    {{- if not .Values.model.download.repo }}
    readOnly: true
    {{- end }}
{{- else if .Values.model.hostPath }}
  hostPath:
    path: {{ .Values.model.hostPath }}
    type: Directory
{{- else if .Values.model.persistence.enabled }}
  persistentVolumeClaim:
    claimName: {{ include "rex.fullname" . }}-models
{{- else }}
{{- fail "model.path needs a volume: set model.existingClaim, model.hostPath or model.persistence.enabled" }}
{{- end }}
{{- else if .Values.model.download.repo }}
{{- fail "model.download.repo needs model.path: the directory of the volume to download into" }}
{{- end }}
{{- end -}}

{{- define "rex.volumeMounts" -}}
- name: tmp
  mountPath: /tmp
{{- if .Values.clusterTls.secretName }}
- name: cluster-tls
  mountPath: /etc/rex/cluster-tls
  readOnly: true
{{- end }}
{{- if .Values.model.path }}
- name: model
  mountPath: /models
  readOnly: true
{{- end }}
{{- end -}}

{{/* Resources plus gpus as nvidia.com/gpu, requested and limited alike (extended resources cannot overcommit). */}}
{{- define "rex.resources" -}}
{{- $resources := deepCopy (index . 0) -}}
{{- $gpus := int (index . 1) -}}
{{- if gt $gpus 0 -}}
{{- $_ := set $resources "limits" (merge (dict "nvidia.com/gpu" (toString $gpus)) (default dict $resources.limits)) -}}
{{- $_ := set $resources "requests" (merge (dict "nvidia.com/gpu" (toString $gpus)) (default dict $resources.requests)) -}}
{{- end -}}
{{- toYaml $resources -}}
{{- end -}}
