// The flags as the settings each component declares: every key of every config in configs/ is a
// flag, reads into its component, and survives writing and reading again; bad values in a config
// are refused with the file and key named; the original's data-shape flags are checked.
#include "app/flags.h"

#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <filesystem>
#include <string>
#include <vector>

#include "core/error.h"
#include "test_files.h"

namespace lasynth {
namespace app {
namespace {

using lasynth::testing::ScratchDir;
using lasynth::testing::write_file;

// The flags after `lasynth --config FILE` and nothing else.
Flags parse_with_config(const std::string& file) {
  CLI::App cli;
  Flags flags;
  add_flags(&cli, &flags);
  std::vector<std::string> args = {"--config", file};
  std::reverse(args.begin(), args.end());  // CLI11 takes them last first
  cli.parse(args);
  apply_config(&cli, &flags);
  return flags;
}

std::vector<std::string> config_files() {
  std::vector<std::string> files;
  for (const auto& entry : std::filesystem::directory_iterator(LASYNTH_CONFIGS_DIR)) {
    if (entry.path().extension() == ".yaml") files.push_back(entry.path().string());
  }
  std::sort(files.begin(), files.end());
  return files;
}

// The YAML scalar and the JSON value are the same setting.
void expect_same_value(const std::string& file, const std::string& key, const YAML::Node& yaml,
                       const nlohmann::ordered_json& json) {
  SCOPED_TRACE(file + ": " + key);
  if (json.is_boolean()) {
    EXPECT_EQ(json.get<bool>(), yaml.as<bool>());
  } else if (json.is_number()) {
    EXPECT_DOUBLE_EQ(json.get<double>(), yaml.as<double>());
  } else {
    EXPECT_EQ(json.get<std::string>(), yaml.as<std::string>());
  }
}

TEST(Flags, EveryKeyOfEveryConfigReadsIntoItsSettingAndRoundTrips) {
  const std::vector<std::string> files = config_files();
  ASSERT_GE(files.size(), 10u);  // one per model and domain, and the quickstart
  ScratchDir dir;
  for (const std::string& file : files) {
    const Flags flags = parse_with_config(file);
    const nlohmann::ordered_json settings = flags.to_json();
    const YAML::Node yaml = YAML::LoadFile(file);
    for (const auto& entry : yaml) {
      const std::string key = entry.first.as<std::string>();
      ASSERT_TRUE(settings.contains(key)) << file << ": " << key;
      if (key != "config") expect_same_value(file, key, entry.second, settings.at(key));
    }
    // Every setting written out (JSON is YAML) and read back gives the same settings.
    nlohmann::ordered_json written = settings;
    written.erase("config");
    const std::string copy = dir.path("copy.yaml");
    write_file(copy, written.dump(2));
    nlohmann::ordered_json again = parse_with_config(copy).to_json();
    again.erase("config");
    EXPECT_EQ(again, written) << file;
  }
}

// A sweep file's flags, evaluation flags and grid points are flags too.
TEST(Flags, EveryFlagOfEverySweepFileIsAFlag) {
  const nlohmann::ordered_json known = Flags{}.to_json();
  auto expect_flags = [&](const std::string& file, const YAML::Node& map) {
    for (const auto& entry : map) {
      const std::string key = entry.first.as<std::string>();
      EXPECT_TRUE(known.contains(key)) << file << ": " << key;
    }
  };
  int files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(LASYNTH_CONFIGS_DIR "/sweeps")) {
    const std::string file = entry.path().string();
    const YAML::Node sweep = YAML::LoadFile(file);
    ++files;
    expect_flags(file, sweep["flags"]);
    expect_flags(file, sweep["eval"]);
    for (const auto& axis : sweep["grid"]) {
      if (axis.second.IsSequence()) {
        EXPECT_TRUE(known.contains(axis.first.as<std::string>())) << file;
      } else {
        for (const auto& variant : axis.second) expect_flags(file, variant.second);
      }
    }
  }
  EXPECT_GE(files, 1);
}

TEST(Flags, TheCommandLineWinsOverTheConfig) {
  ScratchDir dir;
  const std::string file = dir.path("c.yaml");
  write_file(file, "batch_size: 16\nlr: 0.5\n");
  CLI::App cli;
  Flags flags;
  add_flags(&cli, &flags);
  cli.parse(std::vector<std::string>{"3", "--batch_size", file, "--config"});
  apply_config(&cli, &flags);
  EXPECT_EQ(flags.train.batch_size, 3);
  EXPECT_DOUBLE_EQ(flags.train.lr, 0.5);
}

TEST(Flags, ABadValueInAConfigNamesTheFileTheKeyAndTheRange) {
  ScratchDir dir;
  const std::string file = dir.path("bad.yaml");
  for (const std::string& line : {"batch_size: 0", "optimizer: adamw", "beam: -1",
                                  "dropout_rate: 2", "no_such_flag: 1", "lr: [1, 2]"}) {
    write_file(file, line + "\n");
    try {
      parse_with_config(file);
      ADD_FAILURE() << line << ": accepted";
    } catch (const ConfigError& e) {
      const std::string what = e.what();
      EXPECT_NE(what.find(file), std::string::npos) << what;
      EXPECT_NE(what.find(line.substr(0, line.find(':'))), std::string::npos) << what;
    }
  }
}

TEST(Flags, TheSameFlagOnTheCommandLineIsCheckedToo) {
  CLI::App cli;
  Flags flags;
  add_flags(&cli, &flags);
  EXPECT_THROW(cli.parse(std::vector<std::string>{"0", "--batch_size"}), CLI::ValidationError);
  EXPECT_THROW(cli.parse(std::vector<std::string>{"adamw", "--optimizer"}), CLI::ValidationError);
}

TEST(Flags, DataShapeFlagsAreCheckedAgainstTheDataset) {
  data::Manifest m;
  m.domain = "c";
  m.domain_options = {{"array_len", "5"}, {"value_range", "4"}, {"max_locals", "4"}};
  DataShape given;
  EXPECT_NO_THROW(check_data_shape(given, m, "data/c"));  // nothing given, nothing checked
  given.io_size = 5;
  given.value_range = 4;
  EXPECT_NO_THROW(check_data_shape(given, m, "data/c"));
  given.io_size = 6;
  try {
    check_data_shape(given, m, "data/c");
    ADD_FAILURE() << "--io_size 6 accepted for arrays of 5";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("--io_size 6"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("data/c"), std::string::npos) << e.what();
  }
  given.io_size = -1;
  given.train_size = 100;  // the manifest holds no train split: 0 examples
  EXPECT_THROW(check_data_shape(given, m, "data/c"), ConfigError);
}

}  // namespace
}  // namespace app
}  // namespace lasynth
