{{/* Names and labels. */}}

{{- define "linkwatch.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "linkwatch.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else if contains (include "linkwatch.name" .) .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name (include "linkwatch.name" .) | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}

{{- define "linkwatch.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{ include "linkwatch.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: linkwatch
{{- end }}

{{- define "linkwatch.selectorLabels" -}}
app.kubernetes.io/name: {{ include "linkwatch.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/* The selector labels of one component: (dict "root" $ "component" "worker" "site" "dc1"). */}}
{{- define "linkwatch.componentSelector" -}}
{{ include "linkwatch.selectorLabels" .root }}
app.kubernetes.io/component: {{ .component }}
{{- with .site }}
linkwatch.io/site: {{ . }}
{{- end }}
{{- end }}

{{- define "linkwatch.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "linkwatch.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- required "serviceAccount.name is required when serviceAccount.create is false" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "linkwatch.image" -}}
{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}
{{- end }}

{{/* Paths inside the pods. */}}
{{- define "linkwatch.configDir" -}}/etc/linkwatch/config{{- end }}
{{- define "linkwatch.configFile" -}}/etc/linkwatch/config/linkwatch.yaml{{- end }}
{{- define "linkwatch.dataDir" -}}/var/lib/linkwatch{{- end }}
{{- define "linkwatch.secretsDir" -}}/etc/linkwatch/secrets{{- end }}
{{- define "linkwatch.devicesDir" -}}/etc/linkwatch/secrets/devices/{{- end }}
{{- define "linkwatch.caDir" -}}/etc/linkwatch/ca{{- end }}

{{/*
linkwatch.config is linkwatch.yaml: .Values.config with what the chart
decides added, after checking that the values hang together. Every pod
reads the same file; what differs between pods is which Secrets are
mounted under the paths it names.
*/}}
{{- define "linkwatch.config" -}}
{{- $v := .Values }}
{{- $c := deepCopy $v.config }}
{{- include "linkwatch.checkConfig" . }}
{{- $_ := set $c "data_dir" (include "linkwatch.dataDir" .) }}
{{- $nats := $c.nats }}
{{- $_ := set $nats "nkey_seed_file" (printf "%s/nats/seed" (include "linkwatch.secretsDir" .)) }}
{{- if $v.secrets.nats.ca.secretName }}
{{- $_ := set $nats "ca_file" (printf "%s/nats/%s" (include "linkwatch.caDir" .) $v.secrets.nats.ca.key) }}
{{- end }}
{{- $state := $c.state }}
{{- if $v.secrets.redis.password.secretName }}
{{- $_ := set $state "password_file" (printf "%s/redis/password" (include "linkwatch.secretsDir" .)) }}
{{- end }}
{{- if $v.secrets.redis.ca.secretName }}
{{- $_ := set $state "ca_file" (printf "%s/redis/%s" (include "linkwatch.caDir" .) $v.secrets.redis.ca.key) }}
{{- end }}
{{- $smtp := dig "notify" "smtp" nil $c }}
{{- if and $smtp $v.secrets.smtp.password.secretName }}
{{- $_ := set $smtp "password_file" (printf "%s/smtp/password" (include "linkwatch.secretsDir" .)) }}
{{- end }}
{{- if and $smtp $v.secrets.smtp.ca.secretName }}
{{- $_ := set $smtp "ca_file" (printf "%s/smtp/%s" (include "linkwatch.caDir" .) $v.secrets.smtp.ca.key) }}
{{- end }}
{{- toYaml $c }}
{{- end }}

{{/*
linkwatch.checkConfig fails the rendering, with what to change, where the
values would give pods that cannot start or a site without workers.
*/}}
{{- define "linkwatch.checkConfig" -}}
{{- $v := .Values }}
{{- $c := $v.config }}
{{- if hasKey $c "data_dir" }}
{{- fail "config.data_dir is set by the chart (an emptyDir at /var/lib/linkwatch): remove it" }}
{{- end }}
{{- if not (dig "nats" "url" "" $c) }}
{{- fail "config.nats.url is required: the NATS server's client URL (nats://nats.nats.svc:4222)" }}
{{- end }}
{{- range $key := list "user" "password_env" "password_file" "nkey_seed_file" "creds_file" "cert_file" "key_file" "ca_file" }}
{{- if hasKey $c.nats $key }}
{{- fail (printf "config.nats.%s: the chart logs each pod in with its role's nkey (secrets.nats, sites[].natsSecret) and sets nats.ca_file from secrets.nats.ca: remove it" $key) }}
{{- end }}
{{- end }}
{{- if not (dig "state" "redis_url" "" $c) }}
{{- fail "config.state.redis_url is required: the notifier's replicas share their state in Redis (rediss://redis-master.redis.svc:6379/0)" }}
{{- end }}
{{- range $key := list "password_env" "password_file" "ca_file" }}
{{- if hasKey $c.state $key }}
{{- fail (printf "config.state.%s is set by the chart: give secrets.redis.password or secrets.redis.ca instead" $key) }}
{{- end }}
{{- end }}
{{- $smtp := dig "notify" "smtp" nil $c }}
{{- if $smtp }}
{{- range $key := list "password_env" "password_file" "ca_file" }}
{{- if hasKey $smtp $key }}
{{- fail (printf "config.notify.smtp.%s is set by the chart: give secrets.smtp.password or secrets.smtp.ca instead" $key) }}
{{- end }}
{{- end }}
{{- if and $smtp.username (not $v.secrets.smtp.password.secretName) }}
{{- fail "config.notify.smtp.username needs a password: give secrets.smtp.password.secretName" }}
{{- end }}
{{- end }}
{{- range $name, $cred := $c.credentials }}
{{- range $key := list "password_env" "enable_password_env" }}
{{- if hasKey $cred $key }}
{{- fail (printf "config.credentials.%s.%s: workers read device passwords from files of their site's credentials Secret: use %s with a path under %s" $name $key (trimSuffix "_env" $key | printf "%s_file") (include "linkwatch.devicesDir" $)) }}
{{- end }}
{{- end }}
{{- range $key := list "password_file" "enable_password_file" }}
{{- $file := get $cred $key }}
{{- if and $file (not (hasPrefix (include "linkwatch.devicesDir" $) $file)) }}
{{- fail (printf "config.credentials.%s.%s: %q is not under %s, where each site's credentials Secret is mounted" $name $key $file (include "linkwatch.devicesDir" $)) }}
{{- end }}
{{- end }}
{{- end }}
{{- include "linkwatch.checkSites" . }}
{{- end }}

{{/* Every device's site has a sites entry, and every entry a device. */}}
{{- define "linkwatch.checkSites" -}}
{{- $c := .Values.config }}
{{- $defaultSite := dig "defaults" "site" "default" $c }}
{{- $deviceSites := list }}
{{- range $c.devices }}
{{- $deviceSites = append $deviceSites (default $defaultSite .site) }}
{{- end }}
{{- $siteNames := list }}
{{- range .Values.sites }}
{{- if has .name $siteNames }}
{{- fail (printf "sites: %q is listed twice" .name) }}
{{- end }}
{{- $siteNames = append $siteNames .name }}
{{- if not (has .name $deviceSites) }}
{{- fail (printf "sites: %q has no device in config.devices: its workers would have nothing to probe (and no key on the bus); remove it or add its devices" .name) }}
{{- end }}
{{- end }}
{{- range $site := $deviceSites | uniq }}
{{- if not (has $site $siteNames) }}
{{- fail (printf "config.devices: site %q has no entry in sites: nothing would probe its devices; add { name: %s, credentialsSecret: ..., natsSecret: ... } to sites" $site $site) }}
{{- end }}
{{- end }}
{{- end }}

{{/* The pod's and each container's security settings. */}}
{{- define "linkwatch.podSecurityContext" -}}
runAsNonRoot: true
runAsUser: {{ .Values.securityContext.runAsUser }}
runAsGroup: {{ .Values.securityContext.runAsGroup }}
# The Secret volumes' files become group {{ .Values.securityContext.runAsGroup }}, so that the
# secret-files init container, running as the pod's user, can read and copy them.
fsGroup: {{ .Values.securityContext.runAsGroup }}
seccompProfile:
  type: RuntimeDefault
{{- end }}

{{- define "linkwatch.containerSecurityContext" -}}
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
runAsNonRoot: true
capabilities:
  drop: [ALL]
{{- end }}

{{/*
Secret files.

linkwatch refuses a secret file (a password, an nkey seed) that group or
others may read, and reads it as uid 65532, never root. A Secret volume
cannot give it such a file: its files belong to root, so with mode 0400
uid 65532 cannot read them, and with fsGroup the kubelet adds group read
(0400 becomes 0440), which linkwatch refuses. So each Secret is mounted
with defaultMode 0400 (nothing wider than needed) into the secret-files
init container only, which, as uid 65532 reading through fsGroup, copies
every file into a memory emptyDir with mode 0400: owned by linkwatch's
user, readable by nobody else. The linkwatch container mounts only that
copy, read-only. A Secret changed later reaches the pods at their next
start (kubectl rollout restart).

linkwatch.secretVolumes takes (dict "root" $ "secrets" (list (dict "dir" "nats" "secretName" "x" "items" (list (dict "key" "seed" "path" "seed"))) ...)):
each entry becomes /etc/linkwatch/secrets/<dir>/ in the linkwatch container.
*/}}
{{- define "linkwatch.secretVolumes" -}}
- name: secret-files
  emptyDir:
    medium: Memory
    sizeLimit: 1Mi
{{- range .secrets }}
- name: secret-{{ .dir }}
  secret:
    secretName: {{ .secretName }}
    # 0400: linkwatch refuses a secret file that group or others may
    # read; this volume is only the secret-files init container's, which
    # copies it for linkwatch (see "Secret files" in deploy/README.md).
    defaultMode: 0400
    {{- with .items }}
    items:
      {{- toYaml . | nindent 6 }}
    {{- end }}
{{- end }}
{{- end }}

{{- define "linkwatch.secretFilesInit" -}}
- name: secret-files
  image: {{ .root.Values.secretFiles.image.repository }}:{{ .root.Values.secretFiles.image.tag }}
  imagePullPolicy: {{ .root.Values.secretFiles.image.pullPolicy }}
  command:
    - sh
    - -c
    - |
      set -eu
      umask 077
      for src in /secret-volumes/*/; do
        dir=/secret-files/$(basename "$src")
        mkdir -p "$dir"
        for f in "$src"*; do
          [ -f "$f" ] || continue
          rm -f "$dir/${f##*/}"
          cat "$f" > "$dir/${f##*/}"
          chmod 0400 "$dir/${f##*/}"
        done
      done
  securityContext:
    {{- include "linkwatch.containerSecurityContext" .root | nindent 4 }}
  resources:
    {{- toYaml .root.Values.secretFiles.resources | nindent 4 }}
  volumeMounts:
    - name: secret-files
      mountPath: /secret-files
    {{- range .secrets }}
    - name: secret-{{ .dir }}
      mountPath: /secret-volumes/{{ .dir }}
      readOnly: true
    {{- end }}
{{- end }}

{{/* The CA files a pod needs: (dict "root" $ "cas" (list "nats" "redis")). */}}
{{- define "linkwatch.caVolumes" -}}
{{- $secrets := .root.Values.secrets }}
{{- range .cas }}
{{- $ca := get (get $secrets .) "ca" }}
{{- if $ca.secretName }}
- name: ca-{{ . }}
  secret:
    secretName: {{ $ca.secretName }}
    items:
      - { key: {{ $ca.key }}, path: {{ $ca.key }} }
{{- end }}
{{- end }}
{{- end }}

{{- define "linkwatch.caMounts" -}}
{{- $secrets := .root.Values.secrets }}
{{- range .cas }}
{{- if (get (get $secrets .) "ca").secretName }}
- name: ca-{{ . }}
  mountPath: {{ include "linkwatch.caDir" $.root }}/{{ . }}
  readOnly: true
{{- end }}
{{- end }}
{{- end }}

{{/*
linkwatch.pod is the pod template of every Deployment:
(dict "root" $ "component" "worker" "site" "dc1" "args" (list ...)
      "secrets" (list ...) "cas" (list ...) "spec" <scheduler|notifier|site values>
      "resources" ... "nodeSelector" ... "tolerations" ... "affinity" ... "podAnnotations" ...)
*/}}
{{- define "linkwatch.pod" -}}
{{- $root := .root -}}
metadata:
  labels:
    {{- include "linkwatch.labels" $root | nindent 4 }}
    app.kubernetes.io/component: {{ .component }}
    {{- with .site }}
    linkwatch.io/site: {{ . }}
    {{- end }}
  annotations:
    checksum/config: {{ include "linkwatch.config" $root | sha256sum }}
    {{- with .podAnnotations }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
spec:
  serviceAccountName: {{ include "linkwatch.serviceAccountName" $root }}
  automountServiceAccountToken: false
  enableServiceLinks: false
  {{- with $root.Values.imagePullSecrets }}
  imagePullSecrets:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  securityContext:
    {{- include "linkwatch.podSecurityContext" $root | nindent 4 }}
  {{- with .nodeSelector }}
  nodeSelector:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with .tolerations }}
  tolerations:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with .affinity }}
  affinity:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  topologySpreadConstraints:
    {{- range $root.Values.topologySpread.topologyKeys }}
    - maxSkew: 1
      topologyKey: {{ . }}
      whenUnsatisfiable: {{ $root.Values.topologySpread.whenUnsatisfiable }}
      labelSelector:
        matchLabels:
          {{- include "linkwatch.componentSelector" (dict "root" $root "component" $.component "site" $.site) | nindent 10 }}
    {{- end }}
  initContainers:
    {{- include "linkwatch.secretFilesInit" . | nindent 4 }}
  containers:
    - name: {{ .component }}
      image: {{ include "linkwatch.image" $root }}
      imagePullPolicy: {{ $root.Values.image.pullPolicy }}
      args:
        {{- toYaml .args | nindent 8 }}
      ports:
        - name: metrics
          containerPort: {{ $root.Values.metrics.port }}
          protocol: TCP
      startupProbe:
        httpGet: { path: /healthz, port: metrics }
        periodSeconds: 5
        failureThreshold: 60
      livenessProbe:
        httpGet: { path: /healthz, port: metrics }
        periodSeconds: 10
        timeoutSeconds: 3
        failureThreshold: 3
      readinessProbe:
        httpGet: { path: /readyz, port: metrics }
        periodSeconds: 5
        timeoutSeconds: 3
        failureThreshold: 2
      resources:
        {{- toYaml .resources | nindent 8 }}
      securityContext:
        {{- include "linkwatch.containerSecurityContext" $root | nindent 8 }}
      volumeMounts:
        - name: config
          mountPath: {{ include "linkwatch.configDir" $root }}
          readOnly: true
        - name: data
          mountPath: {{ include "linkwatch.dataDir" $root }}
        - name: secret-files
          mountPath: {{ include "linkwatch.secretsDir" $root }}
          readOnly: true
        {{- with include "linkwatch.caMounts" . | trim }}
        {{- . | nindent 8 }}
        {{- end }}
  volumes:
    - name: config
      configMap:
        name: {{ include "linkwatch.fullname" $root }}-config
    - name: data
      emptyDir:
        sizeLimit: 256Mi
    {{- include "linkwatch.secretVolumes" . | nindent 4 }}
    {{- with include "linkwatch.caVolumes" . | trim }}
    {{- . | nindent 4 }}
    {{- end }}
{{- end }}

{{/* The arguments every service takes: (dict "root" $ "command" "scheduler"). */}}
{{- define "linkwatch.args" -}}
- {{ .command }}
- --config
- {{ include "linkwatch.configFile" .root }}
- --metrics-listen
- {{ printf ":%v" .root.Values.metrics.port | quote }}
{{- end }}

{{/* The role's nkey Secret as a secret-files entry: (dict "root" $ "secretName" "x"). */}}
{{- define "linkwatch.natsSecret" -}}
{{- dict "dir" "nats" "secretName" .secretName "items" (list (dict "key" .root.Values.secrets.nats.key "path" "seed")) | toYaml }}
{{- end }}

{{/* The Redis and SMTP password Secrets given, as secret-files entries (a YAML list). */}}
{{- define "linkwatch.notifierSecrets" -}}
{{- $out := list }}
{{- range $dir := list "redis" "smtp" }}
{{- $p := (get $.Values.secrets $dir).password }}
{{- if $p.secretName }}
{{- $out = append $out (dict "dir" $dir "secretName" $p.secretName "items" (list (dict "key" $p.key "path" "password"))) }}
{{- end }}
{{- end }}
{{- toYaml $out }}
{{- end }}
