// SPDX-License-Identifier: BSD-3-Clause
#pragma once

#include <expected>
#include <optional>
#include <string>
#include <utility>

namespace jt {

// The one error style of the C++ core (docs/ARCHITECTURE.md §6): functions that can fail return
// Result<T>; exceptions are caught only at the edges (probe table, C API, CLI, Python module).
enum class ErrorKind {
  kNotFound,
  kPermissionDenied,  // also credentials a server refused (HTTP 401/403)
  kUnsupported,
  kInvalidData,  // also an answer from a server that breaks its protocol
  kIo,           // also an HTTP answer with an error status (Error::http_status says which)
  kDeviceLost,
  kUnreachable,  // a server that cannot be reached: DNS, connection refused, no route
  kTimeout,      // no complete answer in the time allowed
  kTls,          // a TLS handshake or certificate verification failed
};

struct Error {
  ErrorKind kind = ErrorKind::kIo;
  std::string message;
  // What the user can do about it; empty when nothing useful can be said.
  std::string hint;
  // The status of the HTTP answer the error comes from; empty when there was no answer.
  std::optional<long> http_status;
};

template <typename T>
using Result = std::expected<T, Error>;

inline std::unexpected<Error> make_error(ErrorKind kind, std::string message,
                                         std::string hint = {}) {
  return std::unexpected<Error>(Error{kind, std::move(message), std::move(hint)});
}

const char* to_string(ErrorKind kind);

}  // namespace jt
