#!/usr/bin/env python3
"""Times the PyTorch reference Synthesizer (bench/reference/lasynth_reference.py) exactly as
bench/model_step_bench.cc times the C++ one: one training step (forward + loss + backward +
Adam step) on the batch of --batch_file, --steps timed after --warmup, then beam search of width
--beam over the first --beam_examples examples (--beam_reps times). Prints one line of JSON with
the same keys; throughputs come from the median step and the median search.

  python3 bench/model_step_bench.py --batch_file b.json --params p.bin --model lasynth

--params loads the parameters the C++ bench wrote (--write_params), so that both sides train
and decode the same model; the first loss and the top beams then agree. Flags the C++ bench
takes and that do not apply here (--batch_size, --max_statements) are accepted and ignored:
the batch file fixes them.
"""

import argparse
import json
import os
import statistics
import struct
import sys
import time

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "reference"))
import lasynth_reference as ref  # noqa: E402
from lasynth_reference import ModelOptions, Synthesizer  # noqa: E402


def read_batch(path):
    with open(path) as f:
        j = json.load(f)
    if j["domain"] != "c":
        raise SystemExit(f"{path}: only the c domain is benchmarked")

    def tensor(name):
        return torch.tensor(j[name]["data"], dtype=torch.int32).view(j[name]["shape"])

    return j, tensor("tokens"), tensor("inputs"), tensor("outputs")


def read_params(path):
    with open(path, "rb") as f:
        data = f.read()
    if data[:8] != b"LSPARAM1":
        raise SystemExit(f"{path}: not a parameter file of model_step_bench")
    (count,), pos, params = struct.unpack_from("<I", data, 8), 12, {}
    for _ in range(count):
        (length,) = struct.unpack_from("<I", data, pos)
        name = data[pos + 4:pos + 4 + length].decode()
        pos += 4 + length
        (rank,) = struct.unpack_from("<I", data, pos)
        shape = struct.unpack_from(f"<{rank}q", data, pos + 4)
        pos += 4 + 8 * rank
        numel = 1
        for d in shape:
            numel *= d
        params[name] = torch.frombuffer(bytearray(data[pos:pos + 4 * numel]),
                                        dtype=torch.float32).view(shape)
        pos += 4 * numel
    return params


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--batch_file", required=True)
    ap.add_argument("--params", help="parameters written by model_step_bench --write_params")
    ap.add_argument("--model", choices=["lasynth", "robustfill"], default="lasynth")
    ap.add_argument("--embedding_size", type=int, default=128)
    ap.add_argument("--hidden_size", type=int, default=128)
    ap.add_argument("--mlp_hidden_size", type=int, default=256)
    ap.add_argument("--num_layers", type=int, default=1)
    ap.add_argument("--num_attention_layers", type=int, default=2)
    ap.add_argument("--exec_period", type=int, default=16)
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--beam", type=int, default=64)
    ap.add_argument("--beam_examples", type=int, default=4)
    ap.add_argument("--beam_reps", type=int, default=1)
    ap.add_argument("--max_len", type=int, default=60)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--gradient_clip", type=float, default=0.0)
    ap.add_argument("--batch_size", type=int, help="ignored: the batch file fixes it")
    ap.add_argument("--max_statements", type=int, help="ignored: the batch file fixes it")
    ap.add_argument("--device", default="cpu", help="cpu or cuda")
    ap.add_argument("--precision", choices=["fp32", "bf16"], default="fp32",
                    help="bf16: the forward pass and the loss under torch.autocast")
    ap.add_argument("--teacher_forcing", choices=["stepwise", "fused"], default="stepwise",
                    help="stepwise: token by token, as the original trains (default); fused: "
                         "the C++ model's algorithm (LSTM over whole chunks)")
    ap.add_argument("--profile", help="print the autograd profiler's table of the timed steps "
                                      "and write its chrome trace to this path")
    args = ap.parse_args()

    torch.set_num_threads(args.threads)
    meta, tokens, inputs, outputs = read_batch(args.batch_file)
    b = tokens.size(0)
    lasynth = args.model == "lasynth"
    o = ModelOptions(
        vocab_size=meta["vocab_size"], value_range=int(meta["domain_options"]["value_range"]),
        output_range=int(meta["domain_options"].get("output_range", 0)),
        io_size=int(meta["domain_options"]["array_len"]), latent_execution=lasynth,
        operation_predictor=lasynth, decoder_self_attention=lasynth,
        exec_period=args.exec_period, embedding_size=args.embedding_size,
        hidden_size=args.hidden_size, mlp_hidden_size=args.mlp_hidden_size,
        num_layers=args.num_layers, num_attention_layers=args.num_attention_layers)
    torch.manual_seed(args.seed)
    model = Synthesizer(o)
    if args.params:
        params = read_params(args.params)
        own = dict(model.named_parameters())
        if own.keys() != params.keys():
            raise SystemExit(f"parameter names differ: only C++ {sorted(params.keys() - own.keys())}"
                             f", only Python {sorted(own.keys() - params.keys())}")
        with torch.no_grad():
            for name, p in own.items():
                p.copy_(params[name])
    num_params = sum(p.numel() for p in model.parameters())
    device = torch.device(args.device)
    model.to(device)
    tokens, inputs, outputs = tokens.to(device), inputs.to(device), outputs.to(device)

    forward = model.forward_stepwise if args.teacher_forcing == "stepwise" else model
    adam = torch.optim.Adam(model.parameters(), lr=args.lr)
    losses = {}

    def train_step(i):
        adam.zero_grad()
        with torch.autocast(device.type, dtype=torch.bfloat16, enabled=args.precision == "bf16"):
            loss = model.loss(forward(tokens, inputs, outputs), tokens, *ref.loss_scale(tokens))
        loss.backward()
        if args.gradient_clip > 0:
            torch.nn.utils.clip_grad_norm_(model.parameters(), args.gradient_clip)
        adam.step()
        losses["first" if i == 0 else "last"] = loss.item()

    i = 0
    for _ in range(args.warmup):
        train_step(i)
        i += 1
    profiler = None
    if args.profile:
        profiler = torch.autograd.profiler.profile()
        profiler.__enter__()
    step_s = []
    t0 = time.perf_counter()
    for _ in range(args.steps):
        t1 = time.perf_counter()
        train_step(i)
        step_s.append(time.perf_counter() - t1)
        i += 1
    train_s = time.perf_counter() - t0
    if profiler is not None:
        profiler.__exit__(None, None, None)
        print(profiler.key_averages().table(sort_by="self_cpu_time_total", row_limit=30),
              file=sys.stderr)
        profiler.export_chrome_trace(args.profile)

    result = {
        "impl": "python-" + args.teacher_forcing, "device": args.device, "precision": args.precision, "model": args.model, "batch_size": b, "max_tokens": tokens.size(1),
        "io_pairs": inputs.size(1), "threads": args.threads, "params": num_params,
        "steps": args.steps, "train_s": train_s, "step_s_median": statistics.median(step_s),
        "step_s_min": min(step_s), "samples_per_s": b / statistics.median(step_s),
        "samples_per_s_mean": args.steps * b / train_s,
        "first_loss": losses.get("first"), "last_loss": losses.get("last"),
    }
    if args.beam > 0:
        if args.beam_examples > b:
            raise SystemExit("--beam_examples exceeds the batch")
        beam_in, beam_out = inputs[:args.beam_examples], outputs[:args.beam_examples]
        model.eval()
        model.beam_search(beam_in, beam_out, args.beam, min(args.max_len, 4))  # warm-up
        beam_s = []
        for _ in range(max(1, args.beam_reps)):
            t0 = time.perf_counter()
            beams = model.beam_search(beam_in, beam_out, args.beam, args.max_len)
            beam_s.append(time.perf_counter() - t0)
        median = statistics.median(beam_s)
        result.update(beam=args.beam, beam_examples=args.beam_examples, max_len=args.max_len,
                      beam_s_median=median, programs_per_s=args.beam_examples / median,
                      beam_top=[c[0] if c else [] for c in beams])
    print(json.dumps(result))


if __name__ == "__main__":
    main()
