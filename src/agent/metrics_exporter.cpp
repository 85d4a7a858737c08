// SPDX-License-Identifier: BSD-3-Clause
#include "agent/metrics_exporter.hpp"

#include <prometheus/exposer.h>
#include <prometheus/text_serializer.h>

#include <algorithm>
#include <cctype>
#include <exception>
#include <sstream>
#include <utility>

namespace jt::agent {
namespace {

using prometheus::ClientMetric;
using prometheus::MetricFamily;
using prometheus::MetricType;
using Labels = std::vector<ClientMetric::Label>;

ClientMetric sample(Labels labels, MetricType type, double value) {
  ClientMetric metric;
  metric.label = std::move(labels);
  if (type == MetricType::Counter) {
    metric.counter.value = value;
  } else {
    metric.gauge.value = value;
  }
  return metric;
}

// A family with no sample says nothing a scraper can use: it is left out.
void add_family(std::vector<MetricFamily>& families, MetricFamily family) {
  if (!family.metric.empty()) families.push_back(std::move(family));
}

Labels channel_labels(const std::string& node, const ChannelMetrics& channel) {
  return {{"node", node},
          {"component", channel.component},
          {"domain", channel.domain},
          {"device", channel.device}};
}

// Unknown energy or power is never served as 0: the sample is absent instead.
void add_channel_energy_and_power(std::vector<MetricFamily>& families,
                                  const MetricsSnapshot& snapshot) {
  MetricFamily energy{"jouletrace_energy_joules_total",
                      "Energy the channel used, in joules, since the agent's history on this node "
                      "began; it continues across agent restarts. Absent while unknown.",
                      MetricType::Counter,
                      {}};
  MetricFamily power{"jouletrace_power_watts",
                     "Power of the channel over the last sampling interval, in watts. Absent "
                     "while unknown.",
                     MetricType::Gauge,
                     {}};
  for (const ChannelMetrics& channel : snapshot.channels) {
    if (channel.energy_j_total) {
      energy.metric.push_back(sample(channel_labels(snapshot.node, channel), MetricType::Counter,
                                     *channel.energy_j_total));
    }
    if (channel.power_w) {
      power.metric.push_back(
          sample(channel_labels(snapshot.node, channel), MetricType::Gauge, *channel.power_w));
    }
  }
  add_family(families, std::move(energy));
  add_family(families, std::move(power));
}

void add_sensor_health(std::vector<MetricFamily>& families, const MetricsSnapshot& snapshot) {
  MetricFamily up{"jouletrace_sensor_up",
                  "1 when the channel's last read succeeded and its device is present, else 0.",
                  MetricType::Gauge,
                  {}};
  MetricFamily errors{"jouletrace_sensor_read_errors_total",
                      "Reads of the channel that failed or were skipped.",
                      MetricType::Counter,
                      {}};
  MetricFamily wraps{"jouletrace_sensor_wraps_total",
                     "Times the channel's hardware energy counter wrapped around.",
                     MetricType::Counter,
                     {}};
  MetricFamily gaps{"jouletrace_sensor_gaps_total",
                    "Stretches of time no reading of the channel covers; a restart of the agent "
                    "counts.",
                    MetricType::Counter,
                    {}};
  for (const ChannelMetrics& channel : snapshot.channels) {
    const Labels device{{"node", snapshot.node}, {"device", channel.device}};
    up.metric.push_back(
        sample({{"node", snapshot.node}, {"device", channel.device}, {"method", channel.method}},
               MetricType::Gauge, channel.up ? 1.0 : 0.0));
    errors.metric.push_back(
        sample(device, MetricType::Counter, static_cast<double>(channel.read_errors)));
    wraps.metric.push_back(sample(device, MetricType::Counter, static_cast<double>(channel.wraps)));
    gaps.metric.push_back(sample(device, MetricType::Counter, static_cast<double>(channel.gaps)));
  }
  for (MetricFamily* family : {&up, &errors, &wraps, &gaps}) {
    add_family(families, std::move(*family));
  }
}

// Two parts of a job with the same component would be one series twice, which Prometheus
// rejects: they are summed, in the order they first appear.
std::vector<JobMetrics::Component> energy_per_component(const JobMetrics& job) {
  std::vector<JobMetrics::Component> summed;
  for (const JobMetrics::Component& part : job.components) {
    auto same = std::find_if(summed.begin(), summed.end(),
                             [&](const auto& known) { return known.component == part.component; });
    if (same == summed.end()) {
      summed.push_back(part);
    } else {
      same->energy_j += part.energy_j;
    }
  }
  return summed;
}

void add_jobs(std::vector<MetricFamily>& families, const MetricsSnapshot& snapshot,
              std::uint64_t jobs_dropped) {
  MetricFamily energy{"jouletrace_job_energy_joules_total",
                      "Energy of the job on this node, in joules, per component, as far as the "
                      "agent has measured it. A finished job is served by one scrape only.",
                      MetricType::Counter,
                      {}};
  for (const JobMetrics& job : snapshot.jobs) {
    for (const JobMetrics::Component& part : energy_per_component(job)) {
      energy.metric.push_back(sample({{"node", snapshot.node},
                                      {"job_id", job.job_id},
                                      {"user", job.user},
                                      {"component", part.component}},
                                     MetricType::Counter, part.energy_j));
    }
  }
  add_family(families, std::move(energy));
  add_family(families, MetricFamily{"jouletrace_jobs_dropped_total",
                                    "Finished jobs dropped before any scrape saw them, because "
                                    "too many were waiting.",
                                    MetricType::Counter,
                                    {sample({{"node", snapshot.node}}, MetricType::Counter,
                                            static_cast<double>(jobs_dropped))}});
}

MetricFamily build_info() {
  return {"jouletrace_build_info",
          "Always 1; the version label names the jouletrace agent that serves these metrics.",
          MetricType::Gauge,
          {sample({{"version", JOULETRACE_VERSION}}, MetricType::Gauge, 1.0)}};
}

void add_sampling(std::vector<MetricFamily>& families, const MetricsSnapshot& snapshot) {
  const Labels node{{"node", snapshot.node}};
  add_family(families,
             MetricFamily{"jouletrace_sampling_interval_seconds",
                          "The agent's sampling interval, in seconds.",
                          MetricType::Gauge,
                          {sample(node, MetricType::Gauge, snapshot.sampling_interval_s)}});
  add_family(families,
             MetricFamily{"jouletrace_snapshot_timestamp_seconds",
                          "When the agent took the snapshot these metrics come from, in seconds "
                          "since the Unix epoch.",
                          MetricType::Gauge,
                          {sample(node, MetricType::Gauge,
                                  static_cast<double>(snapshot.taken_at_unix_ms) / 1000.0)}});
}

constexpr const char* kListenHint =
    "give host:port with a numeric address of this machine, e.g. 127.0.0.1:9464, 0.0.0.0:9464 "
    "or [::1]:9464, and a port no other program listens on (ss -ltnp shows them); port 0 picks a "
    "free one";

// The server library reads the address as its own option syntax, where a comma lists several
// ports and a letter after the port asks for TLS or a redirect: only plain host:port passes.
Result<void> check_listen_address(const std::string& address_port) {
  const auto colon = address_port.rfind(':');
  const std::string host = colon == std::string::npos ? "" : address_port.substr(0, colon);
  const std::string port = colon == std::string::npos ? "" : address_port.substr(colon + 1);
  const bool port_ok =
      !port.empty() && port.size() <= 5 &&
      std::all_of(port.begin(), port.end(), [](unsigned char c) { return std::isdigit(c) != 0; }) &&
      std::stoi(port) <= 65535;
  const bool host_ok = !host.empty() && std::all_of(host.begin(), host.end(), [](unsigned char c) {
    return std::isxdigit(c) != 0 || c == '.' || c == ':' || c == '[' || c == ']';
  });
  if (port_ok && host_ok) return {};
  return make_error(ErrorKind::kInvalidData,
                    "'" + address_port + "' is not a host:port address to listen on for Prometheus",
                    kListenHint);
}

}  // namespace

std::vector<MetricFamily> metric_families(const MetricsSnapshot& snapshot,
                                          std::uint64_t jobs_dropped) {
  std::vector<MetricFamily> families;
  families.push_back(build_info());
  add_sampling(families, snapshot);
  add_channel_energy_and_power(families, snapshot);
  add_sensor_health(families, snapshot);
  add_jobs(families, snapshot, jobs_dropped);
  return families;
}

std::string render_metrics(const std::vector<MetricFamily>& families) {
  std::ostringstream text;
  prometheus::TextSerializer{}.Serialize(text, families);
  return text.str();
}

std::string render_metrics(const MetricsCollectable& collectable) {
  return render_metrics(collectable.Collect());
}

void BoundedIdSet::insert(const std::string& id) {
  if (capacity_ == 0 || !ids_.insert(id).second) return;
  oldest_first_.push_back(id);
  if (oldest_first_.size() > capacity_) {
    ids_.erase(oldest_first_.front());
    oldest_first_.pop_front();
  }
}

// The scrape threads wait on the mutex: sorting the jobs and freeing the previous snapshot happen
// outside it.
void MetricsCollectable::publish(MetricsSnapshot snapshot) {
  std::vector<JobMetrics> running;
  std::vector<JobMetrics> finished;
  for (JobMetrics& job : snapshot.jobs) {
    (job.finished ? finished : running).push_back(std::move(job));
  }
  snapshot.jobs = std::move(running);
  {
    const std::lock_guard lock(mutex_);
    for (JobMetrics& job : finished) keep_finished_job(std::move(job));
    std::swap(latest_, snapshot);
    published_ = true;
  }
}

// Called with the mutex held. A job sent again before a scrape saw it keeps its place in line and
// takes the newer figures.
void MetricsCollectable::keep_finished_job(JobMetrics job) {
  if (finished_served_.contains(job.job_id)) return;
  auto waiting = finished_waiting_.find(job.job_id);
  if (waiting != finished_waiting_.end()) {
    waiting->second = std::move(job);
    return;
  }
  finished_waiting_oldest_first_.push_back(job.job_id);
  finished_waiting_.emplace(job.job_id, std::move(job));
  if (finished_waiting_oldest_first_.size() > kMaxFinishedJobsWaiting) {
    finished_waiting_.erase(finished_waiting_oldest_first_.front());
    finished_waiting_oldest_first_.pop_front();
    ++jobs_dropped_;
  }
}

MetricsCollectable::ScrapeView MetricsCollectable::take_scrape_view() const {
  const std::lock_guard lock(mutex_);
  ScrapeView view{latest_, published_, jobs_dropped_};
  view.snapshot.jobs.reserve(view.snapshot.jobs.size() + finished_waiting_oldest_first_.size());
  for (const std::string& job_id : finished_waiting_oldest_first_) {
    view.snapshot.jobs.push_back(std::move(finished_waiting_.at(job_id)));
    finished_served_.insert(job_id);
  }
  finished_waiting_.clear();
  finished_waiting_oldest_first_.clear();
  return view;
}

std::vector<MetricFamily> MetricsCollectable::Collect() const {
  ScrapeView view = take_scrape_view();
  if (!view.published) return {build_info()};
  return metric_families(view.snapshot, view.jobs_dropped);
}

Result<std::unique_ptr<MetricsExporter>> MetricsExporter::listen(const std::string& address_port) {
  if (auto checked = check_listen_address(address_port); !checked) {
    return std::unexpected(checked.error());
  }
  // The server library reports a failed bind by throwing; no exception leaves the agent's code.
  try {
    auto collectable = std::make_shared<MetricsCollectable>();
    auto exposer = std::make_unique<prometheus::Exposer>(address_port);
    exposer->RegisterCollectable(collectable);
    const std::vector<int> ports = exposer->GetListeningPorts();
    if (ports.empty()) {
      return make_error(ErrorKind::kIo, "listening on " + address_port + " gave no port",
                        kListenHint);
    }
    return std::unique_ptr<MetricsExporter>(
        new MetricsExporter(std::move(collectable), std::move(exposer), ports.front()));
  } catch (const std::exception& failure) {
    return make_error(
        ErrorKind::kIo,
        "cannot listen on " + address_port +
            " for Prometheus scrapes (address in use or not of this machine?): " + failure.what(),
        kListenHint);
  }
}

MetricsExporter::MetricsExporter(std::shared_ptr<MetricsCollectable> collectable,
                                 std::unique_ptr<prometheus::Exposer> exposer, int port)
    : collectable_(std::move(collectable)), exposer_(std::move(exposer)), port_(port) {}

MetricsExporter::~MetricsExporter() = default;

}  // namespace jt::agent
