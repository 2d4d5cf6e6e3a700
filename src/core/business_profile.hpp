#pragma once
// A tenant's business profile: what the agent configuration is written
// from. Built by the website analyzer (LLM or extracted data), stored with
// history in business_profiles. Pure data and validation, no I/O.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <boost/json/value.hpp>

#include "core/error.hpp"

namespace winston {

struct BusinessLocation {
  std::string address;      // street line
  std::string city;
  std::string region;       // state / province, e.g. "CA"
  std::string postal_code;
  std::string country;      // e.g. "US"
};

struct ComplianceNotes {
  int minimum_age = 21;                        // 21 for adult-use cannabis
  std::vector<std::string> prohibited_claims;  // e.g. "cures or treats any condition"
  std::vector<std::string> rules;              // state / local rules worth repeating to the agent
};

struct BusinessProfile {
  std::string business_name;
  std::string industry;                   // "cannabis dispensary", ...
  std::string summary;                    // one short paragraph
  BusinessLocation location;
  std::string phone;
  std::string website;
  std::vector<std::string> hours;         // "Mon-Sat 9:00-21:00"
  std::vector<std::string> products;      // categories: "flower", "edibles", ...
  std::vector<std::string> services;      // "in-store pickup", "delivery", ...
  std::string audience;
  std::string tone_of_voice;
  ComplianceNotes compliance;
  bool offers_delivery = false;
  bool offers_online_ordering = false;
};

/// Limits every text field is validated against (what a template may receive).
inline constexpr std::size_t kProfileMaxText = 2'000;       // any single string
inline constexpr std::size_t kProfileMaxListItems = 30;

/// Validates and normalises a profile JSON object (the LLM's answer or an
/// operator's edit): required fields present and typed, strings bounded and
/// valid UTF-8, lists bounded. kInvalidField names the first offending field.
Result<BusinessProfile> profile_from_json(const boost::json::value& v);
boost::json::object to_json(const BusinessProfile& p);

/// The JSON Schema the LLM is asked to follow (and that profile_from_json enforces).
const boost::json::object& business_profile_schema();

}  // namespace winston
