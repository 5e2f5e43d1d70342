#!/usr/bin/env bash
# Train the answer reader on a lent GPU machine, in one call of its `run` (docs/answers.md, "To finish it").
#
# That machine has torch, numpy and onnx but nothing of the project installed, and cannot read
# ../shared: the pairs are packed here first (`python -m training.train --piaf-store reader-work/P
# --work reader-work/gpu --pack-only`, which writes reader-work/gpu/device) and travel with the call
# (carry: reader-work/gpu/device). There `training.reader_training` goes on from the shipped model
# (INIT; INIT=e5 starts from e5-small, whose blocks only the whole reader-work/gpu/packed holds),
# chooses its setting on the validation questions (--sweep) and trains it on all of them, within
# BUDGET seconds (default 420, which leaves a 600 s call room to start and to copy). The weights
# come back as four float16 files in $OUT/run with the run's train.json and log; put them in
# reader-work/gpu/run/ here and run the same `training.train` command without --pack-only: it
# exports and calibrates them.
#
#     OUT=<folder> [DEVICE=cuda] [BUDGET=420] [INIT=bot/models/reader/cross.onnx] [LIMIT=0] bash training/device_train.sh [FOLDER]
#
# (LIMIT=N: the first N questions alone, a dry run on the CPU.)
set -euo pipefail
cd "$(dirname "$0")/.."
packed="${1:-reader-work/gpu/device}"
out="${OUT:?OUT names the folder the weights go to}/run"
python="${PYTHON:-python3}"
init="${INIT:-bot/models/reader/cross.onnx}"
if [ ! -f "$packed/pairs.npz" ] || [ ! -f "$packed/weights.npz" ]; then
  echo "device_train: no packed pairs in $packed (pack them here first with --pack-only, and carry the folder)" >&2
  exit 2
fi
from=(--init "$init")
[ "$init" = e5 ] && from=()
mkdir -p "$out"
"$python" -c 'import torch; print("torch", torch.__version__, "cuda:", torch.cuda.is_available() and torch.cuda.get_device_name())'
PYTHONUNBUFFERED=1 "$python" -m training.reader_training --packed "$packed" --out "$out" --sweep "${from[@]}" \
  --device "${DEVICE:-cuda}" --budget "${BUDGET:-420}" --limit-groups "${LIMIT:-0}"
ls -l "$out"
