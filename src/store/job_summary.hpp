// SPDX-License-Identifier: BSD-3-Clause
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "ledger/carbon.hpp"
#include "store/job_record.hpp"
#include "store/job_store.hpp"

namespace jt::store {

// A domain's energy summed over the job's nodes ("package", "dram", "gpu", "node" ...).
struct DomainFigure {
  std::string domain;
  Figure energy;
};

// What one node contributes to the job: its allocation record (the extern step) when there is
// one, else its outermost steps (steps not inside another step of that node), said by `whole`.
struct NodeFigure {
  std::string node;
  Figure total;
  bool whole = true;
  std::vector<std::string> step_ids;  // the records the figure is made of
};

// One job across its nodes, steps, components and phases: what `jouletrace job` shows.
struct JobReport {
  JobSummary summary;
  // What the job is charged on nodes it shared (docs/ATTRIBUTION.md): each chosen record's
  // attributed share; the summary's total is the nodes' energy while the job ran.
  Figure charged;
  std::vector<DomainFigure> domains;  // from the records `nodes` are made of, in-total parts
  std::vector<NodeFigure> nodes;
  std::vector<StepRecord> steps;      // every record, ordered by node, then begin
  std::vector<PhaseFigure> phases;    // merged by name over every step and node
  std::vector<std::string> warnings;  // e.g. a node without its allocation record
  // CO2e and cost of what the job is charged, and of each phase, when the reader gave factors
  // (`job --region ...`, docs/CARBON.md); empty: none given.
  struct Carbon {
    CarbonFactors factors;
    CarbonFigure charged;
    std::vector<CarbonFigure> phases;  // in the order of `phases`
  };
  std::optional<Carbon> carbon;
};

// Sums with the ledger's rules (sum_of: unknown stays unknown, systematic parts linearly).
JobReport summarise_job(const std::vector<StepRecord>& records);
JobSummary summary_of_job(const std::vector<StepRecord>& records);
// Post-processing of the summed energies (docs/CARBON.md): the same rule as a run's, of the
// figure the job is charged and of each phase.
void add_carbon(JobReport& report, const CarbonFactors& factors);

// `jouletrace jobs` with factors: each job's CO2e and cost (of its nodes' energy, the list's
// figure), and of all the jobs listed together.
struct JobsCarbon {
  CarbonFactors factors;
  std::vector<CarbonFigure> jobs;  // in the order of the list
  CarbonFigure all;
};
JobsCarbon carbon_of_jobs(const std::vector<JobSummary>& jobs, const CarbonFactors& factors);

}  // namespace jt::store
