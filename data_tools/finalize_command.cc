// finalize: the manifest of a dataset whose shards were made by separate tasks (SLURM arrays,
// --shard-range), after checking that every shard is there and finished.
#include <fmt/format.h>

#include <iostream>
#include <memory>

#include "commands.h"
#include "data/generate.h"
#include "lang/domains.h"

namespace lasynth {

void add_finalize_command(CLI::App& app) {
  auto dir = std::make_shared<std::string>();
  CLI::App* cmd = app.add_subcommand(
      "finalize", "write DIR/manifest.json once every shard of a split-up generation is done");
  cmd->add_option("DIR", *dir, "dataset directory")->required();
  cmd->callback([dir] {
    const data::GenerateOptions options = data::read_generation(*dir);
    const auto domain = make_domain(options.domain, options.domain_options);
    const data::Manifest m = data::finalize(*domain, options, *dir);
    std::string splits;
    for (const auto& s : m.splits) {
      splits += fmt::format("{}{} {} ({} shards)", splits.empty() ? "" : ", ", s.name, s.examples(),
                            s.shards.size());
    }
    std::cout << fmt::format("finalize: wrote {}/manifest.json: {}\n", *dir, splits);
  });
}

}  // namespace lasynth
