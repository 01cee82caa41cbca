// lasynth-data: look at, check and convert lasynth data.
//
//   lasynth-data sample --domain c --count N --seed K [--pretty]   fresh examples as JSON lines
//   lasynth-data inspect DIR | stats DIR | show DIR --split S --index I | verify DIR
//   lasynth-data export DIR --split S [--format jsonl|karel|lasynth] [--out PATH]
//   lasynth-data finalize DIR                     the manifest, after SLURM array tasks
//   lasynth-data import-karel FILE.json OUT       the public Karel benchmark
//   lasynth-data import-lasynth DIR OUT           the original LaSynth code_N.c / code_N.out
#include <CLI/CLI.hpp>
#include <iostream>

#include "app/cli_checks.h"
#include "commands.h"

int main(int argc, char** argv) {
  std::ios::sync_with_stdio(false);
  CLI::App app{"lasynth-data: look at, check and convert lasynth data"};
  app.require_subcommand(1);
  lasynth::app::one_line_errors(app, "lasynth-data");
  lasynth::add_sample_command(app);
  lasynth::add_inspect_commands(app);
  lasynth::add_show_commands(app);
  lasynth::add_verify_command(app);
  lasynth::add_finalize_command(app);
  lasynth::add_import_commands(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  } catch (const std::exception& e) {
    std::cout.flush();
    std::cerr << "lasynth-data: error: " << e.what() << '\n';
    return 1;
  }
  return 0;
}
