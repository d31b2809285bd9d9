// `tfprod report` in a real headless browser (Debian's chromium): the page
// loads with no console message at all, holds the expected elements (curves,
// checkpoint table with the chosen row, the graph SVG, the verdict), and its
// screenshot is not blank. A deliberately broken page shows the console check
// can fail. Skips with a message when chromium or Graphviz is absent.
#include <gtest/gtest.h>

#include <fmt/format.h>

#include <fstream>
#include <set>

#include "opencv/image_decode.h"
#include "test_support.h"

namespace tfprod::test {
namespace {

namespace fs = std::filesystem;

std::string chromium() {
  for (const char* name : {"chromium", "chromium-browser"}) {
    const RunResult r = run(fmt::format("command -v {}", name));
    if (r.exit_code == 0 && !r.output.empty()) return r.output.substr(0, r.output.find('\n'));
  }
  return "";
}

// Runs headless chromium on a page; `extra` picks --dump-dom or --screenshot.
RunResult browse(const std::string& browser, const fs::path& page, const fs::path& work, const std::string& extra) {
  return run(fmt::format("timeout 120 '{}' --headless=new --no-sandbox --disable-gpu --no-first-run "
                         "--user-data-dir='{}' --hide-scrollbars --window-size=1280,2400 --enable-logging=stderr "
                         "--v=0 {} 'file://{}'",
                         browser, (work / "profile").string(), extra, page.string()));
}

std::vector<std::string> console_lines(const std::string& output) {
  std::vector<std::string> lines;
  std::size_t start = 0;
  while (start < output.size()) {
    const std::size_t end = output.find('\n', start);
    const std::string line = output.substr(start, end == std::string::npos ? std::string::npos : end - start);
    if (line.find(":CONSOLE") != std::string::npos) lines.push_back(line);
    if (end == std::string::npos) break;
    start = end + 1;
  }
  return lines;
}

std::size_t count(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (auto p = text.find(what); p != std::string::npos; p = text.find(what, p + 1)) ++n;
  return n;
}

TEST(ReportBrowser, PageLoadsCleanWithEveryElementAndANonBlankScreenshot) {
  TFPROD_REQUIRE_CORPUS();
  const std::string browser = chromium();
  if (browser.empty()) GTEST_SKIP() << "chromium is not installed (apt-get install chromium): browser test skipped";
  if (run("command -v dot").exit_code != 0) GTEST_SKIP() << "Graphviz's dot is not installed: browser test skipped";
  const fs::path work = scratch_dir();

  // The console check catches errors (control).
  const fs::path bad = work / "bad.html";
  {
    std::ofstream(bad) << "<html><body><p>x</p><script>undefined_function();</script></body></html>";
  }
  const RunResult control = browse(browser, bad, work, "--dump-dom");
  ASSERT_FALSE(console_lines(control.output).empty()) << "the console check sees nothing on a broken page:\n"
                                                      << control.output;

  const fs::path page = work / "report.html";
  const RunResult made = run(fmt::format("'{}' report '{}' --checkpoint best -o '{}'", tool("tfprod").string(),
                                         (corpus_dir() / "mnist_estimator_tf15").string(), page.string()));
  ASSERT_EQ(made.exit_code, 0) << made.output;
  const std::string html = slurp(page);
  for (const char* fetch : {"src=\"http", "href=\"http", "url(http", "@import", "<link rel=\"stylesheet"})
    EXPECT_EQ(html.find(fetch), std::string::npos) << "the page must not fetch anything: " << fetch;

  const RunResult dom = browse(browser, page, work, "--dump-dom");
  ASSERT_EQ(dom.exit_code, 0) << dom.output;
  const auto console = console_lines(dom.output);
  EXPECT_TRUE(console.empty()) << console.front();
  EXPECT_NE(dom.output.find("id=\"curves\""), std::string::npos);
  EXPECT_GE(count(dom.output, "class=\"chart\""), 4u);  // accuracy, loss, ... linear and log
  EXPECT_NE(dom.output.find("data-tag=\"loss\""), std::string::npos);
  EXPECT_NE(dom.output.find("id=\"checkpoint-table\""), std::string::npos);
  EXPECT_NE(dom.output.find("<tr class=\"chosen\"><td>model.ckpt-20000</td>"), std::string::npos);
  const auto graph = dom.output.find("<div id=\"graph\"><svg");
  EXPECT_NE(graph, std::string::npos);
  EXPECT_NE(dom.output.find("class=\"verdict-ok\""), std::string::npos);
  // The script ran: the log-scale curves are hidden, the linear ones shown.
  EXPECT_NE(dom.output.find("id=\"curves-log\" style=\"display: none;\""), std::string::npos) << "script did not run";

  const fs::path shot = work / "shot.png";
  const RunResult s = browse(browser, page, work, fmt::format("--screenshot='{}'", shot.string()));
  ASSERT_TRUE(fs::exists(shot)) << s.output;
  const DecodedImage img = decode_image(slurp(shot), false, shot.string());
  ASSERT_GT(img.width, 100);
  ASSERT_GT(img.height, 100);
  std::size_t non_white = 0;
  std::set<uint32_t> colours;
  for (std::size_t i = 0; i + 2 < img.pixels.size(); i += 3) {
    const uint32_t rgb = (uint32_t{img.pixels[i]} << 16) | (uint32_t{img.pixels[i + 1]} << 8) | img.pixels[i + 2];
    if (rgb != 0xffffff) ++non_white;
    if (colours.size() < 1000) colours.insert(rgb);
  }
  const double share = static_cast<double>(non_white) / (static_cast<double>(img.width) * img.height);
  EXPECT_GT(share, 0.02) << "screenshot nearly blank";
  EXPECT_GT(colours.size(), 20u) << "screenshot has too few colours to hold curves and a graph";
}

}  // namespace
}  // namespace tfprod::test
