#include "ledger/visible_devices.hpp"

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

constexpr std::array kVariables{
    VisibilityVariable{Vendor::kNvidia, "CUDA_VISIBLE_DEVICES", &parse_cuda_visible_devices},
};

}  // namespace

GpuVisibility parse_cuda_visible_devices(std::optional<std::string_view> value) {
  GpuVisibility visibility;
  visibility.vendor = Vendor::kNvidia;
  visibility.variable = "CUDA_VISIBLE_DEVICES";
  if (!value) return visibility;
  visibility.all = false;
  visibility.raw = std::string(*value);
  if (trim(*value).empty()) return visibility;
  std::size_t start = 0;
  for (;;) {
    const auto end = value->find(',', start);
    const std::string_view entry = trim(
        value->substr(start, end == std::string_view::npos ? std::string_view::npos : end - start));
    auto selector = parse_selector(entry);
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
    out.push_back(std::move(visibility));
  }
  return out;
}

}  // namespace jt
