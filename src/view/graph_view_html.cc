// `tfprod view`'s SVG (Graphviz's dot, run as a child process) and the
// self-contained HTML page around it (graph_view.h).
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>

#include <fmt/format.h>

#include "tfprod/error.h"
#include "tfprod/file_util.h"
#include "tfprod/graph_view.h"

extern char** environ;

namespace tfprod {

namespace fs = std::filesystem;

namespace {

// A private temporary directory, removed with everything in it.
class TempDir {
 public:
  TempDir() {
    std::string tmpl = (fs::temp_directory_path() / "tfprod-view-XXXXXX").string();
    if (!mkdtemp(tmpl.data())) fail("cannot create a temporary directory in {}: {}", tmpl, std::strerror(errno));
    path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

// JSON string literal that is also safe inside <script>.
std::string json_string(std::string_view text) {
  std::string out = "\"";
  for (char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (u < 0x20 || c == '<' || c == '>' || c == '&' || c == '\'') {
      out += fmt::format("\\u{:04x}", u);
    } else {
      out += c;
    }
  }
  return out + "\"";
}

constexpr const char* kStyle = R"(
body { font-family: Helvetica, Arial, sans-serif; margin: 0; }
header { position: sticky; top: 0; background: #f6f8fa; border-bottom: 1px solid #ccc; padding: 8px 12px; z-index: 1; }
#tfprod-search { width: 28em; font-size: 14px; padding: 3px 6px; }
#tfprod-count { margin-left: 8px; color: #555; }
main { padding: 0 12px; }
table { border-collapse: collapse; margin: 8px 0 16px; font-size: 13px; }
td, th { border: 1px solid #ccc; padding: 3px 8px; text-align: left; vertical-align: top; }
td code { white-space: nowrap; }
#tfprod-graph { overflow: auto; border: 1px solid #ccc; max-height: 85vh; }
.tfprod-hit polygon, .tfprod-hit path { stroke: #e0007a !important; stroke-width: 6px !important; }
.tfprod-hit text { font-weight: bold; }
)";

// Search: every box whose name (or collapsed members) contains the text is
// highlighted; the first is scrolled to, Enter moves to the next.
constexpr const char* kScript = R"(
(function () {
  var index = TFPROD_INDEX, box = document.getElementById('tfprod-search');
  var count = document.getElementById('tfprod-count'), hits = [], at = 0;
  index.forEach(function (e) {
    var el = document.getElementById(e[0]), t = el && el.querySelector('title');
    if (t) t.textContent = e[1].length > 300 ? e[1].slice(0, 300) + '...' : e[1];
  });
  function show() {
    if (hits.length) hits[at].scrollIntoView({block: 'center', inline: 'center'});
    count.textContent = box.value ? (hits.length ? (at + 1) + ' of ' + hits.length : 'no match') : '';
  }
  function search() {
    hits.forEach(function (el) { el.classList.remove('tfprod-hit'); });
    hits = []; at = 0;
    var q = box.value.trim().toLowerCase();
    if (q) index.forEach(function (e) {
      var el = document.getElementById(e[0]);
      if (el && e[1].toLowerCase().indexOf(q) >= 0) hits.push(el);
    });
    hits.forEach(function (el) { el.classList.add('tfprod-hit'); });
    show();
  }
  box.addEventListener('input', search);
  box.addEventListener('keydown', function (ev) {
    if (ev.key === 'Enter' && hits.length) { at = (at + 1) % hits.length; show(); }
  });
})();
)";

}  // namespace

std::string html_escape(std::string_view text) {
  std::string out;
  out.reserve(text.size() + 8);
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string find_dot() {
  const char* path = std::getenv("PATH");
  std::string_view dirs = path ? path : "/usr/bin:/bin";
  while (true) {
    const std::size_t colon = dirs.find(':');
    std::string dir(dirs.substr(0, colon));
    if (dir.empty()) dir = ".";
    const std::string candidate = dir + "/dot";
    std::error_code ec;
    if (fs::is_regular_file(candidate, ec) && access(candidate.c_str(), X_OK) == 0) return candidate;
    if (colon == std::string_view::npos) return "";
    dirs.remove_prefix(colon + 1);
  }
}

std::string dot_to_svg(const std::string& dot) {
  const std::string program = find_dot();
  if (program.empty())
    fail("Graphviz's 'dot' is not on PATH: install graphviz (apt-get install graphviz) or write DOT text (-o FILE.dot)");
  TempDir tmp;
  const fs::path in = tmp.path() / "graph.dot", out = tmp.path() / "graph.svg", err = tmp.path() / "dot.log";
  write_file_atomically(in, dot);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  posix_spawn_file_actions_adddup2(&actions, 1, 2);
  std::string a0 = program, a1 = "-Tsvg", a2 = "-o", a3 = out.string(), a4 = in.string();
  char* argv[] = {a0.data(), a1.data(), a2.data(), a3.data(), a4.data(), nullptr};
  pid_t pid = 0;
  const int rc = posix_spawn(&pid, program.c_str(), &actions, nullptr, argv, environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) fail("cannot run {}: {}", program, std::strerror(rc));
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  std::error_code ec;
  std::string log = fs::exists(err, ec) ? read_file(err, 1 << 20) : "";
  while (!log.empty() && (log.back() == '\n' || log.back() == '\r')) log.pop_back();
  for (auto& c : log)
    if (c == '\n') c = ' ';
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    fail("{} -Tsvg failed ({}){}{}", program,
         WIFEXITED(status) ? fmt::format("exit {}", WEXITSTATUS(status)) : fmt::format("signal {}", WTERMSIG(status)),
         log.empty() ? "" : ": ", log);
  return read_file(out);
}

std::string graph_view_html(const GraphView& view, const std::string& svg, const std::string& title) {
  std::string out = "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n";
  out += "<title>" + html_escape(title) + "</title>\n<style>" + kStyle + "</style>\n</head>\n<body>\n";
  out += "<header><input id=\"tfprod-search\" type=\"search\" placeholder=\"Find a node by name\" autofocus>"
         "<span id=\"tfprod-count\"></span> <b>" +
         html_escape(title) +
         fmt::format("</b> &mdash; {} of {} nodes drawn as {} boxes</header>\n<main>\n", view.nodes_drawn,
                     view.nodes_total, view.boxes);
  out += "<table>\n<tr><th></th><th>tensor</th><th>why</th></tr>\n";
  auto rows = [&](const std::vector<IoCandidate>& list, const char* what) {
    for (const auto& c : list)
      out += fmt::format("<tr><td>{}{}</td><td><code>{}</code></td><td>{}</td></tr>\n", what,
                         c.cut ? " (cut)" : "", html_escape(c.name), html_escape(c.reason));
  };
  rows(view.io.inputs, "likely input");
  rows(view.io.outputs, "likely output");
  if (view.io.inputs.empty() && view.io.outputs.empty())
    out += "<tr><td colspan=\"3\">no likely input or output found</td></tr>\n";
  out += "</table>\n";
  if (!view.collapsed.empty()) {
    out += "<p>Collapsed scopes (one box each):";
    for (const auto& s : view.collapsed) out += " <code>" + html_escape(s) + "</code>";
    out += "</p>\n";
  }
  const std::size_t start = svg.find("<svg");
  out += "<div id=\"tfprod-graph\">\n" + (start == std::string::npos ? svg : svg.substr(start)) + "\n</div>\n</main>\n";
  out += "<script>\nvar TFPROD_INDEX = [";
  for (std::size_t i = 0; i < view.search_index.size(); ++i)
    out += fmt::format("{}[{},{}]", i ? ",\n" : "\n", json_string(view.search_index[i].first),
                       json_string(view.search_index[i].second));
  out += "];\n";
  out += kScript;
  out += "</script>\n</body>\n</html>\n";
  return out;
}

}  // namespace tfprod
