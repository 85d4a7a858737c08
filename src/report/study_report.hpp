// SPDX-License-Identifier: BSD-3-Clause
#pragma once

#include <nlohmann/json.hpp>

#include "ledger/node_profile.hpp"
#include "report/run_report.hpp"
#include "study/study_index.hpp"
#include "study/study_record.hpp"

// The files `jouletrace study` writes (docs/STUDY.md): per cell a `jouletrace.repeat` document
// with the study's record and the node profile beside the runs, so that `compare` and `report`
// read it like any repeat report; per node an index of them.
namespace jt {

nlohmann::json study_result_json(const RepeatSummary& runs, const study::StudyCellRecord& record,
                                 const NodeProfile& node);

// One line per finished cell: "cnn/cpu: 3 of 3 runs, 41.2 s sd 0.3 s, 12.5 kJ +/- 0.1 kJ
// (counter) -> FILE".
std::string format_study_cell_line(const std::string& label, const RepeatSummary& runs,
                                   const std::string& file);

// The index (schemas/study.schema.json): each entry's `file` relative to the index's directory.
nlohmann::json to_json(const study::StudyIndex& index);

}  // namespace jt
