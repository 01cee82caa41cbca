#include "data/shard.h"

#include <gtest/gtest.h>
#include <hdf5.h>

#include "core/error.h"
#include "data/format.h"
#include "test_files.h"

namespace lasynth {
namespace data {
namespace {

using testing::ScratchDir;

ShardInfo info(int io_pairs = 2, int value_size = 3) {
  ShardInfo i;
  i.domain = "c";
  i.split = "train";
  i.shard_index = 1;
  i.num_shards = 4;
  i.io_pairs = io_pairs;
  i.num_spec = 1;
  i.value_size = value_size;
  i.domain_options = R"({"output_range":"4"})";
  i.vocab_hash = "0123456789abcdef";
  i.settings_hash = "fedcba9876543210";
  return i;
}

std::vector<StoredExample> examples(int n, int pairs = 2, int values = 3) {
  std::vector<StoredExample> out;
  for (int i = 0; i < n; ++i) {
    StoredExample ex;
    for (int t = 0; t < 3 + i % 5; ++t) ex.tokens.push_back(i * 10 + t);
    for (int p = 0; p < pairs; ++p) {
      Value in(values), o(values);
      for (int v = 0; v < values; ++v) {
        in[v] = (i * 7 + p * 3 + v) % 9 - 4;
        o[v] = (i * 5 + p + v * 2) % 33 - 16;
      }
      ex.io.push_back({in, o});
    }
    out.push_back(std::move(ex));
  }
  return out;
}

// Bytes of one chunk of dataset `name`.
size_t chunk_bytes(const std::string& path, const char* name) {
  const hid_t f = H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  const hid_t ds = H5Dopen2(f, name, H5P_DEFAULT);
  const hid_t dcpl = H5Dget_create_plist(ds);
  hsize_t dims[3] = {0, 0, 0};
  const int rank = H5Pget_chunk(dcpl, 3, dims);
  size_t n = rank > 0 ? 4 : 0;
  for (int i = 0; i < rank; ++i) n *= dims[i];
  if (std::string(name) == kOffsetsPath) n *= 2;
  H5Pclose(dcpl);
  H5Dclose(ds);
  H5Fclose(f);
  return n;
}

std::string error_of(const std::string& path) {
  try {
    ShardReader reader(path);
  } catch (const IoError& e) {
    return e.what();
  }
  return "no error";
}

TEST(Shard, RoundTrip) {
  ScratchDir dir;
  const auto data = examples(1000);
  write_shard(dir.path("s.h5"), info(), data);
  ShardReader reader(dir.path("s.h5"));
  EXPECT_EQ(reader.info().num_examples, 1000);
  EXPECT_EQ(reader.info().split, "train");
  EXPECT_EQ(reader.info().shard_index, 1);
  EXPECT_EQ(reader.info().settings_hash, "fedcba9876543210");
  EXPECT_EQ(reader.info().domain_options, R"({"output_range":"4"})");
  const auto all = reader.read_all();
  ASSERT_EQ(all.size(), data.size());
  for (size_t i = 0; i < data.size(); ++i) {
    ASSERT_EQ(all[i].tokens, data[i].tokens);
    ASSERT_EQ(all[i].io[1].input, data[i].io[1].input);
    ASSERT_EQ(all[i].io[0].output, data[i].io[0].output);
  }
  for (int64_t i : {0, 1, 499, 999}) {
    const StoredExample one = reader.read(i);
    EXPECT_EQ(one.tokens, data[i].tokens);
    EXPECT_EQ(one.io[1].output, data[i].io[1].output);
  }
  EXPECT_THROW(reader.read(1000), IoError);
}

TEST(Shard, SameContentSameBytes) {
  ScratchDir dir;
  write_shard(dir.path("a.h5"), info(), examples(300));
  write_shard(dir.path("b.h5"), info(), examples(300));
  EXPECT_EQ(testing::read_file(dir.path("a.h5")), testing::read_file(dir.path("b.h5")));
  write_shard(dir.path("c.h5"), info(), examples(301));
  EXPECT_NE(testing::read_file(dir.path("a.h5")), testing::read_file(dir.path("c.h5")));
}

TEST(Shard, ChunksAreBetween10KiBAnd1MiB) {
  ScratchDir dir;
  // Restricted-C sized examples (10 pairs of 5 values), and Karel sized (6 of 327).
  write_shard(dir.path("c.h5"), info(10, 5), examples(20000, 10, 5));
  write_shard(dir.path("k.h5"), info(6, 327), examples(300, 6, 327));
  for (const char* file : {"c.h5", "k.h5"}) {
    for (const char* name : {kTokensPath, kOffsetsPath, kInputsPath, kOutputsPath}) {
      const size_t bytes = chunk_bytes(dir.path(file), name);
      EXPECT_GE(bytes, 10u << 10) << file << " " << name;
      EXPECT_LE(bytes, 1u << 20) << file << " " << name;
    }
  }
}

TEST(Shard, RefusesMissingTruncatedCorruptedAndForeignFiles) {
  ScratchDir dir;
  write_shard(dir.path("good.h5"), info(), examples(2000));
  const std::string good = testing::read_file(dir.path("good.h5"));

  EXPECT_NE(error_of(dir.path("none.h5")).find("none.h5: shard file is missing"),
            std::string::npos);

  testing::write_file(dir.path("truncated.h5"), good.substr(0, good.size() / 2));
  const std::string truncated = error_of(dir.path("truncated.h5"));
  EXPECT_NE(truncated.find("truncated.h5"), std::string::npos) << truncated;
  EXPECT_NE(truncated, "no error");

  testing::write_file(dir.path("text.h5"), "this is not a shard\n");
  EXPECT_NE(error_of(dir.path("text.h5")).find("not an HDF5 file"), std::string::npos);

  // An HDF5 file that is not ours.
  const hid_t f =
      H5Fcreate(dir.path("foreign.h5").c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  H5Fclose(f);
  EXPECT_NE(error_of(dir.path("foreign.h5")).find("not a lasynth shard"), std::string::npos);

  // Ours, from a future format version and from an older one.
  auto with_version = [&](const std::string& name, int64_t version) {
    testing::write_file(dir.path(name), good);
    const hid_t g = H5Fopen(dir.path(name).c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
    const hid_t attr = H5Aopen(g, "format_version", H5P_DEFAULT);
    H5Awrite(attr, H5T_NATIVE_INT64, &version);
    H5Aclose(attr);
    H5Fclose(g);
    return error_of(dir.path(name));
  };
  const std::string future = with_version("future.h5", kFormatVersion + 1);
  EXPECT_NE(future.find("format version 3; this lasynth reads version 2: use a newer lasynth"),
            std::string::npos)
      << future;
  const std::string old = with_version("old.h5", 1);
  EXPECT_NE(old.find("format version 1; this lasynth reads version 2 (splits disjoint by "
                     "behaviour, not by text): regenerate it with lasynth-datagen"),
            std::string::npos)
      << old;

  // Damage inside a chunk of the stored inputs: reading fails on the chunk's checksum.
  haddr_t addr = 0;
  hsize_t size = 0;
  {
    const hid_t g = H5Fopen(dir.path("good.h5").c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
    const hid_t ds = H5Dopen2(g, kInputsPath, H5P_DEFAULT);
    const hid_t space = H5Dget_space(ds);
    hsize_t offset[3];
    unsigned mask = 0;
    ASSERT_GE(H5Dget_chunk_info(ds, space, 0, offset, &mask, &addr, &size), 0);
    H5Sclose(space);
    H5Dclose(ds);
    H5Fclose(g);
  }
  std::string damaged = good;
  for (size_t i = addr + size / 2; i < addr + size / 2 + 8; ++i) damaged[i] ^= 0x5a;
  testing::write_file(dir.path("damaged.h5"), damaged);
  ShardReader reader(dir.path("damaged.h5"));
  try {
    reader.read_all();
    ADD_FAILURE() << "damaged data read without an error";
  } catch (const IoError& e) {
    EXPECT_NE(std::string(e.what()).find("damaged.h5: reading /io/inputs failed"),
              std::string::npos)
        << e.what();
  }
  EXPECT_THROW(reader.read(0), IoError);
}

TEST(Shard, WritesAtomically) {
  ScratchDir dir;
  write_shard(dir.path("train/s.h5"), info(), examples(10));
  for (const auto& entry : std::filesystem::directory_iterator(dir.path("train"))) {
    EXPECT_EQ(entry.path().filename(), "s.h5");  // no temporary file left behind
  }
  EXPECT_THROW(write_shard(dir.path("s.h5"), info(3), examples(10)), IoError);  // pair count
  EXPECT_FALSE(std::filesystem::exists(dir.path("s.h5")));
}

}  // namespace
}  // namespace data
}  // namespace lasynth
