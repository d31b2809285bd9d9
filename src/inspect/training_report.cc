// training_report_html: the page of `tfprod report` (training_report.h).
// Sections: curves (metrics_svg, linear and log, a checkbox switches), the
// checkpoint table (checkpoint_metrics, the exported one marked), the graph
// (graph_view + Graphviz, inline SVG), the export verdict (export_model into
// a temporary file that is removed). Every section fails on its own.
#include <fmt/format.h>

#include <unistd.h>

#include <cmath>
#include <set>

#include "tfprod/error.h"
#include "tfprod/events.h"
#include "tfprod/graph_view.h"
#include "tfprod/model_source.h"
#include "tfprod/training_report.h"

namespace tfprod {

namespace fs = std::filesystem;

namespace {

std::string problem(const std::string& what) {
  return fmt::format("<p class=\"problem\">{}</p>\n", html_escape(what));
}

// An SVG from Graphviz starts with an XML prolog and DOCTYPE: inline, only the <svg> element.
std::string inline_svg(const std::string& svg) {
  const auto at = svg.find("<svg");
  return at == std::string::npos ? svg : svg.substr(at);
}

constexpr const char* kStyle = R"(
body { font-family: sans-serif; margin: 24px; color: #222; }
h1 { font-size: 20px; } h2 { font-size: 16px; margin-top: 28px; border-bottom: 1px solid #ccc; }
table { border-collapse: collapse; font-size: 13px; }
td, th { border: 1px solid #ccc; padding: 3px 8px; text-align: right; }
td:first-child, th:first-child { text-align: left; }
tr.chosen { background: #e6f4e6; font-weight: bold; }
.problem { color: #a00; }
.verdict-ok { color: #070; font-weight: bold; } .verdict-bad { color: #a00; font-weight: bold; }
pre { background: #f6f6f6; padding: 8px; font-size: 12px; overflow-x: auto; }
#graph { overflow: auto; max-height: 900px; border: 1px solid #ddd; }
#graph svg { max-width: none; }
)";

constexpr const char* kScript = R"(
(function () {
  var box = document.getElementById('log-scale');
  if (!box) return;
  function show() {
    document.getElementById('curves-linear').style.display = box.checked ? 'none' : '';
    document.getElementById('curves-log').style.display = box.checked ? '' : 'none';
  }
  box.addEventListener('change', show);
  show();
})();
)";

}  // namespace

std::string training_report_html(const fs::path& dir, const TrainingReportOptions& options) {
  std::string body;
  // --- curves
  std::vector<events::Run> runs;
  body += "<section id=\"curves\"><h2>Training curves</h2>\n";
  try {
    runs = events::read_runs(dir);
    events::PlotOptions linear, log;
    log.log_scale = true;
    body += fmt::format("<label><input type=\"checkbox\" id=\"log-scale\"{}> log scale</label>\n",
                        options.log_scale ? " checked" : "");
    body += "<div id=\"curves-linear\">" + events::metrics_svg(runs, linear) + "</div>\n";
    body += "<div id=\"curves-log\">" + events::metrics_svg(runs, log) + "</div>\n";
    std::string runs_line;
    for (const auto& r : runs) {
      runs_line += fmt::format("{}{} ({} scalar tags)", runs_line.empty() ? "" : ", ", r.name, r.scalars.size());
      for (const auto& w : r.warnings) body += problem("warning: " + w);
      for (const auto& e : r.errors) body += problem("error: " + e);
    }
    body += "<p>runs: " + html_escape(runs_line) + "</p>\n";
  } catch (const Error& e) {
    body += problem(e.what());
  }
  body += "</section>\n";

  // --- which checkpoint, and the export verdict (computed before the table marks it)
  ExportOptions eo = options.export_options;
  eo.source = dir;
  std::string chosen_prefix, chosen_reason, choice_error;
  try {
    if (!options.checkpoint.empty() && events::is_checkpoint_selector(options.checkpoint)) {
      const events::CheckpointChoice c = events::choose_checkpoint(dir, options.checkpoint);
      chosen_prefix = c.prefix;
      chosen_reason = fmt::format("--checkpoint {}: {}", options.checkpoint, c.reason);
      eo.source_options.checkpoint = c.prefix;
    } else if (!options.checkpoint.empty()) {
      eo.source_options.checkpoint = options.checkpoint;
    }
  } catch (const Error& e) {
    choice_error = e.what();
  }
  std::string verdict;
  std::string graph_section;
  if (!choice_error.empty()) {
    verdict = problem(choice_error);
  } else {
    try {
      const fs::path tmp = fs::temp_directory_path() / fmt::format("tfprod-report-{}.pb", ::getpid());
      ExportReport report = export_model(eo, tmp);
      std::error_code ec;
      fs::remove(tmp, ec);
      const bool ok = report.failure.empty();
      verdict += fmt::format("<p class=\"{}\" id=\"verdict-line\">{}</p>\n", ok ? "verdict-ok" : "verdict-bad",
                             ok ? (report.verified ? html_escape("exports and verifies: OpenCV " + report.opencv_version +
                                                                 " loads the model and its outputs match the evaluator")
                                                   : std::string("exports (not verified)"))
                                : html_escape("does not export: " + report.failure));
      if (!chosen_reason.empty())
        verdict += "<p>checkpoint: " + html_escape(chosen_prefix + " (" + chosen_reason + ")") + "</p>\n";
      verdict += "<pre>" + html_escape(report.text()) + "</pre>\n";
    } catch (const Error& e) {
      verdict = problem(std::string("does not export: ") + e.what());
    }
  }

  // --- checkpoints
  body += "<section id=\"checkpoints\"><h2>Checkpoints</h2>\n";
  try {
    const auto ckpts = events::checkpoint_metrics(dir, runs);
    if (ckpts.empty()) {
      body += problem("no checkpoint on disk (PREFIX-STEP.index)");
    } else {
      std::set<std::string> names;
      for (const auto& c : ckpts)
        for (const auto& [k, v] : c.metrics) names.insert(k);
      body += "<table id=\"checkpoint-table\"><tr><th>checkpoint</th><th>step</th><th>eval run</th>";
      for (const auto& n : names) body += "<th>" + html_escape(n) + "</th>";
      body += "</tr>\n";
      for (const auto& c : ckpts) {
        const bool chosen = !chosen_prefix.empty() && c.prefix == chosen_prefix;
        body += fmt::format("<tr{}><td>{}</td><td>{}</td><td>{}</td>", chosen ? " class=\"chosen\"" : "",
                            html_escape(fs::path(c.prefix).filename().string()), c.step,
                            html_escape(c.eval_run.empty() ? "-" : c.eval_run));
        for (const auto& n : names) {
          auto it = c.metrics.find(n);
          body += "<td>" + (it == c.metrics.end() ? std::string("-") : fmt::format("{:.6g}", it->second)) + "</td>";
        }
        body += "</tr>\n";
      }
      body += "</table>\n";
    }
  } catch (const Error& e) {
    body += problem(e.what());
  }
  body += "</section>\n";

  // --- graph
  body += "<section id=\"graph-section\"><h2>Graph</h2>\n";
  try {
    SourceOptions so = eo.source_options;
    const ModelSource src = open_model_source(dir, so);
    const Graph graph = Graph::from_graphdef(src.meta.graph_def(), src.graph_path.string());
    GraphViewOptions go;
    go.outputs = !eo.outputs.empty() ? eo.outputs : src.signature_outputs;
    const GraphView v = graph_view(graph, go);
    body += fmt::format("<p>{}: {} nodes, {} boxes drawn; the cut (dashed red) separates the input pipeline from the "
                        "model</p>\n",
                        html_escape(src.graph_path.filename().string()), v.nodes_total, v.boxes);
    body += "<div id=\"graph\">" + inline_svg(dot_to_svg(v.dot)) + "</div>\n";
  } catch (const Error& e) {
    body += problem(e.what());
  }
  body += "</section>\n";

  body += "<section id=\"verdict\"><h2>Export verdict</h2>\n" + verdict + "</section>\n";

  const std::string title = "tfprod report: " + dir.string();
  return fmt::format(
      "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{}</title>\n"
      "<link rel=\"icon\" href=\"data:,\">\n<style>{}</style></head>\n<body>\n<h1>{}</h1>\n{}<script>{}</script>\n"
      "</body></html>\n",
      html_escape(title), kStyle, html_escape(title), body, kScript);
}

}  // namespace tfprod
