// dlopen of the OpenCV plugin. The places are compiled in by CMake:
// TFPROD_OPENCV_PLUGIN_NAME, TFPROD_OPENCV_PLUGIN_RELDIR (from bin/ to the
// installed plugin folder), TFPROD_OPENCV_PLUGIN_INSTALL_DIR and
// TFPROD_OPENCV_PLUGIN_BUILD_DIR.
#include "opencv/plugin_loader.h"

#include <dlfcn.h>

#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <string>
#include <vector>

#include "tfprod/error.h"

namespace tfprod::opencv_plugin {
namespace {

namespace fs = std::filesystem;

std::vector<fs::path> candidates() {
  std::vector<fs::path> out;
  if (const char* env = std::getenv("TFPROD_OPENCV_PLUGIN"); env && *env) out.emplace_back(env);
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    out.push_back(exe.parent_path() / TFPROD_OPENCV_PLUGIN_NAME);
    out.push_back((exe.parent_path() / TFPROD_OPENCV_PLUGIN_RELDIR / TFPROD_OPENCV_PLUGIN_NAME).lexically_normal());
  }
  out.push_back(fs::path(TFPROD_OPENCV_PLUGIN_INSTALL_DIR) / TFPROD_OPENCV_PLUGIN_NAME);
  out.push_back(fs::path(TFPROD_OPENCV_PLUGIN_BUILD_DIR) / TFPROD_OPENCV_PLUGIN_NAME);
  return out;
}

const Api* load() {
  std::string tried;
  for (const fs::path& path : candidates()) {
    std::error_code ec;
    if (!fs::is_regular_file(path, ec)) {
      tried += "\n  " + path.string() + ": not there";
      continue;
    }
    void* handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (!handle) {
      const char* why = dlerror();
      tried += "\n  " + path.string() + ": " + (why ? why : "dlopen failed");
      continue;
    }
    using Entry = const Api* (*)();
    auto entry = reinterpret_cast<Entry>(dlsym(handle, "tfprod_opencv_plugin_api"));
    const Api* api = entry ? entry() : nullptr;
    if (!api || api->version != kApiVersion) {
      tried += "\n  " + path.string() + ": not a tfprod OpenCV plugin of this version";
      dlclose(handle);
      continue;
    }
    return api;  // stays loaded for the life of the process
  }
  fail("OpenCV support ({}) cannot be loaded; tried:{}", TFPROD_OPENCV_PLUGIN_NAME, tried);
}

}  // namespace

const Api& api() {
  static std::once_flag once;
  static const Api* loaded = nullptr;
  std::call_once(once, [] { loaded = load(); });
  return *loaded;
}

}  // namespace tfprod::opencv_plugin
