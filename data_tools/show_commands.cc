// show: one example, readable. export: a split as JSON lines or in an external layout.
#include <fmt/format.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>

#include "app/cli_checks.h"
#include "commands.h"
#include "core/error.h"
#include "data/dataset.h"
#include "lang/domains.h"
#include "pretty.h"

namespace lasynth {
namespace {

struct ShowArgs {
  std::string dir;
  std::string split = "test";
  int64_t index = 0;
  bool json = false;
};

void run_show(const ShowArgs& args) {
  data::Dataset ds(args.dir);
  const auto domain = make_domain(ds.manifest().domain, ds.manifest().domain_options);
  const Example ex = data::to_example(*domain, ds.get(args.split, args.index));
  if (args.json) {
    std::cout << example_to_json(*domain, ex).dump() << '\n';
  } else {
    print_pretty(*domain, ex, fmt::format("{} {} of {}", args.split, args.index, args.dir));
  }
}

struct ExportArgs {
  std::string dir;
  std::string split = "test";
  std::string format = "jsonl";
  std::string out;
  bool force = false;
};

void run_export(const ExportArgs& args) {
  if (!args.out.empty() && std::filesystem::exists(args.out) && !args.force) {
    throw ConfigError(fmt::format("{} exists; pass --force to overwrite it", args.out));
  }
  data::Dataset ds(args.dir);
  const auto domain = make_domain(ds.manifest().domain, ds.manifest().domain_options);
  const int64_t n = ds.size(args.split);
  if (n == 0) throw ConfigError(fmt::format("{}: no '{}' split to export", args.dir, args.split));
  std::vector<Example> examples;
  const data::SplitEntry& split = *ds.manifest().split(args.split);
  for (size_t k = 0; k < split.shards.size(); ++k) {
    for (const auto& stored : ds.shard(args.split, k).read_all()) {
      examples.push_back(data::to_example(*domain, stored));
    }
  }
  if (args.format == "jsonl") {
    std::ofstream file;
    if (!args.out.empty()) {
      file.open(args.out);
      if (!file) throw IoError(fmt::format("{}: cannot write", args.out));
    }
    std::ostream& out = args.out.empty() ? std::cout : file;
    for (const Example& ex : examples) out << example_to_json(*domain, ex).dump() << '\n';
    out.flush();
    if (!out) throw IoError("export: write error");
    return;
  }
  for (const auto& format : external_formats()) {
    if (format->name() != args.format) continue;
    if (format->domain() != domain->name()) {
      throw ConfigError(fmt::format("format {} is for the {} domain; this dataset is {}",
                                    args.format, format->domain(), domain->name()));
    }
    if (args.out.empty())
      throw ConfigError(fmt::format("--format {} needs --out PATH", args.format));
    format->write(*domain, examples, args.out);
    std::cerr << fmt::format("lasynth-data export: {} examples to {} ({})\n", examples.size(),
                             args.out, format->description());
    return;
  }
  throw ConfigError(fmt::format("unknown export format '{}'", args.format));
}

}  // namespace

void add_show_commands(CLI::App& app) {
  auto show = std::make_shared<ShowArgs>();
  CLI::App* cmd = app.add_subcommand("show", "print one example: the program and its pairs");
  cmd->add_option("DIR", show->dir, "dataset directory")->required();
  cmd->add_option("--split", show->split, "train, val or test")->capture_default_str();
  cmd->add_option("--index", show->index, "example index within the split")
      ->check(app::at_least(0))
      ->capture_default_str();
  cmd->add_flag("--json", show->json, "as one JSON line instead of text");
  cmd->callback([show] { run_show(*show); });

  auto exp = std::make_shared<ExportArgs>();
  std::vector<std::string> formats = {"jsonl"};
  std::string help = "jsonl (the layout of `sample`)";
  for (const auto& f : external_formats()) {
    formats.push_back(f->name());
    help += fmt::format(", {} ({} domain: {})", f->name(), f->domain(), f->description());
  }
  CLI::App* e = app.add_subcommand("export",
                                   "write a split out: JSON lines (default, to standard "
                                   "output) or an external layout");
  e->add_option("DIR", exp->dir, "dataset directory")->required();
  e->add_option("--split", exp->split, "train, val or test")->capture_default_str();
  e->add_option("--format", exp->format, help)
      ->check(CLI::IsMember(formats))
      ->capture_default_str();
  e->add_option("--out", exp->out, "file or directory to write (jsonl: standard output if absent)");
  e->add_flag("--force", exp->force, "overwrite --out if it exists");
  e->callback([exp] { run_export(*exp); });
}

}  // namespace lasynth
