// verify: every check a dataset can take. Checksums, attributes and shapes of every shard, and
// every program re-executed to reproduce its stored outputs; splits must share no program and no
// function (behaviour on the domain's probe inputs).
#include <fmt/format.h>

#include <iostream>
#include <memory>
#include <set>
#include <unordered_map>

#include "commands.h"
#include "core/error.h"
#include "core/sha256.h"
#include "data/dataset.h"
#include "lang/domains.h"
#include "progress.h"

namespace lasynth {
namespace {

struct VerifyArgs {
  std::string dir;
  bool quiet = false;
};

void run_verify(const VerifyArgs& args) {
  data::Dataset ds(args.dir);
  const data::Manifest& m = ds.manifest();
  const auto domain = make_domain(m.domain, m.domain_options);
  std::vector<std::string> problems;
  auto problem = [&](const std::string& p) { problems.push_back(p); };
  if (m.vocab_hash != domain->vocabulary().hash_hex()) {
    problem(fmt::format("manifest vocabulary {} is not this lasynth's {} vocabulary {}",
                        m.vocab_hash, m.domain, domain->vocabulary().hash_hex()));
  }
  int64_t total = 0;
  for (const auto& s : m.splits) total += s.examples();
  Progress progress("verifying", total, args.quiet);
  std::map<std::string, std::set<std::vector<int32_t>>> programs;
  // Per split, each behaviour (behaviour_signature) and the first example that has it.
  std::map<std::string, std::unordered_map<uint64_t, std::string>> behaviours;
  int64_t checked = 0;
  for (const auto& split : m.splits) {
    for (size_t k = 0; k < split.shards.size(); ++k) {
      const data::ShardEntry& entry = split.shards[k];
      const std::string path = args.dir + "/" + entry.file;
      try {
        const std::string sum = sha256_file(path);
        if (sum != entry.sha256) {
          problem(
              fmt::format("{}: sha256 {} differs from the manifest's {}", path, sum, entry.sha256));
          continue;
        }
        data::ShardReader& reader = ds.shard(split.name, k);
        const data::ShardInfo& info = reader.info();
        if (info.io_pairs != domain->io_pairs() || info.num_spec != domain->num_spec()) {
          problem(fmt::format("{}: {} pairs ({} specifying), the domain options say {} ({})", path,
                              info.io_pairs, info.num_spec, domain->io_pairs(),
                              domain->num_spec()));
          continue;
        }
        int64_t index = 0;
        for (const data::StoredExample& ex : reader.read_all()) {
          const std::string where = fmt::format("{} example {}", path, index++);
          ++*progress.counter();
          ++checked;
          programs[split.name].insert(ex.tokens);
          std::unique_ptr<Program> program;
          try {
            program = domain->parse(domain->vocabulary().decode(ex.tokens));
          } catch (const ParseError& e) {
            problem(fmt::format("{}: the program does not parse: {}", where, e.what()));
            continue;
          }
          behaviours[split.name].emplace(behaviour_signature(*domain, *program), where);
          for (size_t p = 0; p < ex.io.size(); ++p) {
            const ExecResult r = program->execute(ex.io[p].input);
            if (!r.ok() || r.output != ex.io[p].output) {
              problem(fmt::format("{}: pair {} does not reproduce ({})", where, p,
                                  r.ok() ? "other output" : exec_status_name(r.status)));
              break;
            }
          }
        }
      } catch (const Error& e) {
        problem(e.what());
      }
    }
  }
  progress.stop();
  const char* names[] = {"train", "val", "test"};
  for (int a = 0; a < 3; ++a) {
    for (int b = a + 1; b < 3; ++b) {
      int64_t shared = 0;
      for (const auto& p : programs[names[a]]) shared += programs[names[b]].count(p);
      if (shared)
        problem(fmt::format("splits {} and {} share {} program(s)", names[a], names[b], shared));
      for (const auto& [signature, where] : behaviours[names[a]]) {
        const auto other = behaviours[names[b]].find(signature);
        if (other != behaviours[names[b]].end()) {
          problem(
              fmt::format("splits {} and {} share a function: {} and {} behave the same on "
                          "every probe input",
                          names[a], names[b], where, other->second));
        }
      }
    }
  }
  if (!problems.empty()) {
    for (size_t i = 0; i < problems.size() && i < 20; ++i) std::cerr << "  " << problems[i] << '\n';
    throw IoError(fmt::format("{}: verify found {} problem(s) (first: {})", args.dir,
                              problems.size(), problems.front()));
  }
  std::cout << fmt::format(
      "verify: OK: {} examples in {} split(s); checksums, attributes and "
      "shapes match; every program reproduces its outputs; splits share no program and no "
      "function\n",
      checked, m.splits.size());
}

}  // namespace

void add_verify_command(CLI::App& app) {
  auto args = std::make_shared<VerifyArgs>();
  CLI::App* cmd = app.add_subcommand(
      "verify",
      "check checksums, attributes and shapes of every shard, re-execute every program "
      "against its stored outputs, and check that splits share no program and no function "
      "(behaviour on the probe inputs)");
  cmd->add_option("DIR", args->dir, "dataset directory")->required();
  cmd->add_flag("--quiet", args->quiet, "no progress output");
  cmd->callback([args] { run_verify(*args); });
}

}  // namespace lasynth
