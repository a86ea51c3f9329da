#!/usr/bin/env bash
# The GPU variant of slurm-array.sh: one GPU per task, audit.device cuda unless GRADCAM_AUDIT_DEVICE says otherwise
# (the image or folder must be the CUDA build: see configs/deploy/README.md). Submit with slurm-submit.sh --gpu.
#SBATCH --job-name=gradcam-audit
#SBATCH --gres=gpu:1
#SBATCH --requeue
#SBATCH --open-mode=append
set -euo pipefail
export GRADCAM_AUDIT_DEVICE="${GRADCAM_AUDIT_DEVICE:-cuda}"
exec bash "${GRADCAM_AUDIT_DEPLOY:?submit with slurm-submit.sh --gpu}/slurm-array.sh"
