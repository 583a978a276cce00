{{/*
The init container that fills the model's volume from the Hugging Face Hub before the gateway starts (values
model.download): `rex model download`, from the gateway image, which carries the rex command. It runs in the
gateway pod because the gateway reads the weights first; silos open them only once the gateway places experts.
The volume is the one every Rex container mounts read-only at /models, here writable.
*/}}
{{- define "rex.modelDownload" -}}
{{- with .Values.model.download }}
{{- if .repo -}}
- name: download-model
  image: {{ include "rex.image" (list $ $.Values.image.gateway) }}
  imagePullPolicy: {{ $.Values.image.gateway.pullPolicy }}
  securityContext:
    {{- toYaml $.Values.securityContext | nindent 4 }}
  command: ["dotnet", "/app/rex.dll", "model", "download", {{ .repo | quote }}, "--revision", {{ .revision | quote }}, "--dir", {{ printf "/models/%s" $.Values.model.path | quote }}]
  {{- if or .endpoint .tokenSecret }}
  env:
    {{- with .endpoint }}
    - name: HF_ENDPOINT
      value: {{ . | quote }}
    {{- end }}
    {{- with .tokenSecret }}
    - name: HF_TOKEN
      valueFrom:
        secretKeyRef:
          name: {{ . }}
          key: {{ $.Values.model.download.tokenSecretKey }}
    {{- end }}
  {{- end }}
  resources:
    {{- toYaml .resources | nindent 4 }}
  volumeMounts:
    - name: tmp
      mountPath: /tmp
    - name: model
      mountPath: /models
{{- end }}
{{- end }}
{{- end -}}
