// Atomic output under SIGKILL: `tfprod freeze` and `tfprod export` of a
// ~100 MiB checkpoint is killed at random moments; the output
// path must then hold either nothing (or the file that was there before) or
// the complete result, never a partial file.
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <random>
#include <thread>

#include "malformed_support.h"
#include "tfprod/checkpoint_writer.h"

namespace tfprod {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

// Placeholder x [?,1024]; 24 VariableV2 w_i [1024,1024] (4 MiB each), each in
// MatMul(x, w_i); output = AddN of them. A 96 MiB V2 checkpoint beside it.
void write_big_model(const fs::path& dir) {
  fs::create_directories(dir);
  tfprod::tf::GraphDef g;
  auto add = [&](const std::string& name, const std::string& op) {
    auto* n = g.add_node();
    n->set_name(name);
    n->set_op(op);
    return n;
  };
  auto set = [](tfprod::tf::NodeDef* n, const char* key) {
    auto* e = n->add_attr();
    e->set_key(key);
    return e->mutable_value();
  };
  auto* x = add("x", "Placeholder");
  set(x, "dtype")->set_type(tfprod::tf::DT_FLOAT);
  auto* sum = add("output", "AddN");
  constexpr int kLayers = 24;
  BundleWriter writer((dir / "model.ckpt").string());
  std::mt19937 rng(7);
  for (int i = 0; i < kLayers; ++i) {
    const std::string w = "w" + std::to_string(i);
    auto* v = add(w, "VariableV2");
    set(v, "dtype")->set_type(tfprod::tf::DT_FLOAT);
    auto* shape = set(v, "shape")->mutable_shape();
    shape->add_dim()->set_size(1024);
    shape->add_dim()->set_size(1024);
    auto* m = add("mm" + std::to_string(i), "MatMul");
    m->add_input("x");
    m->add_input(w);
    set(m, "T")->set_type(tfprod::tf::DT_FLOAT);
    sum->add_input(m->name());
    Tensor t{tfprod::tf::DT_FLOAT, {1024, 1024}, std::string(std::size_t{4} << 20, '\0'), {}};
    for (std::size_t k = 0; k < t.data.size(); k += 64) t.data[k] = static_cast<char>(rng());
    writer.add(w, t);
  }
  set(sum, "N")->set_i(kLayers);
  set(sum, "T")->set_type(tfprod::tf::DT_FLOAT);
  writer.finish();
  malformed::spit(dir / "graph.pb", g.SerializeAsString());
}

int run_to_end(const std::string& args) { return test::run(test::tool("tfprod").string() + " " + args + " 2>/dev/null").exit_code; }

// Starts tfprod with `args`, kills it with SIGKILL after `delay`; returns
// whether it was still running (so the kill landed).
bool kill_after(const std::vector<std::string>& args, std::chrono::microseconds delay) {
  pid_t pid = ::fork();
  if (pid == 0) {
    int null = ::open("/dev/null", O_WRONLY);
    ::dup2(null, 1);
    ::dup2(null, 2);
    std::vector<char*> argv;
    std::string exe = test::tool("tfprod").string();
    argv.push_back(exe.data());
    std::vector<std::string> copy = args;
    for (auto& a : copy) argv.push_back(a.data());
    argv.push_back(nullptr);
    ::execv(exe.c_str(), argv.data());
    ::_exit(127);
  }
  std::this_thread::sleep_for(delay);
  bool running = ::kill(pid, SIGKILL) == 0;
  int status = 0;
  ::waitpid(pid, &status, 0);
  return running && WIFSIGNALED(status);
}

void kill_test(const std::vector<std::string>& args, const fs::path& output) {
  // The complete result and how long it takes.
  std::string joined;
  for (const auto& a : args) joined += "'" + a + "' ";
  fs::remove(output);
  auto start = Clock::now();
  ASSERT_EQ(run_to_end(joined), 0) << joined;
  auto full = std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - start);
  const std::string complete = malformed::slurp(output);
  ASSERT_GT(complete.size(), std::size_t{64} << 20);
  const std::string previous = "a previous output, to be replaced whole or not at all";

  std::mt19937 rng(20240611);
  std::uniform_int_distribution<int64_t> when(0, full.count() * 5 / 4);
  int killed = 0, absent = 0, kept_previous = 0, whole = 0;
  for (int i = 0; i < 24; ++i) {
    const bool had_previous = i % 2 == 1;
    if (had_previous)
      malformed::spit(output, previous);
    else
      fs::remove(output);
    killed += kill_after(args, std::chrono::microseconds(when(rng)));
    if (!fs::exists(output)) {
      EXPECT_FALSE(had_previous) << "the previous output was removed";
      ++absent;
      continue;
    }
    const auto size = fs::file_size(output);
    if (had_previous && size == previous.size()) {
      EXPECT_EQ(malformed::slurp(output), previous);
      ++kept_previous;
      continue;
    }
    ASSERT_EQ(size, complete.size()) << "partial output file left at " << output << " (kill " << i << ")";
    EXPECT_TRUE(malformed::slurp(output) == complete) << "output differs from a complete run";
    ++whole;
  }
  // The kills must have landed while it ran, or the test proves nothing.
  EXPECT_GE(killed, 8) << "too few kills hit a running process";
  EXPECT_GE(absent + kept_previous, 4);
  std::printf("kill test: %d kills landed; output absent %d, previous kept %d, complete %d\n", killed, absent,
              kept_previous, whole);
  // Temporaries a killed process could not remove never sit at the output path.
  for (const auto& e : fs::directory_iterator(output.parent_path()))
    if (e.path().filename().string().find(".tmp-") != std::string::npos) fs::remove(e.path());
}

TEST(KillDuringWrite, FreezeLeavesNoPartialOutput) {
  const fs::path dir = test::scratch_dir();
  write_big_model(dir / "big");
  kill_test({"freeze", (dir / "big" / "graph.pb").string(), "--checkpoint", (dir / "big" / "model.ckpt").string(),
             "--output", "output", "-o", (dir / "frozen.pb").string()},
            dir / "frozen.pb");
}

}  // namespace
}  // namespace tfprod

namespace tfprod {
namespace {

TEST(KillDuringWrite, ExportLeavesNoPartialOutput) {
  const fs::path dir = test::scratch_dir();
  write_big_model(dir / "big");
  kill_test({"export", (dir / "big" / "graph.pb").string(), "--checkpoint", (dir / "big" / "model.ckpt").string(),
             "--input", "x:float:1,1024", "--output", "output", "-q", "-o", (dir / "model.pb").string()},
            dir / "model.pb");
}

}  // namespace
}  // namespace tfprod
