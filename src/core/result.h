// Result<T>: expected failures as values (no exceptions on request and delivery paths).
// An Error carries a kind, which the API layer maps to an HTTP status in one place, and a message that is
// safe to show to the caller (never a secret).
#pragma once

#include <string>
#include <utility>
#include <variant>

namespace tributary {

enum class ErrorKind {
  kInvalidArgument,  // 400: the caller sent something we cannot accept
  kUnauthorized,     // 401
  kForbidden,        // 403
  kNotFound,         // 404
  kConflict,         // 409
  kPayloadTooLarge,  // 413
  kRateLimited,      // 429
  kUpstream,         // 502: a tool's API failed
  kUnavailable,      // 503: we are shutting down or overloaded
  // 503: the database refuses writes — disk full, read-only, an I/O error. Passes by itself when the
  // operator frees space (or the database takes writes again); nothing is lost meanwhile, only refused.
  kStorageUnavailable,
  kInternal,  // 500: our own bug or an I/O failure
};

struct Error {
  ErrorKind kind = ErrorKind::kInternal;
  std::string message;
};

// The HTTP status each kind of error is answered with, wherever an error crosses HTTP (the API, simulators).
constexpr int http_status(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::kInvalidArgument:
      return 400;
    case ErrorKind::kUnauthorized:
      return 401;
    case ErrorKind::kForbidden:
      return 403;
    case ErrorKind::kNotFound:
      return 404;
    case ErrorKind::kConflict:
      return 409;
    case ErrorKind::kPayloadTooLarge:
      return 413;
    case ErrorKind::kRateLimited:
      return 429;
    case ErrorKind::kUpstream:
      return 502;
    case ErrorKind::kUnavailable:
    case ErrorKind::kStorageUnavailable:
      return 503;
    case ErrorKind::kInternal:
      return 500;
  }
  return 500;
}

inline Error make_error(ErrorKind kind, std::string message) {
  return Error{kind, std::move(message)};
}

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}      // NOLINT(google-explicit-constructor)
  Result(Error error) : v_(std::move(error)) {}  // NOLINT(google-explicit-constructor)

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  T* operator->() { return &std::get<0>(v_); }
  const T* operator->() const { return &std::get<0>(v_); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

  const Error& error() const { return std::get<1>(v_); }

 private:
  std::variant<T, Error> v_;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error error) : error_(std::move(error)), ok_(false) {}  // NOLINT(google-explicit-constructor)
  bool ok() const { return ok_; }
  explicit operator bool() const { return ok_; }
  const Error& error() const { return error_; }

 private:
  Error error_;
  bool ok_ = true;
};

using Status = Result<void>;

}  // namespace tributary
