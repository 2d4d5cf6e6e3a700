#pragma once
// The LLM step of the website analyzer, minus the network: the prompt built
// from a crawl, the strict reading of the model's answer, and the profile
// built from the extracted data alone when no model is reachable. Pure
// functions over SiteCrawl; no I/O.

#include <optional>
#include <string>
#include <string_view>

#include <boost/json/value.hpp>

#include "analyzer/site.hpp"
#include "core/business_profile.hpp"
#include "core/error.hpp"

namespace winston::analyzer {

/// Page text quoted into the prompt, across all pages (the home page first).
inline constexpr std::size_t kPromptMaxPageText = 12'000;
/// Per page, so about/menu/contact pages still get a share after a long home page.
inline constexpr std::size_t kPromptMaxTextPerPage = 6'000;
/// Longest model answer parse_llm_profile reads.
inline constexpr std::size_t kMaxAnswerBytes = 256 * 1024;
/// How much of an invalid answer is echoed back in the retry conversation.
inline constexpr std::size_t kMaxEchoedAnswer = 8'000;

struct ProfilePrompt {
  std::string system;  // instructions, the JSON Schema, the dispensary guidance
  std::string user;    // the site's facts, marked as data
};

/// Asks for ONE JSON object following business_profile_schema(), from the
/// crawl's JSON-LD, titles, descriptions, headings and (bounded) text.
ProfilePrompt build_profile_prompt(const SiteCrawl& crawl, std::string_view tenant_name,
                                   const std::optional<std::string>& industry);

/// The follow-up user message after an invalid answer: what was wrong and
/// what to send instead.
std::string retry_message(const Error& why);

/// Reads the model's answer: a JSON object, optionally inside a ```json
/// fence and/or after leading prose; anything after the object (other than a
/// closing fence) is refused. Validated with profile_from_json;
/// kInvalidField says what was wrong.
Result<BusinessProfile> parse_llm_profile(std::string_view answer);

/// The fallback when no LLM is reachable: JSON-LD name/address/phone/hours,
/// the description as summary, product categories guessed from headings and
/// text, delivery / online ordering only when the site says so. Never fails:
/// site text is repaired to valid UTF-8 and bounded first.
BusinessProfile profile_from_crawl(const SiteCrawl& crawl, std::string_view tenant_name,
                                   std::optional<std::string> industry);

/// A bounded summary of the crawl for storage next to the profile: URLs,
/// titles, descriptions, headings, JSON-LD, a short text excerpt and the
/// warnings (never the full page text).
boost::json::object crawl_summary(const SiteCrawl& crawl);

/// `s` with invalid UTF-8 sequences replaced by U+FFFD, cut to at most
/// `max_code_points` (on a character boundary).
std::string clean_utf8(std::string_view s, std::size_t max_code_points);

}  // namespace winston::analyzer
