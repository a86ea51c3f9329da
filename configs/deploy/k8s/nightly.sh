#!/bin/sh
# The nightly driver, run by the CronJob in an image with kubectl and a POSIX shell: fixes the night once, applies
# the night's shards Job (from the templates mounted at /templates), waits until it has ended, complete or failed,
# then applies the merge Job and waits for it. Exits 0 only when the merge (and its gates) succeeded; the merge's
# log says which shard failed or which gate. Re-running a night: NIGHT=20261126 in the environment; the shards Job
# of a night that exists is left as it is (delete it to run its failed shards again: they resume).
set -eu
night=${NIGHT:-$(date -u +%Y%m%d)}   # once, here: no pod computes it
run="${RUNS:-/audit/runs}/$night"
variant=${VARIANT:-cpu}
templates=${TEMPLATES:-/templates}
render() { sed -e "s|\${NIGHT}|$night|g" -e "s|\${RUN}|$run|g" "$templates/$1"; }
ended() { # prints Complete or Failed once the Job has ended
  kubectl get job "$1" -o jsonpath='{range .status.conditions[?(@.status=="True")]}{.type}{"\n"}{end}' | grep -E '^(Complete|Failed)$' || true
}
wait_job() {
  while [ -z "$(ended "$1")" ]; do sleep "${POLL_SECONDS:-30}"; done
  ended "$1"
}
shards="gradcam-audit-shards-$night" merge="gradcam-audit-merge-$night"
echo "night $night, run folder $run, variant $variant"
if [ "$variant" = gpu ]; then template=shards-job-gpu.yaml; else template=shards-job.yaml; fi
kubectl get job "$shards" >/dev/null 2>&1 || render "$template" | kubectl create -f -
echo "shards: $(wait_job "$shards")"
kubectl delete job "$merge" --ignore-not-found --wait=true
render merge-job.yaml | kubectl create -f -
result=$(wait_job "$merge")
kubectl logs "job/$merge" --tail=50 || true
echo "merge: $result"
[ "$result" = Complete ]
