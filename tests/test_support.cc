#include "test_support.h"

#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <fstream>
#include <sstream>

#include "core/crc32c.h"

namespace tfprod::test {

namespace fs = std::filesystem;

fs::path corpus_dir() {
  fs::path dir = fs::path(TFPROD_SHARED_DIR) / "corpus";
  std::error_code ec;
  return fs::is_directory(dir, ec) ? fs::canonical(dir) : fs::path();
}

fs::path scratch_dir() {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  std::string name = info ? std::string(info->test_suite_name()) + "." + info->name() : "scratch";
  for (char& c : name)
    if (c == '/') c = '_';
  fs::path dir = fs::path(TFPROD_BINARY_DIR) / "test-scratch" / name;
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

fs::path tool(const std::string& name) {
  for (const char* sub : {"src/cli", "tools", ""}) {
    fs::path p = fs::path(TFPROD_BINARY_DIR) / sub / name;
    if (fs::exists(p)) return p;
  }
  return fs::path(TFPROD_BINARY_DIR) / name;
}

RunResult run(const std::string& command_line, const fs::path& cwd) {
  std::string cmd = command_line + " 2>&1";
  if (!cwd.empty()) cmd = "cd '" + cwd.string() + "' && " + cmd;
  RunResult result;
  FILE* pipe = ::popen(cmd.c_str(), "r");
  if (!pipe) return result;
  std::array<char, 4096> buf{};
  std::size_t n;
  while ((n = std::fread(buf.data(), 1, buf.size(), pipe)) > 0) result.output.append(buf.data(), n);
  int status = ::pclose(pipe);
  if (WIFEXITED(status)) result.exit_code = WEXITSTATUS(status);
  return result;
}

fs::path copy_case(const std::string& name) {
  fs::path dst = scratch_dir() / name;
  fs::copy(corpus_dir() / name, dst, fs::copy_options::recursive);
  for (auto& entry : fs::recursive_directory_iterator(dst))
    fs::permissions(entry.path(), fs::perms::owner_write, fs::perm_options::add);
  fs::permissions(dst, fs::perms::owner_write, fs::perm_options::add);
  return dst;
}

std::string tree_digest(const fs::path& dir) {
  std::vector<fs::path> files;
  for (auto& entry : fs::recursive_directory_iterator(dir))
    if (entry.is_regular_file()) files.push_back(entry.path());
  std::sort(files.begin(), files.end());
  std::ostringstream out;
  for (const auto& f : files) {
    std::ifstream in(f, std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)), {});
    out << fs::relative(f, dir).string() << ' ' << bytes.size() << ' '
        << crc32c::value(bytes.data(), bytes.size()) << '\n';
  }
  return out.str();
}

std::string slurp(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

}  // namespace tfprod::test
