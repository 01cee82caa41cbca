// The lasynth dataset format, version 2: the one place that states it; the writer and the reader
// both include this header. A contract (DESIGN.md): the generator, trainer, evaluator, retrainer
// and users' own scripts read it.
//
//   DATASET/
//     manifest.json                       see manifest.h
//     train/shard-00000-of-00064.h5      one HDF5 file per shard
//     val/shard-00000-of-00001.h5
//     test/shard-00000-of-00001.h5
//
// A shard holds N examples as flat, fixed-type arrays (no variable-length types), chunked (about
// 64 KiB a chunk, always between 10 KiB and 1 MiB; the first dimension is extendible so that small
// arrays get full chunks too) and compressed (shuffle + deflate), each chunk with a Fletcher-32
// checksum:
//
//   /program/tokens   int32 [T]          every program's token ids, concatenated
//   /program/offsets  int64 [N + 1]      program i is tokens[offsets[i] .. offsets[i+1])
//   /io/inputs        int32 [N, K, V]    K input/output pairs per example, V values per side
//   /io/outputs       int32 [N, K, V]    (the first num_spec pairs specify; the rest are held out)
//
// and these attributes on the root group:
//
//   lasynth_format  "lasynth-shard"      what the file is
//   format_version  int32                kFormatVersion
//   domain          string               "c", "karel"
//   split           string               "train", "val", "test"
//   shard_index     int32, num_shards int32
//   num_examples    int64                N
//   io_pairs        int32 K, num_spec int32, value_size int32 V
//   domain_options  string               the domain's limits as a JSON object of strings
//                                        (e.g. "output_range": "4")
//   vocab_hash      string               the domain vocabulary's hash (hex)
//   settings_hash   string               identifies the generation settings (see manifest.h)
//
// Version history: 1 chose a program's split by its text; 2 by its behaviour on the domain's
// probe inputs (generate.h), so that no test function is in training under another text, and
// added the domain_options attribute. A dataset of another version is refused (version_refusal).
#ifndef LASYNTH_DATA_FORMAT_H_
#define LASYNTH_DATA_FORMAT_H_

#include <cstdint>
#include <string>

namespace lasynth {
namespace data {

constexpr const char* kFormatMagic = "lasynth-shard";
constexpr int kFormatVersion = 2;
constexpr const char* kManifestName = "manifest.json";
constexpr const char* kManifestMagic = "lasynth-dataset";

constexpr const char* kTokensPath = "/program/tokens";
constexpr const char* kOffsetsPath = "/program/offsets";
constexpr const char* kInputsPath = "/io/inputs";
constexpr const char* kOutputsPath = "/io/outputs";

// The splits, in the order datasets list them.
constexpr const char* kSplits[] = {"train", "val", "test"};

// "train/shard-00003-of-00064.h5"
std::string shard_file_name(const std::string& split, int index, int num_shards);

// Why a dataset of format `version` (not kFormatVersion) cannot be read, and what to do: an older
// one is made again (`remedy` says how when the caller knows, e.g. the exact lasynth-datagen
// command; else the message points at the manifest's settings); a newer one needs a newer lasynth.
std::string version_refusal(int64_t version, const std::string& remedy = "");

}  // namespace data
}  // namespace lasynth

#endif  // LASYNTH_DATA_FORMAT_H_
