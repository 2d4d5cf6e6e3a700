#pragma once
// The website analyzer's use case: crawl a tenant's site, ask the LLM
// (through Winston's own proxy, as the system tenant) for a business
// profile, validate it (one retry on invalid output), fall back to the
// extracted data when no model answers, and store the result as the
// tenant's next business_profiles version with an audit row.
//
// Blocking: call it from a worker thread, never from an I/O thread. The
// crawl and the LLM call run outside any database transaction.

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <boost/json/value.hpp>

#include "analyzer/llm_client.hpp"
#include "analyzer/site.hpp"
#include "core/business_profile.hpp"
#include "core/catalog.hpp"
#include "core/clock.hpp"
#include "services/tenant_service.hpp"
#include "storage/database.hpp"

namespace winston::services {

struct AnalyzerOptions {
  /// The system tenant's proxy key, asked for on every analysis (so a
  /// rotated key is picked up). An error means "no LLM": the extracted
  /// fallback is stored with a note.
  std::function<Result<std::string>()> api_key;
};

/// One stored version of a tenant's profile.
struct StoredProfile {
  std::string id;
  std::string tenant_id;
  std::int64_t version = 0;
  std::string source;      // "llm" or "extracted" (no usable LLM answer)
  std::string source_url;  // the URL that was crawled
  BusinessProfile profile;
  boost::json::value extracted;      // the bounded crawl summary
  std::optional<std::string> model;  // set when source is "llm"
  std::vector<std::string> notes;    // why the fallback was used, retries, crawl warnings
  std::string created_by;
  EpochMs created_at = 0;
};

/// The API / CLI view of a stored profile.
boost::json::object to_json(const StoredProfile& p);

inline constexpr std::int64_t kDefaultProfileListLimit = 50;

class AnalyzerService {
 public:
  AnalyzerService(storage::Database& db, const Clock& clock, analyzer::SiteFetcher& fetcher,
                  const analyzer::ChatModel& model, AnalyzerOptions options)
      : db_(db), clock_(clock), fetcher_(fetcher), model_(model), options_(std::move(options)) {}

  /// Crawls the tenant's website_url (or `url_override`), builds and stores
  /// the next profile version. kInvalidField "website_url" when there is no
  /// URL or the fetcher refuses it; the fetcher's kUnavailable when the site
  /// cannot be loaded. An unreachable or failing LLM is not an error.
  Result<StoredProfile> analyze(const Actor& actor, std::string_view tenant_id_or_slug,
                                std::optional<std::string> url_override);
  /// kNotFound when the tenant has never been analyzed.
  Result<StoredProfile> latest(std::string_view tenant_id_or_slug);
  Result<StoredProfile> get(std::string_view tenant_id_or_slug, std::int64_t version);
  /// Newest first; `limit` from 1 to kMaxPageSize.
  Result<std::vector<StoredProfile>> list(std::string_view tenant_id_or_slug,
                                          std::int64_t limit = kDefaultProfileListLimit);

 private:
  struct Draft;
  Result<Tenant> load_tenant(std::string_view id_or_slug);
  Result<std::string> target_url(const Tenant& t, const std::optional<std::string>& url_override) const;
  Draft draft_profile(const Tenant& t, const analyzer::SiteCrawl& crawl);
  Result<StoredProfile> store(const Actor& actor, const Tenant& t, const std::string& url, Draft draft,
                              const analyzer::SiteCrawl& crawl);

  storage::Database& db_;
  const Clock& clock_;
  analyzer::SiteFetcher& fetcher_;
  const analyzer::ChatModel& model_;
  AnalyzerOptions options_;
};

}  // namespace winston::services
