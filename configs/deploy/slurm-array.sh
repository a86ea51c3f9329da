#!/usr/bin/env bash
# One shard of a nightly gradcam-audit, as an array task (CPU: no GRES; the GPU variant is slurm-array-gpu.sh).
# Submit it with slurm-submit.sh, which fixes the night's run folder and the shard count and passes them here.
# Each task audits shard SLURM_ARRAY_TASK_ID of N into $GRADCAM_AUDIT_RUN/shard-I-of-N/ with --resume: a requeued
# (preempted, node lost) task continues after its last committed part. Every attempt logs to a file of its own.
#SBATCH --job-name=gradcam-audit
#SBATCH --requeue
#SBATCH --open-mode=append
set -euo pipefail
: "${GRADCAM_AUDIT_RUN:?submit with slurm-submit.sh: it fixes the run folder of the night once for every task}"
: "${GRADCAM_AUDIT_SHARDS:?submit with slurm-submit.sh: it passes the shard count}"
: "${GRADCAM_AUDIT_BIN:?}" "${GRADCAM_AUDIT_CONFIG:?}" "${GRADCAM_AUDIT_LOGS:?}"
index=${SLURM_ARRAY_TASK_ID:?not an array task}
n=$GRADCAM_AUDIT_SHARDS
if [ "$index" -ge "$n" ]; then
  echo "array index $index is not a shard of $n (indices 0..$((n - 1)))" >&2
  exit 2
fi
attempt=${SLURM_RESTART_COUNT:-0}
log="$GRADCAM_AUDIT_LOGS/gradcam-audit-${SLURM_ARRAY_JOB_ID}_${index}.attempt-${attempt}.log"
echo "shard $index/$n attempt $attempt: log $log"
exec >>"$log" 2>&1
echo "$(date -u +%FT%TZ) shard $index/$n attempt $attempt on $(hostname) as job ${SLURM_JOB_ID}, run folder $GRADCAM_AUDIT_RUN"
# Environment overrides of the config (GRADCAM_AUDIT__section__key): the device, and threads from the allocation
# (threads and decode workers are execution settings: shards from nodes of any size merge).
if [ -n "${GRADCAM_AUDIT_DEVICE:-}" ]; then export GRADCAM_AUDIT__audit__device="$GRADCAM_AUDIT_DEVICE"; fi
if [ -n "${SLURM_CPUS_PER_TASK:-}" ]; then
  export GRADCAM_AUDIT__audit__threads="$SLURM_CPUS_PER_TASK" GRADCAM_AUDIT__audit__decodeWorkers="$SLURM_CPUS_PER_TASK"
fi
exec "$GRADCAM_AUDIT_BIN" audit --config "$GRADCAM_AUDIT_CONFIG" --output "$GRADCAM_AUDIT_RUN" \
  --shard "$index/$n" --resume --log-format json
