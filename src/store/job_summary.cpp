// SPDX-License-Identifier: BSD-3-Clause
#include "store/job_summary.hpp"

#include <algorithm>
#include <map>
#include <set>
#include <utility>

namespace jt::store {

namespace {

// The records of one node, as indexes into the job's records.
using NodeRecords = std::map<std::string, std::vector<std::size_t>>;

NodeRecords records_by_node(const std::vector<StepRecord>& records) {
  NodeRecords out;
  for (std::size_t i = 0; i < records.size(); ++i) out[records[i].key.node].push_back(i);
  return out;
}

// `inner` lies within `outer`. Of two records with the same interval the first one listed
// counts as the outer one, so that equal steps are not both dropped.
bool inside(const StepRecord& inner, std::size_t inner_index, const StepRecord& outer,
            std::size_t outer_index) {
  if (inner_index == outer_index) return false;
  if (outer.begin_unix_ms > inner.begin_unix_ms || inner.end_unix_ms > outer.end_unix_ms) {
    return false;
  }
  const bool same =
      outer.begin_unix_ms == inner.begin_unix_ms && outer.end_unix_ms == inner.end_unix_ms;
  return !same || outer_index < inner_index;
}

// The records a node's figure is made of (docs/STORE.md "The summary rule"): its allocation
// record (the extern step spans the whole allocation), else the steps inside no other.
std::vector<std::size_t> chosen_records(const std::vector<StepRecord>& records,
                                        const std::vector<std::size_t>& node) {
  for (std::size_t i : node) {
    if (records[i].scope == StepScope::kAllocation) return {i};
  }
  std::vector<std::size_t> outermost;
  for (std::size_t i : node) {
    const bool nested = std::any_of(node.begin(), node.end(), [&](std::size_t j) {
      return inside(records[i], i, records[j], j);
    });
    if (!nested) outermost.push_back(i);
  }
  return outermost;
}

bool has_allocation(const std::vector<StepRecord>& records, const std::vector<std::size_t>& node) {
  return std::any_of(node.begin(), node.end(),
                     [&](std::size_t i) { return records[i].scope == StepScope::kAllocation; });
}

Figure sum_figures(const std::vector<Figure>& figures) {
  std::vector<Measurement> parts;
  parts.reserve(figures.size());
  for (const Figure& f : figures) parts.push_back(measurement_of(f));
  return figure_of(sum_of(parts));
}

template <typename Select>
Figure sum_over(const std::vector<StepRecord>& records, const std::vector<std::size_t>& which,
                Select select) {
  std::vector<Figure> figures;
  figures.reserve(which.size());
  for (std::size_t i : which) figures.push_back(select(records[i]));
  return sum_figures(figures);
}

std::string missing_allocation_warning(const std::string& node) {
  return "node " + node +
         " has no allocation record (Slurm's extern step), so the job's figure there is its "
         "steps' and the time between steps is not counted; PrologFlags=Contain gives the whole "
         "allocation";
}

struct Selection {
  std::vector<std::size_t> used;  // every node's chosen records
  std::vector<NodeFigure> nodes;
  std::vector<std::string> warnings;
};

Selection select_records(const std::vector<StepRecord>& records) {
  Selection s;
  for (const auto& [node, indexes] : records_by_node(records)) {
    const std::vector<std::size_t> chosen = chosen_records(records, indexes);
    NodeFigure figure{
        .node = node,
        .total = sum_over(records, chosen, [](const StepRecord& r) { return r.total; }),
        .whole = has_allocation(records, indexes)};
    for (std::size_t i : chosen) figure.step_ids.push_back(records[i].key.step_id);
    if (!figure.whole) s.warnings.push_back(missing_allocation_warning(node));
    s.used.insert(s.used.end(), chosen.begin(), chosen.end());
    s.nodes.push_back(std::move(figure));
  }
  return s;
}

JobSummary summary_from(const std::vector<StepRecord>& records, const Selection& s) {
  JobSummary summary;
  if (records.empty()) return summary;
  const StepRecord& first = records.front();
  summary.cluster = first.key.cluster;
  summary.job_id = first.key.job_id;
  summary.uid = first.uid;
  summary.user = first.user;
  summary.begin_unix_ms = first.begin_unix_ms;
  summary.end_unix_ms = first.end_unix_ms;
  std::set<std::string> step_ids;
  for (const StepRecord& r : records) {
    summary.begin_unix_ms = std::min(summary.begin_unix_ms, r.begin_unix_ms);
    summary.end_unix_ms = std::max(summary.end_unix_ms, r.end_unix_ms);
    step_ids.insert(r.key.step_id);
  }
  summary.nodes = static_cast<int>(s.nodes.size());
  summary.steps = static_cast<int>(step_ids.size());
  summary.total = sum_over(records, s.used, [](const StepRecord& r) { return r.total; });
  summary.idle_gpu = sum_over(records, s.used, [](const StepRecord& r) { return r.idle_gpu; });
  summary.estimate = sum_over(records, s.used, [](const StepRecord& r) { return r.estimate; });
  summary.whole =
      std::all_of(s.nodes.begin(), s.nodes.end(), [](const NodeFigure& n) { return n.whole; });
  return summary;
}

std::vector<DomainFigure> domains_of(const std::vector<StepRecord>& records,
                                     const std::vector<std::size_t>& used) {
  std::map<std::string, std::vector<Figure>> by_domain;
  for (std::size_t i : used) {
    for (const ComponentFigure& c : records[i].components) {
      if (c.in_total) by_domain[c.domain].push_back(c.energy);
    }
  }
  std::vector<DomainFigure> out;
  for (const auto& [domain, figures] : by_domain) {
    out.push_back({.domain = domain, .energy = sum_figures(figures)});
  }
  return out;
}

// Phases are merged over every record, not only the chosen ones: a phase is marked inside the
// step that ran it, which an allocation record does not list.
std::vector<PhaseFigure> phases_of(const std::vector<StepRecord>& records) {
  std::map<std::string, std::pair<PhaseFigure, std::vector<Figure>>> by_name;
  std::vector<std::string> order;
  for (const StepRecord& r : records) {
    for (const PhaseFigure& p : r.phases) {
      auto [it, added] = by_name.try_emplace(p.name);
      if (added) order.push_back(p.name);
      PhaseFigure& merged = it->second.first;
      merged.name = p.name;
      merged.count += p.count;
      merged.duration_s += p.duration_s;
      merged.items += p.items;
      it->second.second.push_back(p.energy);
    }
  }
  std::vector<PhaseFigure> out;
  for (const std::string& name : order) {
    auto& [merged, energies] = by_name.at(name);
    merged.energy = sum_figures(energies);
    out.push_back(merged);
  }
  return out;
}

}  // namespace

JobSummary summary_of_job(const std::vector<StepRecord>& records) {
  return summary_from(records, select_records(records));
}

JobReport summarise_job(const std::vector<StepRecord>& records) {
  Selection selection = select_records(records);
  JobReport report;
  report.summary = summary_from(records, selection);
  report.charged =
      sum_over(records, selection.used, [](const StepRecord& r) { return r.attributed; });
  report.domains = domains_of(records, selection.used);
  report.phases = phases_of(records);
  report.steps = records;
  std::stable_sort(report.steps.begin(), report.steps.end(),
                   [](const StepRecord& a, const StepRecord& b) {
                     if (a.key.node != b.key.node) return a.key.node < b.key.node;
                     return a.begin_unix_ms < b.begin_unix_ms;
                   });
  report.nodes = std::move(selection.nodes);
  report.warnings = std::move(selection.warnings);
  return report;
}

void add_carbon(JobReport& report, const CarbonFactors& factors) {
  JobReport::Carbon carbon;
  carbon.factors = factors;
  carbon.charged = carbon_of(measurement_of(report.charged), factors);
  for (const PhaseFigure& phase : report.phases) {
    carbon.phases.push_back(carbon_of(measurement_of(phase.energy), factors));
  }
  report.carbon = std::move(carbon);
}

JobsCarbon carbon_of_jobs(const std::vector<JobSummary>& jobs, const CarbonFactors& factors) {
  JobsCarbon carbon;
  carbon.factors = factors;
  std::vector<Measurement> energies;
  for (const JobSummary& job : jobs) {
    energies.push_back(measurement_of(job.total));
    carbon.jobs.push_back(carbon_of(energies.back(), factors));
  }
  // Unknown when any job's energy is: a sum that leaves one out would read as all of them.
  carbon.all = carbon_of(sum_of(energies, "the jobs listed"), factors);
  return carbon;
}

}  // namespace jt::store
