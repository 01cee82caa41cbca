// Child processes through /bin/sh: exit codes, signals, redirects, process groups.
#include "core/subprocess.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <csignal>
#include <sstream>

#include "core/error.h"
#include "core/exit_status.h"
#include "data/test_files.h"

namespace lasynth {
namespace {

using testing::read_file;

// Each test in a scratch directory of its own.
class Subprocesses : public ::testing::Test {
 protected:
  testing::ScratchDir dir_;
};

TEST_F(Subprocesses, AnExitCodeComesBack) {
  const ExitStatus s = run_subprocess({"/bin/sh", "-c", "exit 3"});
  EXPECT_EQ(s.code, 3);
  EXPECT_EQ(s.signal, 0);
  EXPECT_EQ(s.shell_status(), 3);
}

TEST_F(Subprocesses, ASignalThatKillsTheChildComesBack) {
  const ExitStatus s = run_subprocess({"/bin/sh", "-c", "kill -KILL $$"});
  EXPECT_EQ(s.signal, SIGKILL);
  EXPECT_EQ(s.shell_status(), 128 + SIGKILL);
}

TEST_F(Subprocesses, PollSaysNothingWhileTheChildRunsAndWaitGivesTheSameStatusTwice) {
  // The child blocks reading a pipe this test holds open, so it runs until the test lets it go.
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  const std::string read_fd = std::to_string(fds[0]);
  Subprocess child = Subprocess::spawn({"/bin/sh", "-c", "read line <&" + read_fd + "; exit 4"});
  close(fds[0]);
  EXPECT_GT(child.pid(), 0);
  EXPECT_FALSE(child.poll().has_value());
  ASSERT_EQ(write(fds[1], "go\n", 3), 3);
  close(fds[1]);
  EXPECT_EQ(child.wait().code, 4);
  EXPECT_EQ(child.wait().code, 4);
  ASSERT_TRUE(child.poll().has_value());
  EXPECT_EQ(child.poll()->code, 4);
}

TEST_F(Subprocesses, OutputAndErrorsAreAppendedToOneFileInOrder) {
  const std::string log = dir_.path("a log with spaces.txt");
  std::ofstream(log) << "before\n";
  SpawnOptions o;
  o.stdout_path = log;
  o.stderr_path = log;
  EXPECT_EQ(run_subprocess({"/bin/sh", "-c", "echo out; echo err >&2; echo out2"}, o).code, 0);
  EXPECT_EQ(read_file(log), "before\nout\nerr\nout2\n");
}

TEST_F(Subprocesses, StdoutAndStderrCanGoToTwoFiles) {
  SpawnOptions o;
  o.stdout_path = dir_.path("out");
  o.stderr_path = dir_.path("err");
  run_subprocess({"/bin/sh", "-c", "echo out; echo err >&2"}, o);
  EXPECT_EQ(read_file(dir_.path("out")), "out\n");
  EXPECT_EQ(read_file(dir_.path("err")), "err\n");
}

TEST_F(Subprocesses, ARedirectThatCannotBeOpenedThrowsNamingTheFile) {
  SpawnOptions o;
  o.stdout_path = dir_.path("missing/log");
  try {
    run_subprocess({"/bin/true"}, o);
    FAIL() << "no error";
  } catch (const IoError& e) {
    EXPECT_NE(std::string(e.what()).find(o.stdout_path), std::string::npos) << e.what();
  }
}

TEST_F(Subprocesses, AProgramThatCannotRunExitsLikeAShellSaysSo) {
  SpawnOptions o;
  o.stderr_path = dir_.path("err");
  o.error_prefix = "tool: rank 1: ";
  EXPECT_EQ(run_subprocess({"/nonexistent/x", "arg"}, o).code, kExitCannotRun);
  EXPECT_EQ(read_file(dir_.path("err")).rfind("tool: rank 1: cannot run '/nonexistent/x': ", 0), 0u)
      << read_file(dir_.path("err"));
}

TEST_F(Subprocesses, ANewProcessGroupIsTheChildsOwn) {
  SpawnOptions o;
  o.stdout_path = dir_.path("ids");
  o.new_process_group = true;
  Subprocess child =
      Subprocess::spawn({"/bin/sh", "-c", "echo $$ $(cut -d' ' -f5 /proc/$$/stat)"}, o);
  ASSERT_EQ(child.wait().code, 0);
  std::istringstream ids(read_file(dir_.path("ids")));
  long pid = 0, group = 0;
  ids >> pid >> group;
  EXPECT_EQ(pid, child.pid());
  EXPECT_EQ(group, child.pid());
  EXPECT_NE(group, getpgrp());
}

TEST_F(Subprocesses, DefaultSignalsUndoWhatTheParentIgnores) {
  // An ignored signal stays ignored across exec unless the child resets it.
  const auto previous = std::signal(SIGUSR1, SIG_IGN);
  const std::vector<std::string> kill_self = {"/bin/sh", "-c", "kill -USR1 $$; exit 0"};
  EXPECT_EQ(run_subprocess(kill_self).signal, 0);
  SpawnOptions o;
  o.default_signals = {SIGUSR1};
  EXPECT_EQ(run_subprocess(kill_self, o).signal, SIGUSR1);
  std::signal(SIGUSR1, previous);
}

TEST(ShellLine, QuotesWhatTheShellWouldSplit) {
  EXPECT_EQ(shell_line({"a", "b c", "it's", "--x=1"}), "a 'b c' 'it'\\''s' --x=1");
  EXPECT_EQ(shell_line({"echo", ""}), "echo ''");
}

TEST_F(Subprocesses, AShellReadsAShellLineBackAsTheSameWords) {
  const std::vector<std::string> words = {"printf", "%s|", "a b", "it's", "$HOME", "x\"y"};
  SpawnOptions o;
  o.stdout_path = dir_.path("out");
  ASSERT_EQ(run_subprocess({"/bin/sh", "-c", shell_line(words)}, o).code, 0);
  EXPECT_EQ(read_file(dir_.path("out")), "a b|it's|$HOME|x\"y|");
}

}  // namespace
}  // namespace lasynth
