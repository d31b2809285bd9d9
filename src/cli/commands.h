// The subcommands of `tfprod`, one file each. Each registers itself on the
// app and, when chosen, sets `action` to the work to run.
#pragma once

#include <functional>

namespace CLI {
class App;
}

namespace tfprod::cli {

void add_freeze_command(CLI::App& app, std::function<int()>* action);
void add_example_command(CLI::App& app, std::function<int()>* action);
void add_inspect_command(CLI::App& app, std::function<int()>* action);
void add_run_command(CLI::App& app, std::function<int()>* action);
void add_transform_command(CLI::App& app, std::function<int()>* action);
void add_summarize_command(CLI::App& app, std::function<int()>* action);
void add_verify_command(CLI::App& app, std::function<int()>* action);
void add_classify_command(CLI::App& app, std::function<int()>* action);
void add_preflight_command(CLI::App& app, std::function<int()>* action);
void add_view_command(CLI::App& app, std::function<int()>* action);
void add_export_command(CLI::App& app, std::function<int()>* action);
void add_metrics_command(CLI::App& app, std::function<int()>* action);
void add_report_command(CLI::App& app, std::function<int()>* action);

}  // namespace tfprod::cli
