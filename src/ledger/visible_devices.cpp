// SPDX-License-Identifier: BSD-3-Clause
#include "ledger/visible_devices.hpp"

#include <algorithm>
#include <array>
#include <cstdlib>

#include "core/text.hpp"

namespace jt {

namespace {

bool is_uuid_text(std::string_view text) {
  return !text.empty() && text.find_first_not_of("0123456789abcdefABCDEF-") == std::string::npos;
}

std::optional<GpuSelector> parse_selector(std::string_view entry) {
  GpuSelector selector;
  if (!entry.empty() && entry.find_first_not_of("0123456789") == std::string_view::npos) {
    // More digits than an int holds cannot name a GPU.
    if (entry.size() > 9) return std::nullopt;
    selector.kind = GpuSelector::Kind::kIndex;
    selector.index = std::stoi(std::string(entry));
    return selector;
  }
  if (starts_with_ignoring_case(entry, "GPU-") && is_uuid_text(entry.substr(4))) {
    selector.kind = GpuSelector::Kind::kUuid;
    selector.id = std::string(entry);
    return selector;
  }
  if (starts_with_ignoring_case(entry, "MIG-") && entry.size() > 4) {
    selector.kind = GpuSelector::Kind::kMig;
    selector.id = std::string(entry);
    // The older form names the parent: MIG-GPU-<uuid>/<gpu instance>/<compute instance>.
    const std::string_view rest = entry.substr(4);
    if (starts_with_ignoring_case(rest, "GPU-")) {
      const auto slash = rest.find('/');
      if (slash == std::string_view::npos || !is_uuid_text(rest.substr(4, slash - 4))) {
        return std::nullopt;
      }
      selector.parent = std::string(rest.substr(0, slash));
    }
    return selector;
  }
  return std::nullopt;
}

// One vendor's list: entries split at commas, each read by `entry_of`; an entry it cannot read
// hides itself and every entry after it, with a warning naming it, as CUDA does.
GpuVisibility parse_list(std::optional<std::string_view> value, Vendor vendor,
                         std::string_view variable,
                         std::optional<GpuSelector> (*entry_of)(std::string_view)) {
  GpuVisibility visibility;
  visibility.vendor = vendor;
  visibility.variable = std::string(variable);
  if (!value) return visibility;
  visibility.all = false;
  visibility.raw = std::string(*value);
  if (trim(*value).empty()) return visibility;
  std::size_t start = 0;
  for (;;) {
    const auto end = value->find(',', start);
    const std::string_view entry = trim(
        value->substr(start, end == std::string_view::npos ? std::string_view::npos : end - start));
    auto selector = entry_of(entry);
    if (!selector) {
      visibility.warnings.push_back(Warning{
          "visibility-entry-invalid", visibility.variable, {}, {{"entry", std::string(entry)}}});
      break;
    }
    visibility.selected.push_back(std::move(*selector));
    if (end == std::string_view::npos) break;
    start = end + 1;
  }
  return visibility;
}

// ROCm names a GPU by its index or by "GPU-" and its unique id in hex; no MIG.
std::optional<GpuSelector> parse_amd_selector(std::string_view entry) {
  if (starts_with_ignoring_case(entry, "MIG-")) return std::nullopt;
  return parse_selector(entry);
}

// Indices only (HIP_VISIBLE_DEVICES).
std::optional<GpuSelector> parse_index_selector(std::string_view entry) {
  auto selector = parse_selector(entry);
  if (!selector || selector->kind != GpuSelector::Kind::kIndex) return std::nullopt;
  return selector;
}

// ZE_AFFINITY_MASK: "N" (device N) or "N.M" (tile M of device N, charged as the whole device:
// docs/backends/intel.md I6).
std::optional<GpuSelector> parse_ze_selector(std::string_view entry) {
  const auto dot = entry.find('.');
  if (dot != std::string_view::npos && !parse_index_selector(entry.substr(dot + 1))) {
    return std::nullopt;
  }
  return parse_index_selector(entry.substr(0, dot));
}

constexpr std::array kVariables{
    VisibilityVariable{Vendor::kNvidia, "CUDA_VISIBLE_DEVICES", &parse_cuda_visible_devices},
    VisibilityVariable{Vendor::kAmd, "ROCR_VISIBLE_DEVICES", &parse_rocr_visible_devices},
    VisibilityVariable{Vendor::kAmd, "HIP_VISIBLE_DEVICES", &parse_hip_visible_devices},
    VisibilityVariable{Vendor::kIntel, "ZE_AFFINITY_MASK", &parse_ze_affinity_mask},
};

// HIP_VISIBLE_DEVICES numbers the GPUs ROCR_VISIBLE_DEVICES left visible, in its order
// (docs/backends/amd.md A6): with both set, the HIP index i is the ROCR entry i.
GpuVisibility narrow_by_hip(GpuVisibility rocr, const GpuVisibility& hip) {
  if (rocr.all) return hip;
  if (hip.all) return rocr;
  std::vector<GpuSelector> narrowed;
  for (const auto& sel : hip.selected) {
    if (sel.index >= 0 && static_cast<std::size_t>(sel.index) < rocr.selected.size()) {
      narrowed.push_back(rocr.selected[static_cast<std::size_t>(sel.index)]);
    }
  }
  rocr.selected = std::move(narrowed);
  rocr.raw = "ROCR_VISIBLE_DEVICES=" + rocr.raw + " HIP_VISIBLE_DEVICES=" + hip.raw;
  rocr.warnings.insert(rocr.warnings.end(), hip.warnings.begin(), hip.warnings.end());
  return rocr;
}

}  // namespace

GpuVisibility parse_cuda_visible_devices(std::optional<std::string_view> value) {
  return parse_list(value, Vendor::kNvidia, "CUDA_VISIBLE_DEVICES", &parse_selector);
}

GpuVisibility parse_rocr_visible_devices(std::optional<std::string_view> value) {
  return parse_list(value, Vendor::kAmd, "ROCR_VISIBLE_DEVICES", &parse_amd_selector);
}

GpuVisibility parse_hip_visible_devices(std::optional<std::string_view> value) {
  return parse_list(value, Vendor::kAmd, "HIP_VISIBLE_DEVICES", &parse_index_selector);
}

GpuVisibility parse_ze_affinity_mask(std::optional<std::string_view> value) {
  return parse_list(value, Vendor::kIntel, "ZE_AFFINITY_MASK", &parse_ze_selector);
}

std::span<const VisibilityVariable> visibility_variables() { return kVariables; }

std::vector<GpuVisibility> read_visible_devices(const Environment& getenv) {
  std::vector<GpuVisibility> out;
  for (const auto& variable : kVariables) {
    const std::string name(variable.name);
    const char* value = getenv(name.c_str());
    GpuVisibility visibility =
        variable.parse(value != nullptr ? std::optional<std::string_view>(value) : std::nullopt);
    // The table line decides whose GPUs the variable narrows, whatever its reader filled in.
    visibility.vendor = variable.vendor;
    visibility.variable = name;
    // A vendor's second variable narrows its first (HIP within ROCR): one visibility each.
    const auto same = std::ranges::find_if(
        out, [&](const GpuVisibility& v) { return v.vendor == variable.vendor; });
    if (same != out.end()) {
      *same = narrow_by_hip(std::move(*same), visibility);
      continue;
    }
    out.push_back(std::move(visibility));
  }
  return out;
}

}  // namespace jt
