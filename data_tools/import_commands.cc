// import-<format>: a dataset split from data in an external layout (external_format.h).
#include <fmt/format.h>

#include <iostream>
#include <memory>

#include "app/cli_checks.h"
#include "commands.h"
#include "core/error.h"
#include "data/dataset.h"
#include "data/writer.h"
#include "domain_flags.h"
#include "lang/domains.h"

namespace lasynth {
namespace {

struct ImportArgs {
  const ExternalFormat* format = nullptr;
  DomainFlags limits;
  std::string source;
  std::string out;
  std::string split = "train";
  int shards = 1;
  bool force = false;
};

void run_import(const ImportArgs& args) {
  DomainOptions options = args.format->detect_options(args.source);
  for (const auto& [k, v] : args.limits.options()) options[k] = v;
  const auto domain = make_domain(args.format->domain(), options);
  ImportReport report;
  const std::vector<Example> examples = args.format->read(*domain, args.source, &report);
  std::string skipped;
  for (const auto& [kind, n] : report.skipped) {
    skipped += fmt::format("{}{} {}", skipped.empty() ? "" : ", ", kind, n);
  }
  std::cerr << fmt::format("import-{}: read {} task(s), imported {}{}\n", args.format->name(),
                           report.read, report.imported,
                           skipped.empty() ? "" : ", skipped " + skipped);
  for (const std::string& why : report.first_reasons) std::cerr << "  skipped: " << why << '\n';
  if (examples.empty()) {
    throw ConfigError(fmt::format("{}: nothing to import", args.source));
  }
  std::vector<data::StoredExample> stored;
  stored.reserve(examples.size());
  for (const Example& ex : examples) stored.push_back(data::to_stored(*domain, ex));
  nlohmann::ordered_json provenance;
  provenance["format"] = args.format->name();
  provenance["source"] = args.source;
  provenance["read"] = report.read;
  provenance["imported"] = report.imported;
  provenance["skipped"] = report.skipped;
  const data::Manifest m =
      data::write_split(args.out, *domain, args.split, stored, args.shards, provenance, args.force);
  std::cerr << fmt::format("import-{}: wrote {} examples as '{}' of {}\n", args.format->name(),
                           stored.size(), args.split, args.out);
}

}  // namespace

void add_import_commands(CLI::App& app) {
  static const auto formats = external_formats();
  for (const auto& format : formats) {
    auto args = std::make_shared<ImportArgs>();
    args->format = format.get();
    CLI::App* cmd = app.add_subcommand(
        "import-" + format->name(),
        fmt::format("make (or add a split to) a dataset from {}; tasks our {} domain cannot hold, "
                    "or whose outputs our interpreter does not reproduce, are skipped and counted",
                    format->description(), format->domain()));
    cmd->add_option("SOURCE", args->source, "file or directory to read")->required();
    cmd->add_option("OUT", args->out, "dataset directory to write")->required();
    cmd->add_option("--split", args->split, "split to write: train, val or test")
        ->check(CLI::IsMember({"train", "val", "test"}))
        ->capture_default_str();
    cmd->add_option("--shards", args->shards, "shards to write")
        ->check(app::number_in(1, 99999))
        ->capture_default_str();
    cmd->add_flag("--force", args->force, "replace the split (or a non-dataset OUT)");
    args->limits.add_to(cmd, /*with_domain=*/false);
    cmd->callback([args] { run_import(*args); });
  }
}

}  // namespace lasynth
