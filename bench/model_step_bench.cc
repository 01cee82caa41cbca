// Model throughput of the LibTorch Synthesizer on the CPU or a GPU (--device cuda): one training
// step (forward + loss + backward + Adam step) on a fixed batch, timed over --steps steps after
// --warmup, and beam search of width --beam over the first --beam_examples examples (--beam_reps
// times). Prints one line of JSON; the throughputs come from the median step (and median search),
// which a shared, busy machine disturbs less than the mean (samples_per_s_mean).
//
// bench/model_step_bench.py times the PyTorch reference (bench/reference/lasynth_reference.py)
// the same way; bench/model_step_compare.sh runs both on the identical batch and parameters:
//   model_step_bench --write_batch b.json --write_params p.bin   # then exits
//   model_step_bench --batch_file b.json                         # the C++ timing
//   python3 bench/model_step_bench.py --batch_file b.json --params p.bin
// The batch file is JSON: the domain and its options, the vocabulary size, and the int32 arrays
// tokens [B, T], inputs and outputs [B, K, V], each as {"shape": [...], "data": [...]}. The
// parameter file is binary, little-endian: "LSPARAM1", u32 count, then per parameter u32 name
// length, name, u32 rank, i64 dims, f32 data.
#include <fmt/format.h>
#include <torch/csrc/autograd/profiler_legacy.h>
#include <torch/torch.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <fstream>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "data/batch.h"
#include "lang/domains.h"
#include "model/autocast.h"
#include "model/synthesizer.h"

namespace {

using namespace lasynth;
using Clock = std::chrono::steady_clock;
double since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

struct Flags {
  int64_t batch_size = 8, embedding_size = 128, hidden_size = 128, mlp_hidden_size = 256;
  int64_t num_layers = 1, num_attention_layers = 2, exec_period = 16;
  int steps = 20, warmup = 3, beam = 64, beam_examples = 4, beam_reps = 1, max_len = 60;
  int threads = 1;
  int max_statements = 8;
  uint64_t seed = 1;
  double lr = 1e-3, gradient_clip = 0;
  std::string model = "lasynth", batch_file, write_batch, write_params, profile;
  std::string device = "cpu";
  std::string precision = "fp32";
};

struct BenchBatch {
  std::string domain = "c";
  DomainOptions options;
  int64_t vocab_size = 0, b = 0, t = 0, k = 0, v = 0;
  std::vector<int32_t> tokens, inputs, outputs;
};

BenchBatch generate(const Flags& f) {
  const auto domain = make_domain("c", {{"max_statements", std::to_string(f.max_statements)}});
  const auto sampler = domain->make_sampler(f.seed);
  std::vector<data::StoredExample> examples;
  std::vector<int64_t> indices;
  for (int64_t i = 0; i < f.batch_size; ++i) {
    const Example ex = sampler->next();
    std::vector<IoPair> spec(ex.io.begin(), ex.io.begin() + domain->num_spec());
    examples.push_back({domain->vocabulary().encode(ex.tokens), spec});
    indices.push_back(i);
  }
  int64_t v = 1;
  for (int64_t d : domain->value_shape()) v *= d;
  data::Batch b = data::make_batch(examples, indices, domain->num_spec(), static_cast<int>(v),
                                   domain->fixed_prefix_ids());
  BenchBatch out;
  out.options = domain->options();
  out.vocab_size = domain->vocabulary().size();
  out.b = b.size;
  out.t = b.max_len;
  out.k = b.io_pairs;
  out.v = b.value_size;
  out.tokens = std::move(b.tokens);
  out.inputs = std::move(b.inputs);
  out.outputs = std::move(b.outputs);
  return out;
}

nlohmann::ordered_json array(const std::vector<int32_t>& data, std::vector<int64_t> shape) {
  return {{"shape", shape}, {"data", data}};
}

void write_batch(const BenchBatch& b, const std::string& path) {
  nlohmann::ordered_json j;
  j["format"] = "lasynth-model-step-batch";
  j["domain"] = b.domain;
  j["domain_options"] = b.options;
  j["vocab_size"] = b.vocab_size;
  j["tokens"] = array(b.tokens, {b.b, b.t});
  j["inputs"] = array(b.inputs, {b.b, b.k, b.v});
  j["outputs"] = array(b.outputs, {b.b, b.k, b.v});
  std::ofstream out(path);
  out << j.dump() << "\n";
  if (!out) throw std::runtime_error(path + ": cannot write");
}

BenchBatch read_batch(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error(path + ": cannot read");
  const nlohmann::json j = nlohmann::json::parse(in);
  BenchBatch b;
  b.domain = j.at("domain").get<std::string>();
  b.options = j.at("domain_options").get<DomainOptions>();
  b.vocab_size = j.at("vocab_size").get<int64_t>();
  const auto in_shape = j.at("inputs").at("shape").get<std::vector<int64_t>>();
  const auto tok_shape = j.at("tokens").at("shape").get<std::vector<int64_t>>();
  b.b = tok_shape.at(0);
  b.t = tok_shape.at(1);
  b.k = in_shape.at(1);
  b.v = in_shape.at(2);
  b.tokens = j.at("tokens").at("data").get<std::vector<int32_t>>();
  b.inputs = j.at("inputs").at("data").get<std::vector<int32_t>>();
  b.outputs = j.at("outputs").at("data").get<std::vector<int32_t>>();
  if (b.domain != "c") throw std::runtime_error(path + ": only the c domain is benchmarked");
  return b;
}

void write_params(model::Synthesizer& net, const std::string& path) {
  std::ofstream out(path, std::ios::binary);
  auto u32 = [&](uint32_t x) { out.write(reinterpret_cast<const char*>(&x), 4); };
  const auto params = net->named_parameters(true);
  out.write("LSPARAM1", 8);
  u32(static_cast<uint32_t>(params.size()));
  for (const auto& p : params) {
    const torch::Tensor t = p.value().detach().contiguous().to(torch::kFloat);
    u32(static_cast<uint32_t>(p.key().size()));
    out.write(p.key().data(), static_cast<std::streamsize>(p.key().size()));
    u32(static_cast<uint32_t>(t.dim()));
    for (int64_t d : t.sizes()) out.write(reinterpret_cast<const char*>(&d), 8);
    out.write(reinterpret_cast<const char*>(t.data_ptr<float>()),
              static_cast<std::streamsize>(t.numel() * 4));
  }
  if (!out) throw std::runtime_error(path + ": cannot write");
}

double median(std::vector<double> x) {
  std::sort(x.begin(), x.end());
  const size_t n = x.size();
  return n == 0 ? 0 : n % 2 ? x[n / 2] : (x[n / 2 - 1] + x[n / 2]) / 2;
}

torch::Tensor tensor(std::vector<int32_t>& data, std::vector<int64_t> shape) {
  return torch::from_blob(data.data(), shape, torch::kInt32).clone();
}

}  // namespace

int main(int argc, char** argv) {
  Flags f;
  CLI::App app{"model_step_bench: C++ Synthesizer training-step and beam-search throughput"};
  app.add_option("--batch_size", f.batch_size, "examples per training batch")
      ->capture_default_str();
  app.add_option("--embedding_size", f.embedding_size)->capture_default_str();
  app.add_option("--hidden_size", f.hidden_size, "per direction")->capture_default_str();
  app.add_option("--mlp_hidden_size", f.mlp_hidden_size)->capture_default_str();
  app.add_option("--num_layers", f.num_layers)->capture_default_str();
  app.add_option("--num_attention_layers", f.num_attention_layers)->capture_default_str();
  app.add_option("--exec_period", f.exec_period)->capture_default_str();
  app.add_option("--steps", f.steps, "timed training steps")->capture_default_str();
  app.add_option("--warmup", f.warmup, "untimed training steps first")->capture_default_str();
  app.add_option("--beam", f.beam, "beam width (0: no beam search)")->capture_default_str();
  app.add_option("--beam_examples", f.beam_examples, "the batch's first examples, decoded")
      ->capture_default_str();
  app.add_option("--beam_reps", f.beam_reps, "timed beam searches")->capture_default_str();
  app.add_option("--max_len", f.max_len, "longest decoded program")->capture_default_str();
  app.add_option("--threads", f.threads, "torch::set_num_threads")->capture_default_str();
  app.add_option("--seed", f.seed, "batch and parameters")->capture_default_str();
  app.add_option("--lr", f.lr, "Adam's learning rate")->capture_default_str();
  app.add_option("--gradient_clip", f.gradient_clip, "global norm clip; 0: none")
      ->capture_default_str();
  app.add_option("--max_statements", f.max_statements, "C generator limit")->capture_default_str();
  app.add_option("--model", f.model,
                 "lasynth (latent execution + operation predictor + decoder "
                 "self-attention) or robustfill")
      ->check(CLI::IsMember({"lasynth", "robustfill"}))
      ->capture_default_str();
  app.add_option("--batch_file", f.batch_file, "read the batch (else: generate it)");
  app.add_option("--write_batch", f.write_batch, "write the batch as JSON, then exit");
  app.add_option("--write_params", f.write_params, "write the initial parameters, then exit");
  app.add_option("--profile", f.profile, "chrome trace of the timed training steps");
  app.add_option("--device", f.device, "cpu or cuda")->capture_default_str();
  app.add_option("--precision", f.precision,
                 "fp32, or bf16: the forward pass and the loss under autocast, as lasynth train's")
      ->check(CLI::IsMember({"fp32", "bf16"}))
      ->capture_default_str();
  CLI11_PARSE(app, argc, argv);

  try {
    torch::set_num_threads(f.threads);
    BenchBatch b = f.batch_file.empty() ? generate(f) : read_batch(f.batch_file);
    if (!f.write_batch.empty()) write_batch(b, f.write_batch);

    model::ModelOptions o;
    const bool lasynth = f.model == "lasynth";
    o.latent_execution = o.operation_predictor = o.decoder_self_attention = lasynth;
    o.exec_period = f.exec_period;
    o.embedding_size = f.embedding_size;
    o.hidden_size = f.hidden_size;
    o.mlp_hidden_size = f.mlp_hidden_size;
    o.num_layers = f.num_layers;
    o.num_attention_layers = f.num_attention_layers;
    model::set_domain(o, *make_domain(b.domain, b.options), b.vocab_size);
    torch::manual_seed(f.seed);
    model::Synthesizer net(o);
    if (!f.write_params.empty()) write_params(net, f.write_params);
    if (!f.write_batch.empty() || !f.write_params.empty()) return 0;

    const torch::Device device(f.device);
    net->to(device);
    const torch::Tensor tokens = tensor(b.tokens, {b.b, b.t}).to(device);
    const torch::Tensor inputs = tensor(b.inputs, {b.b, b.k, b.v}).to(device);
    const torch::Tensor outputs = tensor(b.outputs, {b.b, b.k, b.v}).to(device);
    int64_t num_params = 0;
    for (const auto& p : net->parameters()) num_params += p.numel();

    torch::optim::Adam adam(net->parameters(), torch::optim::AdamOptions(f.lr));
    double first_loss = 0, last_loss = 0;
    auto train_step = [&](int i) {
      adam.zero_grad();
      torch::Tensor loss;
      {
        model::Autocast autocast(device, f.precision == "bf16");
        loss = net->loss(net(tokens, inputs, outputs), tokens, model::LossScale::of(tokens));
      }
      loss.backward();
      if (f.gradient_clip > 0)
        torch::nn::utils::clip_grad_norm_(net->parameters(), f.gradient_clip);
      adam.step();
      (i == 0 ? first_loss : last_loss) = loss.item<double>();
    };
    int i = 0;
    for (; i < f.warmup; ++i) train_step(i);
    double train_s = 0;
    std::vector<double> step_s;
    {
      std::unique_ptr<torch::autograd::profiler::RecordProfile> profile;
      if (!f.profile.empty()) {
        profile = std::make_unique<torch::autograd::profiler::RecordProfile>(f.profile);
      }
      const auto t0 = Clock::now();
      for (int s = 0; s < f.steps; ++s, ++i) {
        const auto t1 = Clock::now();
        train_step(i);
        step_s.push_back(since(t1));
      }
      train_s = since(t0);
    }

    nlohmann::ordered_json j;
    j["impl"] = "c++";
    j["device"] = f.device;
    j["precision"] = f.precision;
    j["model"] = f.model;
    j["name"] = o.name();
    j["batch_size"] = b.b;
    j["max_tokens"] = b.t;
    j["io_pairs"] = b.k;
    j["threads"] = f.threads;
    j["params"] = num_params;
    j["steps"] = f.steps;
    j["train_s"] = train_s;
    j["step_s_median"] = median(step_s);
    j["step_s_min"] = step_s.empty() ? 0 : *std::min_element(step_s.begin(), step_s.end());
    j["samples_per_s"] = static_cast<double>(b.b) / median(step_s);
    j["samples_per_s_mean"] = static_cast<double>(f.steps * b.b) / train_s;
    j["first_loss"] = first_loss;
    j["last_loss"] = last_loss;
    if (f.beam > 0) {
      if (f.beam_examples > b.b) throw std::runtime_error("--beam_examples exceeds the batch");
      const torch::Tensor in = inputs.slice(0, 0, f.beam_examples);
      const torch::Tensor out = outputs.slice(0, 0, f.beam_examples);
      net->eval();
      net->beam_search(in, out, f.beam, std::min(f.max_len, 4));  // warm-up
      std::vector<double> beam_s;
      std::vector<std::vector<std::vector<int32_t>>> beams;
      for (int r = 0; r < std::max(1, f.beam_reps); ++r) {
        const auto t0 = Clock::now();
        beams = net->beam_search(in, out, f.beam, f.max_len);
        beam_s.push_back(since(t0));
      }
      nlohmann::ordered_json top = nlohmann::ordered_json::array();
      for (const auto& candidates : beams) {
        top.push_back(candidates.empty() ? std::vector<int32_t>{} : candidates.front());
      }
      j["beam"] = f.beam;
      j["beam_examples"] = f.beam_examples;
      j["max_len"] = f.max_len;
      j["beam_s_median"] = median(beam_s);
      j["programs_per_s"] = f.beam_examples / median(beam_s);  // specifications decoded per second
      j["beam_top"] = top;
    }
    std::cout << j.dump() << std::endl;
  } catch (const std::exception& e) {
    std::cerr << "model_step_bench: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
