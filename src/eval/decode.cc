#include "eval/decode.h"

#include <fmt/format.h>
#include <torch/torch.h>

#include <algorithm>

#include "core/error.h"
#include "data/batch.h"
#include "dist/progress.h"
#include "lang/domains.h"

namespace lasynth {
namespace eval {

void check_compatible(const data::Dataset& dataset, const train::LoadedModel& model) {
  const data::Manifest& manifest = dataset.manifest();
  if (manifest.domain != model.domain) {
    throw ConfigError(fmt::format("{}: a {} dataset, but {} holds a {} model", dataset.dir(),
                                  manifest.domain, model.path, model.domain));
  }
  if (manifest.vocab_hash !=
      make_domain(model.domain, model.domain_options)->vocabulary().hash_hex()) {
    throw ConfigError(fmt::format("{}: its vocabulary differs from the one {} was trained with",
                                  dataset.dir(), model.path));
  }
}

int64_t examples_to_decode(const data::Dataset& dataset, const std::string& split, int64_t limit) {
  const int64_t n = dataset.size(split);
  if (n == 0) {
    throw ConfigError(fmt::format("{}: no '{}' split to decode", dataset.dir(), split));
  }
  return limit >= 0 ? std::min(n, limit) : n;
}

void decode_split(model::Synthesizer& net, data::Dataset& ds, int k, const DecodeOptions& o,
                  const std::function<void(int64_t, const data::StoredExample&,
                                           const std::vector<std::vector<int32_t>>&)>& each,
                  const std::function<void(int64_t, int64_t)>& progress) {
  torch::NoGradGuard no_grad;
  const torch::Device device = net->parameters().front().device();  // the model's
  const int rank = o.comm ? o.comm->rank() : 0, world = o.comm ? o.comm->size() : 1;
  const int64_t n = o.count;
  const int64_t batches = (n + o.batch_size - 1) / o.batch_size;
  int64_t mine = 0;
  for (int64_t batch = rank; batch < batches; batch += world) {
    mine += std::min(n, (batch + 1) * o.batch_size) - batch * o.batch_size;
  }
  const data::Manifest& manifest = ds.manifest();
  const auto domain = make_domain(manifest.domain, manifest.domain_options);
  const std::vector<int32_t> prefix = domain->fixed_prefix_ids();
  int64_t done = 0;
  for (int64_t batch = rank; batch < batches; batch += world) {
    const int64_t begin = batch * o.batch_size, end = std::min(n, begin + o.batch_size);
    std::vector<data::StoredExample> examples;
    std::vector<int64_t> indices;
    for (int64_t i = begin; i < end; ++i) {
      examples.push_back(ds.get(o.split, i));
      indices.push_back(i);
    }
    // Only the specification pairs go to the model.
    std::vector<data::StoredExample> spec = examples;
    for (auto& ex : spec) ex.io.resize(static_cast<size_t>(k));
    data::Batch b =
        data::make_batch(spec, indices, k, static_cast<int>(spec[0].io[0].input.size()), prefix);
    const auto inputs =
        torch::from_blob(b.inputs.data(), {b.size, k, b.value_size}, torch::kInt32).to(device);
    const auto outputs =
        torch::from_blob(b.outputs.data(), {b.size, k, b.value_size}, torch::kInt32).to(device);
    std::vector<std::vector<std::vector<int32_t>>> candidates;
    if (o.search == Search::kExecutionGuided) {
      std::vector<std::vector<IoPair>> pairs;
      for (const auto& ex : spec) pairs.push_back(ex.io);
      ExecutionGuide guide(*domain, std::move(pairs));
      candidates = net->beam_search(inputs, outputs, std::max<int64_t>(1, o.beam), o.max_decode_len,
                                    guide.filter(),
                                    o.close_blocks ? guide.completer() : nullptr);
    } else if (o.beam <= 1) {
      for (auto& p : net->greedy(inputs, outputs, o.max_decode_len)) candidates.push_back({p});
    } else {
      candidates = net->beam_search(inputs, outputs, o.beam, o.max_decode_len);
    }
    for (auto& beams : candidates) {
      for (auto& program : beams) program.insert(program.begin(), prefix.begin(), prefix.end());
    }
    for (size_t j = 0; j < examples.size(); ++j) each(indices[j], examples[j], candidates[j]);
    done += end - begin;
    dist::note_progress();
    if (progress) progress(done, mine);
  }
}

}  // namespace eval
}  // namespace lasynth
