// metrics_svg: the training curves as one standalone SVG, one chart per
// scalar tag with every run that logged the tag on it (train and eval
// together), a legend, step and value axes, optionally a log value axis.
// Non-finite values (and values <= 0 on a log axis) break the line.
#include <algorithm>
#include <cmath>
#include <set>

#include <fmt/format.h>

#include "tfprod/events.h"

namespace tfprod::events {

namespace {

const char* kColours[] = {"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
                          "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"};

std::string esc(std::string_view s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '&': out += "&amp;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string num(double v) { return fmt::format("{:.4g}", v); }

}  // namespace

std::string metrics_svg(const std::vector<Run>& runs, const PlotOptions& options) {
  // Tags in order, and which runs have each.
  std::set<std::string> tags;
  for (const Run& r : runs)
    for (const auto& [tag, s] : r.scalars)
      if (s.size()) tags.insert(tag);
  const int w = options.width, h = options.height, cols = tags.size() > 1 ? 2 : 1;
  const int rows = static_cast<int>((tags.size() + cols - 1) / cols);
  const int total_w = cols * w, total_h = std::max(1, rows) * h;
  std::string svg = fmt::format(
      "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{}\" height=\"{}\" viewBox=\"0 0 {} {}\" "
      "font-family=\"sans-serif\" font-size=\"11\" class=\"tfprod-curves\">\n"
      "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n",
      total_w, total_h, total_w, total_h);
  if (tags.empty())
    svg += fmt::format("<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">no scalars</text>\n", total_w / 2, total_h / 2);
  const double ml = 60, mr = 12, mt = 24, mb = 48;
  int index = 0;
  for (const std::string& tag : tags) {
    const double ox = (index % cols) * w, oy = (index / cols) * h;
    ++index;
    double smin = INFINITY, smax = -INFINITY, vmin = INFINITY, vmax = -INFINITY;
    std::vector<std::pair<const Run*, const Series*>> lines;
    for (const Run& r : runs) {
      auto it = r.scalars.find(tag);
      if (it == r.scalars.end() || !it->second.size()) continue;
      lines.emplace_back(&r, &it->second);
      for (std::size_t i = 0; i < it->second.size(); ++i) {
        const double v = it->second.values[i];
        smin = std::min(smin, static_cast<double>(it->second.steps[i]));
        smax = std::max(smax, static_cast<double>(it->second.steps[i]));
        if (!std::isfinite(v) || (options.log_scale && v <= 0)) continue;
        vmin = std::min(vmin, v), vmax = std::max(vmax, v);
      }
    }
    auto tv = [&](double v) { return options.log_scale ? std::log10(v) : v; };
    if (vmin > vmax) vmin = 0, vmax = options.log_scale ? 10 : 1;
    double lo = tv(vmin), hi = tv(vmax);
    if (hi - lo < 1e-12) lo -= 0.5, hi += 0.5;
    if (smax - smin < 1) smin -= 0.5, smax += 0.5;
    const double pw = w - ml - mr, ph = h - mt - mb;
    auto X = [&](double s) { return ox + ml + (s - smin) / (smax - smin) * pw; };
    auto Y = [&](double v) { return oy + mt + (1 - (tv(v) - lo) / (hi - lo)) * ph; };
    svg += fmt::format("<g class=\"chart\" data-tag=\"{}\">\n", esc(tag));
    const std::size_t fit = static_cast<std::size_t>(std::max(10.0, (w - ml) / 7.5));
    const std::string title = tag.size() > fit ? "..." + tag.substr(tag.size() - (fit - 3)) : tag;
    svg += fmt::format("<text x=\"{}\" y=\"{}\" font-size=\"13\" font-weight=\"bold\"><title>{}</title>{}{}</text>\n",
                       ox + ml, oy + 16, esc(tag), esc(title), options.log_scale ? " (log)" : "");
    svg += fmt::format("<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"none\" stroke=\"#999\"/>\n", ox + ml,
                       oy + mt, pw, ph);
    for (int k = 0; k <= 4; ++k) {  // value ticks
      const double t = lo + (hi - lo) * k / 4;
      const double y = oy + mt + (1 - static_cast<double>(k) / 4) * ph;
      svg += fmt::format("<line x1=\"{}\" x2=\"{}\" y1=\"{}\" y2=\"{}\" stroke=\"#eee\"/>"
                         "<text x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text>\n",
                         ox + ml, ox + ml + pw, y, y, ox + ml - 4, y + 4, num(options.log_scale ? std::pow(10, t) : t));
    }
    for (int k = 0; k <= 4; ++k) {  // step ticks
      const double s = smin + (smax - smin) * k / 4;
      svg += fmt::format("<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">{:.0f}</text>\n", X(s), oy + mt + ph + 14,
                         std::round(s));
    }
    svg += fmt::format("<text x=\"{}\" y=\"{}\" text-anchor=\"middle\" fill=\"#555\">step</text>\n", ox + ml + pw / 2,
                       oy + mt + ph + 28);
    for (std::size_t l = 0; l < lines.size(); ++l) {
      const Series& s = *lines[l].second;
      const char* colour = kColours[l % std::size(kColours)];
      std::string d;
      bool pen = false;
      for (std::size_t i = 0; i < s.size(); ++i) {
        const double v = s.values[i];
        if (!std::isfinite(v) || (options.log_scale && v <= 0)) {
          pen = false;
          continue;
        }
        d += fmt::format("{}{:.1f},{:.1f} ", pen ? "L" : "M", X(static_cast<double>(s.steps[i])), Y(v));
        pen = true;
      }
      // Few points (an eval run logs once per checkpoint): a marker on each.
      if (s.size() <= 30)
        for (std::size_t i = 0; i < s.size(); ++i)
          if (std::isfinite(s.values[i]) && !(options.log_scale && s.values[i] <= 0))
            svg += fmt::format("<circle cx=\"{:.1f}\" cy=\"{:.1f}\" r=\"3\" fill=\"{}\"/>\n",
                               X(static_cast<double>(s.steps[i])), Y(s.values[i]), colour);
      if (s.size() > 1 && !d.empty())
        svg += fmt::format("<path d=\"{}\" fill=\"none\" stroke=\"{}\" stroke-width=\"1.5\"/>\n", d, colour);
      svg += fmt::format("<text class=\"legend\" x=\"{}\" y=\"{}\" text-anchor=\"end\" fill=\"{}\">{}</text>\n",
                         ox + ml + pw - 4, oy + mt + 12 + 12 * static_cast<double>(l), colour,
                         esc(lines[l].first->name == "." ? ". (top folder)" : lines[l].first->name));
    }
    svg += "</g>\n";
  }
  return svg + "</svg>\n";
}

}  // namespace tfprod::events
