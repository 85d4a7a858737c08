// SPDX-License-Identifier: BSD-3-Clause
// What slurmstepd looks up in the plugin (https://slurm.schedmd.com/spank.html): the names
// SPANK_PLUGIN defines and the callbacks. Loaded lazily: the slurm_* functions the plugin calls
// exist only inside Slurm's daemons and are never called here.
#include <dlfcn.h>
#include <gtest/gtest.h>

#include <cstring>

namespace {

TEST(SlurmPluginSymbols, SlurmFindsTheNameTypeAndCallbacks) {
  void* plugin = ::dlopen(JT_SPANK_PLUGIN, RTLD_LAZY | RTLD_LOCAL);
  ASSERT_NE(plugin, nullptr) << ::dlerror();
  const auto* name = static_cast<const char*>(::dlsym(plugin, "plugin_name"));
  const auto* type = static_cast<const char*>(::dlsym(plugin, "plugin_type"));
  ASSERT_NE(name, nullptr);
  ASSERT_NE(type, nullptr);
  EXPECT_STREQ(name, "jouletrace");
  EXPECT_STREQ(type, "spank");
  EXPECT_NE(::dlsym(plugin, "plugin_version"), nullptr);
  EXPECT_NE(::dlsym(plugin, "spank_plugin_version"), nullptr);
  for (const char* callback :
       {"slurm_spank_init", "slurm_spank_init_post_opt", "slurm_spank_exit"}) {
    EXPECT_NE(::dlsym(plugin, callback), nullptr) << callback;
  }
  // Our own code stays local (jouletrace_spank.map).
  EXPECT_EQ(
      ::dlsym(plugin, "_ZN2jt5slurm12parse_detailESt17basic_string_viewIcSt11char_traitsIcEE"),
      nullptr);
  ::dlclose(plugin);
}

}  // namespace
