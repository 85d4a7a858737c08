// SPDX-License-Identifier: BSD-3-Clause
// The job store's queries on a site-sized store (docs/PERFORMANCE.md "Job store"): `job` and
// `jobs` on 100 000 jobs x 4 nodes, and records written per second by one writer.
//
// SQLite always (the file is filled once and kept: JOULETRACE_BENCH_STORE_DIR, default /tmp);
// PostgreSQL when JOULETRACE_BENCH_PG_CONNINFO names a server's credentials file (a root-owned
// 0600 file holding a libpq connection string). JOULETRACE_BENCH_STORE_JOBS: jobs to fill.
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <filesystem>
#include <map>
#include <string>

#include "store/job_store.hpp"

namespace {

using jt::store::JobStore;
using jt::store::StepRecord;
using jt::store::StepScope;

int configured_jobs() {
  const char* text = std::getenv("JOULETRACE_BENCH_STORE_JOBS");
  return text ? std::atoi(text) : 100'000;
}

constexpr int kNodes = 4;
constexpr std::int64_t kFirstEndMs = 1'700'000'000'000;

StepRecord bench_record(int job, const std::string& step, int node, StepScope scope) {
  StepRecord r;
  r.key = {.cluster = "bench",
           .job_id = std::to_string(job),
           .step_id = step,
           .node = "nid" + std::to_string(node)};
  r.uid = static_cast<std::uint32_t>(1000 + job % 50);
  r.user = "user" + std::to_string(job % 50);
  r.end_unix_ms = kFirstEndMs + job * 60'000LL;
  r.begin_unix_ms = r.end_unix_ms - 3'600'000;
  r.scope = scope;
  r.detail = "summary";
  r.cpus = "0-127";
  r.gpus = "0,1,2,3";
  r.components = {{.id = "powercap/intel-rapl:0",
                   .domain = "package",
                   .energy = {.energy_j = 1.0e6,
                              .uncertainty_j = 900,
                              .systematic_j = 500,
                              .method = jt::Method::kCounter},
                   .covered_s = 3600,
                   .in_total = true}};
  r.total = {.energy_j = 4.0e6,
             .uncertainty_j = 4000,
             .systematic_j = 2000,
             .method = jt::Method::kCounter};
  r.attributed = r.total;
  r.estimate = {.energy_j = 5.0e6,
                .uncertainty_j = 2.5e6,
                .systematic_j = 2.5e6,
                .method = jt::Method::kModel};
  return r;
}

// One job: each node's allocation record, and the batch step and step 0 on the first node.
std::vector<StepRecord> bench_job(int job) {
  std::vector<StepRecord> out;
  for (int node = 0; node < kNodes; ++node) {
    out.push_back(bench_record(job, "extern", node, StepScope::kAllocation));
  }
  out.push_back(bench_record(job, "batch", 0, StepScope::kBatch));
  out.push_back(bench_record(job, "0", 0, StepScope::kStep));
  return out;
}

void fill(JobStore& store, int jobs) {
  if (store.job(std::to_string(jobs - 1), std::nullopt)) return;  // filled by an earlier run
  constexpr int kJobsPerTransaction = 1000;
  for (int first = 0; first < jobs; first += kJobsPerTransaction) {
    std::vector<StepRecord> batch;
    for (int job = first; job < std::min(jobs, first + kJobsPerTransaction); ++job) {
      for (auto& r : bench_job(job)) batch.push_back(std::move(r));
    }
    if (!store.put_many(batch)) std::abort();
  }
}

JobStore* filled_store(const std::string& backend) {
  static std::map<std::string, std::unique_ptr<JobStore>> stores;
  auto found = stores.find(backend);
  if (found != stores.end()) return found->second.get();
  jt::store::StoreConfig config;
  if (backend == "postgresql") {
    const char* conninfo = std::getenv("JOULETRACE_BENCH_PG_CONNINFO");
    if (!conninfo) return nullptr;
    config = {.kind = jt::store::StoreConfig::Kind::kPostgresql, .credentials_file = conninfo};
  } else {
    const char* dir = std::getenv("JOULETRACE_BENCH_STORE_DIR");
    config.sqlite_path = std::filesystem::path(dir ? dir : "/tmp") /
                         ("jt-store-bench-" + std::to_string(configured_jobs()) + ".sqlite");
  }
  auto store = jt::store::open_job_store(config);
  if (!store) return nullptr;
  fill(**store, configured_jobs());
  return stores.emplace(backend, std::move(*store)).first->second.get();
}

void BM_Job(benchmark::State& state, const std::string& backend) {
  JobStore* store = filled_store(backend);
  if (!store) return state.SkipWithError("no store (PostgreSQL: set JOULETRACE_BENCH_PG_CONNINFO)");
  int job = 0;
  for (auto _ : state) {
    auto records = store->job(std::to_string(job), std::nullopt);
    if (!records || records->size() != 6) return state.SkipWithError("job not found");
    job = (job + 7919) % configured_jobs();
  }
}

void BM_Jobs(benchmark::State& state, const std::string& backend, bool by_uid) {
  JobStore* store = filled_store(backend);
  if (!store) return state.SkipWithError("no store (PostgreSQL: set JOULETRACE_BENCH_PG_CONNINFO)");
  const auto limit = static_cast<std::size_t>(state.range(0));
  for (auto _ : state) {
    jt::store::JobQuery query{.limit = limit};
    if (by_uid) query.uid = 1007;
    auto jobs = store->jobs(query);
    if (!jobs || jobs->size() != limit) return state.SkipWithError("jobs failed");
  }
}

// Records written per second by one writer: one record per transaction (how an agent writes a
// step's record as it ends), and 1000 per transaction (put_many).
void BM_Put(benchmark::State& state, const std::string& backend) {
  JobStore* store = filled_store(backend);
  if (!store) return state.SkipWithError("no store (PostgreSQL: set JOULETRACE_BENCH_PG_CONNINFO)");
  const auto per_transaction = static_cast<int>(state.range(0));
  int job = 10'000'000;
  for (auto _ : state) {
    std::vector<StepRecord> batch;
    for (int i = 0; i < per_transaction; ++i) {
      StepRecord r = bench_record(job++, "1", 0, StepScope::kStep);
      // Older than every filled job, so that `jobs` measures the same newest jobs every run.
      r.begin_unix_ms = 0;
      r.end_unix_ms = 1000;
      batch.push_back(std::move(r));
    }
    if (!store->put_many(batch)) return state.SkipWithError("put failed");
  }
  state.SetItemsProcessed(state.iterations() * per_transaction);
}

void register_all() {
  for (const std::string backend : {"sqlite", "postgresql"}) {
    benchmark::RegisterBenchmark(("job/" + backend).c_str(), BM_Job, backend)
        ->Unit(benchmark::kMillisecond);
    benchmark::RegisterBenchmark(("jobs/" + backend).c_str(), BM_Jobs, backend, false)
        ->Arg(100)
        ->Unit(benchmark::kMillisecond);
    benchmark::RegisterBenchmark(("jobs_of_uid/" + backend).c_str(), BM_Jobs, backend, true)
        ->Arg(100)
        ->Unit(benchmark::kMillisecond);
    benchmark::RegisterBenchmark(("put/" + backend).c_str(), BM_Put, backend)
        ->Arg(1)
        ->Arg(1000)
        ->Unit(benchmark::kMillisecond);
  }
}

}  // namespace

int main(int argc, char** argv) {
  register_all();
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
