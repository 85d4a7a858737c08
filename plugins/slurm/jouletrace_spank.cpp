// SPDX-License-Identifier: BSD-3-Clause
// The SPANK entry points (https://slurm.schedmd.com/spank.html). Which callback runs where, in
// Slurm 22.05 (src/common/plugstack.c, src/slurmd/slurmstepd/mgr.c): slurmstepd calls
// slurm_spank_init then slurm_spank_init_post_opt (options known) as root for every step,
// the extern step of PrologFlags=Contain, the batch step and srun's steps alike, before any
// task starts; slurm_spank_exit runs there as root when the step is over. user_init and
// task_init do not run for the extern step, which has no tasks. docs/SLURM.md says more.
//
// Nothing here may fail or delay a job: every error is logged in one line and the callback
// returns 0; no exception leaves this file.

#include <pwd.h>
#include <stdint.h>
#include <unistd.h>

// spank.h needs the fixed-width types first, and declares the slurm_spank_* callbacks outside
// its own extern "C" block: included as C, so that our definitions below match them.
extern "C" {
#include <slurm/spank.h>
}

#include <array>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "agent_exchange.hpp"
#include "spank_step.hpp"

namespace {

using jt::slurm::Detail;

// One plugin instance per process (slurmstepd runs one step): its settings and the step it
// announced, so that slurm_spank_exit ends the same one.
struct PluginState {
  jt::slurm::PluginSettings settings;
  bool option_given = false;
  Detail option_detail = Detail::kPhases;
  std::string job_id;
  std::string step_id;
  bool step_announced = false;
};

PluginState& state() {
  static PluginState instance;
  return instance;
}

Detail chosen_detail() {
  return state().option_given ? state().option_detail : state().settings.default_detail;
}

void log_problem(const char* what, const jt::Error& error) {
  slurm_error("jouletrace: %s: %s%s%s (the job goes on without energy records)", what,
              error.message.c_str(), error.hint.empty() ? "" : "; ", error.hint.c_str());
}

// --jouletrace=VALUE. In srun/sbatch a bad value is refused at once, before any job exists;
// in slurmstepd the default is kept instead, since failing there would fail the step.
int on_jouletrace_option(int /*value*/, const char* argument, int remote) {
  try {
    auto detail = jt::slurm::parse_detail(argument == nullptr ? "" : argument);
    if (!detail) {
      slurm_error("jouletrace: --jouletrace=%s: %s", argument == nullptr ? "" : argument,
                  detail.error().message.c_str());
      return remote != 0 ? 0 : -1;
    }
    state().option_given = true;
    state().option_detail = *detail;
  } catch (...) {
  }
  return 0;
}

char kOptionName[] = "jouletrace";
char kOptionArgument[] = "off|summary|phases";
char kOptionUsage[] =
    "Energy records of this job by the jouletrace agent: off, summary (per step) or phases "
    "(per step and per marked phase)";

std::string job_environment_value(spank_t spank, const char* name) {
  std::array<char, 1024> buffer{};
  if (spank_getenv(spank, name, buffer.data(), static_cast<int>(buffer.size())) != ESPANK_SUCCESS) {
    return {};
  }
  return buffer.data();
}

std::string user_name(uid_t uid) {
  std::array<char, 4096> buffer{};
  passwd entry{};
  passwd* found = nullptr;
  if (::getpwuid_r(uid, &entry, buffer.data(), buffer.size(), &found) != 0 || found == nullptr) {
    return {};
  }
  return entry.pw_name;
}

std::string file_text(const std::string& path) {
  std::ifstream in(path);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  return text;
}

// The step's CPUs as the kernel enforces them (task/cgroup), else Slurm's allocated cores.
std::string step_cpus(spank_t spank, const std::string& cgroup) {
  if (!cgroup.empty()) {
    std::string cpus = file_text("/sys/fs/cgroup" + cgroup + "/cpuset.cpus.effective");
    if (!cpus.empty()) return cpus;
  }
  char* cores = nullptr;
  if (spank_get_item(spank, S_STEP_ALLOC_CORES, &cores) == ESPANK_SUCCESS && cores != nullptr &&
      *cores != '\0') {
    return cores;
  }
  if (spank_get_item(spank, S_JOB_ALLOC_CORES, &cores) == ESPANK_SUCCESS && cores != nullptr) {
    return cores;
  }
  return {};
}

// Slurm's own GPU indices: CUDA_VISIBLE_DEVICES is renumbered inside a constrained step.
std::string step_gpus(spank_t spank) {
  std::string gpus = job_environment_value(spank, "SLURM_STEP_GPUS");
  return gpus.empty() ? job_environment_value(spank, "SLURM_JOB_GPUS") : gpus;
}

bool describe_step(spank_t spank, jt::slurm::StepDescription& step) {
  uint32_t job_id = 0;
  uint32_t step_id = 0;
  uid_t uid = 0;
  gid_t gid = 0;
  if (spank_get_item(spank, S_JOB_ID, &job_id) != ESPANK_SUCCESS ||
      spank_get_item(spank, S_JOB_STEPID, &step_id) != ESPANK_SUCCESS ||
      spank_get_item(spank, S_JOB_UID, &uid) != ESPANK_SUCCESS ||
      spank_get_item(spank, S_JOB_GID, &gid) != ESPANK_SUCCESS) {
    return false;
  }
  step.job_id = std::to_string(job_id);
  step.step_id = jt::slurm::step_id_text(step_id);
  step.uid = uid;
  step.gid = gid;
  step.user = user_name(uid);
  step.cluster = job_environment_value(spank, "SLURM_CLUSTER_NAME");
  step.cgroup = jt::slurm::step_cgroup_from_proc(file_text("/proc/self/cgroup"));
  step.cpus = step_cpus(spank, step.cgroup);
  step.gpus = step_gpus(spank);
  step.detail = chosen_detail();
  return true;
}

void announce_step(spank_t spank) {
  jt::slurm::StepDescription step;
  if (!describe_step(spank, step)) {
    slurm_error("jouletrace: cannot read the step's ids from Slurm; no energy record for it");
    return;
  }
  PluginState& plugin = state();
  plugin.job_id = step.job_id;
  plugin.step_id = step.step_id;
  for (const auto& variable : jt::slurm::step_environment(step.detail, plugin.settings.socket_path,
                                                          step.job_id, step.step_id)) {
    (void)spank_setenv(spank, variable.name.c_str(), variable.value.c_str(), 1);
  }
  auto answered = jt::slurm::exchange_with_agent(
      plugin.settings.socket_path, jt::slurm::step_begin_request(step), plugin.settings.timeout_ms);
  // After a timeout the agent may still have taken the step: it then needs the end too.
  plugin.step_announced = answered || answered.error().kind == jt::ErrorKind::kTimeout;
  if (!answered) {
    log_problem(("step_begin of " + step.job_id + "." + step.step_id).c_str(), answered.error());
    return;
  }
  slurm_info("jouletrace: step %s.%s announced to the agent (detail %s)", step.job_id.c_str(),
             step.step_id.c_str(), jt::slurm::to_string(step.detail));
}

}  // namespace

extern "C" {

// SPANK_PLUGIN defines const objects, which C++ gives internal linkage: declared extern first,
// so that slurmstepd's dlsym finds them.
extern const char plugin_name[];
extern const char plugin_type[];
extern const unsigned int plugin_version;
extern const unsigned int spank_plugin_version;
SPANK_PLUGIN(jouletrace, 1)

int slurm_spank_init(spank_t spank, int argc, char** argv) {
  try {
    std::vector<std::string_view> arguments(argv, argv + argc);
    auto settings = jt::slurm::parse_plugin_arguments(arguments);
    if (settings) {
      state().settings = *settings;
      char host[256] = {};
      if (::gethostname(host, sizeof host - 1) == 0) {
        state().settings.socket_path =
            jt::slurm::expand_node_name(state().settings.socket_path, host);
      }
    } else {
      log_problem("plugstack.conf", settings.error());
    }
    spank_option option{kOptionName, kOptionArgument, kOptionUsage, 1, 0, &on_jouletrace_option};
    if (spank_option_register(spank, &option) != ESPANK_SUCCESS) {
      slurm_error("jouletrace: cannot register --jouletrace; the default applies");
    }
  } catch (...) {
  }
  return ESPANK_SUCCESS;
}

int slurm_spank_init_post_opt(spank_t spank, int /*argc*/, char** /*argv*/) {
  try {
    if (spank_context() != S_CTX_REMOTE || chosen_detail() == Detail::kOff) return ESPANK_SUCCESS;
    announce_step(spank);
  } catch (...) {
    slurm_error("jouletrace: unexpected failure at the step's start; no energy record for it");
  }
  return ESPANK_SUCCESS;
}

int slurm_spank_exit(spank_t /*spank*/, int /*argc*/, char** /*argv*/) {
  try {
    PluginState& plugin = state();
    if (spank_context() != S_CTX_REMOTE || !plugin.step_announced) return ESPANK_SUCCESS;
    auto answered = jt::slurm::exchange_with_agent(
        plugin.settings.socket_path, jt::slurm::step_end_request(plugin.job_id, plugin.step_id),
        plugin.settings.timeout_ms);
    if (!answered) {
      log_problem(("step_end of " + plugin.job_id + "." + plugin.step_id).c_str(),
                  answered.error());
    }
  } catch (...) {
    slurm_error("jouletrace: unexpected failure at the step's end");
  }
  return ESPANK_SUCCESS;
}

}  // extern "C"
