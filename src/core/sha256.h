// SHA-256 of files and byte strings, as lowercase hex (what manifests record for each shard).
#ifndef LASYNTH_CORE_SHA256_H_
#define LASYNTH_CORE_SHA256_H_

#include <string>
#include <string_view>

namespace lasynth {

std::string sha256_hex(std::string_view bytes);

// Throws IoError naming the file when it cannot be read.
std::string sha256_file(const std::string& path);

}  // namespace lasynth

#endif  // LASYNTH_CORE_SHA256_H_
