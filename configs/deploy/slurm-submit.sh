#!/usr/bin/env bash
# Submits one nightly gradcam-audit on Slurm: an array of N shard tasks and a merge job that runs after all of them
# (afterany), so a failed shard is reported by the merge, which names it and exits non-zero, instead of pending for
# ever. The night's run folder is fixed here, once, and handed to every task (a task that starts or is requeued after
# midnight still writes tonight's folder). See configs/deploy/README.md.
#
#   configs/deploy/slurm-submit.sh                       # tonight, CPU tasks
#   configs/deploy/slurm-submit.sh --gpu                 # tonight, one GPU per task (slurm-array-gpu.sh)
#   configs/deploy/slurm-submit.sh --run DIR --rerun 2   # re-run shard 2 of that night (same N), then merge again
#
# ---- site settings: the only lines to edit (each can also be given in the environment) -------------------------
: "${GRADCAM_AUDIT_BIN:=/opt/gradcam-audit/gradcam-audit}"     # the published executable on every node
: "${GRADCAM_AUDIT_CONFIG:=/shared/audit/config/nightly.json}"  # the audit config
: "${GRADCAM_AUDIT_RUNS:=/shared/audit/runs}"                   # a folder per night is made under it (shared file system)
: "${GRADCAM_AUDIT_LOGS:=/shared/audit/logs}"                   # Slurm logs and one log per task attempt
: "${GRADCAM_AUDIT_SHARDS:=4}"                                  # N: array tasks of a night
: "${GRADCAM_AUDIT_CPUS:=4}"                                    # --cpus-per-task (at most a node's cores)
: "${GRADCAM_AUDIT_MEM:=}"                                      # --mem per task, e.g. 16G (empty: the partition's default)
: "${GRADCAM_AUDIT_TIME:=08:00:00}"                             # --time per task
: "${GRADCAM_AUDIT_PARTITION:=}"                                # CPU partition (empty: the default one)
: "${GRADCAM_AUDIT_GPU_PARTITION:=}"                            # GPU partition for --gpu (empty: the default one)
: "${GRADCAM_AUDIT_BASELINE:=}"                                 # a previous merged run to compare and gate against (empty: none)
: "${GRADCAM_AUDIT_DEVICE:=}"                                   # overrides the config's audit.device (--gpu: cuda)
# ---- end of site settings ----------------------------------------------------------------------------------------
set -euo pipefail
export GRADCAM_AUDIT_BIN GRADCAM_AUDIT_CONFIG GRADCAM_AUDIT_LOGS GRADCAM_AUDIT_BASELINE GRADCAM_AUDIT_DEVICE
deploy=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

usage() { echo "usage: $0 [--gpu] [--shards N] [--run DIR] [--rerun I[,J...]] [--no-merge]" >&2; exit 2; }
gpu=0 run="" rerun="" merge=1 shards=""
while [ $# -gt 0 ]; do
  case "$1" in
    --gpu) gpu=1 ;;
    --shards) shards=${2:?}; shift ;;
    --run) run=${2:?}; shift ;;
    --rerun) rerun=${2:?}; shift ;;
    --no-merge) merge=0 ;;
    -h|--help) usage ;;
    *) echo "unknown argument '$1'" >&2; usage ;;
  esac
  shift
done

# The night's folder: computed once, here.
run=${run:-$GRADCAM_AUDIT_RUNS/$(date -u +%Y-%m-%d)}
mkdir -p "$run" "$GRADCAM_AUDIT_LOGS"
run=$(cd "$run" && pwd)
record="$run/slurm-submission.env"
if [ -n "$rerun" ]; then
  # A re-run keeps the night's shard count: shard I of N, never shard 0 of 1 of the whole dataset.
  [ -f "$record" ] || { echo "--rerun: $record not found: was this night submitted with $0?" >&2; exit 2; }
  recorded=$(sed -n 's/^shards=//p' "$record")
  if [ -n "$shards" ] && [ "$shards" != "$recorded" ]; then
    echo "--rerun: the night ran $recorded shards, not $shards" >&2; exit 2
  fi
  shards=$recorded
  for i in ${rerun//,/ }; do
    [[ "$i" =~ ^[0-9]+$ ]] && [ "$i" -lt "$shards" ] || { echo "--rerun: '$i' is not a shard index in 0..$((shards - 1))" >&2; exit 2; }
  done
  array=$rerun
else
  shards=${shards:-$GRADCAM_AUDIT_SHARDS}
  [[ "$shards" =~ ^[1-9][0-9]*$ ]] || { echo "--shards: '$shards' is not a positive count" >&2; exit 2; }
  if [ -f "$record" ] && [ "$(sed -n 's/^shards=//p' "$record")" != "$shards" ]; then
    echo "$run was submitted with $(sed -n 's/^shards=//p' "$record") shards: use --rerun, or another --run" >&2; exit 2
  fi
  printf 'shards=%s\ngpu=%s\nsubmitted=%s\n' "$shards" "$gpu" "$(date -u +%FT%TZ)" > "$record"
  array="0-$((shards - 1))"
fi

common=(--export="ALL,GRADCAM_AUDIT_RUN=$run,GRADCAM_AUDIT_SHARDS=$shards,GRADCAM_AUDIT_DEPLOY=$deploy" --time="$GRADCAM_AUDIT_TIME")
[ -n "$GRADCAM_AUDIT_MEM" ] && common+=(--mem="$GRADCAM_AUDIT_MEM")
if [ "$gpu" = 1 ]; then
  script="$deploy/slurm-array-gpu.sh"; partition=$GRADCAM_AUDIT_GPU_PARTITION
else
  script="$deploy/slurm-array.sh"; partition=$GRADCAM_AUDIT_PARTITION
fi
[ -n "$partition" ] && common+=(--partition="$partition")

job=$(sbatch --parsable "${common[@]}" --array="$array" --cpus-per-task="$GRADCAM_AUDIT_CPUS" \
  --output="$GRADCAM_AUDIT_LOGS/gradcam-audit-%A_%a.out" "$script")
job=${job%%;*}
echo "run folder: $run"
echo "array job: $job (tasks $array of $shards shards)"
if [ "$merge" = 1 ]; then
  merge_job=$(sbatch --parsable "${common[@]}" --dependency="afterany:$job" --cpus-per-task=1 \
    --output="$GRADCAM_AUDIT_LOGS/gradcam-audit-merge-%j.out" "$deploy/slurm-merge.sh")
  echo "merge job: ${merge_job%%;*} (after every task of $job, failed or not)"
fi
