#!/usr/bin/env python3
"""A model on short programs written by people (bench/human/tasks.txt), the way a user asks.

For each task: 10 distinct inputs in [-4, 4] whose outputs stay in [-4, 4] (drawn from --seed;
gcc computes the outputs), `lasynth synthesize` on the first 5, and the program it returns run on
the other 5 (gcc again). Prints one row per task and the totals: found (a program consistent with
the 5 given pairs) and generalizes (the 5 held-out pairs too).

  bench/human_programs.py MODEL_DIR [--beam 256] [--search execution_guided] [--seed 1]
      [--close_blocks false]
"""
import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LENGTH, RANGE = 5, 4


def run_c(sources, inputs, workdir):
    """Outputs of each source (a restricted-C func_1) on each input, via gcc; None on a crash."""
    lines = ["#include <stdio.h>", "#include <stdlib.h>"]
    for k, src in enumerate(sources):
        lines.append(src.replace("func_1", f"f_{k}"))
    lines.append("int main(void) { int a[5];")
    for k in range(len(sources)):
        for x in inputs:
            lines.append("{ int v[5] = {%s}; for (int i = 0; i < 5; i++) a[i] = v[i];" % ", ".join(map(str, x)))
            lines.append(f" int *r = f_{k}(a); printf(\"%d %d %d %d %d\\n\", r[0], r[1], r[2], r[3], r[4]); }}")
    lines.append("return 0; }")
    c_file, exe = os.path.join(workdir, "t.c"), os.path.join(workdir, "t")
    with open(c_file, "w") as f:
        f.write("\n".join(lines))
    subprocess.run(["gcc", "-O0", "-w", "-o", exe, c_file], check=True)
    out = subprocess.run([exe], check=True, capture_output=True, text=True, timeout=60).stdout.split("\n")
    rows = [list(map(int, line.split())) for line in out if line.strip()]
    return [rows[k * len(inputs):(k + 1) * len(inputs)] for k in range(len(sources))]


def pairs_for(source, rng, workdir):
    """10 distinct inputs whose outputs stay in range, with their outputs."""
    inputs, outputs, tried = [], [], set()
    while len(inputs) < 10:
        batch = []
        while len(batch) < 50:
            x = tuple(rng.randint(-RANGE, RANGE) for _ in range(LENGTH))
            if x not in tried:
                tried.add(x)
                batch.append(list(x))
        for x, y in zip(batch, run_c([source], batch, workdir)[0]):
            if len(inputs) < 10 and all(-RANGE <= v <= RANGE for v in y):
                inputs.append(x)
                outputs.append(y)
    return [{"input": x, "output": y} for x, y in zip(inputs, outputs)]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("model")
    ap.add_argument("--beam", type=int, default=256)
    ap.add_argument("--search", default="execution_guided")
    ap.add_argument("--close_blocks", choices=["true", "false"], default="true")
    ap.add_argument("--max_decode_len", type=int, default=90)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--tasks", default=os.path.join(ROOT, "bench", "human", "tasks.txt"))
    ap.add_argument("--lasynth", default=os.path.join(ROOT, "build", "src", "app", "lasynth"))
    args = ap.parse_args()
    rng = random.Random(args.seed)
    tasks = []
    with open(args.tasks) as f:
        for line in f:
            if line.strip() and not line.startswith("#"):
                name, source = line.rstrip("\n").split("\t")
                tasks.append((name, source))
    found = generalizes = 0
    print(f"| task | found | generalizes | seconds | program |\n| --- | --- | --- | --- | --- |")
    with tempfile.TemporaryDirectory() as work:
        for name, source in tasks:
            io = pairs_for(source, rng, work)
            spec = os.path.join(work, "spec.json")
            with open(spec, "w") as f:
                json.dump({"io": io[:5]}, f)
            start = time.time()
            r = subprocess.run([args.lasynth, "synthesize", "--load_model", args.model, "--examples", spec,
                                "--beam", str(args.beam), "--search", args.search,
                                "--close_blocks=" + args.close_blocks,
                                "--max_decode_len", str(args.max_decode_len), "--json"],
                               capture_output=True, text=True)
            seconds = time.time() - start
            if r.returncode not in (0, 2):
                sys.exit(f"{name}: lasynth synthesize failed: {r.stderr.strip()}")
            program, ok = "", False
            if r.returncode == 0:
                program = json.loads(r.stdout)["source"]
                held_out = [p["input"] for p in io[5:]]
                ok = run_c([program], held_out, work)[0] == [p["output"] for p in io[5:]]
            found += r.returncode == 0
            generalizes += ok
            shown = " ".join(program.split()).replace("int * func_1(int a[]) { ", "").replace(" return a; }", "")
            print(f"| {name} | {'yes' if r.returncode == 0 else 'no'} | {'yes' if ok else 'no'} | {seconds:.1f} | `{shown}` |",
                  flush=True)
    print(f"\n{len(tasks)} tasks, beam {args.beam}, search {args.search}: found {found}, generalizes {generalizes}")


if __name__ == "__main__":
    main()
