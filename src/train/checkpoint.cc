#include "train/checkpoint.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <type_traits>
#include <utility>

#include "core/error.h"
#include "core/sha256.h"

namespace lasynth {
namespace train {
namespace {

// The key of a parameter in an optimizer's state map: LibTorch 1.13 (Debian) keys it by the text
// of the parameter's TensorImpl address, LibTorch 2.x (PyTorch's wheel, on GPU machines) by the
// address itself.
using StateKey = std::decay_t<decltype(std::declval<torch::optim::Optimizer&>().state())>::key_type;
template <typename Key = StateKey>  // a template, so that only the branch taken is compiled
Key state_key(const at::Tensor& p) {
  if constexpr (std::is_same_v<Key, std::string>) {
    std::ostringstream text;
    text << p.unsafeGetTensorImpl();
    return text.str();
  } else {
    return p.unsafeGetTensorImpl();
  }
}

namespace fs = std::filesystem;

using GenericDict = c10::impl::GenericDict;

GenericDict new_dict() { return GenericDict(c10::StringType::get(), c10::AnyType::get()); }

// Flushes what was written to `fd` to the device; throws IoError naming `path`.
void sync_to_disk(int fd, const std::string& path) {
  if (::fsync(fd) != 0) {
    const int error = errno;
    ::close(fd);
    throw IoError(fmt::format("{}: cannot flush to disk ({})", path, std::strerror(error)));
  }
}

// The file's bytes reach the disk before the rename makes them visible, and the rename reaches it
// before we go on: a crash leaves the old file or the new one, never a torn or missing one.
void write_atomically(const std::string& path, const std::string& bytes) {
  const std::string tmp = fmt::format("{}.partial-{}", path, getpid());
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) throw IoError(fmt::format("{}: cannot write ({})", tmp, std::strerror(errno)));
  for (size_t done = 0; done < bytes.size();) {
    const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const int error = errno;
      ::close(fd);
      std::remove(tmp.c_str());
      throw IoError(fmt::format("{}: cannot write ({})", tmp, std::strerror(error)));
    }
    done += static_cast<size_t>(n);
  }
  sync_to_disk(fd, tmp);
  ::close(fd);
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    std::remove(tmp.c_str());
    throw IoError(fmt::format("{}: cannot move into place", path));
  }
  const std::string dir = fs::path(path).parent_path().string();
  const int dir_fd = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir_fd >= 0) {
    sync_to_disk(dir_fd, dir);
    ::close(dir_fd);
  }
}

std::string read_all(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw IoError(fmt::format("{}: cannot open the checkpoint", path));
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// Keeps the newest `keep` checkpoints of model_dir (by step).
void prune_checkpoints(const std::string& model_dir, int64_t keep) {
  std::vector<std::pair<int64_t, std::string>> found = list_checkpoints(model_dir);
  std::reverse(found.begin(), found.end());
  for (size_t i = static_cast<size_t>(keep); i < found.size(); ++i) {
    fs::remove(found[i].second);
    fs::remove(found[i].second + kChecksumSuffix);
  }
}

// Refuses a file of another format or version before any of its keys is read.
void check_format(const std::string& path, const c10::IValue& value) {
  if (!value.isGenericDict()) {
    throw IoError(fmt::format("{}: not a lasynth checkpoint (not a dict)", path));
  }
  const auto dict = value.toGenericDict();
  if (!dict.contains(kKeyFormat) || !dict.at(kKeyFormat).isString() ||
      dict.at(kKeyFormat).toStringRef() != kCheckpointFormat) {
    throw IoError(fmt::format(
        "{}: not a {} (no '{}' key saying so): a file of another program, or a lasynth "
        "checkpoint older than format version 1; train the model again with this lasynth",
        path, kCheckpointFormat, kKeyFormat));
  }
  const c10::IValue version =
      dict.contains(kKeyFormatVersion) ? dict.at(kKeyFormatVersion) : c10::IValue();
  if (!version.isInt() || version.toInt() != kCheckpointFormatVersion) {
    throw IoError(fmt::format(
        "{}: checkpoint format version {}, but this lasynth reads version {}; use the lasynth "
        "that wrote it, or train the model again",
        path, version.isInt() ? std::to_string(version.toInt()) : "missing",
        kCheckpointFormatVersion));
  }
}

// Copies every parameter and buffer of the checkpoint into `model`; returns the parameters by
// name.
std::map<std::string, at::Tensor> restore_weights(const std::string& path,
                                                  const GenericDict& weights,
                                                  torch::nn::Module& model) {
  torch::NoGradGuard no_grad;
  auto assign = [&](const std::string& name, at::Tensor& target) {
    if (!weights.contains(name)) {
      throw IoError(fmt::format(
          "{}: no tensor '{}'; it holds another model, or one an older lasynth wrote before the "
          "model changed (issue 16): train it again",
          path, name));
    }
    const at::Tensor t = weights.at(name).toTensor();
    if (t.sizes() != target.sizes()) {
      throw IoError(
          fmt::format("{}: '{}' has shape {} but the model's is {}; it holds another "
                      "model (check the size flags)",
                      path, name, c10::str(t.sizes()), c10::str(target.sizes())));
    }
    target.copy_(t);
  };
  std::map<std::string, at::Tensor> params;
  for (auto& p : model.named_parameters()) {
    assign(p.key(), p.value());
    params[p.key()] = p.value();
  }
  for (auto& b : model.named_buffers()) assign(b.key(), b.value());
  return params;
}

// One parameter's optimizer state from the checkpoint's entry, on `device`.
std::unique_ptr<torch::optim::OptimizerParamState> param_state(const std::string& type,
                                                               const GenericDict& m,
                                                               const torch::Device& device) {
  // The state lives where its parameter lives (checkpoints hold CPU tensors).
  auto restore = [&](const char* key) { return m.at(key).toTensor().clone().to(device); };
  if (type == "adam") {
    auto s = std::make_unique<torch::optim::AdamParamState>();
    s->step(m.at("step").toInt());
    s->exp_avg(restore("exp_avg"));
    s->exp_avg_sq(restore("exp_avg_sq"));
    return s;
  }
  if (type == "rmsprop") {
    auto s = std::make_unique<torch::optim::RMSpropParamState>();
    s->step(m.at("step").toInt());
    s->square_avg(restore("square_avg"));
    return s;
  }
  auto s = std::make_unique<torch::optim::SGDParamState>();
  if (m.contains("momentum_buffer")) s->momentum_buffer(restore("momentum_buffer"));
  return s;
}

void restore_optimizer(const std::string& path, const GenericDict& opt,
                       const std::map<std::string, at::Tensor>& params,
                       torch::optim::Optimizer& optimizer) {
  const std::string type = opt.at("type").toStringRef();
  if (type != optimizer_name(optimizer)) {
    throw IoError(
        fmt::format("{}: trained with --optimizer {}, resumed with --optimizer {}; "
                    "resume with the same optimizer",
                    path, type, optimizer_name(optimizer)));
  }
  for (const auto& entry : opt.at("state").toGenericDict()) {
    const std::string name = entry.key().toStringRef();
    const at::Tensor& param = params.at(name);
    optimizer.state()[state_key(param)] =
        param_state(type, entry.value().toGenericDict(), param.device());
  }
  for (auto& group : optimizer.param_groups()) group.options().set_lr(opt.at("lr").toDouble());
}

}  // namespace

std::vector<std::pair<int64_t, std::string>> list_checkpoints(const std::string& model_dir) {
  std::vector<std::pair<int64_t, std::string>> found;
  std::error_code error;
  for (const auto& entry : fs::directory_iterator(model_dir, error)) {
    const std::string name = entry.path().filename().string();
    if (name.rfind("ckpt-", 0) != 0 || entry.path().extension() != ".pt") continue;
    const std::string step = name.substr(5, name.size() - 8);
    if (step.empty() || step.find_first_not_of("0123456789") != std::string::npos) continue;
    found.emplace_back(std::stoll(step), entry.path().string());
  }
  if (error)
    throw IoError(fmt::format("{}: cannot list the checkpoints ({})", model_dir, error.message()));
  std::sort(found.begin(), found.end());
  return found;
}

std::string optimizer_name(const torch::optim::Optimizer& optimizer) {
  if (dynamic_cast<const torch::optim::Adam*>(&optimizer)) return "adam";
  if (dynamic_cast<const torch::optim::RMSprop*>(&optimizer)) return "rmsprop";
  return "sgd";
}

namespace {

// The optimizer's per-parameter state by parameter name, so Python can read it too.
GenericDict optimizer_dict(torch::optim::Optimizer& optimizer,
                           const std::map<const void*, std::string>& names) {
  GenericDict moments = new_dict();
  for (const auto& group : optimizer.param_groups()) {
    for (const auto& p : group.params()) {
      const auto it = optimizer.state().find(state_key(p));
      if (it == optimizer.state().end()) continue;
      GenericDict one = new_dict();
      if (const auto* a = dynamic_cast<const torch::optim::AdamParamState*>(it->second.get())) {
        one.insert("step", a->step());
        one.insert("exp_avg", a->exp_avg().cpu().clone());
        one.insert("exp_avg_sq", a->exp_avg_sq().cpu().clone());
      } else if (const auto* r =
                     dynamic_cast<const torch::optim::RMSpropParamState*>(it->second.get())) {
        one.insert("step", r->step());
        one.insert("square_avg", r->square_avg().cpu().clone());
      } else if (const auto* m =
                     dynamic_cast<const torch::optim::SGDParamState*>(it->second.get())) {
        if (m->momentum_buffer().defined()) {
          one.insert("momentum_buffer", m->momentum_buffer().cpu().clone());
        }
      }
      moments.insert(names.at(p.unsafeGetTensorImpl()), one);
    }
  }
  GenericDict opt = new_dict();
  opt.insert("type", optimizer_name(optimizer));
  opt.insert("lr", optimizer.param_groups()[0].options().get_lr());
  opt.insert("state", moments);
  return opt;
}

}  // namespace

std::string save_checkpoint(const std::string& model_dir, torch::nn::Module& model,
                            torch::optim::Optimizer& optimizer, const TrainingState& state,
                            int64_t keep_last_n) {
  fs::create_directories(model_dir);
  c10::Dict<std::string, at::Tensor> weights;
  std::map<const void*, std::string> names;
  for (const auto& p : model.named_parameters()) {
    weights.insert(p.key(), p.value().detach().cpu().clone());
    names[p.value().unsafeGetTensorImpl()] = p.key();
  }
  for (const auto& b : model.named_buffers()) {
    weights.insert(b.key(), b.value().detach().cpu().clone());
  }
  GenericDict sampler = new_dict();
  sampler.insert("epoch", state.epoch);
  sampler.insert("epoch_step", state.epoch_step);
  sampler.insert("seed", static_cast<int64_t>(state.sampler_seed));
  sampler.insert("world_size", state.world_size);
  sampler.insert("window", state.window);
  sampler.insert("examples", state.examples);
  GenericDict rng = new_dict();
  rng.insert("torch_cpu", at::detail::getDefaultCPUGenerator().get_state());
  if (!state.rank_rngs.empty()) {
    c10::List<at::Tensor> ranks;
    for (const torch::Tensor& t : state.rank_rngs) ranks.push_back(t);
    rng.insert("torch_cpu_ranks", ranks);
  }
  if (!state.rank_cuda_rngs.empty()) {
    c10::List<at::Tensor> ranks;
    for (const torch::Tensor& t : state.rank_cuda_rngs) ranks.push_back(t);
    rng.insert("torch_cuda_ranks", ranks);
  }

  GenericDict dict = new_dict();
  dict.insert(kKeyFormat, std::string(kCheckpointFormat));
  dict.insert(kKeyFormatVersion, kCheckpointFormatVersion);
  dict.insert(kKeyModel, weights);
  dict.insert(kKeyOptimizer, optimizer_dict(optimizer, names));
  dict.insert(kKeyStep, state.step);
  dict.insert(kKeyEpoch, state.epoch);
  dict.insert(kKeySampler, sampler);
  dict.insert(kKeyRng, rng);
  dict.insert(kKeyConfig, state.config);

  const std::vector<char> bytes = torch::pickle_save(dict);
  const std::string name = fmt::format("ckpt-{}.pt", state.step);
  const std::string path = model_dir + "/" + name;
  const std::string data(bytes.begin(), bytes.end());
  write_atomically(path, data);
  write_atomically(path + kChecksumSuffix, sha256_hex(data) + "  " + name + "\n");
  write_atomically(model_dir + "/" + kLatestFile, name + "\n");
  if (keep_last_n > 0) prune_checkpoints(model_dir, keep_last_n);
  return path;
}

std::string resolve_checkpoint(const std::string& path) {
  if (!fs::is_directory(path)) {
    if (!fs::exists(path)) {
      throw IoError(fmt::format("{}: no such checkpoint file or model directory", path));
    }
    return path;
  }
  std::ifstream in(path + "/" + kLatestFile);
  std::string name;
  if (!(in >> name)) {
    throw IoError(
        fmt::format("{}: no `{}` file in this model directory (no checkpoint written yet); name a "
                    "ckpt-STEP.pt file instead",
                    path, kLatestFile));
  }
  return path + "/" + name;
}

Checkpoint read_checkpoint(const std::string& path_in) {
  const std::string path = resolve_checkpoint(path_in);
  std::string data = read_all(path);
  if (!fs::exists(path + kChecksumSuffix)) {
    throw IoError(fmt::format(
        "{}: no {}{} beside it: not a checkpoint lasynth wrote, or copied without its checksum "
        "file (copy both)",
        path, path, kChecksumSuffix));
  }
  std::string want = read_all(path + kChecksumSuffix);
  want = want.substr(0, want.find(' '));
  if (sha256_hex(data) != want) {
    throw IoError(fmt::format(
        "{}: checksum does not match {}{}; the checkpoint is damaged (use an earlier one)", path,
        path, kChecksumSuffix));
  }
  return parse_checkpoint(path, std::move(data));
}

Checkpoint parse_checkpoint(const std::string& path, std::string bytes) {
  Checkpoint c;
  c.path = path;
  c.bytes = std::move(bytes);
  try {
    c.dict = torch::pickle_load(std::vector<char>(c.bytes.begin(), c.bytes.end()));
  } catch (const std::exception&) {
    throw IoError(fmt::format("{}: not a lasynth checkpoint (not a pickled dict)", c.path));
  }
  check_format(c.path, c.dict);
  const auto dict = c.dict.toGenericDict();
  c.state.step = dict.at(kKeyStep).toInt();
  c.state.epoch = dict.at(kKeyEpoch).toInt();
  const auto sampler = dict.at(kKeySampler).toGenericDict();
  c.state.epoch_step = sampler.at("epoch_step").toInt();
  c.state.sampler_seed = static_cast<uint64_t>(sampler.at("seed").toInt());
  const auto optional_int = [&](const char* key) {
    return sampler.contains(key) ? sampler.at(key).toInt() : int64_t{0};
  };
  c.state.world_size = optional_int("world_size");
  c.state.window = optional_int("window");
  c.state.examples = optional_int("examples");
  const auto rng = dict.at(kKeyRng).toGenericDict();
  if (rng.contains("torch_cpu_ranks")) {
    for (const c10::IValue& t : rng.at("torch_cpu_ranks").toListRef()) {
      c.state.rank_rngs.push_back(t.toTensor());
    }
  }
  if (rng.contains("torch_cuda_ranks")) {
    for (const c10::IValue& t : rng.at("torch_cuda_ranks").toListRef()) {
      c.state.rank_cuda_rngs.push_back(t.toTensor());
    }
  }
  c.state.config = dict.at(kKeyConfig).toStringRef();
  return c;
}

void restore_checkpoint(const Checkpoint& checkpoint, torch::nn::Module& model,
                        torch::optim::Optimizer* optimizer) {
  const auto dict = checkpoint.dict.toGenericDict();
  std::map<std::string, at::Tensor> params =
      restore_weights(checkpoint.path, dict.at(kKeyModel).toGenericDict(), model);
  if (optimizer) {
    restore_optimizer(checkpoint.path, dict.at(kKeyOptimizer).toGenericDict(), params, *optimizer);
  }
  at::Generator generator = at::detail::getDefaultCPUGenerator();
  generator.set_state(dict.at(kKeyRng).toGenericDict().at("torch_cpu").toTensor());
}

Checkpoint read_newest_intact(const std::string& model_dir,
                              const std::function<void(const std::string&)>& warn) {
  std::vector<std::string> damaged;
  auto note = [&](const std::string& why) {
    damaged.push_back(why);
    if (warn) warn(why);
  };
  std::string newest;
  try {
    newest = resolve_checkpoint(model_dir);
    return read_checkpoint(newest);
  } catch (const IoError& e) {
    note(e.what());
  }
  // Older checkpoints, newest first (the one `latest` names is skipped: it was just refused).
  std::vector<std::pair<int64_t, std::string>> found = list_checkpoints(model_dir);
  for (auto it = found.rbegin(); it != found.rend(); ++it) {
    if (fs::path(it->second) == fs::path(newest)) continue;
    try {
      Checkpoint c = read_checkpoint(it->second);
      if (warn) warn(fmt::format("resuming from {}, the newest intact checkpoint", c.path));
      return c;
    } catch (const IoError& e) {
      note(e.what());
    }
  }
  throw IoError(fmt::format(
      "{}: no intact checkpoint to resume from ({}); restore one, or train without --resume "
      "into another --model_dir",
      model_dir, damaged.empty() ? "none written" : damaged.front()));
}

TrainingState load_checkpoint(const std::string& path, torch::nn::Module& model,
                              torch::optim::Optimizer* optimizer) {
  const Checkpoint checkpoint = read_checkpoint(path);
  restore_checkpoint(checkpoint, model, optimizer);
  return checkpoint.state;
}

}  // namespace train
}  // namespace lasynth
