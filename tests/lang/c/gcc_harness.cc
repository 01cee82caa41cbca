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

// `text`, a function as the printer writes it, taking `params` instead of `int a[]`, with
// volatile locals. Volatile locals and array keep gcc from deleting reads and computations whose
// result is not needed, which would also delete the trap (a read out of range, a division by
// zero) they contain.
std::string volatile_function(std::string text, const std::string& params) {
  const std::string header = "int * func_1(int a[])";
  if (text.compare(0, header.size(), header) != 0) throw Error("unexpected C header: " + text);
  text.replace(0, header.size(), "volatile int * func_1(" + params + ")");
  for (const char* decl : {"int l_", "int p_"}) {
    for (size_t at = text.find(decl); at != std::string::npos; at = text.find(decl, at + 10)) {
      text.insert(at, "volatile ");
    }
  }
  return text;
}

std::string read_text(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// Compiles the harness `c_path` to `bin`, with -fwrapv since the language's arithmetic wraps.
// Throws Error with gcc's messages when it fails.
void compile(const std::string& c_path, const std::string& bin, const std::string& sanitize,
             const std::string& log_path) {
  const std::string command =
      fmt::format("gcc -std=gnu99 -O1 -fwrapv {} -w -o {} {} > {} 2>&1", sanitize, shell_quote(bin),
                  shell_quote(c_path), shell_quote(log_path));
  if (std::system(command.c_str()) != 0) {
    throw Error(fmt::format("gcc failed on {}:\n{}", c_path, read_text(log_path).substr(0, 2000)));
  }
}

// The native harness of run_native. A trap signal (a failed check of
// -fsanitize-undefined-trap-on-error, or x86's INT_MIN / -1) jumps back to the loop over runs,
// and so does the loop bound: lasynth_tick runs at every loop test and body, through macros
// `while` and `for` defined before the functions. Reads "K" and K arrays of LEN ints from stdin.
const char* kNativePrologue = R"(
static sigjmp_buf lasynth_jump;
static long lasynth_steps;
static void lasynth_on_trap(int sig) { (void)sig; siglongjmp(lasynth_jump, 1); }
static int lasynth_tick(void) {
  if (++lasynth_steps > LOOP_BOUND) siglongjmp(lasynth_jump, 2);
  return 1;
}
#define while(c) while (lasynth_tick() && (c))
#define for(...) for (__VA_ARGS__) if (!lasynth_tick()) {} else
#define a (*lasynth_pa)
)";
const char* kNativeMain = R"(
#undef a
#undef while
#undef for
int main(void) {
  struct sigaction on_trap;
  memset(&on_trap, 0, sizeof on_trap);
  on_trap.sa_handler = lasynth_on_trap;
  sigemptyset(&on_trap.sa_mask);
  const int signals[] = {SIGILL, SIGFPE, SIGSEGV, SIGBUS};
  for (int s = 0; s < 4; ++s) sigaction(signals[s], &on_trap, NULL);
  int k;
  if (scanf("%d", &k) != 1) return 3;
  int* in = (int*)malloc(sizeof(int) * LEN * k);
  for (int i = 0; i < LEN * k; ++i) if (scanf("%d", &in[i]) != 1) return 3;
  for (size_t p = 0; p < sizeof kFns / sizeof kFns[0]; ++p) {
    for (int x = 0; x < k; ++x) {
      volatile int arr[LEN];
      for (int i = 0; i < LEN; ++i) arr[i] = in[x * LEN + i];
      lasynth_steps = 0;
      const int how = sigsetjmp(lasynth_jump, 1);
      if (how == 0) {
        kFns[p](&arr);
        printf("%s%d", x ? " " : "", arr[0]);
        for (int i = 1; i < LEN; ++i) printf(",%d", arr[i]);
      } else {
        printf("%s%s", x ? " " : "", how == 1 ? TRAP : ENDLESS);
      }
    }
    printf("\n");
  }
  return 0;
}
)";

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
    src << "#define func_1 lasynth_f" << i << "\n"
        << "static " << volatile_function(to_source(*cases[i].program), "volatile int a[]")
        << "#undef func_1\n";
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
  compile(c_path, bin, "-fsanitize=undefined,address -fno-sanitize-recover=all", log_path);
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
    const Expect& e = expects[next];
    stats.mismatches.push_back(describe(
        e, fmt::format("harness exited ({}) : {}", rc, read_text(log_path).substr(0, 1500))));
    for (size_t i = next; i < expects.size(); ++i) {
      if (expects[i].status == ExecStatus::kOk)
        ++stats.ok_runs;
      else
        ++stats.failures;
    }
  }
  return stats;
}

std::vector<std::string> run_native(const std::vector<std::string>& sources,
                                    const std::vector<Value>& inputs, int array_len,
                                    const std::string& work_dir) {
  std::ostringstream src;
  src << "#include <setjmp.h>\n#include <signal.h>\n#include <stdio.h>\n#include <stdlib.h>\n"
         "#include <string.h>\n"
      << "#define LEN " << array_len << "\n#define LOOP_BOUND " << kNativeLoopBound << "L\n"
      << "#define TRAP \"" << kNativeTrap << "\"\n#define ENDLESS \"" << kNativeEndless << "\"\n"
      << kNativePrologue;
  // The array is passed as a pointer to an array of LEN ints, named `a` by the prologue's macro,
  // so that -fsanitize=bounds checks every index (an `int a[]` parameter has no bound to check).
  for (size_t i = 0; i < sources.size(); ++i) {
    src << "#define func_1 lasynth_f" << i << "\n"
        << "static " << volatile_function(sources[i], "volatile int (*lasynth_pa)[LEN]")
        << "#undef func_1\n";
  }
  src << "typedef volatile int* (*Fn)(volatile int (*)[LEN]);\nstatic Fn kFns[] = {";
  for (size_t i = 0; i < sources.size(); ++i) src << "lasynth_f" << i << ",";
  src << "};\n" << kNativeMain;

  std::ostringstream input_file;
  input_file << inputs.size() << '\n';
  for (const Value& v : inputs) {
    if (static_cast<int>(v.size()) != array_len) {
      throw Error(fmt::format("run_native: an input of {} ints, not {}", v.size(), array_len));
    }
    input_file << fmt::format("{}\n", fmt::join(v, " "));
  }
  const std::string c_path = work_dir + "/native.c", bin = work_dir + "/native",
                    in_path = work_dir + "/inputs.txt", out_path = work_dir + "/functions.txt",
                    log_path = work_dir + "/log.txt";
  std::ofstream(c_path) << src.str();
  std::ofstream(in_path) << input_file.str();
  compile(c_path, bin, "-fsanitize=undefined -fsanitize-undefined-trap-on-error", log_path);
  const std::string run = fmt::format("{} < {} > {} 2> {}", shell_quote(bin), shell_quote(in_path),
                                      shell_quote(out_path), shell_quote(log_path));
  const int rc = std::system(run.c_str());
  std::vector<std::string> functions;
  std::ifstream results(out_path);
  for (std::string line; std::getline(results, line);) functions.push_back(line);
  if (rc != 0 || functions.size() != sources.size()) {
    throw Error(fmt::format("native harness {} exited ({}) after {} of {} functions: {}", bin, rc,
                            functions.size(), sources.size(), read_text(log_path).substr(0, 1500)));
  }
  return functions;
}

}  // namespace c
}  // namespace lasynth
