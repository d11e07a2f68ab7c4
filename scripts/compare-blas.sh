#!/bin/sh
# Builds dlfs against each BLAS installed here, each in its own build
# directory (build-blas-NAME), runs the products sweep (dlfs-bench-gemm) and
# the training step (dlfs-bench-train, the network) with each, and prints one
# table: GFLOP/s of the forward product X.W1 (NN) and of the backward ones (TN,
# NT) at the step's shapes for the chapter's, the medium and the large size,
# then ms per training step at the three sizes; one column per library, one
# for dlfs's naive loop and one for libxsmm's kernels (the xsmm backend, when
# the build has libxsmm: the same kernels whatever the BLAS).
#
# Usage: scripts/compare-blas.sh [options]
#   --libs "LIST"   BLAS to compare (default "openblas blis netlib"); one that
#                   is not installed is reported and left out
#   --repeats N     samples per product, runs per training size (default 3)
#   --steps N       training steps per run (default 100)
#   --threads N     BLAS threads (default 1: the reference BLAS has one)
#   --out DIR       where the programs' output goes (default build-blas-results)
# The environment is left as it is (OPENBLAS_CORETYPE included): the table's
# header says which CPU and which OpenBLAS kernels ran. Benchmarks run one
# after another, and their output is only read once all have finished.
set -eu

root=$(cd "$(dirname "$0")/.." && pwd)
libs="openblas blis netlib"
repeats=3
steps=100
threads=1
out=$root/build-blas-results

while [ $# -gt 0 ]; do
    case $1 in
    --libs) libs=$2; shift 2 ;;
    --repeats) repeats=$2; shift 2 ;;
    --steps) steps=$2; shift 2 ;;
    --threads) threads=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    -h|--help) sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "compare-blas.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
    esac
done

# The step's products: X.W1 is B x h x k (forward), the same shape for the
# backward ones; chapter, medium and large as dlfs-bench-train names them.
shapes=23x13x13,64x128x64,256x512x256

mkdir -p "$out"
rm -f "$out"/*.txt
built=""
for lib in $libs; do
    case $lib in
    openblas) opts="-Dblas=openblas" ;;
    *) opts="-Dblas=$lib -Dlapack=netlib" ;;
    esac
    b=$root/build-blas-$lib
    echo "== $lib: configure and build in $b"
    reconf=""
    [ -f "$b/build.ninja" ] && reconf="--reconfigure"
    # shellcheck disable=SC2086
    if ! meson setup $reconf "$b" "$root" $opts -Dtests=false -Dexamples=false -Dbench=true \
            -Dplots=disabled -Dmpi=disabled -Dbuildtype=release >"$out/setup-$lib.log" 2>&1; then
        echo "   not available here: $(grep -m1 'ERROR' "$out/setup-$lib.log" || tail -1 "$out/setup-$lib.log")"
        continue
    fi
    ninja -C "$b" bench/dlfs-bench-gemm bench/dlfs-bench-train >"$out/build-$lib.log" 2>&1 \
        || { cat "$out/build-$lib.log"; exit 1; }
    built="$built $lib"
done
[ -n "$built" ] || { echo "compare-blas.sh: no BLAS could be built" >&2; exit 1; }

naive_done=""
for lib in $built; do
    b=$root/build-blas-$lib/bench
    echo "== $lib: dlfs-bench-gemm"
    # The naive loop and libxsmm are the same in every build: timed once,
    # with the first library.
    backend=blas
    [ -n "$naive_done" ] || backend=all
    "$b/dlfs-bench-gemm" --sizes "$shapes" --repeats "$repeats" --threads "$threads" \
        --backend "$backend" --json >"$out/gemm-$lib.txt" 2>&1
    echo "== $lib: dlfs-bench-train"
    "$b/dlfs-bench-train" --model nn --backend "$backend" --steps "$steps" \
        --repeats "$repeats" --threads "$threads" --json >"$out/train-$lib.txt" 2>&1
    [ -n "$naive_done" ] || naive_done=$lib
done

# Every benchmark has finished: read what they wrote.
/usr/bin/python3 - "$out" "$threads" "$steps" "$repeats" $built <<'EOF'
import json, re, sys

out, threads, steps, repeats, libs = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5:]

def read(kind, lib):
    text = open(f"{out}/{kind}-{lib}.txt").read()
    lines = text.strip().splitlines()
    return text, json.loads(lines[-1])

banner = {}
gemm, train = {}, {}
for lib in libs:
    text, gemm[lib] = read("gemm", lib)
    banner[lib] = text
    train[lib] = read("train", lib)[1]

def first(pattern, text):
    m = re.search(pattern, text, re.M)
    return m.group(1).strip() if m else "?"

text = banner[libs[0]]
cpu = first(r"^CPU:\s+(.*)$", text)
import os
coretype = os.environ.get("OPENBLAS_CORETYPE")
print(f"CPU: {cpu}; OPENBLAS_CORETYPE {coretype if coretype else 'unset'}")
for lib in libs:
    t = banner[lib]
    name = first(r"^BLAS:\s+(.*)$", t)
    core = first(r"^\s+core (\S+)", t) if re.search(r"^\s+core ", t, re.M) else "-"
    print(f"{lib}: {name}; kernels {core}")
print(f"{threads} BLAS thread(s); products: median of {repeats}; "
      f"training: median step over {repeats} run(s) of {steps} steps (network)")
print()

size_of = {"23x13x13": "chapter", "64x128x64": "medium", "256x512x256": "large"}
cols = libs + ["naive", "libxsmm"]
head = f"{'':28}" + "".join(f"{c:>12}" for c in cols)
print(head)
for op in ("NN", "TN", "NT"):
    for shape, size in size_of.items():
        m, n, k = (int(x) for x in shape.split("x"))
        row = f"{op} {shape:>11} {size:<8} GF/s"
        naive = xsmm = None
        for lib in libs:
            r = [x for x in gemm[lib] if x["op"] == op and (x["m"], x["n"], x["k"]) == (m, n, k)]
            v = r[0]["blas_gflops"] if r else None
            if r and r[0].get("naive_gflops") is not None and naive is None:
                naive = r[0]["naive_gflops"]
            # libxsmm has no kernel for NT (G.W^T): marked '(blas)'
            if r and r[0].get("xsmm_gflops") is not None and xsmm is None:
                xsmm = r[0]["xsmm_gflops"] if r[0].get("xsmm_kernel") == "xsmm" else "(blas)"
            row += f"{v:12.2f}" if v is not None else f"{'-':>12}"
        row += f"{naive:12.2f}" if naive is not None else f"{'-':>12}"
        row += f"{xsmm:12.2f}" if isinstance(xsmm, float) else f"{xsmm or '-':>12}"
        print(row)
for size in ("chapter", "medium", "large"):
    row = f"train step {size:<9} ms/step "
    naive = xsmm = None
    for lib in libs:
        r = [x for x in train[lib] if x["size"] == size and x["backend"] == "blas"]
        row += f"{r[0]['ms_per_step']:12.4f}" if r else f"{'-':>12}"
        for x in train[lib]:
            if x["size"] == size and x["backend"] == "naive":
                naive = x["ms_per_step"]
            if x["size"] == size and x["backend"] == "xsmm":
                xsmm = x["ms_per_step"]
    row += f"{naive:12.4f}" if naive is not None else f"{'-':>12}"
    row += f"{xsmm:12.4f}" if xsmm is not None else f"{'-':>12}"
    print(row)
EOF
