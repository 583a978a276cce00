{{/* Names and labels shared by every object of the release. */}}

{{- define "rex.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 40 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 40 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "rex.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end -}}

{{/* Selector labels of one component: include "rex.selectorLabels" (list $ "gateway"). */}}
{{- define "rex.selectorLabels" -}}
{{- $root := index . 0 -}}
app.kubernetes.io/name: {{ $root.Chart.Name }}
app.kubernetes.io/instance: {{ $root.Release.Name }}
app.kubernetes.io/component: {{ index . 1 }}
{{- end -}}

{{- define "rex.componentLabels" -}}
{{ include "rex.labels" (index . 0) }}
app.kubernetes.io/component: {{ index . 1 }}
{{- end -}}

{{/* image: include "rex.image" (list $ .Values.image.gateway) */}}
{{- define "rex.image" -}}
{{- $image := index . 1 -}}
{{- printf "%s:%s" $image.repository (default (index . 0).Chart.AppVersion $image.tag) -}}
{{- end -}}

{{- define "rex.gatewayScheme" -}}
{{- if .Values.tls.enabled }}https{{ else }}http{{ end -}}
{{- end -}}

{{/* Where the API key lives: the chart's Secret, or the user's. Empty when there is none. */}}
{{- define "rex.apiKeySecret" -}}
{{- if .Values.apiKey.existingSecret -}}
{{- .Values.apiKey.existingSecret -}}
{{- else if .Values.apiKey.value -}}
{{- include "rex.fullname" . -}}
{{- end -}}
{{- end -}}

{{- define "rex.apiKeySecretKey" -}}
{{- if .Values.apiKey.existingSecret }}{{ .Values.apiKey.existingSecretKey }}{{ else }}api-key{{ end -}}
{{- end -}}

{{/* Where the data plane's shared secret lives: the user's Secret, else the one the chart draws. */}}
{{- define "rex.dataPlaneSecret" -}}
{{- default (printf "%s-data-plane" (include "rex.fullname" .)) .Values.dataPlaneSecret.existingSecret -}}
{{- end -}}

{{- define "rex.dataPlaneSecretKey" -}}
{{- if .Values.dataPlaneSecret.existingSecret }}{{ .Values.dataPlaneSecret.existingSecretKey }}{{ else }}data-plane-secret{{ end -}}
{{- end -}}

{{/* Devices of an expert silo: the override, else one cuda:N per GPU, else the CPU. */}}
{{- define "rex.siloDevices" -}}
{{- if .Values.silo.devices -}}
{{- .Values.silo.devices -}}
{{- else if gt (int .Values.silo.gpus) 0 -}}
{{- $devices := list -}}
{{- range $i := until (int .Values.silo.gpus) }}{{ $devices = append $devices (printf "cuda:%d" $i) }}{{ end -}}
{{- join "," $devices -}}
{{- else -}}
cpu
{{- end -}}
{{- end -}}
