#!/usr/bin/env bash
# Issue 10, lever 3 on a GPU: all-mpnet-base-v2 fine-tuned as a teacher, and MiniLM students of
# the shipped recipe with and without it, three seeds each (docs/BENCHMARKS.md, "An MPNet teacher
# trained on a GPU"). Each run's per-epoch dev lines ("epoch N dev ...") in OUT/<run>/train.log are
# the figures reported; they are scored as `propscope train` scores every epoch.
#
# Usage: MPNET=<all-mpnet-base-v2 folder> MINILM=<all-MiniLM-L6-v2 folder> PTC=<PTC folder> \
#            benchmarks/gpu_teacher.sh students|teachers|taught OUT [TEACHER_RUN]
#   students  the shipped recipe untaught, seeds $SEEDS (default: 13 29 31)
#   teachers  MPNet at learning rates 3e-05 and 5e-05, 4 epochs, seed 13
#   taught    the students again, each taught by TEACHER_RUN (a teachers run folder)
# The runs of a phase share the GPU at once; each needs `--device cuda`'s torch with CUDA.
# Compare the pairs with benchmarks/paired_runs.py.
set -u
phase=$1 out=$2 seeds=${SEEDS:-13 29 31}
mkdir -p "$out"
common=(--train-dir "$PTC/train" --dev-dir "$PTC/dev" --batch-size 16 --class-balance 0.5 --device cuda)
student=(--base "$MINILM" --epochs 6 --learning-rate 8e-05 --patience 1)
run() {
    local name=$1
    shift
    propscope train --out "$out/$name" "$@" "${common[@]}" >"$out/$name.out" 2>&1
}
case $phase in
students) for seed in $seeds; do run "minilm-$seed" "${student[@]}" --seed "$seed" & done ;;
teachers) for lr in 3e-05 5e-05; do run "mpnet-$lr" --base "$MPNET" --epochs 4 --learning-rate "$lr" --seed 13 & done ;;
taught) for seed in $seeds; do run "taught-$seed" "${student[@]}" --seed "$seed" --teacher "$3" & done ;;
*)
    echo "usage: benchmarks/gpu_teacher.sh students|teachers|taught OUT [TEACHER_RUN]" >&2
    exit 2
    ;;
esac
wait
