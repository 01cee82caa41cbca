#include "data/manifest.h"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "core/error.h"
#include "data/format.h"

namespace lasynth {
namespace data {

int64_t SplitEntry::examples() const {
  int64_t n = 0;
  for (const ShardEntry& s : shards) n += s.examples;
  return n;
}

const SplitEntry* Manifest::split(const std::string& name) const {
  for (const SplitEntry& s : splits) {
    if (s.name == name) return &s;
  }
  return nullptr;
}

nlohmann::ordered_json Manifest::to_json() const {
  nlohmann::ordered_json j;
  j["lasynth_format"] = kManifestMagic;
  j["format_version"] = kFormatVersion;
  j["domain"] = domain;
  j["domain_options"] = domain_options;
  j["vocabulary"] = {{"version", vocab_version}, {"hash", vocab_hash}, {"tokens", vocab_tokens}};
  j["settings_hash"] = settings_hash;
  j["generator"] = generator;
  nlohmann::ordered_json splits_json = nlohmann::ordered_json::object();
  for (const SplitEntry& s : splits) {
    nlohmann::ordered_json shards = nlohmann::ordered_json::array();
    for (const ShardEntry& e : s.shards) {
      nlohmann::ordered_json shard;
      shard["file"] = e.file;
      shard["examples"] = e.examples;
      shard["sha256"] = e.sha256;
      shards.push_back(std::move(shard));
    }
    nlohmann::ordered_json split;
    split["examples"] = s.examples();
    split["shards"] = std::move(shards);
    splits_json[s.name] = std::move(split);
  }
  j["splits"] = std::move(splits_json);
  return j;
}

namespace {

// How to make the dataset at `where` (its manifest.json) again with this lasynth, from what its
// manifest records; "" when it does not record enough.
std::string remake_remedy(const nlohmann::json& j, const std::string& where) {
  const std::string dir = std::filesystem::path(where).parent_path().string();
  try {
    const nlohmann::json& g = j.at("generator");
    if (g.value("tool", "") != "lasynth-datagen") {
      return "import it again with this lasynth (lasynth-data import-lasynth or import-karel)";
    }
    std::string cmd = fmt::format("lasynth-datagen --domain {}", j.at("domain").get<std::string>());
    for (const auto& [key, value] : j.at("domain_options").items()) {
      std::string flag = key;
      std::replace(flag.begin(), flag.end(), '_', '-');
      cmd += fmt::format(" --{} {}", flag, value.get<std::string>());
    }
    cmd += fmt::format(" --train {} --val {} --test {} --shards {} --eval-shards {} --seed {}",
                       g.at("train").get<int64_t>(), g.at("val").get<int64_t>(),
                       g.at("test").get<int64_t>(), g.at("shards").get<int>(),
                       g.at("eval_shards").get<int>(), g.at("seed").get<uint64_t>());
    return fmt::format("regenerate it with `{} --out {} --force`", cmd, dir);
  } catch (const nlohmann::json::exception&) {
    return "";
  }
}

}  // namespace

Manifest Manifest::from_json(const nlohmann::json& j, const std::string& where) {
  auto fail = [&](const std::string& why) -> IoError {
    return IoError(fmt::format("{}: {}", where, why));
  };
  try {
    if (!j.is_object() || j.value("lasynth_format", "") != kManifestMagic) {
      throw fail("not a lasynth dataset manifest");
    }
    const int version = j.at("format_version").get<int>();
    if (version != kFormatVersion) throw fail(version_refusal(version, remake_remedy(j, where)));
    Manifest m;
    m.domain = j.at("domain").get<std::string>();
    m.domain_options = j.at("domain_options").get<DomainOptions>();
    m.vocab_version = j.at("vocabulary").at("version").get<int>();
    m.vocab_hash = j.at("vocabulary").at("hash").get<std::string>();
    m.vocab_tokens = j.at("vocabulary").at("tokens").get<std::vector<std::string>>();
    m.settings_hash = j.at("settings_hash").get<std::string>();
    m.generator = j.at("generator");
    for (const char* name : kSplits) {
      if (!j.at("splits").contains(name)) continue;
      SplitEntry split;
      split.name = name;
      for (const auto& e : j.at("splits").at(name).at("shards")) {
        split.shards.push_back({e.at("file").get<std::string>(), e.at("examples").get<int64_t>(),
                                e.at("sha256").get<std::string>()});
      }
      m.splits.push_back(std::move(split));
    }
    return m;
  } catch (const nlohmann::json::exception& e) {
    throw fail(fmt::format("malformed manifest ({})", e.what()));
  }
}

void write_manifest(const std::string& dir, const Manifest& manifest) {
  const std::string path = dir + "/" + kManifestName;
  const std::string tmp = fmt::format("{}.partial-{}", path, getpid());
  {
    std::ofstream out(tmp);
    out << manifest.to_json().dump(2) << '\n';
    if (!out) throw IoError(fmt::format("{}: cannot write the manifest", tmp));
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    std::remove(tmp.c_str());
    throw IoError(fmt::format("{}: cannot move the manifest into place", path));
  }
}

Manifest read_manifest(const std::string& dir) {
  const std::string path = dir + "/" + kManifestName;
  std::ifstream in(path);
  if (!in) {
    if (std::filesystem::is_directory(dir)) {
      throw IoError(
          fmt::format("{}: missing; the dataset is incomplete (after SLURM array tasks, "
                      "run `lasynth-data finalize {}`)",
                      path, dir));
    }
    throw IoError(fmt::format("{}: no such dataset directory", dir));
  }
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(in);
  } catch (const nlohmann::json::parse_error& e) {
    throw IoError(fmt::format("{}: not valid JSON ({})", path, e.what()));
  }
  return Manifest::from_json(j, path);
}

}  // namespace data
}  // namespace lasynth
