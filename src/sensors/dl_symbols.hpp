// SPDX-License-Identifier: BSD-3-Clause
#pragma once

#include <type_traits>

namespace jt {

// One entry point of a vendor library loaded with dlopen (NVML, AMD SMI, ROCm SMI, Level Zero):
// its exported name, whether the backend can work without it, and how its address is stored
// into the backend's table of function pointers (Api). Every entry point goes through one such
// list per library, so adding a call cannot bypass the missing-symbol bookkeeping.
template <typename Api>
struct SymbolEntry {
  const char* name;
  bool required;
  void (*assign)(Api&, void*);
};

template <typename MemberPointer>
struct MemberOwner;
template <typename Owner, typename Member>
struct MemberOwner<Member Owner::*> {
  using type = Owner;
};

// Stores a dlsym result into its typed slot: assign_symbol<&NvmlApi::init_v2>.
template <auto Slot>
void assign_symbol(typename MemberOwner<decltype(Slot)>::type& api, void* symbol) {
  using Fn = std::remove_reference_t<decltype(api.*Slot)>;
  api.*Slot = reinterpret_cast<Fn>(symbol);
}

}  // namespace jt
