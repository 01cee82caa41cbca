#!/usr/bin/env python3
"""Compares a case of tests/model/reference_parity_test.cc (the C++ Synthesizer's loss and
gradients on a fixed batch) with the PyTorch reference, bench/reference/lasynth_reference.py.

  /usr/bin/python3 tests/model/reference_parity.py CASE.pt

The case (torch::pickle_save, read by torch.load) holds the model options, the batch (tokens,
inputs, outputs), the loss scale (examples, target tokens), the parameters, and the C++ loss and gradients. The
reference model gets the same parameters and runs forward, loss and backward twice: "fused" (the
decoder LSTM over whole chunks, the C++ algorithm) and "stepwise" (one decoding step per token,
as the original LaSynth trains). Prints a table of the worst differences and exits 1 if any
value differs by more than ATOL + RTOL * |reference| (torch.allclose's rule), 2 if the case's
parameters do not fit the reference's model, 3 if some values differ but the batch has a near-tie
in the head's max-pool over the pairs (see TIE): the caller then tries another batch.
"""

import math
import os
import sys

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "bench",
                                "reference"))
import lasynth_reference as ref  # noqa: E402

# Float32 throughout. Both sides run the same operations, but not always the same kernels in the
# same order (C++ runs the decoder LSTM once over the program, the reference per chunk or per
# token; C++'s self-attention takes all pairs' queries in one product), so single values differ
# by rounding. Measured over the ten variants: the fused forward's loss equal bit for bit and its
# gradients within 3.6e-7 (at most 1% of the tolerance); token by token, the loss within 2e-7
# relative and the gradients within 2.1e-6 (3% of the tolerance). The floor ATOL is for tiny
# gradients, where cancellation leaves only rounding. A real difference fails many values by far:
# mutating the reference (a 10% error in the attention scale, two concatenated features swapped,
# the input and output encoders swapped, the executor's state subtracted, the executor loss not
# averaged over positions) put 60 to 118 of a variant's comparisons beyond it; a 0.1% error in
# the attention scale stays within: float32 gradients cannot tell it from rounding.
RTOL, ATOL = 1e-4, 1e-5

# The head max-pools over an example's pairs. Where the two largest values lie within rounding of
# each other, the last bit decides which pair gets the gradient, and the fused and stepwise
# forwards (or C++) may decide differently: the loss agrees, but the gradients of everything
# below the head may differ by far. Measured on a C NoPartialExecutor batch: margins of 6e-8 put
# 39 comparisons at up to 47 times the tolerance. Ties are common where they decide nothing: the
# decoder forgets its pair-dependent initial state over a long program (the forget gates), so
# late positions' input attention is the same, to the last bit, in every pair. So a batch with a
# near-tie is still compared, and only a failing comparison on it is set aside (exit 3): a batch
# without one must pass, and a real difference fails every batch, near-tie or not, which the
# caller reports when no batch passes.
TIE = 1e-6


def load_case(path):
    case = torch.load(path)
    if case.get("format") != "lasynth-reference-parity":
        raise SystemExit(f"{path}: not a case of reference_parity_test")
    return case


def options(case):
    o = case["options"]
    fields = ref.ModelOptions.__dataclass_fields__
    unknown = sorted(o.keys() - fields.keys())
    if unknown:
        raise SystemExit(f"options the reference does not have: {unknown}")
    return ref.ModelOptions(**o)


def repeated_pairs(inputs, outputs):
    """[B, K] bool: the pair equals an earlier pair of its example (input and output)."""
    pairs = torch.cat([inputs, outputs], -1)  # [B, K, 2V]
    same = (pairs.unsqueeze(2) == pairs.unsqueeze(1)).all(-1)  # [B, K, K]
    return same.tril(-1).any(-1)


def pool_margin(pooled, repeated):
    """The smallest gap between the largest and second largest pair of the max-pool; pooled
    [B, K, T, F]. A repeated pair computes what its twin computes, so whichever of the two
    wins, the gradients are the same: it is left out."""
    if pooled.size(1) < 2:
        return math.inf
    distinct = pooled.detach().masked_fill(repeated.view(*repeated.shape, 1, 1), -math.inf)
    top = distinct.topk(2, dim=1).values
    gaps = top[:, 0] - top[:, 1]
    return gaps.min().item()


def run_reference(model, case, stepwise):
    """Loss, gradients, and the smallest max-pool margin of the forward."""
    model.zero_grad(set_to_none=True)
    tokens, inputs, outputs = case["tokens"], case["inputs"], case["outputs"]
    margins = [math.inf]
    repeated = repeated_pairs(inputs, outputs)
    model.on_pool = lambda pooled: margins.append(pool_margin(pooled, repeated))
    forward = model.forward_stepwise if stepwise else model
    loss = model.loss(forward(tokens, inputs, outputs), tokens, case["examples"],
                      case["target_tokens"])
    model.on_pool = None
    loss.backward()
    grads = {}
    for name, p in model.named_parameters():
        grads[name] = p.grad.clone() if p.grad is not None else torch.zeros_like(p)
    return loss.item(), grads, min(margins)


def compare(name, cpp, reference):
    """One row: worst absolute difference, worst difference relative to the tolerance (> 1 fails),
    and the reference's largest magnitude."""
    cpp = torch.as_tensor(cpp, dtype=torch.float64)
    reference = torch.as_tensor(reference, dtype=torch.float64)
    if cpp.shape != reference.shape:
        return name, math.inf, math.inf, float("nan")
    diff = (cpp - reference).abs()
    excess = diff / (ATOL + RTOL * reference.abs())
    return name, diff.max().item(), excess.max().item(), reference.abs().max().item()


def main():
    if len(sys.argv) != 2:
        raise SystemExit(__doc__)
    torch.set_num_threads(1)
    case = load_case(sys.argv[1])
    o = options(case)
    model = ref.Synthesizer(o)
    own = dict(model.named_parameters())
    params = case["params"]
    if own.keys() != params.keys():
        print(f"{case['variant']}: parameter names differ: only C++ "
              f"{sorted(params.keys() - own.keys())}, only the reference "
              f"{sorted(own.keys() - params.keys())}")
        return 2
    with torch.no_grad():
        for name, p in own.items():
            if p.shape != params[name].shape:
                print(f"{case['variant']}: {name}: C++ {tuple(params[name].shape)}, reference "
                      f"{tuple(p.shape)}")
                return 2
            p.copy_(params[name])

    rows, margins = [], []
    for mode in ("fused", "stepwise"):
        loss, grads, margin = run_reference(model, case, mode == "stepwise")
        margins.append(margin)
        rows.append((mode,) + compare("loss", case["loss"], loss))
        rows.extend((mode,) + compare(name, case["grads"][name], grads[name]) for name in grads)
    failed = [r for r in rows if not r[3] <= 1.0]
    worst = sorted(rows, key=lambda r: -r[3])
    print(f"{case['variant']}: C++ loss {case['loss']:.7f}; tolerance |C++ - reference| <= "
          f"{ATOL:g} + {RTOL:g} * |reference|; {len(rows)} comparisons, {len(failed)} beyond it")
    print(f"| {'forward':<8} | {'value':<44} | {'max |diff|':>10} | {'/ tolerance':>11} | "
          f"{'max |ref|':>10} |")
    for mode in ("fused", "stepwise"):
        mode_rows = [r for r in rows if r[0] == mode]
        loss_row = [r for r in mode_rows if r[1] == "loss"]
        shown = loss_row + [r for r in worst if r[0] == mode and r[1] != "loss"][:4]
        shown += [r for r in failed if r[0] == mode and r not in shown]
        for r in shown:
            print(f"| {r[0]:<8} | {r[1]:<44} | {r[2]:>10.3e} | {r[3]:>11.3f} | {r[4]:>10.3e} |")
    if failed and min(margins) < TIE:
        print(f"{case['variant']}: the max-pool over the pairs has a near-tie (margin "
              f"{min(margins):.1e} < {TIE:g}): this batch cannot decide; try another")
        return 3
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
