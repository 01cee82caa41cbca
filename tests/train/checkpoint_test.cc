// The checkpoint format (train/checkpoint_format.h): what a file carries, how a model directory
// resolves to a file, and the refusals on load, each before anything of the file is used.
#include "train/checkpoint.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <string>

#include "core/error.h"
#include "core/sha256.h"
#include "test_files.h"

namespace lasynth {
namespace train {
namespace {

using lasynth::testing::read_file;
using lasynth::testing::ScratchDir;
using lasynth::testing::write_file;

// A tiny model and optimizer, saved as step 5 of `dir`; returns the file.
std::string save_one(const std::string& dir) {
  torch::manual_seed(3);
  torch::nn::Linear net(3, 2);
  torch::optim::SGD sgd(net->parameters(), torch::optim::SGDOptions(0.1));
  TrainingState state;
  state.step = 5;
  state.epoch = 1;
  state.epoch_step = 2;
  state.sampler_seed = 9;
  state.config = "{\"seed\": 9}";
  return save_checkpoint(dir, *net, sgd, state);
}

// Rewrites a checkpoint with `edit` applied to its dict, with a matching checksum.
void rewrite(const std::string& path, const std::function<void(c10::impl::GenericDict&)>& edit) {
  const std::string bytes = read_file(path);
  c10::impl::GenericDict dict =
      torch::pickle_load(std::vector<char>(bytes.begin(), bytes.end())).toGenericDict();
  edit(dict);
  const std::vector<char> out = torch::pickle_save(dict);
  const std::string data(out.begin(), out.end());
  write_file(path, data);
  write_file(path + ".sha256", sha256_hex(data) + "  x\n");
}

std::string load_error(const std::string& path) {
  torch::nn::Linear net(3, 2);
  try {
    load_checkpoint(path, *net, nullptr);
  } catch (const IoError& e) {
    return e.what();
  }
  return "";
}

TEST(Checkpoint, CarriesItsFormatAndVersionAndReadsBack) {
  ScratchDir dir;
  const std::string path = save_one(dir.path("run"));
  const Checkpoint c = read_checkpoint(dir.path("run"));  // the directory: its `latest`
  EXPECT_EQ(c.path, path);
  const auto dict = c.dict.toGenericDict();
  EXPECT_EQ(dict.at(kKeyFormat).toStringRef(), kCheckpointFormat);
  EXPECT_EQ(dict.at(kKeyFormatVersion).toInt(), kCheckpointFormatVersion);
  EXPECT_EQ(c.state.step, 5);
  EXPECT_EQ(c.state.epoch, 1);
  EXPECT_EQ(c.state.epoch_step, 2);
  EXPECT_EQ(c.state.sampler_seed, 9u);
  EXPECT_EQ(c.state.config, "{\"seed\": 9}");
}

// Every rank's generators, CPU and (when training ran on GPUs) CUDA, by rank: a resume on the
// same ranks restores each rank's streams. A CPU run writes no CUDA states.
TEST(Checkpoint, KeepsEveryRanksGeneratorStates) {
  ScratchDir dir;
  torch::nn::Linear net(3, 2);
  torch::optim::SGD sgd(net->parameters(), torch::optim::SGDOptions(0.1));
  TrainingState state;
  state.config = "{}";
  const auto bytes = [](int first) { return torch::arange(first, first + 16, torch::kUInt8); };
  state.rank_rngs = {bytes(0), bytes(100)};
  save_checkpoint(dir.path("cpu"), *net, sgd, state);
  const Checkpoint cpu = read_checkpoint(dir.path("cpu"));
  ASSERT_EQ(cpu.state.rank_rngs.size(), 2u);
  EXPECT_TRUE(torch::equal(cpu.state.rank_rngs[1], bytes(100)));
  EXPECT_TRUE(cpu.state.rank_cuda_rngs.empty());
  EXPECT_FALSE(cpu.dict.toGenericDict().at(kKeyRng).toGenericDict().contains("torch_cuda_ranks"));

  state.rank_cuda_rngs = {bytes(30), bytes(60)};
  save_checkpoint(dir.path("cuda"), *net, sgd, state);
  const Checkpoint cuda = read_checkpoint(dir.path("cuda"));
  ASSERT_EQ(cuda.state.rank_cuda_rngs.size(), 2u);
  EXPECT_TRUE(torch::equal(cuda.state.rank_cuda_rngs[0], bytes(30)));
  EXPECT_TRUE(torch::equal(cuda.state.rank_cuda_rngs[1], bytes(60)));
}

TEST(Checkpoint, ResolvesAFileOrAModelDirectory) {
  ScratchDir dir;
  const std::string path = save_one(dir.path("run"));
  EXPECT_EQ(resolve_checkpoint(path), path);
  EXPECT_EQ(resolve_checkpoint(dir.path("run")), path);
  EXPECT_THROW(resolve_checkpoint(dir.path("nothing")), IoError);
  std::filesystem::create_directories(dir.path("empty"));
  try {
    resolve_checkpoint(dir.path("empty"));
    ADD_FAILURE() << "a directory without `latest` resolved";
  } catch (const IoError& e) {
    EXPECT_NE(std::string(e.what()).find("latest"), std::string::npos) << e.what();
  }
}

TEST(Checkpoint, AnotherVersionIsRefusedSayingWhatToDo) {
  ScratchDir dir;
  const std::string path = save_one(dir.path("run"));
  rewrite(path, [](c10::impl::GenericDict& d) { d.insert_or_assign(kKeyFormatVersion, 2); });
  const std::string what = load_error(path);
  EXPECT_NE(what.find(path), std::string::npos) << what;
  EXPECT_NE(what.find("version 2"), std::string::npos) << what;
  EXPECT_NE(what.find("train the model again"), std::string::npos) << what;
}

TEST(Checkpoint, AFileWithoutTheFormatKeyIsRefused) {
  ScratchDir dir;
  const std::string path = save_one(dir.path("run"));
  rewrite(path, [](c10::impl::GenericDict& d) {
    EXPECT_EQ(d.erase(kKeyFormat), 1u);
    EXPECT_EQ(d.erase(kKeyFormatVersion), 1u);
  });
  const std::string what = load_error(path);
  EXPECT_NE(what.find("not a lasynth-checkpoint"), std::string::npos) << what;
}

TEST(Checkpoint, TheChecksumIsVerifiedBeforeAnythingIsParsed) {
  ScratchDir dir;
  const std::string path = save_one(dir.path("run"));
  // Bytes that are no pickle at all: the checksum, not the unpickler, must refuse them.
  write_file(path, "garbage, not a checkpoint");
  const std::string damaged = load_error(path);
  EXPECT_NE(damaged.find("checksum"), std::string::npos) << damaged;
  // The same bytes with a matching checksum: refused by the format check, in one line.
  write_file(path + ".sha256", sha256_hex("garbage, not a checkpoint") + "  x\n");
  const std::string foreign = load_error(path);
  EXPECT_NE(foreign.find("not a lasynth checkpoint"), std::string::npos) << foreign;
  EXPECT_EQ(foreign.find('\n'), std::string::npos) << foreign;
}

}  // namespace
}  // namespace train
}  // namespace lasynth
