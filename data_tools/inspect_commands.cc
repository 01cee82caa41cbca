// inspect: what a dataset holds. stats: histograms of its programs, and how many functions
// they compute.
#include <fmt/format.h>

#include <filesystem>
#include <iostream>
#include <map>
#include <memory>
#include <unordered_map>
#include <unordered_set>

#include "commands.h"
#include "core/hash.h"
#include "data/dataset.h"
#include "lang/domains.h"

namespace lasynth {
namespace {

struct DirArgs {
  std::string dir;
  std::string split;
};

void run_inspect(const DirArgs& args) {
  const data::Manifest m = data::read_manifest(args.dir);
  std::cout << fmt::format("dataset   {}\ndomain    {}\n", args.dir, m.domain);
  std::string options;
  for (const auto& [k, v] : m.domain_options)
    options += fmt::format("{}{}={}", options.empty() ? "" : " ", k, v);
  std::cout << fmt::format("options   {}\n", options);
  std::cout << fmt::format("vocabulary v{}, {} tokens, hash {}\n", m.vocab_version,
                           m.vocab_tokens.size(), m.vocab_hash);
  std::cout << fmt::format("settings  {}\ngenerator {}\n\n", m.settings_hash, m.generator.dump());
  std::cout << fmt::format("| {:<6} | {:>10} | {:>6} | {:>12} |\n|{:-<8}|{:->12}|{:->8}|{:->14}|\n",
                           "split", "examples", "shards", "bytes", "", "", "", "");
  for (const auto& s : m.splits) {
    uintmax_t bytes = 0;
    for (const auto& shard : s.shards) {
      std::error_code ec;
      const auto size = std::filesystem::file_size(args.dir + "/" + shard.file, ec);
      if (!ec) bytes += size;
    }
    std::cout << fmt::format("| {:<6} | {:>10} | {:>6} | {:>12} |\n", s.name, s.examples(),
                             s.shards.size(), bytes);
  }
}

void print_histogram(const std::string& title, const std::map<int64_t, int64_t>& counts,
                     int64_t total) {
  std::cout << title << "\n";
  int64_t peak = 1;
  for (const auto& [k, n] : counts) peak = std::max(peak, n);
  for (const auto& [k, n] : counts) {
    std::cout << fmt::format("  {:>5} {:>8} {:>6.1f}% {}\n", k, n,
                             100.0 * n / std::max<int64_t>(1, total),
                             std::string(static_cast<size_t>(40 * n / peak), '#'));
  }
}

void run_stats(const DirArgs& args) {
  data::Dataset ds(args.dir);
  const auto& m = ds.manifest();
  const auto domain = make_domain(m.domain, m.domain_options);
  for (const auto& split : m.splits) {
    if (!args.split.empty() && split.name != args.split) continue;
    std::map<int64_t, int64_t> lengths, depths;
    std::unordered_map<int32_t, int64_t> tokens;
    std::unordered_map<uint64_t, int64_t> seen;
    std::unordered_set<uint64_t> functions;
    int64_t n = 0, repeats = 0, total_tokens = 0;
    for (size_t k = 0; k < split.shards.size(); ++k) {
      for (const data::StoredExample& ex : ds.shard(split.name, k).read_all()) {
        ++n;
        ++lengths[static_cast<int64_t>(ex.tokens.size()) / 10 * 10];
        const auto program = domain->parse(domain->vocabulary().decode(ex.tokens));
        ++depths[program->depth()];
        functions.insert(behaviour_signature(*domain, *program));
        for (int32_t t : ex.tokens) ++tokens[t];
        total_tokens += static_cast<int64_t>(ex.tokens.size());
        const uint64_t key = hash_ids(ex.tokens);
        if (seen[key]++ > 0) ++repeats;
      }
    }
    std::cout << fmt::format(
        "== {}: {} examples, {:.1f} tokens per program, {} repeated programs, {} distinct "
        "functions (behaviours on the probe inputs)\n",
        split.name, n, n ? static_cast<double>(total_tokens) / n : 0.0, repeats, functions.size());
    print_histogram("program length (tokens, bins of 10)", lengths, n);
    print_histogram("nesting depth", depths, n);
    std::vector<std::pair<int64_t, int32_t>> top;
    for (const auto& [t, c] : tokens) top.emplace_back(c, t);
    std::sort(top.rbegin(), top.rend());
    std::cout << "most frequent tokens\n";
    for (size_t i = 0; i < top.size() && i < 15; ++i) {
      std::cout << fmt::format("  {:<18} {:>9} {:>6.2f}%\n",
                               domain->vocabulary().token(top[i].second), top[i].first,
                               100.0 * top[i].first / std::max<int64_t>(1, total_tokens));
    }
    std::cout << '\n';
  }
}

}  // namespace

void add_inspect_commands(CLI::App& app) {
  auto inspect = std::make_shared<DirArgs>();
  CLI::App* cmd = app.add_subcommand("inspect",
                                     "summarize a dataset: domain, settings, splits, "
                                     "examples, shards and sizes");
  cmd->add_option("DIR", inspect->dir, "dataset directory")->required();
  cmd->callback([inspect] { run_inspect(*inspect); });

  auto stats = std::make_shared<DirArgs>();
  CLI::App* s = app.add_subcommand("stats",
                                   "histograms of program length, nesting depth and "
                                   "tokens, repeated programs and distinct functions, per "
                                   "split");
  s->add_option("DIR", stats->dir, "dataset directory")->required();
  s->add_option("--split", stats->split, "only this split");
  s->callback([stats] { run_stats(*stats); });
}

}  // namespace lasynth
