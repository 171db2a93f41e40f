#!/usr/bin/env bash
# Side by side, in one run: `survey-toolkit run <project>` (default examples/demo) and `--help` of two checkouts, alternating,
# N times; prints wall and CPU seconds of each and the new/old ratios (median), which is what to quote:
# absolute times move with the machine's load, ratios measured together much less.
#
#   git worktree add ../old <rev>
#   bash benchmarks/compare_versions.sh ../old . 3
#   bash benchmarks/compare_versions.sh ../old . 2 "$PWD/benchmarks/_data/scaled_22x4"   # the large project
set -euo pipefail
old=$(cd "${1:?old checkout}" && pwd); new=$(cd "${2:-.}" && pwd); n=${3:-3}; project=${4:-examples/demo}
py=${PYTHON:-$new/.venv/bin/python}
out=$(mktemp -d)
for i in $(seq "$n"); do
  for side in old new; do
    dir=$old; [ "$side" = new ] && dir=$new
    rm -rf "$out/$side"
    (cd "$dir" && /usr/bin/time -o "$out/t" -f "%e %U %S" "$py" -m survey_toolkit run "$project" --output "$out/$side" >/dev/null 2>&1)
    echo "run $side $(cat "$out/t")" | tee -a "$out/all"
    (cd "$dir" && /usr/bin/time -o "$out/t" -f "%e %U %S" "$py" -m survey_toolkit --help >/dev/null 2>&1)
    echo "help $side $(cat "$out/t")" | tee -a "$out/all"
  done
done
"$py" - "$out/all" <<'PY'
import statistics, sys
rows = [line.split() for line in open(sys.argv[1])]
for what in ("run", "help"):
    get = lambda side, k: [float(r[k]) for r in rows if r[0] == what and r[1] == side]
    cpu = lambda side: [u + s for u, s in zip(get(side, 3), get(side, 4))]
    wall = statistics.median(a / b for a, b in zip(get("new", 2), get("old", 2)))
    ratio = statistics.median(a / b for a, b in zip(cpu("new"), cpu("old")))
    print(f"{what}: new/old wall {wall:.2f}, CPU {ratio:.2f} (median of {len(get('new', 2))} pairs)")
PY
rm -rf "$out"
