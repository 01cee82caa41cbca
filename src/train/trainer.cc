#include "train/trainer.h"

#include <fmt/format.h>
#include <torch/torch.h>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <memory>

#include "core/error.h"
#include "data/dataset.h"
#include "data/loader.h"
#include "lang/domains.h"
#include "train/checkpoint.h"
#include "train/data_parallel.h"
#include "train/preemption.h"

namespace lasynth {
namespace train {
namespace {

std::string config_text(const TrainOptions& o, const model::ModelOptions& m,
                        const data::Manifest& manifest) {
  nlohmann::ordered_json j;
  j["data_folder"] = o.data_folder;
  j["domain"] = manifest.domain;
  j["domain_options"] = manifest.domain_options;
  j["model"] = m.name();
  j["latent_execution"] = m.latent_execution;
  j["no_partial_execution"] = m.no_partial_execution;
  j["operation_predictor"] = m.operation_predictor;
  j["decoder_self_attention"] = m.decoder_self_attention;
  j["use_properties"] = m.use_properties;
  j["exec_period"] = m.exec_period;
  j["optimizer"] = o.optimizer;
  j["device"] = o.device;
  j["batch_size"] = o.batch_size;
  j["lr"] = o.lr;
  j["lr_decay_steps"] = o.lr_decay_steps;
  j["lr_decay_rate"] = o.lr_decay_rate;
  j["gradient_clip"] = o.gradient_clip;
  j["num_epochs"] = o.num_epochs;
  j["max_steps"] = o.max_steps;
  j["log_interval"] = o.log_interval;
  j["seed"] = o.seed;
  j["embedding_size"] = m.embedding_size;
  j["LSTM_hidden_size"] = m.hidden_size;
  j["MLP_hidden_size"] = m.mlp_hidden_size;
  j["num_LSTM_layers"] = m.num_layers;
  j["num_attention_layers"] = m.num_attention_layers;
  j["conv_channels"] = m.conv_channels;
  j["dropout_rate"] = m.dropout;
  j["param_init"] = m.param_init;
  j["exec_loss_weight"] = m.exec_loss_weight;
  j["operation_loss_weight"] = m.operation_loss_weight;
  return j.dump(2);
}

torch::Tensor as_tensor(std::vector<int32_t>& v, std::vector<int64_t> shape) {
  return torch::from_blob(v.data(), shape, torch::kInt32);
}

std::unique_ptr<torch::optim::Optimizer> make_optimizer(const TrainOptions& o,
                                                        model::Synthesizer& net) {
  if (o.optimizer == "adam") {
    return std::make_unique<torch::optim::Adam>(net->parameters(), torch::optim::AdamOptions(o.lr));
  }
  if (o.optimizer == "sgd") {
    return std::make_unique<torch::optim::SGD>(net->parameters(), torch::optim::SGDOptions(o.lr));
  }
  if (o.optimizer == "rmsprop") {
    return std::make_unique<torch::optim::RMSprop>(net->parameters(),
                                                   torch::optim::RMSpropOptions(o.lr));
  }
  throw ConfigError(fmt::format("--optimizer {}: unknown; use adam, sgd or rmsprop", o.optimizer));
}

}  // namespace

torch::Device resolve_device(const std::string& name, int local_rank) {
  if (name == "cpu") return torch::kCPU;
  if (name != "cuda") {
    throw ConfigError(fmt::format("--device {}: unknown; use cpu or cuda", name));
  }
  if (!torch::cuda::is_available()) {
    throw ConfigError(
        "--device cuda: LibTorch sees no GPU (no CUDA device, or a CPU-only LibTorch such as "
        "Debian's); use --device cpu");
  }
  return torch::Device(torch::kCUDA,
                       static_cast<c10::DeviceIndex>(local_rank % torch::cuda::device_count()));
}

LoadedModel load_model(const std::string& checkpoint) {
  namespace fs = std::filesystem;
  LoadedModel loaded;
  loaded.path = checkpoint;
  if (fs::is_directory(checkpoint)) {
    std::ifstream latest(checkpoint + "/latest");
    std::string name;
    if (!(latest >> name)) {
      throw IoError(fmt::format("{}: no `latest` checkpoint in this model directory", checkpoint));
    }
    loaded.path = checkpoint + "/" + name;
  }
  std::ifstream in(loaded.path, std::ios::binary);
  if (!in) throw IoError(fmt::format("{}: no such checkpoint", loaded.path));
  const std::vector<char> bytes((std::istreambuf_iterator<char>(in)),
                                std::istreambuf_iterator<char>());
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(torch::pickle_load(bytes).toGenericDict().at("config").toStringRef());
  } catch (const std::exception& e) {
    throw IoError(fmt::format("{}: not a lasynth checkpoint ({})", loaded.path, e.what()));
  }
  model::ModelOptions m;
  try {
    m.latent_execution = j.value("latent_execution", false);
    m.no_partial_execution = j.value("no_partial_execution", false);
    m.operation_predictor = j.value("operation_predictor", false);
    m.decoder_self_attention = j.value("decoder_self_attention", false);
    m.use_properties = j.value("use_properties", false);
    m.exec_period = j.value("exec_period", int64_t{16});
    m.embedding_size = j.at("embedding_size").get<int64_t>();
    m.hidden_size = j.at("LSTM_hidden_size").get<int64_t>();
    m.mlp_hidden_size = j.at("MLP_hidden_size").get<int64_t>();
    m.num_layers = j.at("num_LSTM_layers").get<int64_t>();
    m.num_attention_layers = j.at("num_attention_layers").get<int64_t>();
    m.conv_channels = j.value("conv_channels", m.conv_channels);
    m.dropout = j.at("dropout_rate").get<double>();
    m.param_init = j.at("param_init").get<double>();
    loaded.domain = j.value("domain", "c");
    if (j.contains("domain_options")) {
      loaded.domain_options = j.at("domain_options").get<DomainOptions>();
    }
  } catch (const nlohmann::json::exception& e) {
    throw IoError(fmt::format("{}: its config is incomplete ({})", loaded.path, e.what()));
  }
  const auto domain = make_domain(loaded.domain, loaded.domain_options);
  model::set_domain(m, *domain, domain->vocabulary().size());
  loaded.net = model::Synthesizer(m);
  loaded.step = load_checkpoint(loaded.path, *loaded.net, nullptr).step;
  loaded.net->eval();
  return loaded;
}

TrainResult train(const TrainOptions& o, model::ModelOptions m) {
  const torch::Device device = resolve_device(o.device, o.comm ? o.comm->world().local_rank : 0);
  const data::Manifest manifest = data::read_manifest(o.data_folder);
  model::set_domain(m, *make_domain(manifest.domain, manifest.domain_options),
                    static_cast<int64_t>(manifest.vocab_tokens.size()));
  if (o.batch_size < 1 || o.log_interval < 1 || o.grad_accum < 1) {
    throw ConfigError("--batch_size, --log_interval and --grad_accum must be at least 1");
  }
  const int rank = o.comm ? o.comm->rank() : 0;
  const int world = o.comm ? o.comm->size() : 1;
  const bool lead = rank == 0;
  const bool quiet = o.quiet || !lead;
  torch::manual_seed(o.seed);
  model::Synthesizer net(m);
  net->to(device);  // before the optimizer, whose state then lives on the device too
  const auto optimizer = make_optimizer(o, net);
  TrainingState state;
  state.sampler_seed = o.seed;
  state.config = config_text(o, m, manifest);
  if (o.resume && std::filesystem::exists(o.model_dir + "/latest")) {
    state = load_checkpoint(o.model_dir, *net, optimizer.get());
  } else if (!o.init_from.empty()) {
    load_checkpoint(o.init_from, *net, nullptr);
  }
  std::unique_ptr<DataParallel> replicas;
  if (world > 1) {
    // Ranks may read the dataset from different paths (node-local copies): all else must agree.
    nlohmann::json signature = nlohmann::json::parse(state.config);
    signature.erase("data_folder");
    replicas = std::make_unique<DataParallel>(*o.comm, *net, signature.dump(1), o.reducer);
  }
  data::LoaderOptions lo;
  lo.dir = o.data_folder;
  lo.split = "train";
  lo.sampler.batch_size = o.batch_size;
  lo.sampler.world_size = world;
  lo.sampler.rank = rank;
  lo.sampler.seed = state.sampler_seed;
  data::BatchLoader loader(lo, state.epoch, state.epoch_step);
  const int64_t total =
      o.max_steps >= 0
          ? o.max_steps
          : (o.num_epochs * loader.steps_per_epoch() + o.grad_accum - 1) / o.grad_accum;
  if (!quiet) {
    std::cerr << fmt::format(
        "training {} on {} ({} domain): {} steps of {} examples ({} rank{} x {}{})\n", m.name(),
        o.data_folder, manifest.domain, total, world * o.batch_size * o.grad_accum, world,
        world > 1 ? "s" : "", o.batch_size,
        o.grad_accum > 1 ? fmt::format(" x {} micro-batches", o.grad_accum) : "");
  }

  std::ofstream metrics;
  if (lead) {
    std::filesystem::create_directories(o.model_dir);
    metrics.open(o.model_dir + "/metrics.jsonl", std::ios::app);
    if (!metrics) throw IoError(fmt::format("{}/metrics.jsonl: cannot write", o.model_dir));
  }
  const auto start = std::chrono::steady_clock::now();
  const int64_t start_step = state.step;
  double loss_sum = 0;  // this rank's share of the global loss, summed over the window's steps
  int64_t loss_steps = 0, examples = 0;
  auto window_start = start;
  auto step_start = start;
  double rank_examples_per_s = 0;  // this rank's throughput, smoothed for on_step
  TrainResult result;
  while (state.step < total) {
    std::vector<data::Batch> micro(static_cast<size_t>(o.grad_accum));
    int64_t epoch = 0, epoch_step = 0, global = 0;
    for (data::Batch& b : micro) {
      b = loader.next(&epoch, &epoch_step);
      global += b.global_size;
    }
    // forward -> loss -> backward (buckets reduce as they fill) -> wait -> clip -> update
    optimizer->zero_grad();
    double step_loss = 0;
    int64_t rank_examples = 0;
    for (size_t k = 0; k < micro.size(); ++k) {
      data::Batch& b = micro[k];
      rank_examples += b.size;
      if (replicas) replicas->set_sync(k + 1 == micro.size());
      if (b.size == 0) continue;  // past the end of a short last window: join the reduction only
      const torch::Tensor tokens = as_tensor(b.tokens, {b.size, b.max_len}).to(device);
      const torch::Tensor inputs =
          as_tensor(b.inputs, {b.size, b.io_pairs, b.value_size}).to(device);
      const torch::Tensor outputs =
          as_tensor(b.outputs, {b.size, b.io_pairs, b.value_size}).to(device);
      const torch::Tensor loss =
          net->loss(net(tokens, inputs, outputs), tokens, static_cast<double>(global));
      loss.backward();
      step_loss += loss.item<double>();
    }
    if (replicas) replicas->finish();
    torch::nn::utils::clip_grad_norm_(net->parameters(), o.gradient_clip);
    const double lr =
        o.lr * std::pow(o.lr_decay_rate, static_cast<double>(state.step / o.lr_decay_steps));
    for (auto& group : optimizer->param_groups()) group.options().set_lr(lr);
    optimizer->step();

    ++state.step;
    state.epoch = epoch;
    state.epoch_step = epoch_step + 1;
    if (state.epoch_step == loader.steps_per_epoch()) {
      state.epoch_step = 0;
      ++state.epoch;
    }
    loss_sum += step_loss;
    ++loss_steps;
    examples += global;
    if (o.on_step) {
      const auto now = std::chrono::steady_clock::now();
      const double seconds = std::chrono::duration<double>(now - step_start).count();
      step_start = now;
      const double rate = seconds > 0 ? static_cast<double>(rank_examples) / seconds : 0.0;
      rank_examples_per_s =
          rank_examples_per_s == 0 ? rate : 0.8 * rank_examples_per_s + 0.2 * rate;
      dist::Heartbeat beat;
      beat.step = state.step;
      beat.epoch = epoch;
      // step_loss is this rank's share of the global mean: back to a mean over its own examples.
      beat.loss = rank_examples > 0
                      ? step_loss * static_cast<double>(global) / static_cast<double>(rank_examples)
                      : 0.0;
      beat.examples_per_s = rank_examples_per_s;
      o.on_step(beat);
    }
    // Every rank learns of a signal on any rank at the same step boundary.
    double stop = preemption_signal();
    if (o.comm) o.comm->allreduce_doubles(&stop, 1, dist::ReduceOp::kMax);
    const bool preempted = stop > 0;
    if (state.step % o.log_interval == 0 || state.step == total || preempted) {
      if (o.comm) o.comm->allreduce_doubles(&loss_sum, 1, dist::ReduceOp::kSum);
      const auto now = std::chrono::steady_clock::now();
      const double window = std::chrono::duration<double>(now - window_start).count();
      const double wall = std::chrono::duration<double>(now - start).count();
      result.last_loss = loss_sum / loss_steps;
      if (lead) {
        nlohmann::ordered_json line;
        line["step"] = state.step;
        line["epoch"] = epoch;
        line["loss"] = result.last_loss;
        line["lr"] = lr;
        line["examples_per_s"] = window > 0 ? examples / window : 0.0;
        line["wall_s"] = wall;
        metrics << line.dump() << '\n' << std::flush;
        result.checkpoint = save_checkpoint(o.model_dir, *net, *optimizer, state, o.keep_last_n);
      }
      if (!quiet) {
        const double per_step = wall / static_cast<double>(state.step - start_step);
        std::cerr << fmt::format(
            "step {}/{}  epoch {}  loss {:.4f}  {:.0f} examples/s  ETA {:.0f}s\n", state.step,
            total, epoch, result.last_loss, window > 0 ? examples / window : 0.0,
            per_step * static_cast<double>(total - state.step));
      }
      if (preempted) {
        if (!quiet) {
          std::cerr << fmt::format(
              "stopping on signal {} at step {}: checkpoint {} written; continue with --resume\n",
              static_cast<int>(stop), state.step, result.checkpoint);
        }
        result.preempted = true;
        break;
      }
      if (o.validate && lead) {
        net->eval();
        nlohmann::ordered_json validation = o.validate(net);
        net->train();
        if (!validation.empty()) {
          nlohmann::ordered_json v;
          v["step"] = state.step;
          v["epoch"] = epoch;
          v["split"] = "val";
          for (auto& [key, value] : validation.items()) v[key] = value;
          metrics << v.dump() << '\n' << std::flush;
          if (!quiet) std::cerr << fmt::format("  validation {}\n", validation.dump());
        }
      }
      loss_sum = 0;
      loss_steps = 0;
      examples = 0;
      window_start = std::chrono::steady_clock::now();
    }
  }
  if (replicas && !quiet && replicas->stats().steps > 0) {
    const dist::ReducerStats& r = replicas->stats();
    const double steps = static_cast<double>(r.steps);
    std::cerr << fmt::format(
        "gradient all-reduce: {:.0f} bucket(s) and {:.2f} MiB per step, {:.0f}% launched during "
        "backward, {:.2f} ms per step waited for after backward\n",
        r.buckets_launched / steps, r.bytes_reduced / steps / (1 << 20),
        100.0 * r.buckets_launched_early / std::max<int64_t>(1, r.buckets_launched),
        1e3 * r.finish_wait_s / steps);
  }
  // Every rank returns only once rank 0's checkpoint is on disk.
  if (o.comm) o.comm->barrier();
  result.steps = state.step;
  return result;
}

}  // namespace train
}  // namespace lasynth
