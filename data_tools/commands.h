// The subcommands of lasynth-data. Each add_* registers one (or a family) on `app`; the command
// runs as the subcommand's callback and reports failure by throwing (main prints one line).
#ifndef LASYNTH_DATA_TOOLS_COMMANDS_H_
#define LASYNTH_DATA_TOOLS_COMMANDS_H_

#include <CLI/CLI.hpp>

namespace lasynth {

void add_sample_command(CLI::App& app);    // sample: fresh examples as JSON lines
void add_inspect_commands(CLI::App& app);  // inspect, stats
void add_show_commands(CLI::App& app);     // show, export
void add_verify_command(CLI::App& app);    // verify
void add_finalize_command(CLI::App& app);  // finalize
void add_import_commands(CLI::App& app);   // import-<format> for every external format

}  // namespace lasynth

#endif  // LASYNTH_DATA_TOOLS_COMMANDS_H_
