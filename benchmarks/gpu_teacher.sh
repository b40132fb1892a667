#!/usr/bin/env bash
# Issue 10, lever 3 on a GPU: all-mpnet-base-v2 fine-tuned as a teacher, and MiniLM students of
# the shipped recipe with and without it (docs/BENCHMARKS.md, "An MPNet teacher trained on a
# GPU"). Each run's per-epoch dev lines ("epoch N dev ...") in OUT/<run>/train.log are the
# figures reported; they are scored as `propscope train` scores every epoch.
#
# Usage: MPNET=<all-mpnet-base-v2 folder> MINILM=<all-MiniLM-L6-v2 folder> PTC=<PTC folder> \
#            benchmarks/gpu_teacher.sh students|teachers|taught|folds OUT [TEACHER_RUN]
#   students  the shipped recipe untaught, seeds $SEEDS (default: 13 29 31)
#   teachers  MPNet at learning rates $RATES (default: 3e-05 5e-05), 4 epochs, seed 13
#   taught    the students again, each taught by TEACHER_RUN (a teachers run folder)
#   folds     the four half-train taggers the default model's stack is fitted on (two splits
#             of train, `propscope folds`), untaught: a teacher trained on all of train has
#             seen the half each of them must not see
# The runs of a phase share the GPU at once; each needs `--device cuda`'s torch with CUDA.
# Compare the pairs with benchmarks/paired_runs.py.
set -u
phase=$1 out=$2 seeds=${SEEDS:-13 29 31}
mkdir -p "$out"
common=(--dev-dir "$PTC/dev" --batch-size 16 --class-balance 0.5 --device cuda)
student=(--base "$MINILM" --epochs 6 --learning-rate 8e-05 --patience 1)
run() {
    local name=$1
    shift
    propscope train --out "$out/$name" "$@" "${common[@]}" >"$out/$name.out" 2>&1
}
taught() {
    # The teacher's pass over train is made once, by the first run: several runs making it at
    # once managed about one article a second each on an H200 (2026-12-04), minutes a run.
    # The others start from a copy of its cache, the file each of them would have written.
    # Its train.log names where the teacher was read ("read with torch on cuda"): that rate is
    # about what torch would give MPNet on a few CPU cores (an estimate, not a measurement).
    local first=${seeds%% *} targets
    targets=$out/taught-$first/teacher-targets-0.npz
    run "taught-$first" "${student[@]}" --train-dir "$PTC/train" --seed "$first" --teacher "$1" &
    local pid=$!
    while [ ! -f "$targets" ] && kill -0 "$pid" 2>/dev/null; do sleep 2; done
    [ -f "$targets" ] || { echo "taught-$first ended before its teacher targets; see $out/taught-$first.out" >&2; exit 1; }
    for seed in ${seeds#"$first"}; do
        mkdir -p "$out/taught-$seed" && cp "$targets" "$out/taught-$seed/"
        run "taught-$seed" "${student[@]}" --train-dir "$PTC/train" --seed "$seed" --teacher "$1" &
    done
}
case $phase in
students) for seed in $seeds; do run "minilm-$seed" "${student[@]}" --train-dir "$PTC/train" --seed "$seed" & done ;;
teachers)
    for lr in ${RATES:-3e-05 5e-05}; do
        run "mpnet-$lr" --base "$MPNET" --train-dir "$PTC/train" --epochs 4 --learning-rate "$lr" --seed 13 &
    done
    ;;
taught) taught "$3" ;;
folds)
    propscope folds --out "$out/folds" --train-dir "$PTC/train" >/dev/null &&
        propscope folds --out "$out/folds-s1" --shuffle 1 --train-dir "$PTC/train" >/dev/null || exit 1
    for split in folds folds-s1; do
        for fold in fold-1 fold-2; do
            run "$split-$fold" "${student[@]}" --train-dir "$out/$split/$fold/rest" --seed 13 &
        done
    done
    ;;
*)
    echo "usage: benchmarks/gpu_teacher.sh students|teachers|taught|folds OUT [TEACHER_RUN]" >&2
    exit 2
    ;;
esac
wait
