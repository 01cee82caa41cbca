// inspect: what a dataset holds. stats: histograms of its programs, and how many functions
// they compute.
#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <iostream>
#include <map>
#include <memory>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "commands.h"
#include "core/error.h"
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

// What `stats` counts over one split.
struct SplitStats {
  std::string name;
  int64_t examples = 0, repeats = 0, tokens = 0, statements = 0, depth = 0, loops = 0, branches = 0,
          with_loop = 0, with_branch = 0;
  std::unordered_set<uint64_t> functions;
  std::map<int64_t, int64_t> lengths, statement_counts, depths;
  std::unordered_map<int32_t, int64_t> token_counts;

  std::unordered_map<uint64_t, int64_t> seen;  // program texts (hashed) -> times read

  void add(const Domain& domain, const data::StoredExample& ex) {
    ++examples;
    const auto program = domain.parse(domain.vocabulary().decode(ex.tokens));
    const ProgramShape shape = program->shape();
    ++lengths[static_cast<int64_t>(ex.tokens.size()) / 10 * 10];
    ++statement_counts[shape.statements];
    ++depths[shape.depth];
    statements += shape.statements;
    depth += shape.depth;
    loops += shape.loops;
    branches += shape.branches;
    with_loop += shape.loops > 0;
    with_branch += shape.branches > 0;
    functions.insert(behaviour_signature(domain, *program));
    for (int32_t t : ex.tokens) ++token_counts[t];
    tokens += static_cast<int64_t>(ex.tokens.size());
    if (seen[hash_ids(ex.tokens)]++ > 0) ++repeats;
  }
  double mean(int64_t total) const {
    return examples ? static_cast<double>(total) / static_cast<double>(examples) : 0.0;
  }
  double percent(int64_t count) const { return 100.0 * mean(count); }
};

void print_summary(const std::vector<SplitStats>& splits) {
  std::cout << "per program: mean tokens, statements (nested ones included), nesting depth, "
               "loops, branches; % with at least one loop / branch; distinct functions = "
               "behaviours on the probe inputs\n";
  std::cout << fmt::format(
      "| {:<5} | {:>8} | {:>6} | {:>10} | {:>5} | {:>5} | {:>8} | {:>6} | {:>8} | {:>9} | "
      "{:>8} |\n",
      "split", "examples", "tokens", "statements", "depth", "loops", "branches", "% loop",
      "% branch", "functions", "repeated");
  std::cout << "|-------|----------|--------|------------|-------|-------|----------|--------|"
               "----------|-----------|----------|\n";
  for (const SplitStats& s : splits) {
    std::cout << fmt::format(
        "| {:<5} | {:>8} | {:>6.1f} | {:>10.2f} | {:>5.2f} | {:>5.2f} | {:>8.2f} | {:>6.1f} | "
        "{:>8.1f} | {:>9} | {:>8} |\n",
        s.name, s.examples, s.mean(s.tokens), s.mean(s.statements), s.mean(s.depth),
        s.mean(s.loops), s.mean(s.branches), s.percent(s.with_loop), s.percent(s.with_branch),
        s.functions.size(), s.repeats);
  }
  std::cout << '\n';
}

void print_details(const Domain& domain, const SplitStats& s) {
  std::cout << fmt::format("== {}\n", s.name);
  print_histogram("program length (tokens, bins of 10)", s.lengths, s.examples);
  print_histogram("statements", s.statement_counts, s.examples);
  print_histogram("nesting depth", s.depths, s.examples);
  std::vector<std::pair<int64_t, int32_t>> top;
  for (const auto& [t, c] : s.token_counts) top.emplace_back(c, t);
  std::sort(top.rbegin(), top.rend());
  std::cout << "most frequent tokens\n";
  for (size_t i = 0; i < top.size() && i < 15; ++i) {
    std::cout << fmt::format("  {:<18} {:>9} {:>6.2f}%\n", domain.vocabulary().token(top[i].second),
                             top[i].first, 100.0 * top[i].first / std::max<int64_t>(1, s.tokens));
  }
  std::cout << '\n';
}

void run_stats(const DirArgs& args) {
  data::Dataset ds(args.dir);
  const auto& m = ds.manifest();
  const auto domain = make_domain(m.domain, m.domain_options);
  if (!args.split.empty() && !m.split(args.split)) {
    throw ConfigError(fmt::format("{} has no split '{}'", args.dir, args.split));
  }
  std::vector<SplitStats> splits;
  for (const auto& split : m.splits) {
    if (!args.split.empty() && split.name != args.split) continue;
    SplitStats s;
    s.name = split.name;
    for (size_t k = 0; k < split.shards.size(); ++k) {
      for (const data::StoredExample& ex : ds.shard(split.name, k).read_all()) {
        s.add(*domain, ex);
      }
    }
    splits.push_back(std::move(s));
  }
  const std::string preset = m.generator.value("preset", "");
  std::cout << fmt::format("dataset {} ({}{})\n\n", args.dir, m.domain,
                           preset.empty() ? "" : ", preset " + preset);
  print_summary(splits);
  for (const SplitStats& s : splits) print_details(*domain, s);
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
                                   "per split: a table of mean tokens, statements, "
                                   "nesting depth, loops and branches, the share of programs "
                                   "with a loop / a branch, distinct functions and repeated "
                                   "programs; then histograms and the most frequent tokens");
  s->add_option("DIR", stats->dir, "dataset directory")->required();
  s->add_option("--split", stats->split, "only this split");
  s->callback([stats] { run_stats(*stats); });
}

}  // namespace lasynth
