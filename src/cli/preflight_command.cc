// `tfprod preflight MODEL`: every node OpenCV 4.6's TensorFlow importer will
// not import, with a hint at the transform that fixes it; exit 3 if any.
#include <CLI/CLI.hpp>

#include <cstdio>

#include "cli/cli_util.h"
#include "cli/commands.h"
#include "tfprod/model_file.h"
#include "tfprod/opencv_preflight.h"

namespace tfprod::cli {

void add_preflight_command(CLI::App& app, std::function<int()>* action) {
  auto model = std::make_shared<std::string>();
  CLI::App* cmd = app.add_subcommand("preflight", "List the nodes OpenCV 4.6 will not import, with hints");
  cmd->add_option("model", *model, "Frozen GraphDef to check")->required();
  cmd->callback([=] {
    *action = [=] {
      ModelFile f = load_model_file(*model);
      Graph graph = Graph::from_graphdef(f.model.meta_graphs(0).graph_def(), *model);
      auto issues = opencv_preflight(graph);
      if (issues.empty()) {
        std::printf("%s: OpenCV 4.6 should import all %zu nodes\n", model->c_str(), graph.size());
        return static_cast<int>(kExitOk);
      }
      std::fputs(preflight_text(issues).c_str(), stdout);
      std::fprintf(stderr, "tfprod: preflight: %zu node(s) OpenCV 4.6 will not import\n", issues.size());
      return static_cast<int>(kExitCheckFailed);
    };
  });
}

}  // namespace tfprod::cli
