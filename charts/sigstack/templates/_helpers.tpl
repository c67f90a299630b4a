{{/*
Names and labels shared by every template.
*/}}

{{/* The chart name, or nameOverride. */}}
{{- define "sigstack.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* The resource name prefix: fullnameOverride, else "<release>-<chart>" (or just the
release name when it already contains the chart name). 63 characters at most, the DNS label
limit, leaving room for the "-read" and "-migrate" suffixes below. */}}
{{- define "sigstack.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 55 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 55 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 55 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "sigstack.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Labels that select this release's pods; never change them (Deployments cannot). */}}
{{- define "sigstack.selectorLabels" -}}
app.kubernetes.io/name: {{ include "sigstack.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "sigstack.labels" -}}
helm.sh/chart: {{ include "sigstack.chart" . }}
{{ include "sigstack.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: sigstack
{{- end -}}

{{- define "sigstack.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "sigstack.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{/* The image reference: repository@digest when a digest is given, else repository:tag. */}}
{{- define "sigstack.image" -}}
{{- if .Values.image.digest -}}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest -}}
{{- else -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}
{{- end -}}

{{/* Whether a component runs: "true" or "". Empty `components` means all of them. */}}
{{- define "sigstack.runs" -}}
{{- $c := .root.Values.components -}}
{{- if or (empty $c) (has .component $c) -}}true{{- end -}}
{{- end -}}

{{/* The CT log (and so the CA chain) is needed by both the `ct` and the `ca` component. */}}
{{- define "sigstack.needsCt" -}}
{{- if or (include "sigstack.runs" (dict "root" . "component" "ct")) (include "sigstack.runs" (dict "root" . "component" "ca")) -}}true{{- end -}}
{{- end -}}

{{/* Which ConfigMap holds sigstack.toml, and under which key. */}}
{{- define "sigstack.configMapName" -}}
{{- default (printf "%s-config" (include "sigstack.fullname" .)) .Values.config.existingConfigMap -}}
{{- end -}}
{{- define "sigstack.configMapKey" -}}
{{- if .Values.config.existingConfigMap -}}{{ .Values.config.existingConfigMapKey }}{{- else -}}sigstack.toml{{- end -}}
{{- end -}}

{{/* Whether an issuer file is configured: "true" or "". */}}
{{- define "sigstack.hasCaConfig" -}}
{{- if or .Values.caConfig.existingConfigMap .Values.caConfig.inline -}}true{{- end -}}
{{- end -}}

{{/* The database URL, in the environment variable sigstack reads it from (never in the args). */}}
{{- define "sigstack.databaseEnv" -}}
- name: SIGSTACK_DATABASE_URL
  valueFrom:
    secretKeyRef:
      name: {{ required "database.existingSecret: name the Secret holding the PostgreSQL URL" .Values.database.existingSecret }}
      key: {{ .Values.database.key }}
{{- end -}}

{{/* A tree ID must be a positive integer given as a string (see values.yaml). */}}
{{- define "sigstack.treeId" -}}
{{- $id := toString .value -}}
{{- if not (regexMatch "^[1-9][0-9]{0,18}$" $id) -}}
{{- fail (printf "%s: %q is not a tree ID; copy it from sigstack.toml and quote it (Helm rounds unquoted large numbers)" .name $id) -}}
{{- end -}}
{{- $id -}}
{{- end -}}

{{/* A TOML basic string: the value in double quotes with backslashes and quotes escaped. */}}
{{- define "sigstack.tomlString" -}}
"{{ . | replace "\\" "\\\\" | replace "\"" "\\\"" }}"
{{- end -}}
