#include "gcc_harness.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "core/error.h"
#include "lang/c/interpreter.h"
#include "lang/c/printer.h"

namespace lasynth {
namespace c {
namespace {

// Reads cases "PROGRAM MODE v0 .. vN-1" from stdin. Mode 0: run and print "OK v0 .. vN-1".
// Mode 1: run in a forked child and print "DIED" or "SURVIVED". The array is malloc'ed with
// exactly N ints so that AddressSanitizer sees any index outside it.
const char* kMain = R"(
int main(void) {
  int p, mode;
  while (scanf("%d %d", &p, &mode) == 2) {
    int in[LEN];
    for (int i = 0; i < LEN; ++i) if (scanf("%d", &in[i]) != 1) return 3;
    if (mode == 0) {
      int* a = (int*)malloc(sizeof(int) * LEN);
      memcpy(a, in, sizeof in);
      volatile int* r = kFns[p](a);
      printf(r == a ? "OK" : "BADRETURN");
      for (int i = 0; i < LEN; ++i) printf(" %d", a[i]);
      printf("\n");
      free(a);
    } else {
      fflush(stdout);
      pid_t child = fork();
      if (child == 0) {
        int devnull = open("/dev/null", O_WRONLY);
        dup2(devnull, 2);
        int* a = (int*)malloc(sizeof(int) * LEN);
        memcpy(a, in, sizeof in);
        kFns[p](a);
        _exit(0);
      }
      int status = 0;
      waitpid(child, &status, 0);
      printf(WIFEXITED(status) && WEXITSTATUS(status) == 0 ? "SURVIVED\n" : "DIED\n");
    }
    fflush(stdout);
  }
  return 0;
}
)";

std::string shell_quote(const std::string& s) {
  std::string out = "'";
  for (char ch : s) {
    if (ch == '\'')
      out += "'\\''";
    else
      out += ch;
  }
  return out + "'";
}

}  // namespace

void DiffStats::add(const DiffStats& o) {
  programs += o.programs;
  ok_runs += o.ok_runs;
  ok_agreed += o.ok_agreed;
  failures += o.failures;
  failures_agreed += o.failures_agreed;
  step_limit_skipped += o.step_limit_skipped;
  for (const auto& m : o.mismatches) {
    if (mismatches.size() < 10) mismatches.push_back(m);
  }
}

DiffStats run_differential(const std::vector<DiffCase>& cases, const Limits& limits,
                           const std::string& work_dir) {
  const int n = limits.array_len;
  std::ostringstream src;
  src << "#include <fcntl.h>\n#include <stdio.h>\n#include <stdlib.h>\n#include <string.h>\n"
         "#include <sys/wait.h>\n#include <unistd.h>\n"
      << "#define LEN " << n << "\n";
  for (size_t i = 0; i < cases.size(); ++i) {
    // Volatile locals and array keep gcc from deleting reads and computations whose result is
    // not needed, which would also delete the trap (a read out of range, a division by zero)
    // they contain.
    std::string text = to_source(*cases[i].program);
    const std::string header = "int * func_1(int a[])";
    if (text.compare(0, header.size(), header) != 0) throw Error("unexpected C header: " + text);
    text.replace(0, header.size(), "volatile int * func_1(volatile int a[])");
    for (const char* decl : {"int l_", "int p_"}) {
      for (size_t at = text.find(decl); at != std::string::npos; at = text.find(decl, at + 10)) {
        text.insert(at, "volatile ");
      }
    }
    src << "#define func_1 lasynth_f" << i << "\n"
        << "static " << text << "#undef func_1\n";
  }
  src << "typedef volatile int* (*Fn)(volatile int*);\nstatic Fn kFns[] = {";
  for (size_t i = 0; i < cases.size(); ++i) src << "lasynth_f" << i << ",";
  src << "};\n" << kMain;

  // Expected results from the interpreter, and the case list for the harness.
  struct Expect {
    size_t program, input;
    ExecStatus status;
    Value output;
  };
  std::vector<Expect> expects;
  std::ostringstream input_file;
  DiffStats stats;
  stats.programs = static_cast<int64_t>(cases.size());
  for (size_t i = 0; i < cases.size(); ++i) {
    const Executable exe(*cases[i].program, n);
    for (size_t k = 0; k < cases[i].inputs.size(); ++k) {
      Value out(n);
      const ExecStatus status = exe.run(cases[i].inputs[k].data(), out.data(), limits.step_limit);
      if (status == ExecStatus::kStepLimit) {
        ++stats.step_limit_skipped;
        continue;
      }
      expects.push_back({i, k, status, out});
      input_file << i << ' ' << (status == ExecStatus::kOk ? 0 : 1);
      for (int32_t x : cases[i].inputs[k]) input_file << ' ' << x;
      input_file << '\n';
    }
  }

  const std::string c_path = work_dir + "/harness.c", bin = work_dir + "/harness",
                    in_path = work_dir + "/cases.txt", out_path = work_dir + "/results.txt",
                    log_path = work_dir + "/log.txt";
  std::ofstream(c_path) << src.str();
  std::ofstream(in_path) << input_file.str();
  const std::string compile = fmt::format(
      "gcc -std=gnu99 -O1 -fwrapv -fsanitize=undefined,address "
      "-fno-sanitize-recover=all -w -o {} {} > {} 2>&1",
      shell_quote(bin), shell_quote(c_path), shell_quote(log_path));
  if (std::system(compile.c_str()) != 0) {
    std::ifstream log(log_path);
    std::stringstream text;
    text << log.rdbuf();
    throw Error(fmt::format("gcc failed on {}:\n{}", c_path, text.str().substr(0, 2000)));
  }
  // A large redzone makes AddressSanitizer see indices far outside the array too; without
  // symbolization each expected trap costs milliseconds instead of a tenth of a second.
  const std::string run = fmt::format(
      "ASAN_OPTIONS=redzone=2048:detect_leaks=0:symbolize=0 UBSAN_OPTIONS=symbolize=0 "
      "{} < {} > {} 2> {}",
      shell_quote(bin), shell_quote(in_path), shell_quote(out_path), shell_quote(log_path));
  const int rc = std::system(run.c_str());

  std::ifstream results(out_path);
  std::string line;
  size_t next = 0;
  auto describe = [&](const Expect& e, const std::string& native) {
    return fmt::format("program {} input [{}]: interpreter {} [{}], native '{}'\n{}", e.program,
                       fmt::join(cases[e.program].inputs[e.input], ", "),
                       exec_status_name(e.status), fmt::join(e.output, ", "), native,
                       to_source(*cases[e.program].program));
  };
  while (next < expects.size() && std::getline(results, line)) {
    const Expect& e = expects[next++];
    if (e.status == ExecStatus::kOk) {
      ++stats.ok_runs;
      std::string want = "OK";
      for (int32_t x : e.output) want += " " + std::to_string(x);
      if (line == want) {
        ++stats.ok_agreed;
      } else if (stats.mismatches.size() < 10) {
        stats.mismatches.push_back(describe(e, line));
      }
    } else {
      ++stats.failures;
      if (line == "DIED") {
        ++stats.failures_agreed;
      } else if (stats.mismatches.size() < 10) {
        stats.mismatches.push_back(describe(e, line));
      }
    }
  }
  if (next < expects.size()) {
    // The harness stopped early: a sanitizer aborted it on a run the interpreter accepted.
    std::ifstream log(log_path);
    std::stringstream text;
    text << log.rdbuf();
    const Expect& e = expects[next];
    stats.mismatches.push_back(
        describe(e, fmt::format("harness exited ({}) : {}", rc, text.str().substr(0, 1500))));
    for (size_t i = next; i < expects.size(); ++i) {
      if (expects[i].status == ExecStatus::kOk)
        ++stats.ok_runs;
      else
        ++stats.failures;
    }
  }
  return stats;
}

}  // namespace c
}  // namespace lasynth
