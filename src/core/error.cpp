#include "core/error.hpp"

namespace winston {

std::string_view to_string(ErrorCode code) {
  switch (code) {
    case ErrorCode::kMalformed: return "malformed_request";
    case ErrorCode::kUnauthenticated: return "unauthenticated";
    case ErrorCode::kInsufficientCredits: return "insufficient_credits";
    case ErrorCode::kForbidden: return "forbidden";
    case ErrorCode::kNotFound: return "not_found";
    case ErrorCode::kMethodNotAllowed: return "method_not_allowed";
    case ErrorCode::kConflict: return "conflict";
    case ErrorCode::kPayloadTooLarge: return "payload_too_large";
    case ErrorCode::kInvalidField: return "invalid_field";
    case ErrorCode::kUnavailable: return "unavailable";
    case ErrorCode::kBadGateway: return "bad_gateway";
    case ErrorCode::kGatewayTimeout: return "gateway_timeout";
    case ErrorCode::kInternal: return "internal";
  }
  return "internal";
}

}  // namespace winston
