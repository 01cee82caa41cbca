"""A PyTorch reference implementation of lasynth's program synthesizer (LaSynth and RobustFill).

This is the model of src/model/ (attention.cc, array_net.cc, io_encoder.cc,
operation_predictor.cc, property_encoder.cc, synthesizer.cc) written in plain PyTorch, the way a
researcher would write it in Python. It mirrors the C++ model parameter for parameter: the same
modules under the same names (e.g. ``encoder.values.input_lstm.weight_ih_l0``), the same
initialisation (uniform in [-param_init, param_init]), the same teacher-forced forward pass (the
decoder LSTM runs over chunks of ``exec_period`` tokens, and between chunks the latent executor
rewrites the inputs and they are re-encoded), the same loss and the same beam search. A state
written by ``bench/model_step_bench --write_params`` therefore loads here unchanged and gives the
same losses and beams.

The original LaSynth code trains token by token: every target position is one decoding step (an
LSTM cell, the attentions, the head, and every exec_period steps the executor), the loop the
paper's model suggests. ``Synthesizer.forward_stepwise`` is that loop; ``forward`` is the fused
form the C++ model uses (the decoder LSTM over whole chunks, the head over all of a chunk's
positions at once). Both give the same prediction.

It is the baseline the C++ implementation is timed against (bench/model_step_bench.py,
bench/model_step_compare.sh), and tests/model/reference_parity.py checks that both compute the
same loss and gradients for every variant on both domains: restricted C (ArrayNet, the operation
predictor, C's property signatures) and Karel (GridNet, Karel's property signatures).

Shapes: B examples, K IO pairs, V ints per value, T tokens (with <s>), N = B * K rows,
P positions, S value classes, E embedding, D = 2 * hidden_size, M MLP hidden, O operations,
F feature maps, R x C grid cells.
"""

import math
from dataclasses import dataclass
from typing import List, Optional, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

PAD, BOS, EOS = 0, 1, 2


@dataclass
class ModelOptions:
    """The fields of src/model/model_options.h that the models read."""

    domain: str = "c"
    vocab_size: int = 0
    value_range: int = 4  # C: inputs in [-R, R]; values embedded in [-4R, 4R]
    output_range: int = 0  # C: outputs in [-R', R'], the executor's classes; 0: [-4R, 4R]
    io_size: int = 5  # C: array length
    grid_rows: int = 0  # Karel
    grid_cols: int = 0
    latent_execution: bool = False
    no_partial_execution: bool = False
    operation_predictor: bool = False
    decoder_self_attention: bool = False
    use_properties: bool = False
    exec_period: int = 16
    scaled_attention: bool = False  # scores / sqrt(key size); the original's are unscaled
    embedding_size: int = 1024
    hidden_size: int = 512
    mlp_hidden_size: int = 512
    num_mlp_layers: int = 1  # ReLU layers of the output MLP after its first
    num_layers: int = 2
    num_attention_layers: int = 2
    conv_channels: int = 64  # Karel: feature maps of the grid encoder
    grid_encoder: str = "joint"  # Karel: Bunel et al.'s joint IO encoder, or "separate" CNNs
    dropout: float = 0.0
    param_init: float = 0.1
    exec_loss_weight: float = 1.0
    op_loss_weight: float = 1.0
    loss_reduction: str = "mean"  # "mean": each term's mean, as the original; "sum": sums / B

    @property
    def num_values(self) -> int:
        return 8 * self.value_range + 1

    @property
    def value_offset(self) -> int:
        return 4 * self.value_range

    @property
    def result_range(self) -> int:
        reach = self.value_offset
        return self.output_range if 0 < self.output_range < reach else reach

    @property
    def decoder_size(self) -> int:
        return 2 * self.hidden_size


def loss_scale(tokens):
    """(examples, target tokens) of one batch of tokens [B, T] trained alone: the program tokens
    and </s>, not <s> or padding."""
    return tokens.size(0), int((tokens[:, 1:] != PAD).sum())


def lstm(o: ModelOptions, input_size: int, hidden_size: int, bidirectional: bool) -> nn.LSTM:
    return nn.LSTM(input_size, hidden_size, num_layers=o.num_layers, batch_first=True,
                   bidirectional=bidirectional, dropout=o.dropout if o.num_layers > 1 else 0.0)


def join_directions(state: torch.Tensor, layers: int) -> torch.Tensor:
    """[2 * layers, N, H] (directions interleaved per layer) -> [layers, N, 2H]."""
    _, n, h = state.shape
    return state.view(layers, 2, n, h).permute(0, 2, 1, 3).reshape(layers, n, 2 * h)


def split_directions(state: torch.Tensor) -> torch.Tensor:
    """The inverse: [layers, N, 2H] -> [2 * layers, N, H]."""
    layers, n, h2 = state.shape
    return state.view(layers, n, 2, h2 // 2).permute(0, 2, 1, 3).reshape(2 * layers, n, h2 // 2)


class Attention(nn.Module):
    """The original LaSynth's attention: query and keys projected to one size, the softmax over
    the projected keys' dot products (unscaled as the original's unless `scaled`: / sqrt(size))
    weighs them, and the result is tanh(weighted keys + projected query)."""

    def __init__(self, query_size: int, key_size: int, size: int, scaled: bool):
        super().__init__()
        self.query = nn.Linear(query_size, size)
        self.keys = nn.Linear(key_size, size)
        self.scale = 1.0 / math.sqrt(size) if scaled else 1.0

    def project(self, query):
        return self.query(query)

    def forward(self, query, keys, masked=None):
        """query [N, Q, query_size], keys [N, S, key_size], masked [Q, S] (True = hidden) ->
        [N, Q, size]; a query that sees no key returns its projection alone (the original's
        first decoding step, before any token is in its history)."""
        q, k = self.query(query), self.keys(keys)
        scores = torch.bmm(q, k.transpose(1, 2)) * self.scale
        if masked is None:
            return torch.tanh(torch.bmm(torch.softmax(scores, -1), k) + q)
        scores = scores.masked_fill(masked, torch.finfo(scores.dtype).min)
        attended = torch.tanh(torch.bmm(torch.softmax(scores, -1), k) + q)
        return torch.where(masked.all(-1).view(1, -1, 1), q, attended)


class ArrayNet(nn.Module):
    """Restricted C's values: arrays of P ints, each one of S = 8R + 1 classes, read as class
    distributions [N, P, S] by BiLSTM encoders; the latent executor is an LSTM over the current
    values started from the decoder's state, scored against the embeddings of the 2R' + 1 values
    an output may take (R' = output_range)."""

    def __init__(self, o: ModelOptions):
        super().__init__()
        self.o = o
        self.values = nn.Embedding(o.num_values, o.embedding_size)
        self.input_lstm = lstm(o, o.embedding_size, o.hidden_size, True)
        self.output_lstm = lstm(o, o.embedding_size, o.hidden_size, True)
        if o.latent_execution:
            self.executor = lstm(o, o.embedding_size, o.hidden_size, True)
            self.project = nn.Linear(o.decoder_size, o.embedding_size)

    @property
    def num_classes(self) -> int:
        return self.o.num_values

    def classes(self, values):
        return (values.long() + self.o.value_offset).clamp(0, self.o.num_values - 1)

    def one_hot(self, values):
        return F.one_hot(self.classes(values), self.num_classes).float()

    def encode_input(self, dist):
        seq, (h, c) = self.input_lstm(dist @ self.values.weight)
        return (seq, join_directions(h, self.o.num_layers), join_directions(c, self.o.num_layers),
                None)

    def encode_output(self, dist, encoded_input):
        """The output encoder starts from the input encoder's final state, as the original's."""
        _, in_h, in_c, _ = encoded_input
        seq, (h, c) = self.output_lstm(dist @ self.values.weight,
                                       (split_directions(in_h), split_directions(in_c)))
        return (seq, join_directions(h, self.o.num_layers), join_directions(c, self.o.num_layers),
                None)

    def encode_embedded(self, embedded):
        """The input encoder over any embedded sequence [N, L, E] (the operation predictor's)."""
        return self.input_lstm(embedded)[0]

    @property
    def num_result_classes(self) -> int:
        return 2 * self.o.result_range + 1

    def result_classes(self, values):
        r = self.o.result_range
        return (values.long() + r).clamp(0, 2 * r)

    def widen(self, result_dist):
        side = self.o.value_offset - self.o.result_range
        return F.pad(result_dist, (side, side))

    def execute(self, dist, state):
        """Logits [N, P, 2R' + 1] of the values after the decoded prefix, from the decoder's
        (h, c) [layers, N, D]: a bidirectional LSTM started from it."""
        h, c = state
        out, _ = self.executor(dist @ self.values.weight,
                               (split_directions(h), split_directions(c)))
        r = self.o.result_range
        results = self.values.weight[self.o.value_offset - r:self.o.value_offset + r + 1]
        return self.project(out) @ results.t()


class GridNet(nn.Module):
    """Karel's values: a hero (row, col, direction) and R x C cells (-1 wall, else markers), each
    cell one of 12 contents x 5 hero states = 60 classes. A class distribution [N, P, S] maps onto
    the 16 standard channels, a small CNN encodes the grid, pooled to 4 x 4 encodings; the latent
    executor predicts every cell's class from the grid's features and the decoder's state. With
    grid_encoder "joint" (Bunel et al.'s), an output is encoded with its input: each grid's first
    layer, both stacked, two residual blocks of three 3 x 3 layers; the flattened maps give the
    summary. Encodings are (seq, h, c, maps), maps being what re-encoding the output reads."""

    CONTENTS = 12  # wall, 0..10 markers
    CLASSES = 5 * CONTENTS
    POOLED = 4

    def __init__(self, o: ModelOptions):
        super().__init__()
        self.o = o
        channels = torch.zeros(self.CLASSES, 16)  # [S, 16]
        for s in range(self.CLASSES):
            hero, content = divmod(s, self.CONTENTS)
            if hero > 0:
                channels[s, hero - 1] = 1  # 0..3: the hero's direction
            channels[s, 4 if content == 0 else 4 + content] = 1  # 4: wall; 5 + m: m markers
        self.register_buffer("channels", channels)
        f, d = o.conv_channels, o.decoder_size

        def cnn():
            return nn.Sequential(nn.Conv2d(16, f, 3, padding=1), nn.ReLU(),
                                 nn.Conv2d(f, f, 3, padding=1), nn.ReLU())

        self.joint = o.grid_encoder == "joint"
        self.input_cnn = cnn()
        if not self.joint:
            self.output_cnn = cnn()
        self.input_out = nn.Linear(f, d)
        if self.joint:
            half = max(f // 2, 1)
            stacked = 2 * half
            self.input_maps = nn.Sequential(nn.Conv2d(16, half, 3, padding=1), nn.ReLU())
            self.output_maps = nn.Sequential(nn.Conv2d(16, half, 3, padding=1), nn.ReLU())
            self.blocks = nn.ModuleList([
                nn.Sequential(*[m for _ in range(3)
                                for m in (nn.Conv2d(stacked, stacked, 3, padding=1), nn.ReLU())])
                for _ in range(2)])
            self.output_out = nn.Linear(stacked, d)
            self.flat = nn.Linear(stacked * o.grid_rows * o.grid_cols, d)
        else:
            self.output_out = nn.Linear(f, d)
        self.input_summary = nn.Linear(d, 2 * o.num_layers * d)
        self.output_summary = nn.Linear(d, 2 * o.num_layers * d)
        if o.latent_execution:
            self.state = nn.Linear(d, f)
            # Dilated 3 x 3 layers (1, 2, 4, ...) until every cell sees every other.
            self.reach = nn.ModuleList()
            needed, radius, dilation = max(o.grid_rows, o.grid_cols) - 1, 2, 1
            while radius < needed:
                self.reach.append(nn.Conv2d(f, f, 3, padding=dilation, dilation=dilation))
                radius, dilation = radius + dilation, dilation * 2
            self.cell_logits = nn.Conv2d(f, self.CLASSES, 1)

    @property
    def num_classes(self) -> int:
        return self.CLASSES

    def classes(self, values):
        """[N, 3 + R * C] -> [N, R * C]: each cell's content plus the hero's state on it."""
        v = values.long()
        content = (v[:, 3:] + 1).clamp(0, self.CONTENTS - 1)  # wall -1 -> 0, m markers -> m + 1
        hero = (v[:, 0] * self.o.grid_cols + v[:, 1]).unsqueeze(1)
        direction = v[:, 2].unsqueeze(1) + 1
        return content.scatter_add(1, hero, direction * self.CONTENTS)

    def one_hot(self, values):
        return F.one_hot(self.classes(values), self.num_classes).float()

    # The executor predicts every cell among all its classes.
    num_result_classes = num_classes

    def result_classes(self, values):
        return self.classes(values)

    def widen(self, result_dist):
        return result_dist

    def grid(self, dist):
        """[N, P, S] -> [N, 16, R, C]"""
        return (dist @ self.channels).transpose(1, 2).reshape(
            dist.size(0), 16, self.o.grid_rows, self.o.grid_cols)

    def sequence(self, maps, out):
        """[N, F, R, C] -> [N, 16, D], pooled to 4 x 4."""
        pooled = F.adaptive_avg_pool2d(maps, (self.POOLED, self.POOLED)).flatten(2).transpose(1, 2)
        return torch.tanh(out(pooled))

    def summarize(self, seq, of, summary):
        n, layers, d = seq.size(0), self.o.num_layers, self.o.decoder_size
        s = torch.tanh(summary(of)).view(n, 2, layers, d).permute(1, 2, 0, 3)  # [2, layers, N, D]
        return seq, s[0].contiguous(), s[1].contiguous(), None

    def joint_maps(self, input_maps, output_maps):
        x = torch.cat([input_maps, output_maps], 1)
        for block in self.blocks:
            x = x + block(x)
        return x

    def encode_input(self, dist):
        g = self.grid(dist)
        seq = self.sequence(self.input_cnn(g), self.input_out)
        seq, h, c, _ = self.summarize(seq, seq.mean(1), self.input_summary)
        return seq, h, c, self.input_maps(g) if self.joint else None

    def encode_output(self, dist, encoded_input):
        g = self.grid(dist)
        if not self.joint:
            seq = self.sequence(self.output_cnn(g), self.output_out)
            return self.summarize(seq, seq.mean(1), self.output_summary)
        maps = self.output_maps(g)
        x = self.joint_maps(encoded_input[3], maps)
        seq, h, c, _ = self.summarize(self.sequence(x, self.output_out), self.flat(x.flatten(1)),
                                      self.output_summary)
        return seq, h, c, maps

    def reencode_output(self, output_maps, encoded_input):
        return self.sequence(self.joint_maps(encoded_input[3], output_maps), self.output_out)

    def execute(self, dist, state):
        """Logits [N, P, S] of the cells after the decoded prefix, from the decoder's (h, c)
        [layers, N, D]: its top layer's output."""
        f = self.input_cnn(self.grid(dist))
        mixed = torch.relu(f + self.state(state[0][-1]).unsqueeze(-1).unsqueeze(-1))
        for layer in self.reach:
            mixed = mixed + torch.relu(layer(mixed))
        return self.cell_logits(mixed).flatten(2).transpose(1, 2)


@dataclass
class IoEncoding:
    inputs: torch.Tensor  # [N, P, D]
    outputs: torch.Tensor  # [N, P, D], after attending to the inputs
    raw_outputs: torch.Tensor  # [N, P, D], before
    output_maps: Optional[torch.Tensor]  # what re-encoding the outputs reads (joint grid encoder)
    h: Optional[torch.Tensor] = None  # [layers, N, D]
    c: Optional[torch.Tensor] = None


class IoEncoder(nn.Module):
    """Encodes every input and output; the outputs then attend to the inputs."""

    def __init__(self, o: ModelOptions, values: ArrayNet):
        super().__init__()
        self.values = values
        d = o.decoder_size
        self.attention = nn.ModuleList(
            [Attention(d, d, d, o.scaled_attention) for _ in range(o.num_attention_layers)])

    def attend(self, outputs, inputs):
        for attention in self.attention:
            outputs = attention(outputs, inputs)
        return outputs

    def forward(self, inputs, outputs) -> IoEncoding:
        encoded_input = self.values.encode_input(inputs)
        in_seq, in_h, in_c, _ = encoded_input
        out_seq, out_h, out_c, out_maps = self.values.encode_output(outputs, encoded_input)
        return IoEncoding(in_seq, self.attend(out_seq, in_seq), out_seq, out_maps, in_h + out_h,
                          in_c + out_c)

    def reencode_inputs(self, io: IoEncoding, inputs):
        encoded_input = self.values.encode_input(inputs)
        io.inputs = encoded_input[0]
        outputs = io.raw_outputs if io.output_maps is None else self.values.reencode_output(
            io.output_maps, encoded_input)
        io.outputs = self.attend(outputs, io.inputs)


class OperationPredictor(nn.Module):
    """The original's: a table of the 2(2R + 1) operations +c / -c on each of the C = 2R + 1
    input values. Per position, a lookup recognises the current input value (its embedding
    against the keys of [-R, R]); the target's embedding is scored against every operation's
    result for that value; the distribution over operations is embedded and encoded by the input
    encoder. It shares the value network's embedding and input encoder (not its own modules)."""

    def __init__(self, o: ModelOptions, values: ArrayNet):
        super().__init__()
        self.o = o
        self._values = [values]  # shared, not registered: the IO encoder owns it
        r, offset = o.value_range, o.value_offset
        self.register_buffer("input_classes", torch.tensor([v + offset for v in range(-r, r + 1)]))
        results = [[v + sign * c + offset for v in range(-r, r + 1)]
                   for sign in (1, -1) for c in range(-r, r + 1)]
        self.register_buffer("result_classes", torch.tensor(results))  # [O, C]
        self.keys = nn.Linear(o.embedding_size, o.embedding_size)
        self.operations = nn.Embedding(len(results), o.embedding_size)

    def forward(self, current, target):
        """current, target [N, P, S] -> the lookup's logits [N, P, C], encoding [N, P, D]."""
        values = self._values[0]
        w = values.values.weight
        n, p = current.shape[:2]
        ops, columns = self.result_classes.shape
        keys = self.keys(w[self.input_classes])  # [C, E]
        results = self.keys(w[self.result_classes.view(-1)])  # [O * C, E]
        lookup = (current @ w) @ keys.t()  # [N, P, C]
        scores = ((target @ w) @ results.t()).view(n, p, ops, columns)
        per_operation = (scores @ torch.softmax(lookup, -1).unsqueeze(-1)).squeeze(-1)
        embedded = torch.softmax(per_operation, -1) @ self.operations.weight
        return lookup, values.encode_embedded(embedded)

    def targets(self, inputs):
        """Each true input value's column; -100 (ignored) outside [-R, R]."""
        v, r = inputs.long(), self.o.value_range
        return torch.where(v.abs() <= r, v + r, torch.full_like(v, -100))


def ternary(holds):
    """[B, K, Q] bool -> [B, Q]: 1 on every pair, 2 on some, 0 on none."""
    every, some = holds.all(1), holds.any(1)
    return every.long() + 2 * (some & ~every).long()


def c_properties(inputs, outputs, value_range: int):
    """[B, K, V] -> [B, Q]: 1 if output[i] == input[i] + d on every pair, 2 on some, 0 on none."""
    deltas = torch.arange(-value_range, value_range + 1, dtype=torch.int32, device=inputs.device)
    holds = (outputs.unsqueeze(-1) == inputs.unsqueeze(-1) + deltas).flatten(2)  # [B, K, Q]
    return ternary(holds)


KAREL_PROPERTIES = 20


def karel_properties(inputs, outputs, rows: int, cols: int):
    """[B, K, 3 + R * C] -> [B, 20]: how the hero moved and turned, how the markers changed."""
    b, k = inputs.shape[:2]
    n = b * k
    vin, vout = inputs.reshape(n, -1).long(), outputs.reshape(n, -1).long()
    hin, hout = (vin[:, 0], vin[:, 1], vin[:, 2]), (vout[:, 0], vout[:, 1], vout[:, 2])
    cells_in, cells_out = vin[:, 3:], vout[:, 3:]  # [N, P]

    def at(cells, index):
        return cells.gather(1, index.unsqueeze(1)).squeeze(1)

    def facing_wall(hero, cells):
        """The next cell in the hero's direction (north = row + 1) is a wall or outside."""
        row, col, direction = hero
        r = row + torch.tensor([1, 0, -1, 0], device=row.device)[direction]
        c = col + torch.tensor([0, 1, 0, -1], device=row.device)[direction]
        inside = (r >= 0) & (r < rows) & (c >= 0) & (c < cols)
        nxt = at(cells, r.clamp(0, rows - 1) * cols + c.clamp(0, cols - 1))
        return ~inside | (nxt == -1)

    index_in, index_out = hin[0] * cols + hin[1], hout[0] * cols + hout[1]
    total_in, total_out = cells_in.clamp_min(0).sum(1), cells_out.clamp_min(0).sum(1)
    under_in = at(cells_in, index_in).clamp_min(0)
    under_in_after = at(cells_out, index_in).clamp_min(0)
    changed = (cells_in != cells_out).scatter(1, index_in.unsqueeze(1), False)
    changed = changed.scatter(1, index_out.unsqueeze(1), False)
    holds = [
        (hin[0] != hout[0]) | (hin[1] != hout[1]),  # moved
        hin[2] != hout[2],  # turned
        hout[2] == (hin[2] + 3) % 4,
        hout[2] == (hin[2] + 1) % 4,
        hout[2] == (hin[2] + 2) % 4,
        hout[0] > hin[0], hout[0] < hin[0], hout[1] > hin[1], hout[1] < hin[1],
        total_out > total_in, total_out < total_in, total_out == total_in,
        under_in_after > under_in, under_in_after < under_in,
        at(cells_out, index_out).clamp_min(0) > 0,
        under_in > 0,
        facing_wall(hin, cells_in),
        facing_wall(hout, cells_out),
        changed.any(1),
        (vin == vout).all(1),
    ]
    return ternary(torch.stack(holds, 1).view(b, k, KAREL_PROPERTIES))


class PropertyEncoder(nn.Module):
    """The Property Signatures baseline: one embedding per (property, value), a BiLSTM over them."""

    def __init__(self, o: ModelOptions):
        super().__init__()
        self.o = o
        self.num_properties = (KAREL_PROPERTIES if o.domain == "karel"
                               else o.io_size * (2 * o.value_range + 1))
        self.embedding = nn.Embedding(3 * self.num_properties, o.embedding_size)
        self.lstm = lstm(o, o.embedding_size, o.hidden_size, True)

    def forward(self, inputs, outputs):
        if self.o.domain == "karel":
            values = karel_properties(inputs, outputs, self.o.grid_rows, self.o.grid_cols)
        else:
            values = c_properties(inputs, outputs, self.o.value_range)
        ids = torch.arange(values.size(1), device=values.device).unsqueeze(0) * 3 + values
        seq, (h, c) = self.lstm(self.embedding(ids))
        return seq, join_directions(h, self.o.num_layers), join_directions(c, self.o.num_layers)


@dataclass
class Prediction:
    logits: Optional[torch.Tensor] = None  # [B, T - 1, vocab]
    exec_logits: Optional[torch.Tensor] = None  # [R, P, S]
    exec_targets: Optional[torch.Tensor] = None  # [R, P]
    op_logits: Optional[torch.Tensor] = None  # [N, P, O]
    op_targets: Optional[torch.Tensor] = None  # [N, P]


@dataclass
class Context:
    """Everything the decoder reads, `rows` rows per example."""

    rows: int = 0
    io: Optional[IoEncoding] = None
    dist: Optional[torch.Tensor] = None  # [N, P, S]: the (latent) inputs
    target: Optional[torch.Tensor] = None  # [N, P, S]: the outputs
    ops: Optional[torch.Tensor] = None  # [N, P, D]
    props: Optional[torch.Tensor] = None  # [N, Q, D]
    history: Optional[torch.Tensor] = None  # [N / rows, t, E]: tokens consumed after <s>
    decoded: Optional[torch.Tensor] = None  # [N, 1, D]: the last step's decoder output
    lstm: Optional[Tuple[torch.Tensor, torch.Tensor]] = None


def _pick(t, rows, dim=0):
    return None if t is None else t.index_select(dim, rows)


class Synthesizer(nn.Module):
    """LaSynth (latent_execution [+ operation_predictor, decoder_self_attention]), RobustFill (no
    switches), NoPartialExecutor, PropertySignatures: one LSTM decoder over the program tokens
    that attends, per IO pair, to the pair's encodings; pairs are max-pooled before the output
    layer."""

    def __init__(self, o: ModelOptions):
        super().__init__()
        self.o = o
        d, e, scaled = o.decoder_size, o.embedding_size, o.scaled_attention
        features = d  # what the pairs' max-pool hands on
        if o.use_properties:
            self.properties = PropertyEncoder(o)
            self.attend_properties = Attention(d, d, d, scaled)
        else:
            self.encoder = IoEncoder(o, GridNet(o) if o.domain == "karel" else ArrayNet(o))
            self.attend_inputs = Attention(d, d, d, scaled)
            self.attend_outputs = Attention(2 * d, d, d, scaled)
            features = 2 * d
            if o.operation_predictor:
                self.operations = OperationPredictor(o, self.encoder.values)
                self.attend_operations = Attention(2 * d, d, d, scaled)
                features = 3 * d
        if o.decoder_self_attention:
            self.attend_self = Attention(features, e, d, scaled)
            features = d
        self.tokens = nn.Embedding(o.vocab_size, e)
        self.decoder = nn.LSTM(e, d, num_layers=o.num_layers, batch_first=True,
                               dropout=o.dropout if o.num_layers > 1 else 0.0)
        self.mlp = nn.ModuleList(
            [nn.Linear(features if i == 0 else o.mlp_hidden_size, o.mlp_hidden_size)
             for i in range(o.num_mlp_layers + 1)])
        self.out = nn.Linear(o.mlp_hidden_size, o.vocab_size)
        self.on_pool = None  # called with the tensor the pairs' max-pool reads (parity's tie check)
        with torch.no_grad():
            for p in self.parameters():
                p.uniform_(-o.param_init, o.param_init)

    @property
    def values(self):
        """The value network: ArrayNet (C) or GridNet (Karel)."""
        return self.encoder.values

    def start(self, inputs, outputs, prediction: Optional[Prediction] = None) -> Context:
        b, k, v = inputs.shape
        if self.o.use_properties:
            seq, h, c = self.properties(inputs, outputs)
            return Context(rows=1, props=seq, lstm=(h, c))
        flat_in, flat_out = inputs.reshape(b * k, v), outputs.reshape(b * k, v)
        ctx = Context(rows=k, dist=self.values.one_hot(flat_in),
                      target=self.values.one_hot(flat_out))
        ctx.io = self.encoder(ctx.dist, ctx.target)
        ctx.lstm = (ctx.io.h, ctx.io.c)
        ctx.io.h = ctx.io.c = None
        if self.o.operation_predictor:
            op_logits, ctx.ops = self.operations(ctx.dist, ctx.target)
            if prediction is not None:
                prediction.op_logits = op_logits
                prediction.op_targets = self.operations.targets(flat_in)
        return ctx

    def head(self, ctx: Context, decoded, masked=None):
        """decoded [N, T, D] -> logits [N / rows, T, vocab]: per pair, the input attention, the
        output attention (query: decoder state and input attention), the operation attention
        (query: both); max-pooled over the pairs; then self-attention with the pooled vector as
        its query over the tokens consumed after <s>; then the MLP."""
        if self.o.use_properties:
            h = self.attend_properties(decoded, ctx.props)
        else:
            from_inputs = self.attend_inputs(decoded, ctx.io.inputs)
            from_outputs = self.attend_outputs(torch.cat([decoded, from_inputs], -1),
                                               ctx.io.outputs)
            features = [from_inputs, from_outputs]
            if self.o.operation_predictor:
                features.append(self.attend_operations(torch.cat([from_inputs, from_outputs], -1),
                                                       ctx.ops))
            n, t = decoded.shape[:2]
            pooled = torch.cat(features, -1).view(n // ctx.rows, ctx.rows, t, -1)
            if self.on_pool is not None:
                self.on_pool(pooled)
            h = pooled.max(1)[0]
        if self.o.decoder_self_attention:
            if ctx.history is not None and ctx.history.size(1) > 0:
                h = self.attend_self(h, ctx.history, masked)
            else:
                h = self.attend_self.project(h)
        for layer in self.mlp:
            h = torch.relu(F.dropout(layer(h), self.o.dropout, self.training))
        return self.out(h)

    def execute(self, ctx: Context, state):
        """The executor runs from the decoder's (h, c): new latent inputs, re-encoded."""
        ctx.dist = self.values.widen(torch.softmax(self.values.execute(ctx.dist, state), -1))
        self.encoder.reencode_inputs(ctx.io, ctx.dist)
        if self.o.operation_predictor:
            ctx.ops = self.operations(ctx.dist, ctx.target)[1]

    def forward(self, tokens, inputs, outputs) -> Prediction:
        """Teacher forcing: tokens [B, T] (<s> program </s> <pad>...), inputs, outputs [B, K, V]."""
        o = self.o
        p = Prediction()
        ctx = self.start(inputs, outputs, p)
        t, k = tokens.size(1) - 1, ctx.rows
        embedded = self.tokens(tokens[:, :t].long()).repeat_interleave(k, 0)  # [N, T-1, E]
        latent = o.latent_execution
        partial = latent and not o.no_partial_execution
        period = o.exec_period if partial else t
        # The position whose state predicts </s>: the program's last token.
        ends = ((tokens != PAD).sum(1) - 2).long().repeat_interleave(k, 0)  # [N]
        logits, exec_logits, exec_rows = [], [], []
        ends_host = ends.cpu()
        for begin in range(0, t, period):
            end = min(t, begin + period)
            if latent:
                # The state where each row's program ends (the executor starts from it), else at
                # the chunk's end: one packed run.
                ending = (ends_host >= begin) & (ends_host < end)
                lengths = torch.where(ending, ends_host - begin + 1,
                                      torch.full_like(ends_host, end - begin))
                packed, ctx.lstm = self.decoder(
                    pack_padded_sequence(embedded[:, begin:end], lengths, batch_first=True,
                                         enforce_sorted=False), ctx.lstm)
                decoded = pad_packed_sequence(packed, batch_first=True,
                                              total_length=end - begin)[0]
            else:
                decoded, ctx.lstm = self.decoder(embedded[:, begin:end], ctx.lstm)
            masked = None
            if o.decoder_self_attention:
                # Position p sees the tokens consumed after <s> up to p, as the original's history.
                ctx.history = self.tokens(tokens[:, 1:end].long())
                masked = torch.ones(end - begin, end - 1, dtype=torch.bool,
                                    device=tokens.device).triu(begin)
            logits.append(self.head(ctx, decoded, masked))
            if not latent:
                continue
            rows = ((ends >= begin) & (ends < end)).nonzero().view(-1)
            if rows.numel() > 0:
                at = (ctx.lstm[0][:, rows], ctx.lstm[1][:, rows])
                exec_logits.append(self.values.execute(ctx.dist[rows], at))
                exec_rows.append(rows)
            if partial and end < t:
                self.execute(ctx, ctx.lstm)
        p.logits = torch.cat(logits, 1)
        if latent:
            b, v = inputs.size(0), inputs.size(2)
            p.exec_logits = torch.cat(exec_logits, 0)
            p.exec_targets = self.values.result_classes(outputs.reshape(b * k, v))[
                torch.cat(exec_rows)]
        return p

    def forward_stepwise(self, tokens, inputs, outputs) -> Prediction:
        """Teacher forcing token by token, as the original trains: one decoding step (LSTM cell,
        attention, head, and every exec_period steps the executor) per target position. The
        same prediction as forward(), which runs the LSTM once and the head per chunk."""
        o = self.o
        p = Prediction()
        ctx = self.start(inputs, outputs, p)
        t, k = tokens.size(1) - 1, ctx.rows
        ends = ((tokens != PAD).sum(1) - 2).long().repeat_interleave(k, 0)  # [N]
        logits, exec_logits, exec_rows = [], [], []
        for i in range(t):
            dist = ctx.dist  # the latent inputs this step reads, before its own execution
            logits.append(self.step(ctx, tokens[:, i].long(), i, keep_state=True))
            if not o.latent_execution:
                continue
            rows = (ends == i).nonzero().view(-1)
            if rows.numel() > 0:
                at = (ctx.lstm[0][:, rows], ctx.lstm[1][:, rows])
                exec_logits.append(self.values.execute(dist[rows], at))
                exec_rows.append(rows)
        p.logits = torch.stack(logits, 1)
        if o.latent_execution:
            b, v = inputs.size(0), inputs.size(2)
            p.exec_logits = torch.cat(exec_logits, 0)
            p.exec_targets = self.values.result_classes(outputs.reshape(b * k, v))[
                torch.cat(exec_rows)]
        return p

    def loss(self, p: Prediction, tokens, examples: float, target_tokens: float):
        """Cross-entropies of the tokens (without padding), executor and operations, weighted
        and added, divided by counts over the global batch (loss_scale's, for one batch):
        "mean": each term by its positions (target tokens; executor cells; operation rows);
        "sum": the executor's per pair over its cells, all by the examples."""
        o = self.o
        mean = o.loss_reduction == "mean"
        batch = tokens.size(0)

        def summed(logits, targets, ignore):
            return F.cross_entropy(logits.reshape(-1, logits.size(-1)), targets.reshape(-1),
                                   ignore_index=ignore, reduction="sum")

        total = summed(p.logits, tokens[:, 1:].long(), PAD) / (target_tokens if mean else examples)
        if p.exec_logits is not None:
            cells = p.exec_logits.size(1)
            per_example = p.exec_targets.numel() / batch
            total = total + o.exec_loss_weight * summed(p.exec_logits, p.exec_targets, -100) / (
                examples * (per_example if mean else cells))
        if p.op_logits is not None:
            per_example = p.op_targets.numel() / batch
            total = total + o.op_loss_weight * summed(p.op_logits, p.op_targets, -100) / (
                examples * (per_example if mean else 1))
        return total

    def step(self, ctx: Context, token, consumed: int, keep_state: bool = False):
        """One decoding step from token [N / rows] after `consumed` tokens -> [N / rows, vocab].
        keep_state: leave the decoder's output [N, 1, D] in ctx.decoded (teacher forcing)."""
        embedded = self.tokens(token).unsqueeze(1)  # [N / rows, 1, E]
        if self.o.decoder_self_attention and consumed > 0:
            ctx.history = embedded if ctx.history is None else torch.cat([ctx.history, embedded], 1)
        embedded = embedded.repeat_interleave(ctx.rows, 0)
        decoded, ctx.lstm = self.decoder(embedded, ctx.lstm)
        if keep_state:
            ctx.decoded = decoded
        logits = self.head(ctx, decoded).squeeze(1)
        if (self.o.latent_execution and not self.o.no_partial_execution
                and (consumed + 1) % self.o.exec_period == 0):
            self.execute(ctx, ctx.lstm)
        return logits

    @staticmethod
    def select(ctx: Context, index) -> Context:
        """The context of the examples `index` (a beam's reordering or expansion)."""
        rows = (index.unsqueeze(1) * ctx.rows
                + torch.arange(ctx.rows, device=index.device).unsqueeze(0)).reshape(-1)
        io = None
        if ctx.io is not None:
            io = IoEncoding(_pick(ctx.io.inputs, rows), _pick(ctx.io.outputs, rows),
                            _pick(ctx.io.raw_outputs, rows), _pick(ctx.io.output_maps, rows))
        return Context(rows=ctx.rows, io=io, dist=_pick(ctx.dist, rows),
                       target=_pick(ctx.target, rows), ops=_pick(ctx.ops, rows),
                       props=_pick(ctx.props, rows), history=_pick(ctx.history, index),
                       lstm=(ctx.lstm[0].index_select(1, rows), ctx.lstm[1].index_select(1, rows)))

    @torch.no_grad()
    def greedy(self, inputs, outputs, max_len: int) -> List[List[int]]:
        b = inputs.size(0)
        ctx = self.start(inputs, outputs)
        token = torch.full((b,), BOS, dtype=torch.long, device=inputs.device)
        programs: List[List[int]] = [[] for _ in range(b)]
        done = [False] * b
        for consumed in range(max_len):
            if all(done):
                break
            token = self.step(ctx, token, consumed).argmax(-1)
            for i, t in enumerate(token.tolist()):
                if done[i]:
                    continue
                if t == EOS:
                    done[i] = True
                else:
                    programs[i].append(t)
        return programs

    @torch.no_grad()
    def beam_search(self, inputs, outputs, beam: int, max_len: int) -> List[List[List[int]]]:
        """For each example, up to `beam` programs, finished ones first, each group best first."""
        b, w, v = inputs.size(0), beam, self.o.vocab_size
        dev = inputs.device
        ctx = self.select(self.start(inputs, outputs), torch.arange(b * w, device=dev) // w)
        scores = torch.full((b, w), float("-inf"), device=dev)
        scores[:, 0] = 0  # one live beam to start
        token = torch.full((b * w,), BOS, dtype=torch.long, device=dev)
        finished = torch.zeros(b, w, dtype=torch.bool, device=dev)
        seqs: List[List[int]] = [[] for _ in range(b * w)]
        eos_only = torch.full((v,), float("-inf"), device=dev)  # finished beams only add </s>
        eos_only[EOS] = 0
        consumed = 0
        while consumed < max_len and not finished.all():
            logp = torch.log_softmax(self.step(ctx, token, consumed), -1).view(b, w, v)
            logp = torch.where(finished.unsqueeze(-1), eos_only.view(1, 1, v), logp)
            best, index = (scores.unsqueeze(-1) + logp).view(b, w * v).topk(w, 1)
            nxt = index % v
            rows = (index // v + torch.arange(b, device=dev).unsqueeze(1) * w).reshape(-1)
            ctx = self.select(ctx, rows)
            was_finished = finished.view(-1)[rows].view(b, w)
            token = nxt.reshape(-1)
            seqs = [seqs[r] if done or t == EOS else seqs[r] + [t]
                    for r, t, done in zip(rows.tolist(), token.tolist(),
                                          was_finished.view(-1).tolist())]
            scores = best
            finished = was_finished | (nxt == EOS)
            consumed += 1
        out = []
        for i in range(b):
            fin, sc = finished[i].tolist(), scores[i].tolist()
            out.append([seqs[i * w + j] for want in (True, False) for j in range(w)
                        if fin[j] == want and sc[j] > float("-inf")])
        return out
