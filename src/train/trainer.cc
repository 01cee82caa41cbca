#include "train/trainer.h"

#include <fmt/format.h>
#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <optional>

#include "core/error.h"
#include "core/fields.h"
#include "core/hash.h"
#include "core/seconds.h"
#include "data/dataset.h"
#include "data/loader.h"
#include "dist/progress.h"
#include "lang/domains.h"
#include "model/autocast.h"
#include "model/synthesizer.h"
#include "train/checkpoint.h"
#include "train/data_parallel.h"
#include "train/device.h"
#include "train/preemption.h"

namespace lasynth {
namespace train {
namespace {

using Clock = std::chrono::steady_clock;

// The run's settings as the checkpoint records them (checkpoint_format.h, "config").
std::string config_text(const TrainOptions& o, const model::ModelOptions& m,
                        const data::Manifest& manifest) {
  nlohmann::ordered_json j;
  j["data_folder"] = o.data_folder;
  j["domain"] = manifest.domain;
  j["domain_options"] = manifest.domain_options;
  j["model"] = m.name();
  j["device"] = o.device;
  j.update(fields_to_json(m));
  j.update(fields_to_json(o));
  return j.dump(2);
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

// Rank `rank`'s generator seed after initialisation: each rank draws from its own stream, so
// that their dropout differs, and none replays the draws that initialised the parameters.
// `step` gives a stream resumed with another number of ranks a fresh start.
uint64_t rank_seed(uint64_t seed, int rank, int64_t step) {
  return fnv1a64(fmt::format("lasynth rng {} rank {} step {}", seed, rank, step));
}

// All ranks, same order (with comm); blocks. Rank 0 decides whether --resume finds a checkpoint,
// reads the newest intact one (read_newest_intact: `warn` hears of each damaged one) and sends
// its bytes to every rank, so that all ranks resume the same one even where their views of the
// model directory differ. nullopt: nothing to resume. What rank 0 throws, every rank throws.
std::optional<Checkpoint> shared_resume(const TrainOptions& o, dist::Communicator* comm,
                                        const std::function<void(const std::string&)>& warn) {
  const bool lead = !comm || comm->rank() == 0;
  // status: 0 nothing to resume, 1 a checkpoint (path, bytes), 2 an error (its message).
  uint64_t header[3] = {0, 0, 0};
  std::optional<Checkpoint> c;
  std::string text;
  if (lead) {
    try {
      if (o.resume && std::filesystem::is_directory(o.model_dir) &&
          (std::filesystem::exists(o.model_dir + "/" + kLatestFile) ||
           !list_checkpoints(o.model_dir).empty())) {
        c = read_newest_intact(o.model_dir, warn);
        header[0] = 1;
        header[1] = c->path.size();
        header[2] = c->bytes.size();
      }
    } catch (const Error& e) {
      text = e.what();
      header[0] = 2;
      header[1] = text.size();
    }
  }
  if (!comm || comm->size() == 1) {
    if (header[0] == 2) throw IoError(text);
    return c;
  }
  comm->broadcast(header, sizeof(header), 0);
  if (header[0] == 0) return std::nullopt;
  if (!lead) text.resize(header[1]);
  if (header[0] == 1 && lead) text = c->path;
  comm->broadcast(text.data(), text.size(), 0);
  if (header[0] == 2) throw IoError(text);
  std::string bytes = lead ? std::move(c->bytes) : std::string(header[2], '\0');
  // MPI counts are ints: a large checkpoint goes in pieces.
  constexpr size_t kPiece = size_t{1} << 30;
  for (size_t at = 0; at < bytes.size(); at += kPiece) {
    comm->broadcast(bytes.data() + at, std::min(kPiece, bytes.size() - at), 0);
  }
  if (lead) {
    c->bytes = std::move(bytes);
    return c;
  }
  return parse_checkpoint(text, std::move(bytes));
}

// What one optimizer step measured on this rank.
struct StepResult {
  double loss = 0;              // this rank's share of the global batch's mean loss
  int64_t rank_examples = 0;    // examples this rank trained on
  int64_t global_examples = 0;  // examples of the global batch (every rank, every micro-batch)
  int64_t epoch = 0;            // the sampler's position of the step's last micro-batch
  int64_t epoch_step = 0;
  double lr = 0;
};

// The loss and throughput between two log steps.
struct Window {
  double loss_sum = 0;  // this rank's share of the global loss, summed over the window's steps
  int64_t steps = 0;
  int64_t examples = 0;  // global examples
  Clock::time_point start = Clock::now();

  void add(const StepResult& s) {
    loss_sum += s.loss;
    ++steps;
    examples += s.global_examples;
  }
};

// Signal numbers the stop flag tells apart (Linux's 64); a higher one counts as the last.
constexpr int kSignals = 64;
constexpr size_t kControlFloats = kSignals + 1;

// One rank's training run: the model replica, its optimizer and data, and where it stands.
class Run {
 public:
  Run(const TrainOptions& options, model::ModelOptions model_options, const TrainHooks& hooks);

  // Trains until the last step or a stop signal; returns what the run did.
  TrainResult run();

 private:
  StepResult train_step();
  void advance(const StepResult& s);
  // After a resume: this rank's generator state as the checkpoint saved it, or, when it was
  // written by another number of ranks, a fresh stream of its own.
  void resume_rng(uint64_t seed);
  // After a resume: the sampler position in windows of `window` examples (batch_size x ranks),
  // converted when the checkpoint counted in windows of another size.
  void resume_position(int64_t window);
  // After a resume: batch_size becomes the checkpoint's global batch divided among this run's
  // ranks (a job continuing on fewer hosts trains on the same batches).
  void keep_global_batch();
  // All ranks, same order: what the next checkpoint records of the ranks and their generators.
  void gather_rank_state();
  std::vector<torch::Tensor> gather_states(const torch::Tensor& mine);
  void beat(const StepResult& s, Clock::time_point& step_start);
  // What every rank does at this step boundary, agreed through the step's last gradient bucket.
  struct Agreement {
    int stop_signal = 0;          // the highest signal received on any rank, or 0
    bool checkpoint_due = false;  // rank 0's --checkpoint_every_s clock ran out
  };
  // What this rank has to say, as the bucket's control values: one per signal number, 1 if it
  // was received here, and last rank 0's "a checkpoint is due".
  std::vector<float> control_values() const;
  Agreement agree();
  void log(const StepResult& s, int stop, TrainResult* result);
  void validate(int64_t epoch);
  void print_reducer_stats();
  void say(const std::string& line) const {
    if (lead_ && hooks_.print) hooks_.print(line);
  }

  TrainOptions o_;  // a copy: --keep_global_batch changes batch_size on a resume
  const TrainHooks& hooks_;
  const data::Manifest manifest_;
  model::ModelOptions m_;
  const torch::Device device_;
  const int rank_, world_;
  const bool lead_;
  model::Synthesizer net_{nullptr};
  std::unique_ptr<torch::optim::Optimizer> optimizer_;
  TrainingState state_;
  std::unique_ptr<DataParallel> replicas_;
  std::unique_ptr<data::BatchLoader> loader_;
  int64_t total_steps_ = 0;
  std::ofstream metrics_;
  Clock::time_point start_ = Clock::now();
  Clock::time_point last_checkpoint_ = Clock::now();
  int64_t start_step_ = 0;
  Window window_;
  double rank_examples_per_s_ = 0;  // this rank's throughput, smoothed for on_step
};

Run::Run(const TrainOptions& o, model::ModelOptions m, const TrainHooks& hooks)
    : o_(o),
      hooks_(hooks),
      manifest_(data::read_manifest(o.data_folder)),
      m_(std::move(m)),
      device_(resolve_device(o.device, hooks.comm ? hooks.comm->world().local_rank : 0)),
      rank_(hooks.comm ? hooks.comm->rank() : 0),
      world_(hooks.comm ? hooks.comm->size() : 1),
      lead_(rank_ == 0) {
  const auto domain = make_domain(manifest_.domain, manifest_.domain_options);
  model::set_domain(m_, *domain, static_cast<int64_t>(manifest_.vocab_tokens.size()));
  if (o.batch_size < 1 || o.log_interval < 1 || o.grad_accum < 1) {
    throw ConfigError("--batch_size, --log_interval and --grad_accum must be at least 1");
  }
  torch::manual_seed(o.seed);
  net_ = model::Synthesizer(m_);
  net_->to(device_);  // before the optimizer, whose state then lives on the device too
  optimizer_ = make_optimizer(o, net_);
  // Every rank initialised its replica alike (rank 0's is broadcast anyway); from here on each
  // draws from its own stream.
  torch::manual_seed(rank_seed(o.seed, rank_, 0));
  state_.sampler_seed = o.seed;
  state_.config = config_text(o, m_, manifest_);
  const std::optional<Checkpoint> resumed =
      shared_resume(o, hooks.comm, [&](const std::string& why) { say("warning: " + why); });
  if (resumed) {
    restore_checkpoint(*resumed, *net_, optimizer_.get());
    state_ = resumed->state;
    resume_rng(o.seed);
    if (o.keep_global_batch) keep_global_batch();
    resume_position(o_.batch_size * world_);
  } else if (!o.init_from.empty()) {
    load_checkpoint(o.init_from, *net_, nullptr);
  }
  if (world_ > 1) {
    // Ranks may read the dataset from different paths (node-local copies): all else must agree.
    nlohmann::json signature = nlohmann::json::parse(state_.config);
    signature.erase("data_folder");
    dist::ReducerOptions reducer = o.reducer();
    reducer.control_floats = kControlFloats;
    replicas_ = std::make_unique<DataParallel>(*hooks.comm, *net_, signature.dump(1), reducer);
  }
  data::LoaderOptions lo;
  lo.dir = o.data_folder;
  lo.split = "train";
  lo.sampler.batch_size = o_.batch_size;
  lo.sampler.world_size = world_;
  lo.sampler.rank = rank_;
  lo.sampler.seed = state_.sampler_seed;
  lo.sampler.shuffle = o.shuffle == "shards" ? data::Shuffle::kShards : data::Shuffle::kExamples;
  lo.sampler.shard_window = o.shard_window;
  lo.read.cache_bytes = static_cast<int64_t>(o.chunk_cache_mb * (1 << 20));
  lo.pairs = o.train_on_all_pairs ? 0 : domain->num_spec();
  lo.prefix = domain->fixed_prefix_ids();
  loader_ = std::make_unique<data::BatchLoader>(lo, state_.epoch, state_.epoch_step);
  total_steps_ = o.max_steps >= 0 ? o.max_steps
                                  : (o.num_epochs * loader_->steps_per_epoch() + o.grad_accum - 1) /
                                        o.grad_accum;
  if (lead_) {
    std::filesystem::create_directories(o.model_dir);
    metrics_.open(o.model_dir + "/metrics.jsonl", std::ios::app);
    if (!metrics_) throw IoError(fmt::format("{}/metrics.jsonl: cannot write", o.model_dir));
  }
}

torch::Tensor as_tensor(std::vector<int32_t>& v, std::vector<int64_t> shape) {
  return torch::from_blob(v.data(), shape, torch::kInt32);
}

// forward -> loss -> backward (buckets reduce as they fill) -> wait -> clip -> update
StepResult Run::train_step() {
  StepResult s;
  std::vector<data::Batch> micro(static_cast<size_t>(o_.grad_accum));
  model::LossScale scale;
  for (data::Batch& b : micro) {
    b = loader_->next(&s.epoch, &s.epoch_step);
    s.global_examples += b.global_size;
    for (int32_t length : b.lengths) scale.target_tokens += length - 1;  // all but <s>
  }
  scale.examples = static_cast<double>(s.global_examples);
  if (hooks_.comm && m_.loss_reduction == "mean") {
    hooks_.comm->allreduce_doubles(&scale.target_tokens, 1, dist::ReduceOp::kSum);
  }
  if (replicas_) {
    replicas_->zero_grad();
    replicas_->set_control(control_values());
  } else {
    optimizer_->zero_grad();
  }
  for (size_t k = 0; k < micro.size(); ++k) {
    data::Batch& b = micro[k];
    s.rank_examples += b.size;
    if (replicas_) replicas_->set_sync(k + 1 == micro.size());
    if (b.size == 0) continue;  // past the end of a short last window: join the reduction only
    const torch::Tensor tokens = as_tensor(b.tokens, {b.size, b.max_len}).to(device_);
    const torch::Tensor inputs =
        as_tensor(b.inputs, {b.size, b.io_pairs, b.value_size}).to(device_);
    const torch::Tensor outputs =
        as_tensor(b.outputs, {b.size, b.io_pairs, b.value_size}).to(device_);
    torch::Tensor loss;
    {
      const model::Autocast bf16(device_, o_.precision == "bf16");
      loss = net_->loss(net_(tokens, inputs, outputs), tokens, scale);
    }
    loss.backward();
    s.loss += loss.item<double>();
  }
  if (replicas_) replicas_->finish();
  torch::nn::utils::clip_grad_norm_(net_->parameters(), o_.gradient_clip);
  s.lr = o_.lr * std::pow(o_.lr_decay_rate, static_cast<double>(state_.step / o_.lr_decay_steps));
  for (auto& group : optimizer_->param_groups()) group.options().set_lr(s.lr);
  optimizer_->step();
  return s;
}

void Run::resume_rng(uint64_t seed) {
  if (static_cast<int64_t>(state_.rank_rngs.size()) == world_) {
    at::Generator generator = at::detail::getDefaultCPUGenerator();
    generator.set_state(state_.rank_rngs[static_cast<size_t>(rank_)]);
    if (device_.is_cuda() && static_cast<int64_t>(state_.rank_cuda_rngs.size()) == world_) {
      at::Generator cuda = at::globalContext().defaultGenerator(device_);
      cuda.set_state(state_.rank_cuda_rngs[static_cast<size_t>(rank_)]);
    }
    return;
  }
  if (world_ > 1 || !state_.rank_rngs.empty()) {
    torch::manual_seed(rank_seed(seed, rank_, state_.step));  // every device's generator
    say(fmt::format(
        "resuming on {} rank(s) from a checkpoint of {}: each rank's random stream starts afresh",
        world_,
        state_.rank_rngs.empty() ? std::string("unknown ranks")
                                 : std::to_string(state_.rank_rngs.size())));
  }
}

void Run::resume_position(int64_t window) {
  if (state_.window == 0 || state_.window == window) return;
  // The sampler's order of an epoch is the same whatever the window: count in examples.
  const int64_t examples = state_.epoch_step * state_.window;
  state_.epoch_step = examples / window;
  if (examples % window != 0) {
    say(fmt::format(
        "warning: the checkpoint stopped {} examples into epoch {}, not a multiple of this run's "
        "{} examples per window (batch_size x ranks): continuing at example {}",
        examples, state_.epoch, window, state_.epoch_step * window));
  }
}

void Run::keep_global_batch() {
  const int64_t global = state_.window;
  if (global == 0 || global == o_.batch_size * world_) return;
  if (global % world_ != 0) {
    throw ConfigError(fmt::format(
        "--keep_global_batch: the checkpoint's global batch of {} examples does not divide "
        "among {} ranks; run on a number of ranks that divides it, or resume without the flag",
        global, world_));
  }
  say(fmt::format("keeping the checkpoint's global batch of {} on {} rank(s): batch_size {} -> {}",
                  global, world_, o_.batch_size, global / world_));
  o_.batch_size = global / world_;
}

void Run::gather_rank_state() {
  state_.world_size = world_;
  state_.window = o_.batch_size * world_;
  state_.rank_rngs = gather_states(at::detail::getDefaultCPUGenerator().get_state());
  state_.rank_cuda_rngs.clear();
  if (device_.is_cuda()) {
    state_.rank_cuda_rngs =
        gather_states(at::globalContext().defaultGenerator(device_).get_state());
  }
}

// All ranks, same order; blocks. Every rank's generator state, by rank, at rank 0 (others: empty).
std::vector<torch::Tensor> Run::gather_states(const torch::Tensor& mine) {
  if (!hooks_.comm || world_ == 1) return {mine};
  const size_t bytes = static_cast<size_t>(mine.numel());
  std::vector<uint8_t> all(lead_ ? bytes * static_cast<size_t>(world_) : 0);
  hooks_.comm->gather(mine.data_ptr<uint8_t>(), bytes, lead_ ? all.data() : nullptr, 0);
  std::vector<torch::Tensor> states;
  if (!lead_) return states;
  for (int r = 0; r < world_; ++r) {
    states.push_back(torch::from_blob(all.data() + bytes * static_cast<size_t>(r),
                                      {static_cast<int64_t>(bytes)}, torch::kUInt8)
                         .clone());
  }
  return states;
}

// The step counter and the sampler's position after step `s`.
void Run::advance(const StepResult& s) {
  ++state_.step;
  state_.examples += s.global_examples;
  state_.epoch = s.epoch;
  state_.epoch_step = s.epoch_step + 1;
  if (state_.epoch_step == loader_->steps_per_epoch()) {
    state_.epoch_step = 0;
    ++state_.epoch;
  }
}

// This rank's view of the step, for heartbeats and its own log.
void Run::beat(const StepResult& s, Clock::time_point& step_start) {
  if (!hooks_.on_step) return;
  const Clock::time_point now = Clock::now();
  const double seconds = seconds_between(step_start, now);
  step_start = now;
  const double rate = seconds > 0 ? static_cast<double>(s.rank_examples) / seconds : 0.0;
  rank_examples_per_s_ = rank_examples_per_s_ == 0 ? rate : 0.8 * rank_examples_per_s_ + 0.2 * rate;
  dist::Heartbeat beat;
  beat.step = state_.step;
  beat.epoch = s.epoch;
  // s.loss is this rank's share of the global mean: back to a mean over its own examples.
  beat.loss = s.rank_examples > 0 ? s.loss * static_cast<double>(s.global_examples) /
                                        static_cast<double>(s.rank_examples)
                                  : 0.0;
  beat.examples_per_s = rank_examples_per_s_;
  hooks_.on_step(beat);
}

std::vector<float> Run::control_values() const {
  std::vector<float> values(kControlFloats, 0.0f);
  const int signal = preemption_signal();
  if (signal > 0) values[static_cast<size_t>(std::min(signal, kSignals)) - 1] = 1;
  if (lead_ && o_.checkpoint_every_s > 0 &&
      seconds_between(last_checkpoint_, Clock::now()) >= o_.checkpoint_every_s) {
    values[kSignals] = 1;
  }
  return values;
}

// After the step. Every rank learns of a signal on any rank, and of rank 0's clock, at the same
// step boundary: what the ranks said at the step's start, summed in its last bucket (a signal
// that comes during a step stops training after the next one).
Run::Agreement Run::agree() {
  const std::vector<float> values = replicas_ ? replicas_->control() : control_values();
  Agreement agreed;
  for (int signal = kSignals; signal > 0 && agreed.stop_signal == 0; --signal) {
    if (values[static_cast<size_t>(signal) - 1] > 0) agreed.stop_signal = signal;
  }
  agreed.checkpoint_due = values[kSignals] > 0;
  return agreed;
}

// All ranks, same order. The metrics line (the loss averaged over all ranks) and the checkpoint
// of a log step, written by rank 0; the window starts again.
void Run::log(const StepResult& s, int stop, TrainResult* result) {
  if (hooks_.comm) hooks_.comm->allreduce_doubles(&window_.loss_sum, 1, dist::ReduceOp::kSum);
  const Clock::time_point now = Clock::now();
  const double window_s = seconds_between(window_.start, now);
  const double wall = seconds_between(start_, now);
  const double examples_per_s = window_s > 0 ? window_.examples / window_s : 0.0;
  result->last_loss = window_.loss_sum / window_.steps;
  gather_rank_state();
  if (lead_) {
    nlohmann::ordered_json line;
    line["step"] = state_.step;
    line["epoch"] = s.epoch;
    line["loss"] = result->last_loss;
    line["lr"] = s.lr;
    line["examples_per_s"] = examples_per_s;
    line["wall_s"] = wall;
    metrics_ << line.dump() << '\n' << std::flush;
    result->checkpoint = save_checkpoint(o_.model_dir, *net_, *optimizer_, state_, o_.keep_last_n);
    last_checkpoint_ = Clock::now();
  }
  const double per_step = wall / static_cast<double>(state_.step - start_step_);
  say(fmt::format("step {}/{}  epoch {}  loss {:.4f}  {:.0f} examples/s  ETA {:.0f}s", state_.step,
                  total_steps_, s.epoch, result->last_loss, examples_per_s,
                  per_step * static_cast<double>(total_steps_ - state_.step)));
  if (stop > 0) {
    say(fmt::format(
        "stopping on signal {} at step {}: checkpoint {} written; continue with --resume", stop,
        state_.step, result->checkpoint));
  }
  window_ = Window{};
}

// Every rank decodes its share; rank 0 writes the metrics as a line of metrics.jsonl.
void Run::validate(int64_t epoch) {
  if (!hooks_.validate) return;
  net_->eval();
  nlohmann::ordered_json validation = hooks_.validate(net_);
  net_->train();
  window_.start = Clock::now();  // the window's throughput counts training only
  if (!lead_ || validation.empty()) return;
  nlohmann::ordered_json v;
  v["step"] = state_.step;
  v["epoch"] = epoch;
  v["split"] = "val";
  for (auto& [key, value] : validation.items()) v[key] = value;
  metrics_ << v.dump() << '\n' << std::flush;
  say(fmt::format("  validation on {} rank(s): {}", world_, validation.dump()));
}

void Run::print_reducer_stats() {
  if (!replicas_ || replicas_->stats().steps == 0) return;
  const dist::ReducerStats& r = replicas_->stats();
  const double steps = static_cast<double>(r.steps);
  say(fmt::format(
      "gradient all-reduce: {:.0f} bucket(s) and {:.2f} MiB per step, {:.0f}% launched during "
      "backward, {:.2f} ms per step waited for after backward",
      r.buckets_launched / steps, r.bytes_reduced / steps / (1 << 20),
      100.0 * r.buckets_launched_early / std::max<int64_t>(1, r.buckets_launched),
      1e3 * r.finish_wait_s / steps));
}

TrainResult Run::run() {
  say(fmt::format("training {} on {} ({} domain): {} steps of {} examples ({} rank{} x {}{})",
                  m_.name(), o_.data_folder, manifest_.domain, total_steps_,
                  world_ * o_.batch_size * o_.grad_accum, world_, world_ > 1 ? "s" : "",
                  o_.batch_size,
                  o_.grad_accum > 1 ? fmt::format(" x {} micro-batches", o_.grad_accum) : ""));
  start_ = Clock::now();
  start_step_ = state_.step;
  window_ = Window{};
  Clock::time_point step_start = start_;
  TrainResult result;
  while (state_.step < total_steps_) {
    const Clock::time_point step_began = Clock::now();
    const StepResult s = train_step();
    advance(s);
    dist::note_progress();
    window_.add(s);
    beat(s, step_start);
    if (hooks_.fault) {
      dist::inject_fault(*hooks_.fault, rank_, state_.step,
                         seconds_between(step_began, Clock::now()));
    }
    const Agreement agreed = agree();
    const int stop = agreed.stop_signal;
    const bool log_step = state_.step % o_.log_interval == 0 || state_.step == total_steps_;
    if (!log_step && stop == 0 && !agreed.checkpoint_due) continue;
    log(s, stop, &result);
    if (stop > 0) {
      result.preempted = true;
      break;
    }
    if (log_step) validate(s.epoch);
  }
  print_reducer_stats();
  // Every rank returns only once rank 0's checkpoint is on disk.
  if (hooks_.comm) hooks_.comm->barrier();
  result.steps = state_.step;
  return result;
}

}  // namespace

TrainResult train(const TrainOptions& options, model::ModelOptions model_options,
                  const TrainHooks& hooks) {
  Run run(options, std::move(model_options), hooks);
  return run.run();
}

}  // namespace train
}  // namespace lasynth
