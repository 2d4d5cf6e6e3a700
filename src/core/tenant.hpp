#pragma once
// The tenant domain: records, tiers and the validation rules for every field
// an operator can set. Pure functions, no I/O.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "core/clock.hpp"
#include "core/error.hpp"

namespace winston {

/// Credits are stored as integer milli-credits: 1 credit == 1000 mc.
using MilliCredits = std::int64_t;
constexpr MilliCredits kMilliPerCredit = 1000;

enum class TenantStatus { kActive, kSuspended };
std::string_view to_string(TenantStatus s);
std::optional<TenantStatus> parse_tenant_status(std::string_view s);

struct Tenant {
  std::string id;
  std::string slug;
  std::string name;
  std::string email;
  std::string website_url;
  std::optional<std::string> industry;
  std::string tier;
  TenantStatus status = TenantStatus::kActive;
  bool is_system = false;
  bool unlimited = false;
  MilliCredits balance_mc = 0;
  MilliCredits monthly_allotment_mc = 0;
  std::optional<EpochMs> refresh_at;
  EpochMs created_at = 0;
  EpochMs updated_at = 0;
};

/// Monthly allotments by tier name, from configuration.
struct TierTable {
  std::map<std::string, MilliCredits, std::less<>> monthly_mc;

  static TierTable defaults();
  std::optional<MilliCredits> allotment(std::string_view tier) const;
  std::string names() const;  // "free|starter|..." for error messages
};

inline constexpr std::string_view kSystemTenantId = "00000000-0000-7000-8000-000000000000";
inline constexpr std::size_t kMaxNameLength = 200;   // in code points
inline constexpr std::size_t kMaxSlugLength = 40;

// Field validators: each returns the normalised value or an invalid-field error naming `field`.
Result<std::string> validate_name(std::string_view field, std::string_view name);
Result<std::string> validate_email(std::string_view field, std::string_view email);
Result<std::string> validate_website_url(std::string_view field, std::string_view url);
Result<std::string> validate_industry(std::string_view field, std::string_view industry);
Result<std::string> validate_slug(std::string_view field, std::string_view slug);

/// A slug derived from a display name: ASCII letters and digits kept
/// (lowercased), everything else collapsed to single hyphens, at most 40
/// characters. "tenant" when nothing usable is left.
std::string slugify(std::string_view name);

/// `base` with "-n" appended, trimmed so the result is still a valid slug.
std::string slug_with_suffix(std::string_view base, int n);

/// True when `s` is valid UTF-8 without control characters.
bool is_clean_utf8(std::string_view s, bool allow_newlines);

}  // namespace winston
