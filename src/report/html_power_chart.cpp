// SPDX-License-Identifier: BSD-3-Clause
// The power-over-time chart of `jouletrace report --html`: the profile the ledger made, stacked
// where its parts do not overlap, meters as lines, phases as bands.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "report/html_parts.hpp"

namespace jt::html {

namespace {

using study::StatedPowerProfile;
using study::StatedProfileSeries;
using Values = std::vector<std::optional<double>>;

constexpr double kWidth = 760.0;
constexpr double kHeight = 320.0;
constexpr double kLeft = 64.0;
constexpr double kRight = 110.0;
constexpr double kTop = 34.0;
constexpr double kBottom = 40.0;
constexpr double kLabelGap = 13.0;

struct Frame {
  double seconds = 1.0;
  double largest_w = 1.0;
  double x(double t) const { return kLeft + (kWidth - kLeft - kRight) * t / seconds; }
  double y(double w) const {
    return kHeight - kBottom - (kHeight - kTop - kBottom) * w / largest_w;
  }
};

// The start of bucket `b`, in seconds from the run's start.
double edge_s(double bucket_s, std::size_t b) { return bucket_s * static_cast<double>(b); }

// Where each series is drawn: a stacked part's top (its base is the previous part's top), or a
// line's own value. A bucket where a part or one below it is unknown has no top.
struct Drawn {
  std::vector<Values> base;
  std::vector<Values> top;
};

Drawn stack(const StatedPowerProfile& profile) {
  Drawn d;
  Values below(profile.buckets, 0.0);
  for (const StatedProfileSeries& s : profile.series) {
    Values top(profile.buckets);
    for (std::size_t b = 0; b < profile.buckets; ++b) {
      if (s.stacked && below[b] && s.power_w[b]) top[b] = *below[b] + *s.power_w[b];
      if (!s.stacked) top[b] = s.power_w[b];
    }
    d.base.push_back(s.stacked ? below : Values(profile.buckets, std::nullopt));
    d.top.push_back(top);
    if (s.stacked) below = top;
  }
  return d;
}

double largest(const Drawn& d) {
  double out = 0.0;
  for (const Values& values : d.top) {
    for (const auto& v : values) out = std::max(out, v.value_or(0.0));
  }
  return out;
}

// Step outlines over each run of known buckets: areas closed over their base, lines open.
std::string step_path(const Frame& f, double bucket_s, const Values& top, const Values& base,
                      bool area) {
  std::string path;
  const std::size_t n = top.size();
  for (std::size_t b = 0; b < n;) {
    if (!top[b]) {
      ++b;
      continue;
    }
    const std::size_t first = b;
    path += fmt::format("M{:.1f} {:.1f}", f.x(edge_s(bucket_s, b)), f.y(*top[b]));
    for (; b < n && top[b]; ++b) {
      path += fmt::format("V{:.1f}H{:.1f}", f.y(*top[b]), f.x(edge_s(bucket_s, b + 1)));
    }
    if (!area) continue;
    for (std::size_t k = b; k-- > first;) {
      path += fmt::format("V{:.1f}H{:.1f}", f.y(*base[k]), f.x(edge_s(bucket_s, k)));
    }
    path += "Z";
  }
  return path;
}

std::string axes(const Frame& f, const std::vector<double>& y_ticks, const Unit& pu) {
  std::string out;
  const Unit tu = time_unit(f.seconds);
  for (double v : y_ticks) {
    out += fmt::format(
        "<line x1=\"{0:.1f}\" x2=\"{1:.1f}\" y1=\"{2:.1f}\" y2=\"{2:.1f}\" stroke=\"#ddd\"/>"
        "<text x=\"{3:.1f}\" y=\"{4:.1f}\" text-anchor=\"end\">{5} {6}</text>\n",
        kLeft, kWidth - kRight, f.y(v), kLeft - 4, f.y(v) + 4, tick_text(v * pu.factor), pu.name);
  }
  for (double t : ticks(f.seconds * tu.factor, 6)) {
    if (t / tu.factor > f.seconds * 1.0001) break;
    out += fmt::format("<text x=\"{:.1f}\" y=\"{:.1f}\" text-anchor=\"middle\">{}</text>\n",
                       f.x(t / tu.factor), kHeight - kBottom + 16, tick_text(t));
  }
  out += fmt::format(
      "<text x=\"{:.1f}\" y=\"{:.1f}\" text-anchor=\"middle\">time since the start ({})</text>\n"
      "<line x1=\"{:.1f}\" x2=\"{:.1f}\" y1=\"{:.1f}\" y2=\"{:.1f}\" stroke=\"#333\"/>\n",
      (kLeft + kWidth - kRight) / 2, kHeight - 6, tu.name, kLeft, kWidth - kRight,
      kHeight - kBottom, kHeight - kBottom);
  return out;
}

// Phase bands behind the series, their edges dashed over them, names where they fit.
std::string phase_bands(const Frame& f, const study::StatedRun& run, bool over) {
  std::string out;
  for (std::size_t i = 0; i < run.phase_instances.size(); ++i) {
    const auto& p = run.phase_instances[i];
    const double x0 = f.x(std::clamp(p.start_s, 0.0, f.seconds));
    const double x1 = f.x(std::clamp(p.end_s, 0.0, f.seconds));
    if (over) {
      out += fmt::format(
          "<path d=\"M{0:.1f} {2:.1f}V{3:.1f}M{1:.1f} {2:.1f}V{3:.1f}\" stroke=\"#333\" "
          "stroke-dasharray=\"3 3\"/>\n",
          x0, x1, kTop - 12, kHeight - kBottom);
      continue;
    }
    out += fmt::format(
        "<rect x=\"{:.1f}\" y=\"{:.1f}\" width=\"{:.1f}\" height=\"{:.1f}\" fill=\"{}\">"
        "<title>phase {}: {:.3f} s to {:.3f} s</title></rect>\n",
        x0, kTop - 12, std::max(x1 - x0, 0.5), kHeight - kBottom - kTop + 12,
        i % 2 == 0 ? "#eeeeee" : "#e0e0e0", escape(p.name), p.start_s, p.end_s);
    if (x1 - x0 >= 7.0 * static_cast<double>(p.name.size()) + 4.0) {
      out += fmt::format("<text x=\"{:.1f}\" y=\"{:.1f}\">{}</text>\n", x0 + 3, kTop - 16,
                         escape(p.name));
    }
  }
  return out;
}

// Labels at the right end of each series, pushed apart so that none overlaps another.
std::string direct_labels(const Frame& f, const Drawn& d, const std::vector<std::string>& names) {
  std::vector<std::pair<double, std::size_t>> at;
  for (std::size_t s = 0; s < names.size(); ++s) {
    const Values& top = d.top[s];
    for (std::size_t b = top.size(); b-- > 0;) {
      if (!top[b]) continue;
      const double base = d.base[s][b].value_or(*top[b]);
      at.emplace_back(f.y((base + *top[b]) / 2.0), s);
      break;
    }
  }
  std::sort(at.begin(), at.end());
  for (std::size_t i = 1; i < at.size(); ++i) {
    at[i].first = std::max(at[i].first, at[i - 1].first + kLabelGap);
  }
  std::string out;
  for (const auto& [y, s] : at) {
    out += fmt::format("<text x=\"{:.1f}\" y=\"{:.1f}\" fill=\"#111\">{}</text>\n",
                       kWidth - kRight + 6, y + 4, escape(names[s]));
  }
  return out;
}

std::string series_svg(const Frame& f, const StatedPowerProfile& profile, const Drawn& d) {
  std::string out;
  std::size_t lines = 0;
  for (std::size_t s = 0; s < profile.series.size(); ++s) {
    const bool area = profile.series[s].stacked;
    const std::string path = step_path(f, profile.bucket_s, d.top[s], d.base[s], area);
    if (path.empty()) continue;
    if (area) {
      out += fmt::format("<path d=\"{}\" fill=\"{}\" stroke=\"#fff\" stroke-width=\"0.5\"/>\n",
                         path, colour(s));
      continue;
    }
    const std::string pattern = dash(lines++);
    out += fmt::format("<path d=\"{}\" fill=\"none\" stroke=\"{}\" stroke-width=\"2.5\"{}/>\n",
                       path, colour(s),
                       pattern.empty() ? "" : fmt::format(" stroke-dasharray=\"{}\"", pattern));
  }
  return out;
}

std::vector<std::string> labels_of(const StatedPowerProfile& profile) {
  std::vector<std::string> domains;
  for (const auto& s : profile.series) domains.push_back(s.domain);
  return short_labels(domains);
}

std::string legend(const StatedPowerProfile& profile, const std::vector<std::string>& names) {
  std::string out =
      "<table>\n<tr><th>series</th><th>component</th><th>drawn as</th><th>method</th></tr>\n";
  for (std::size_t s = 0; s < profile.series.size(); ++s) {
    const auto& series = profile.series[s];
    const char* role = series.stacked           ? "stacked area (a part of the node)"
                       : series.contains_others ? "line (a meter holding other parts)"
                                                : "line (inside another component)";
    out += fmt::format(
        "<tr><td><span class=\"swatch\" style=\"background:{}\"></span> {}</td><td>{}</td>"
        "<td>{}</td><td>{}</td></tr>\n",
        colour(s), escape(names[s]), escape(series.id), role, to_string(series.method));
  }
  return out + "</table>\n";
}

std::string bucket_table(const StatedPowerProfile& profile, const std::vector<std::string>& names) {
  std::string out = fmt::format(
      "<details><summary>Every bucket as a table ({} buckets of {:.3f} s; mean power "
      "+/- its uncertainty; unknown where a channel had no readings)</summary>\n<table>\n"
      "<tr><th>from (s)</th>",
      profile.buckets, profile.bucket_s);
  for (const auto& name : names) out += fmt::format("<th>{} (W)</th>", escape(name));
  out += "</tr>\n";
  for (std::size_t b = 0; b < profile.buckets; ++b) {
    out += fmt::format("<tr><td class=\"n\">{:.3f}</td>", edge_s(profile.bucket_s, b));
    for (const auto& s : profile.series) {
      out += s.power_w[b] ? fmt::format("<td class=\"n\">{:.2f} +/- {:.2f}</td>", *s.power_w[b],
                                        s.uncertainty_w[b].value_or(0.0))
                          : std::string("<td>unknown</td>");
    }
    out += "</tr>\n";
  }
  return out + "</table>\n</details>\n";
}

}  // namespace

std::string power_chart(const study::StatedRun& run, const std::string& caption,
                        const std::string& anchor) {
  if (!run.power_profile || run.power_profile->buckets == 0) {
    return fmt::format(
        "<p class=\"note\">{}: unknown; this report has no power profile (the command did not "
        "start, or the report is older than the profile).</p>\n",
        escape(caption));
  }
  const StatedPowerProfile& profile = *run.power_profile;
  const Drawn d = stack(profile);
  Frame f;
  f.seconds = profile.bucket_s * static_cast<double>(profile.buckets);
  const std::vector<double> y_ticks = ticks(largest(d));
  f.largest_w = y_ticks.back() > 0.0 ? y_ticks.back() : 1.0;
  const std::vector<std::string> names = labels_of(profile);
  const std::string desc = fmt::format(
      "Mean power per bucket of {:.3f} s over {:.3f} s; parts of the node stacked, meters that "
      "hold them as lines; {} phase(s) as grey bands. The table below gives every value.",
      profile.bucket_s, f.seconds, run.phase_instances.size());
  return fmt::format(
      "<figure>\n<figcaption id=\"{0}-cap\">{1}</figcaption>\n"
      "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {2} {3}\" width=\"{2}\" "
      "height=\"{3}\" role=\"img\" aria-labelledby=\"{0}-title {0}-desc\">\n"
      "<title id=\"{0}-title\">{1}</title>\n<desc id=\"{0}-desc\">{4}</desc>\n"
      "{5}{6}{7}{8}{9}</svg>\n<p class=\"note\">Method: {10}. Uncertainty per bucket in the "
      "table.</p>\n{11}{12}</figure>\n",
      anchor, escape(caption), kWidth, kHeight, escape(desc), phase_bands(f, run, false),
      axes(f, y_ticks, power_unit(f.largest_w)), series_svg(f, profile, d),
      phase_bands(f, run, true), direct_labels(f, d, names), escape(profile.method),
      legend(profile, names), bucket_table(profile, names));
}

}  // namespace jt::html
