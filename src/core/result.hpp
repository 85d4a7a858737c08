#pragma once

#include <expected>
#include <string>
#include <utility>

namespace jt {

enum class ErrorKind {
  kNotFound,
  kPermissionDenied,
  kUnsupported,
  kInvalidData,
  kIo,
  kDeviceLost,
};

struct Error {
  ErrorKind kind = ErrorKind::kIo;
  std::string message;
  // What the user can do about it; empty when nothing useful can be said.
  std::string hint;
};

template <typename T>
using Result = std::expected<T, Error>;

inline std::unexpected<Error> make_error(ErrorKind kind, std::string message,
                                         std::string hint = {}) {
  return std::unexpected<Error>(Error{kind, std::move(message), std::move(hint)});
}

const char* to_string(ErrorKind kind);

}  // namespace jt
