#pragma once
// One protocol-neutral error type for the whole code base. Adapters map
// ErrorCode to their own status space in exactly one place each (the admin
// API: http_status in http/router.cpp; the LLM proxy: wire_status in
// proxy/wire.cpp; the CLI's exit codes: app/main.cpp).

#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace winston {

enum class ErrorCode {
  kMalformed,          // request could not be parsed at all (HTTP 400)
  kUnauthenticated,    // missing or wrong credentials (401)
  kInsufficientCredits,// nothing left to spend (402)
  kForbidden,          // authenticated but not allowed (403)
  kNotFound,           // (404)
  kMethodNotAllowed,   // (405)
  kConflict,           // unique constraint, duplicate (409)
  kPayloadTooLarge,    // body over the limit (413)
  kInvalidField,       // well-formed but a field is invalid (422)
  kUnavailable,        // dependency down, retry later (503)
  kBadGateway,         // a server we relay to (a tenant's gateway) failed or could not be reached (502)
  kGatewayTimeout,     // a server we call or relay to did not answer in time (504)
  kInternal,           // a bug or an unexpected failure (500)
};

/// Stable machine-readable name of a code, used in API error bodies.
std::string_view to_string(ErrorCode code);

struct Error {
  ErrorCode code = ErrorCode::kInternal;
  std::string message;
  // The offending field for kInvalidField; for a kConflict from storage, the
  // violated unique constraint (see storage::Connection); else empty.
  std::string field;

  static Error malformed(std::string msg) { return {ErrorCode::kMalformed, std::move(msg), {}}; }
  static Error not_found(std::string msg) { return {ErrorCode::kNotFound, std::move(msg), {}}; }
  static Error conflict(std::string msg, std::string field = {}) {
    return {ErrorCode::kConflict, std::move(msg), std::move(field)};
  }
  static Error invalid(std::string field, std::string msg) {
    return {ErrorCode::kInvalidField, std::move(msg), std::move(field)};
  }
  static Error internal(std::string msg) { return {ErrorCode::kInternal, std::move(msg), {}}; }
  static Error unavailable(std::string msg) { return {ErrorCode::kUnavailable, std::move(msg), {}}; }
};

/// Value or Error. Expected failures travel as values; exceptions are kept
/// for start-up and for bugs.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::in_place_index<0>, std::move(value)) {}  // NOLINT(google-explicit-constructor)
  Result(Error error) : v_(std::in_place_index<1>, std::move(error)) {}  // NOLINT(google-explicit-constructor)

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }
  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  const Error& error() const& { return std::get<1>(v_); }
  Error&& error() && { return std::get<1>(std::move(v_)); }

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
inline Status ok_status() { return {}; }

}  // namespace winston

#define WINSTON_CONCAT_INNER(a, b) a##b
#define WINSTON_CONCAT(a, b) WINSTON_CONCAT_INNER(a, b)

/// Evaluates a Result-returning expression; returns its error from the
/// enclosing function, or binds the value to `lhs`.
#define WINSTON_TRY_ASSIGN(lhs, expr) WINSTON_TRY_ASSIGN_IMPL(WINSTON_CONCAT(winston_r_, __LINE__), lhs, expr)
// NOLINTBEGIN(bugprone-macro-parentheses): `tmp` and `lhs` are declarations, which cannot be parenthesised.
#define WINSTON_TRY_ASSIGN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                            \
  if (!tmp.ok()) return std::move(tmp).error(); \
  lhs = std::move(tmp).value()
// NOLINTEND(bugprone-macro-parentheses)

/// Evaluates a Status-returning expression; returns its error on failure.
#define WINSTON_TRY(expr)                                              \
  do {                                                                 \
    auto winston_s_ = (expr);                                          \
    if (!winston_s_.ok()) return winston_s_.error();                   \
  } while (false)
