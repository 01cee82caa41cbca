#include "app/flags.h"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include "core/error.h"

namespace lasynth {
namespace app {
namespace {

// A YAML scalar as the text a command line would carry.
std::string scalar_text(const std::string& file, const std::string& key, const YAML::Node& node) {
  if (!node.IsScalar()) {
    throw ConfigError(fmt::format("{}: {}: expected a single value, not a list or map", file, key));
  }
  return node.as<std::string>();
}

// `has` says what the dataset has instead ("array_len = 5", "60 train examples").
void check_shape_value(const std::string& flag, int64_t given, int64_t actual,
                       const std::string& has, const std::string& dataset) {
  if (given < 0 || given == actual) return;
  throw ConfigError(fmt::format(
      "--{} {}: the dataset {} has {}; drop the flag (the dataset decides) or use a dataset "
      "made with that shape",
      flag, given, dataset, has));
}

}  // namespace

nlohmann::ordered_json Flags::to_json() const {
  nlohmann::ordered_json j = fields_to_json(run);
  for (const auto& part :
       {fields_to_json(model), fields_to_json(train), fields_to_json(eval),
        fields_to_json(generate), fields_to_json(retrain), fields_to_json(shape)}) {
    j.update(part);
  }
  return j;
}

train::TrainOptions Flags::train_options() const {
  train::TrainOptions t = train;
  t.data_folder = run.data_folder;
  t.model_dir = run.model_dir;
  t.device = run.effective_device();
  return t;
}

eval::EvalOptions Flags::eval_options() const {
  eval::EvalOptions e = eval;
  e.data_folder = run.data_folder;
  e.checkpoint = run.checkpoint();
  e.device = run.effective_device();
  e.quiet = false;
  return e;
}

void add_flags(CLI::App* app, Flags* f) {
  app->option_defaults()->always_capture_default();
  bind_fields(app, &f->run);
  bind_fields(app, &f->generate);
  bind_fields(app, &f->retrain);
  bind_fields(app, &f->model);
  bind_fields(app, &f->train);
  bind_fields(app, &f->eval);
  bind_fields(app, &f->shape);
}

void apply_config(CLI::App* app, Flags* f) {
  const std::string& file = f->run.config;
  if (file.empty()) return;
  YAML::Node root;
  try {
    root = YAML::LoadFile(file);
  } catch (const YAML::Exception& e) {
    throw ConfigError(fmt::format("{}: not readable YAML ({})", file, e.what()));
  }
  if (!root.IsMap()) throw ConfigError(fmt::format("{}: expected a map of flag: value", file));
  for (const auto& entry : root) {
    const std::string key = entry.first.as<std::string>();
    CLI::Option* opt = nullptr;
    try {
      opt = app->get_option("--" + key);
    } catch (const CLI::OptionNotFound&) {
      throw ConfigError(
          fmt::format("{}: unknown flag '{}' (lasynth --help lists them)", file, key));
    }
    if (opt->count() > 0) continue;  // the command line wins
    const std::string value = scalar_text(file, key, entry.second);
    try {
      if (opt->get_type_size() == 0) {
        if (value == "true" || value == "1") opt->add_result("true");  // false: the default
      } else {
        opt->add_result(value);
      }
      opt->run_callback();
    } catch (const CLI::Error& e) {
      throw ConfigError(fmt::format("{}: {} = '{}': {}", file, key, value, e.what()));
    }
  }
}

void check_supported(const Flags& f) { model::check_switches(f.model); }

void check_data_shape(const DataShape& s, const data::Manifest& manifest,
                      const std::string& dataset) {
  auto option = [&](const std::string& flag, int64_t given, const char* key) {
    if (given < 0) return;
    const auto it = manifest.domain_options.find(key);
    if (it == manifest.domain_options.end()) {
      throw ConfigError(fmt::format("--{} {}: the {} dataset {} has no {}; drop the flag", flag,
                                    given, manifest.domain, dataset, key));
    }
    check_shape_value(flag, given, std::stoll(it->second), fmt::format("{} = {}", key, it->second),
                      dataset);
  };
  option("io_size", s.io_size, "array_len");
  // The original's num_vars counts a program's input arrays: restricted C functions take one.
  if (s.num_vars >= 0 && manifest.domain != "c") {
    throw ConfigError(
        fmt::format("--num_vars {}: the {} dataset {} has no input arrays; drop the "
                    "flag",
                    s.num_vars, manifest.domain, dataset));
  }
  check_shape_value("num_vars", s.num_vars, 1, "programs of 1 input array", dataset);
  option("value_range", s.value_range, "value_range");
  auto count = [&](const std::string& flag, int64_t given, const char* split) {
    const data::SplitEntry* entry = manifest.split(split);
    const int64_t examples = entry ? entry->examples() : 0;
    check_shape_value(flag, given, examples, fmt::format("{} {} examples", examples, split),
                      dataset);
  };
  count("train_size", s.train_size, "train");
  count("val_size", s.val_size, "val");
  count("test_size", s.test_size, "test");
}

}  // namespace app
}  // namespace lasynth
