#!/usr/bin/env bash
# One nightly audit in N shards on Slurm: an array job, one GPU per task, every task running the same command
# line. Each task audits the rows with (row - 1) mod N == SLURM_ARRAY_TASK_ID - SLURM_ARRAY_TASK_MIN, N being
# SLURM_ARRAY_TASK_COUNT, into $RUN/shard-I-of-N/ (a run folder of its own, resumable with --resume).
#   sbatch configs/deploy/slurm-array.sh
# then, after the array (sbatch --dependency=afterok:<array job id> ...):
#   gradcam-audit merge --output "$RUN/merged" "$RUN"/shard-*-of-4
#SBATCH --job-name=gradcam-audit
#SBATCH --array=0-3
#SBATCH --gres=gpu:1
#SBATCH --cpus-per-task=8
#SBATCH --time=08:00:00
#SBATCH --requeue
set -euo pipefail
RUN=/shared/audit/runs/$(date -u +%Y-%m-%d)
# --resume: a requeued (preempted) task continues after its last committed part; a fresh one starts.
exec /opt/gradcam-audit/gradcam-audit audit \
  --config /shared/audit/config/nightly.json \
  --output "$RUN" \
  --shard auto \
  --resume \
  --set audit.device=cuda \
  --log-format json
