#!/usr/bin/env bash
# The night's merge, submitted by slurm-submit.sh with --dependency=afterany on the array: it runs whether the shards
# succeeded or not. merge reconciles the shards (each present once, complete, every row covered once) and names any
# missing or failed shard with its rows (exit 2); then evaluates the config's gates and GRADCAM_AUDIT_BASELINE on the
# merged run (exit 3 when one fails). A non-zero exit fails this job: add --mail-type=FAIL to alert.
#SBATCH --job-name=gradcam-audit-merge
#SBATCH --open-mode=append
set -uo pipefail
: "${GRADCAM_AUDIT_RUN:?submit with slurm-submit.sh}" "${GRADCAM_AUDIT_SHARDS:?}" "${GRADCAM_AUDIT_BIN:?}"
baseline=()
if [ -n "${GRADCAM_AUDIT_BASELINE:-}" ]; then baseline=(--baseline "$GRADCAM_AUDIT_BASELINE"); fi
echo "$(date -u +%FT%TZ) merging $GRADCAM_AUDIT_SHARDS shards of $GRADCAM_AUDIT_RUN on $(hostname) as job ${SLURM_JOB_ID:-?}"
"$GRADCAM_AUDIT_BIN" merge --output "$GRADCAM_AUDIT_RUN/merged" --overwrite \
  --shards-in "$GRADCAM_AUDIT_RUN" --shard-count "$GRADCAM_AUDIT_SHARDS" "${baseline[@]}"
code=$?
case $code in
  0) echo "merged: $GRADCAM_AUDIT_RUN/merged" ;;
  2) echo "MERGE REFUSED: the shards do not reconcile (the lines above name each missing or failed shard and its rows); re-run them with slurm-submit.sh --run $GRADCAM_AUDIT_RUN --rerun I" ;;
  3) echo "GATES FAILED on the merged run: $GRADCAM_AUDIT_RUN/merged/summary.md" ;;
  *) echo "MERGE FAILED (exit $code)" ;;
esac
exit $code
