#pragma once
// Identifiers: UUIDv7 (time-ordered, so primary-key indexes stay append-mostly)
// and random secrets.

#include <cstddef>
#include <string>

#include "core/clock.hpp"

namespace winston {

/// A UUIDv7 string (RFC 9562) for the given time, 74 random bits.
std::string new_uuid_v7(EpochMs now);

/// `bytes` random bytes from the OS CSPRNG, hex-encoded (2*bytes chars).
std::string random_hex(std::size_t bytes);

/// Lowercase hex SHA-256 of `data`.
std::string sha256_hex(std::string_view data);

/// Standard base64 (RFC 4648, padded), e.g. for a Kubernetes Secret's data.
std::string base64(std::string_view data);

/// Constant-time equality for secrets.
bool secure_equals(std::string_view a, std::string_view b);

}  // namespace winston
