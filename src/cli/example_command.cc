// `tfprod example DIR`: writes a small Estimator-style training directory
// (graph.pbtxt, a V2 checkpoint, checkpoint state) to try tfprod on.
#include <CLI/CLI.hpp>

#include <cstdio>

#include "cli/commands.h"
#include "tfprod/example_model.h"

namespace tfprod::cli {

void add_example_command(CLI::App& app, std::function<int()>* action) {
  auto dir = std::make_shared<std::string>();
  CLI::App* cmd = app.add_subcommand("example", "Write a small example training directory to try tfprod on");
  cmd->add_option("dir", *dir, "Directory to write (created if needed)")->required();
  cmd->callback([=] {
    *action = [=] {
      write_example_training_dir(*dir);
      std::fprintf(stderr,
                   "tfprod: wrote an example training directory to %s\n"
                   "  graph.pbtxt (training graph: iterator input, dropout, loss, gradients, optimizer, saver)\n"
                   "  model.ckpt-1000.index/.data-00000-of-00001 (V2 checkpoint), checkpoint (state)\n"
                   "  digit.pgm (a 20x20 grey image to classify)\n"
                   "next: tfprod export %s -o model.pb && tfprod classify model.pb %s/digit.pgm --gray\n",
                   dir->c_str(), dir->c_str(), dir->c_str());
      return 0;
    };
  });
}

}  // namespace tfprod::cli
