#include "data/shard.h"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <hdf5.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <filesystem>

#include "core/error.h"
#include "data/format.h"

namespace lasynth {
namespace data {
namespace {

// HDF5 handles closed on scope exit.
class Handle {
 public:
  Handle(hid_t id, herr_t (*close)(hid_t)) : id_(id), close_(close) {}
  ~Handle() {
    if (id_ >= 0) close_(id_);
  }
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;
  hid_t get() const { return id_; }
  bool ok() const { return id_ >= 0; }

 private:
  hid_t id_;
  herr_t (*close_)(hid_t);
};

void silence_hdf5() {
  static std::once_flag once;
  std::call_once(once, [] { H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr); });
}

void check(herr_t status, const std::string& path, const char* what) {
  if (status < 0) throw IoError(fmt::format("{}: HDF5 could not {}", path, what));
}

hid_t checked(hid_t id, const std::string& path, const char* what) {
  if (id < 0) throw IoError(fmt::format("{}: HDF5 could not {}", path, what));
  return id;
}

void write_attr_int(hid_t loc, const char* name, int64_t value, const std::string& path) {
  Handle space(checked(H5Screate(H5S_SCALAR), path, "create an attribute space"), H5Sclose);
  Handle attr(checked(H5Acreate2(loc, name, H5T_STD_I64LE, space.get(), H5P_DEFAULT, H5P_DEFAULT),
                      path, "create an attribute"),
              H5Aclose);
  check(H5Awrite(attr.get(), H5T_NATIVE_INT64, &value), path, "write an attribute");
}

void write_attr_str(hid_t loc, const char* name, const std::string& value,
                    const std::string& path) {
  Handle type(H5Tcopy(H5T_C_S1), H5Tclose);
  check(H5Tset_size(type.get(), std::max<size_t>(1, value.size())), path, "size a string type");
  check(H5Tset_strpad(type.get(), H5T_STR_NULLPAD), path, "pad a string type");
  Handle space(checked(H5Screate(H5S_SCALAR), path, "create an attribute space"), H5Sclose);
  Handle attr(checked(H5Acreate2(loc, name, type.get(), space.get(), H5P_DEFAULT, H5P_DEFAULT),
                      path, "create an attribute"),
              H5Aclose);
  std::string padded = value;
  padded.resize(std::max<size_t>(1, value.size()), '\0');
  check(H5Awrite(attr.get(), type.get(), padded.data()), path, "write an attribute");
}

int64_t read_attr_int(hid_t loc, const char* name, const std::string& path) {
  if (H5Aexists(loc, name) <= 0) {
    throw IoError(
        fmt::format("{}: attribute '{}' is missing; not a lasynth shard, or damaged", path, name));
  }
  Handle attr(checked(H5Aopen(loc, name, H5P_DEFAULT), path, "open an attribute"), H5Aclose);
  int64_t value = 0;
  check(H5Aread(attr.get(), H5T_NATIVE_INT64, &value), path, "read an integer attribute");
  return value;
}

std::string read_attr_str(hid_t loc, const char* name, const std::string& path) {
  if (H5Aexists(loc, name) <= 0) {
    throw IoError(
        fmt::format("{}: attribute '{}' is missing; not a lasynth shard, or damaged", path, name));
  }
  Handle attr(checked(H5Aopen(loc, name, H5P_DEFAULT), path, "open an attribute"), H5Aclose);
  Handle type(H5Aget_type(attr.get()), H5Tclose);
  if (H5Tget_class(type.get()) != H5T_STRING || H5Tis_variable_str(type.get()) > 0) {
    throw IoError(fmt::format("{}: attribute '{}' is not a fixed-length string", path, name));
  }
  std::string value(H5Tget_size(type.get()), '\0');
  check(H5Aread(attr.get(), type.get(), value.data()), path, "read a string attribute");
  value.resize(value.find('\0') == std::string::npos ? value.size() : value.find('\0'));
  return value;
}

// Creates a dataset of `dims` with chunks of `chunk` and writes `data`. The first dimension is
// extendible, so a chunk may be larger than a small dataset and stays within the format's
// 10 KiB..1 MiB. Creation times are not recorded, so equal content gives byte-identical files.
void write_dataset(hid_t file, const char* name, hid_t file_type, hid_t mem_type,
                   const std::vector<hsize_t>& dims, const std::vector<hsize_t>& chunk,
                   const void* data, const std::string& path) {
  Handle dcpl(H5Pcreate(H5P_DATASET_CREATE), H5Pclose);
  check(H5Pset_obj_track_times(dcpl.get(), 0), path, "turn off time tracking");
  check(H5Pset_chunk(dcpl.get(), static_cast<int>(chunk.size()), chunk.data()), path, "set chunks");
  check(H5Pset_shuffle(dcpl.get()), path, "set the shuffle filter");
  check(H5Pset_deflate(dcpl.get(), 4), path, "set compression");
  // A checksum per chunk: damaged data fails to read instead of decoding to wrong numbers.
  check(H5Pset_fletcher32(dcpl.get()), path, "set chunk checksums");
  bool empty = false;
  for (hsize_t d : dims) empty = empty || d == 0;
  std::vector<hsize_t> max_dims = dims;
  max_dims[0] = H5S_UNLIMITED;
  Handle space(
      checked(H5Screate_simple(static_cast<int>(dims.size()), dims.data(), max_dims.data()), path,
              "create a dataspace"),
      H5Sclose);
  Handle ds(
      checked(H5Dcreate2(file, name, file_type, space.get(), H5P_DEFAULT, dcpl.get(), H5P_DEFAULT),
              path, "create a dataset"),
      H5Dclose);
  if (!empty) {
    check(H5Dwrite(ds.get(), mem_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, data), path,
          "write a dataset");
  }
}

// Rows per chunk for rows of `row_bytes`: about 64 KiB per chunk.
hsize_t chunk_rows(size_t row_bytes) {
  return std::max<hsize_t>(1, (64 << 10) / std::max<size_t>(1, row_bytes));
}

std::vector<hsize_t> dims_of(hid_t ds) {
  Handle space(H5Dget_space(ds), H5Sclose);
  const int rank = H5Sget_simple_extent_ndims(space.get());
  std::vector<hsize_t> dims(static_cast<size_t>(std::max(rank, 0)));
  if (rank > 0) H5Sget_simple_extent_dims(space.get(), dims.data(), nullptr);
  return dims;
}

// Opens dataset `name` with a chunk cache of `cache_bytes`.
hid_t open_cached(hid_t file, const char* name, size_t cache_bytes, const std::string& path) {
  Handle dapl(H5Pcreate(H5P_DATASET_ACCESS), H5Pclose);
  check(H5Pset_chunk_cache(dapl.get(), 1021, cache_bytes, 1.0), path, "set the chunk cache");
  return checked(H5Dopen2(file, name, dapl.get()), path, "open a dataset");
}

// Reads rows [start, start + count) of the open dataset `ds` (all of its other dimensions).
template <typename T>
void read_rows(hid_t ds, const char* name, hid_t mem_type, hsize_t start, hsize_t count, T* out,
               const std::string& path) {
  if (count == 0) return;
  const std::vector<hsize_t> dims = dims_of(ds);
  std::vector<hsize_t> offset(dims.size(), 0), extent = dims;
  offset[0] = start;
  extent[0] = count;
  Handle file_space(H5Dget_space(ds), H5Sclose);
  check(H5Sselect_hyperslab(file_space.get(), H5S_SELECT_SET, offset.data(), nullptr, extent.data(),
                            nullptr),
        path, "select rows");
  Handle mem_space(H5Screate_simple(static_cast<int>(extent.size()), extent.data(), nullptr),
                   H5Sclose);
  if (H5Dread(ds, mem_type, mem_space.get(), file_space.get(), H5P_DEFAULT, out) < 0) {
    throw IoError(
        fmt::format("{}: reading {} failed; the file is corrupted or truncated", path, name));
  }
}

std::atomic<uint64_t> temp_counter{0};

}  // namespace

std::mutex& hdf5_mutex() {
  static std::mutex mu;
  return mu;
}

std::string shard_file_name(const std::string& split, int index, int num_shards) {
  return fmt::format("{}/shard-{:05d}-of-{:05d}.h5", split, index, num_shards);
}

std::string version_refusal(int64_t version, const std::string& remedy) {
  if (version > kFormatVersion) {
    return fmt::format(
        "dataset format version {}; this lasynth reads version {}: use a newer "
        "lasynth",
        version, kFormatVersion);
  }
  return fmt::format(
      "dataset format version {}; this lasynth reads version {} (splits disjoint by behaviour, "
      "not by text): {}",
      version, kFormatVersion,
      remedy.empty() ? "regenerate it with lasynth-datagen and the settings its manifest.json "
                       "records (domain_options, generator), adding --force"
                     : remedy);
}

void write_shard(const std::string& path, ShardInfo info,
                 const std::vector<StoredExample>& examples) {
  info.num_examples = static_cast<int64_t>(examples.size());
  const auto n = static_cast<hsize_t>(examples.size());
  const auto k = static_cast<hsize_t>(info.io_pairs), v = static_cast<hsize_t>(info.value_size);
  std::vector<int32_t> tokens, inputs, outputs;
  std::vector<int64_t> offsets = {0};
  inputs.reserve(n * k * v);
  outputs.reserve(n * k * v);
  for (const StoredExample& ex : examples) {
    tokens.insert(tokens.end(), ex.tokens.begin(), ex.tokens.end());
    offsets.push_back(static_cast<int64_t>(tokens.size()));
    if (ex.io.size() != k) {
      throw IoError(
          fmt::format("{}: an example has {} pairs; the shard's have {}", path, ex.io.size(), k));
    }
    for (const IoPair& p : ex.io) {
      if (p.input.size() != v || p.output.size() != v) {
        throw IoError(fmt::format("{}: a value has {} numbers; the shard's have {}", path,
                                  p.input.size(), v));
      }
      inputs.insert(inputs.end(), p.input.begin(), p.input.end());
      outputs.insert(outputs.end(), p.output.begin(), p.output.end());
    }
  }
  const std::string tmp = fmt::format("{}.partial-{}-{}", path, getpid(), temp_counter++);
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  {
    std::lock_guard<std::mutex> lock(hdf5_mutex());
    silence_hdf5();
    Handle fcpl(H5Pcreate(H5P_FILE_CREATE), H5Pclose);
    Handle file(checked(H5Fcreate(tmp.c_str(), H5F_ACC_TRUNC, fcpl.get(), H5P_DEFAULT), tmp,
                        "create the file (is the directory writable?)"),
                H5Fclose);
    Handle gcpl(H5Pcreate(H5P_GROUP_CREATE), H5Pclose);
    check(H5Pset_obj_track_times(gcpl.get(), 0), tmp, "turn off time tracking");
    for (const char* group : {"/program", "/io"}) {
      Handle g(checked(H5Gcreate2(file.get(), group, H5P_DEFAULT, gcpl.get(), H5P_DEFAULT), tmp,
                       "create a group"),
               H5Gclose);
    }
    const hsize_t t = tokens.size();
    write_dataset(file.get(), kTokensPath, H5T_STD_I32LE, H5T_NATIVE_INT32, {t},
                  {chunk_rows(sizeof(int32_t))}, tokens.data(), tmp);
    write_dataset(file.get(), kOffsetsPath, H5T_STD_I64LE, H5T_NATIVE_INT64, {n + 1},
                  {chunk_rows(sizeof(int64_t))}, offsets.data(), tmp);
    const hsize_t rows = chunk_rows(k * v * sizeof(int32_t));
    write_dataset(file.get(), kInputsPath, H5T_STD_I32LE, H5T_NATIVE_INT32, {n, k, v}, {rows, k, v},
                  inputs.data(), tmp);
    write_dataset(file.get(), kOutputsPath, H5T_STD_I32LE, H5T_NATIVE_INT32, {n, k, v},
                  {rows, k, v}, outputs.data(), tmp);
    const hid_t root = file.get();
    write_attr_str(root, "lasynth_format", kFormatMagic, tmp);
    write_attr_int(root, "format_version", kFormatVersion, tmp);
    write_attr_str(root, "domain", info.domain, tmp);
    write_attr_str(root, "split", info.split, tmp);
    write_attr_int(root, "shard_index", info.shard_index, tmp);
    write_attr_int(root, "num_shards", info.num_shards, tmp);
    write_attr_int(root, "num_examples", info.num_examples, tmp);
    write_attr_int(root, "io_pairs", info.io_pairs, tmp);
    write_attr_int(root, "num_spec", info.num_spec, tmp);
    write_attr_int(root, "value_size", info.value_size, tmp);
    write_attr_str(root, "domain_options", info.domain_options, tmp);
    write_attr_str(root, "vocab_hash", info.vocab_hash, tmp);
    write_attr_str(root, "settings_hash", info.settings_hash, tmp);
    check(H5Fflush(file.get(), H5F_SCOPE_GLOBAL), tmp, "flush the file");
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    std::remove(tmp.c_str());
    throw IoError(fmt::format("{}: cannot rename the finished shard into place", path));
  }
}

ShardReader::ShardReader(const std::string& path, size_t cache_bytes) : path_(path) {
  std::lock_guard<std::mutex> lock(hdf5_mutex());
  silence_hdf5();
  if (!std::filesystem::exists(path)) throw IoError(fmt::format("{}: shard file is missing", path));
  if (H5Fis_hdf5(path.c_str()) <= 0) {
    throw IoError(
        fmt::format("{}: not an HDF5 file (truncated, corrupted or foreign); "
                    "regenerate it or restore it from a copy",
                    path));
  }
  file_ = H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  if (file_ < 0) {
    throw IoError(fmt::format("{}: HDF5 cannot open it (truncated or corrupted)", path));
  }
  try {
    const hid_t f = static_cast<hid_t>(file_);
    if (H5Aexists(f, "lasynth_format") <= 0 ||
        read_attr_str(f, "lasynth_format", path) != kFormatMagic) {
      throw IoError(fmt::format("{}: an HDF5 file, but not a lasynth shard (no '{}' marker)", path,
                                kFormatMagic));
    }
    const int64_t version = read_attr_int(f, "format_version", path);
    if (version != kFormatVersion) {
      throw IoError(fmt::format("{}: {}", path, version_refusal(version)));
    }
    info_.domain = read_attr_str(f, "domain", path);
    info_.split = read_attr_str(f, "split", path);
    info_.shard_index = static_cast<int>(read_attr_int(f, "shard_index", path));
    info_.num_shards = static_cast<int>(read_attr_int(f, "num_shards", path));
    info_.num_examples = read_attr_int(f, "num_examples", path);
    info_.io_pairs = static_cast<int>(read_attr_int(f, "io_pairs", path));
    info_.num_spec = static_cast<int>(read_attr_int(f, "num_spec", path));
    info_.value_size = static_cast<int>(read_attr_int(f, "value_size", path));
    info_.domain_options = read_attr_str(f, "domain_options", path);
    info_.vocab_hash = read_attr_str(f, "vocab_hash", path);
    info_.settings_hash = read_attr_str(f, "settings_hash", path);
    const auto n = static_cast<hsize_t>(info_.num_examples);
    auto expect_dims = [&](const char* name, const std::vector<hsize_t>& want) {
      if (H5Lexists(f, "/program", H5P_DEFAULT) <= 0 || H5Lexists(f, "/io", H5P_DEFAULT) <= 0 ||
          H5Lexists(f, name, H5P_DEFAULT) <= 0) {
        throw IoError(fmt::format("{}: dataset {} is missing", path, name));
      }
      Handle ds(checked(H5Dopen2(f, name, H5P_DEFAULT), path, "open a dataset"), H5Dclose);
      const auto dims = dims_of(ds.get());
      if (dims != want) {
        throw IoError(fmt::format("{}: dataset {} has shape [{}], expected [{}]", path, name,
                                  fmt::join(dims, ", "), fmt::join(want, ", ")));
      }
    };
    const auto k = static_cast<hsize_t>(info_.io_pairs), v = static_cast<hsize_t>(info_.value_size);
    expect_dims(kOffsetsPath, {n + 1});
    expect_dims(kInputsPath, {n, k, v});
    expect_dims(kOutputsPath, {n, k, v});
    offsets_.resize(n + 1);
    {
      Handle offsets(checked(H5Dopen2(f, kOffsetsPath, H5P_DEFAULT), path, "open a dataset"),
                     H5Dclose);
      read_rows(offsets.get(), kOffsetsPath, H5T_NATIVE_INT64, 0, n + 1, offsets_.data(), path);
    }
    for (hsize_t i = 0; i < n; ++i) {
      if (offsets_[i] > offsets_[i + 1] || offsets_[0] != 0) {
        throw IoError(fmt::format("{}: program offsets are not increasing at {}", path, i));
      }
    }
    expect_dims(kTokensPath, {static_cast<hsize_t>(offsets_[n])});
    // Never below the largest chunk (1 MiB), which a smaller cache could not hold at all.
    const size_t each = std::max<size_t>(cache_bytes / 3, 1 << 20);
    datasets_[0] = open_cached(f, kTokensPath, each, path);
    datasets_[1] = open_cached(f, kInputsPath, each, path);
    datasets_[2] = open_cached(f, kOutputsPath, each, path);
  } catch (...) {
    for (int64_t& d : datasets_) {
      if (d >= 0) H5Dclose(static_cast<hid_t>(d));
      d = -1;
    }
    H5Fclose(static_cast<hid_t>(file_));
    file_ = -1;
    throw;
  }
}

ShardReader::~ShardReader() {
  if (file_ >= 0) {
    std::lock_guard<std::mutex> lock(hdf5_mutex());
    for (int64_t d : datasets_) H5Dclose(static_cast<hid_t>(d));
    H5Fclose(static_cast<hid_t>(file_));
  }
}

StoredExample ShardReader::read(int64_t i) {
  if (i < 0 || i >= info_.num_examples) {
    throw IoError(fmt::format("{}: example {} is outside [0, {})", path_, i, info_.num_examples));
  }
  std::lock_guard<std::mutex> lock(hdf5_mutex());
  StoredExample ex;
  const auto begin = static_cast<hsize_t>(offsets_[i]);
  const auto len = static_cast<hsize_t>(offsets_[i + 1] - offsets_[i]);
  ex.tokens.resize(len);
  read_rows(datasets_[0], kTokensPath, H5T_NATIVE_INT32, begin, len, ex.tokens.data(), path_);
  const size_t kv = static_cast<size_t>(info_.io_pairs) * info_.value_size;
  std::vector<int32_t> in(kv), out(kv);
  read_rows(datasets_[1], kInputsPath, H5T_NATIVE_INT32, static_cast<hsize_t>(i), 1, in.data(),
            path_);
  read_rows(datasets_[2], kOutputsPath, H5T_NATIVE_INT32, static_cast<hsize_t>(i), 1, out.data(),
            path_);
  for (int p = 0; p < info_.io_pairs; ++p) {
    const auto at = static_cast<long>(p) * info_.value_size;
    ex.io.push_back({Value(in.begin() + at, in.begin() + at + info_.value_size),
                     Value(out.begin() + at, out.begin() + at + info_.value_size)});
  }
  return ex;
}

std::vector<StoredExample> ShardReader::read_all() {
  std::lock_guard<std::mutex> lock(hdf5_mutex());
  const auto n = static_cast<size_t>(info_.num_examples);
  const size_t kv = static_cast<size_t>(info_.io_pairs) * info_.value_size;
  std::vector<int32_t> tokens(static_cast<size_t>(offsets_[n])), in(n * kv), out(n * kv);
  read_rows(datasets_[0], kTokensPath, H5T_NATIVE_INT32, 0, tokens.size(), tokens.data(), path_);
  read_rows(datasets_[1], kInputsPath, H5T_NATIVE_INT32, 0, n, in.data(), path_);
  read_rows(datasets_[2], kOutputsPath, H5T_NATIVE_INT32, 0, n, out.data(), path_);
  std::vector<StoredExample> all(n);
  for (size_t i = 0; i < n; ++i) {
    all[i].tokens.assign(tokens.begin() + offsets_[i], tokens.begin() + offsets_[i + 1]);
    for (int p = 0; p < info_.io_pairs; ++p) {
      const size_t at = i * kv + static_cast<size_t>(p) * info_.value_size;
      all[i].io.push_back({Value(in.begin() + static_cast<long>(at),
                                 in.begin() + static_cast<long>(at + info_.value_size)),
                           Value(out.begin() + static_cast<long>(at),
                                 out.begin() + static_cast<long>(at + info_.value_size))});
    }
  }
  return all;
}

}  // namespace data
}  // namespace lasynth
