#!/usr/bin/env bash
# A release by kustomize, the same from both pipelines:  deployments/ci-cd/deploy.sh <overlay> <image>
#   <overlay>  dev or prod (deployments/k8s/overlays/<overlay>)
#   <image>    the pushed image, by digest (registry/name@sha256:...) or by tag (registry/name:tag)
# kubectl talks to the cluster $KUBECONFIG names. In order:
#   1. the overlay's `orderflow` image set to <image> (kustomize edit set image, in this checkout only) and rendered;
#   2. everything but the workloads and the Namespace applied (ConfigMaps, Services, policies, autoscalers...), so
#      that the release Job finds the configuration it is rendered with. The Namespace is cluster-scoped: a cluster
#      administrator applies the overlay's namespace.yaml once, at the first deploy (docs/ops/deployment.md), and
#      the pipeline's account needs rights in that namespace only;
#   3. the release Job (app.kubernetes.io/component=release: manage.py release, i.e. migrate, the event topology,
#      the roles) applied alone and waited for; if it fails or times out the deploy stops here, before any
#      Deployment changes: the running version keeps serving on a schema it knows;
#   4. the workloads applied, and each Deployment's rollout waited for.
# A Job's pod template is immutable, so applying the new image to the previous release's Job would be refused.
# The previous Job (same name, same namespace) is deleted first, with its pods, then created again: the render
# stays exactly what the overlay says, no Job piles up per release, and two deploys of one environment never
# overlap (the pipelines serialise them). The previous release's log goes with its pods (the cluster's log
# collection keeps it).
set -euo pipefail

usage="usage: deployments/ci-cd/deploy.sh <dev|prod> <registry/name@sha256:...|registry/name:tag>"
overlay_name=${1:?$usage}
image=${2:?$usage}
release_timeout=${RELEASE_TIMEOUT:-900}     # seconds the release Job may take
rollout_timeout=${ROLLOUT_TIMEOUT:-600s}    # per Deployment

cd "$(dirname "$0")/../.."
overlay=deployments/k8s/overlays/$overlay_name
[[ -f $overlay/kustomization.yaml ]] || { echo "deploy: no kustomize overlay at $overlay" >&2; exit 2; }
for tool in kubectl kustomize; do
  command -v "$tool" >/dev/null || { echo "deploy: $tool is not installed (deployments/ci-cd/install-tools.sh)" >&2; exit 2; }
done

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

(cd "$overlay" && kustomize edit set image "orderflow=$image")
kustomize build "$overlay" >"$work/rendered.yaml"

# kustomize writes every object in one canonical layout (top-level keys unindented, metadata's two spaces in),
# which this split reads: each document goes to namespace.yaml (not applied here), release.yaml (a Job labelled
# component=release), workloads.yaml (Deployments, StatefulSets, DaemonSets, Jobs, CronJobs) or config.yaml (the
# rest); objects.txt lists each as
# "<kind> <namespace> <name> <component>".
awk -v dir="$work" '
  function flush() {
    if (doc == "") return
    file = "config.yaml"
    if (kind == "Namespace") file = "namespace.yaml"
    else if (kind == "Job" && component == "release") file = "release.yaml"
    else if (kind ~ /^(Deployment|StatefulSet|DaemonSet|Job|CronJob)$/) file = "workloads.yaml"
    printf "---\n%s", doc >> (dir "/" file)
    printf "%s %s %s %s\n", kind, (namespace == "" ? "-" : namespace), name, (component == "" ? "-" : component) >> (dir "/objects.txt")
    doc = ""; kind = ""; name = ""; namespace = ""; component = ""; section = ""; labels = 0
  }
  /^---/ { flush(); next }
  {
    doc = doc $0 "\n"
    value = $2; gsub(/["\047]/, "", value)
    if ($0 ~ /^[^ #]/) { section = $1; labels = 0; if ($1 == "kind:") kind = value }
    else if (section == "metadata:" && $0 ~ /^  [^ ]/) {
      labels = ($1 == "labels:")
      if ($1 == "name:") name = value
      if ($1 == "namespace:") namespace = value
    }
    else if (labels && $0 ~ /^    [^ ]/ && $1 == "app.kubernetes.io/component:") component = value
  }
  END { flush() }
' "$work/rendered.yaml"
touch "$work/namespace.yaml" "$work/config.yaml" "$work/workloads.yaml" "$work/release.yaml" "$work/objects.txt"

mapfile -t release_jobs < <(awk '$1 == "Job" && $4 == "release" { print $2, $3 }' "$work/objects.txt")
if ((${#release_jobs[@]} != 1)); then
  echo "deploy: $overlay renders ${#release_jobs[@]} Jobs labelled app.kubernetes.io/component=release; exactly one expected" >&2
  exit 1
fi
read -r job_namespace job_name <<<"${release_jobs[0]}"
[[ $job_namespace != - ]] || { echo "deploy: the release Job $job_name has no namespace in $overlay" >&2; exit 1; }

echo "deploy: $overlay with $image"
if [[ -s $work/config.yaml ]]; then
  kubectl apply -f "$work/config.yaml"
fi

echo "deploy: release Job $job_namespace/$job_name"
kubectl delete -f "$work/release.yaml" --ignore-not-found --cascade=foreground --wait=true
kubectl apply -f "$work/release.yaml"
deadline=$((SECONDS + release_timeout))
while :; do
  # A failed read (the API server briefly away) is asked again, not taken for the Job's failure.
  state=$(kubectl get job "$job_name" -n "$job_namespace" -o jsonpath='{.status.conditions[?(@.status=="True")].type}') || state=""
  case " $state " in
    *" Complete "*) echo "deploy: release Job complete"; break ;;
    *" Failed "*) outcome="failed" ;;
    *) if ((SECONDS < deadline)); then sleep 5; continue; fi; outcome="did not complete within ${release_timeout}s" ;;
  esac
  echo "deploy: the release Job $outcome; nothing else is rolled out" >&2
  kubectl logs "job/$job_name" -n "$job_namespace" --all-containers --tail=200 >&2 || true
  exit 1
done

kubectl apply -f "$work/workloads.yaml"
mapfile -t deployments < <(awk '$1 == "Deployment" { print $2, $3 }' "$work/objects.txt")
for deployment in "${deployments[@]}"; do
  read -r namespace name <<<"$deployment"
  kubectl rollout status "deployment/$name" -n "$namespace" --timeout="$rollout_timeout"
done
echo "deploy: $overlay rolled out with $image"
