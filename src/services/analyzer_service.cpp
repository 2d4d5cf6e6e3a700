#include "services/analyzer_service.hpp"

#include <boost/json.hpp>
#include <fmt/format.h>

#include "analyzer/profile_prompt.hpp"
#include "core/ids.hpp"
#include "core/log.hpp"
#include "storage/audit_repository.hpp"
#include "storage/profile_repository.hpp"
#include "storage/tenant_repository.hpp"

namespace winston::services {
namespace json = boost::json;
namespace {

constexpr std::size_t kMaxNotes = 20;
constexpr std::size_t kMaxNoteChars = 500;
constexpr std::string_view kSourceLlm = "llm";
constexpr std::string_view kSourceExtracted = "extracted";

void add_note(std::vector<std::string>& notes, std::string_view note) {
  if (notes.size() < kMaxNotes) notes.push_back(analyzer::clean_utf8(note, kMaxNoteChars));
}

/// Asks the model once, and once more with the reason when the first answer
/// is invalid. Any error means "use the extracted fallback", saying why.
Result<BusinessProfile> ask_llm(const AnalyzerOptions& o, const analyzer::ChatModel& client,
                                const analyzer::ProfilePrompt& prompt, std::vector<std::string>& notes) {
  if (!o.api_key) return Error::unavailable("no proxy key is configured for the analyzer");
  auto key = o.api_key();
  if (!key.ok()) return Error::unavailable("no proxy key for the analyzer: " + key.error().message);
  analyzer::Chat chat{prompt.system, {{"user", prompt.user}}};
  auto first = client.complete(chat, *key);
  if (!first.ok()) return Error::unavailable("the LLM is unavailable: " + first.error().message);
  auto parsed = analyzer::parse_llm_profile(*first);
  if (parsed.ok()) return parsed;
  add_note(notes, "the model's first answer was invalid (" + parsed.error().message + "); asked once more");
  auto echoed = analyzer::clean_utf8(*first, analyzer::kMaxEchoedAnswer);
  chat.messages.push_back({"assistant", echoed.empty() ? std::string("(empty)") : std::move(echoed)});
  chat.messages.push_back({"user", analyzer::retry_message(parsed.error())});
  auto second = client.complete(chat, *key);
  if (!second.ok()) return Error::unavailable("the LLM is unavailable on the retry: " + second.error().message);
  auto again = analyzer::parse_llm_profile(*second);
  if (!again.ok()) {
    return Error::invalid(again.error().field, "the model's answer was invalid twice: " + again.error().message);
  }
  return again;
}

json::array notes_json(const std::vector<std::string>& notes) { return json::array(notes.begin(), notes.end()); }

Result<StoredProfile> from_row(const storage::profiles::ProfileRow& r) {
  StoredProfile s{r.id, r.tenant_id, r.version, r.source, r.source_url, {}, json::object{}, r.model, {},
                  r.created_by, r.created_at};
  boost::system::error_code ec;
  const auto profile = json::parse(r.profile_json, ec);
  auto validated = ec ? Result<BusinessProfile>(Error::internal("stored profile is not JSON")) : profile_from_json(profile);
  if (!validated.ok()) {
    return Error::internal(fmt::format("stored profile {} of tenant {} is unreadable: {}", r.version, r.tenant_id,
                                       validated.error().message));
  }
  s.profile = std::move(validated).value();
  boost::system::error_code extracted_ec, notes_ec;
  if (auto extracted = json::parse(r.extracted_json, extracted_ec); !extracted_ec) s.extracted = std::move(extracted);
  if (auto notes = json::parse(r.notes_json, notes_ec); !notes_ec && notes.is_array()) {
    for (const auto& n : notes.as_array()) {
      if (n.is_string()) s.notes.emplace_back(n.as_string());
    }
  }
  return s;
}

}  // namespace

struct AnalyzerService::Draft {
  BusinessProfile profile;
  bool from_llm = false;
  std::vector<std::string> notes;
};

json::object to_json(const StoredProfile& p) {
  return {{"id", p.id},
          {"tenant_id", p.tenant_id},
          {"version", p.version},
          {"source", p.source},
          {"source_url", p.source_url},
          {"profile", to_json(p.profile)},
          {"extracted", p.extracted},
          {"model", p.model ? json::value(*p.model) : json::value(nullptr)},
          {"notes", notes_json(p.notes)},
          {"created_by", p.created_by},
          {"created_at", p.created_at}};
}

Result<Tenant> AnalyzerService::load_tenant(std::string_view id_or_slug) {
  WINSTON_TRY_ASSIGN(auto conn, db_.acquire());
  WINSTON_TRY_ASSIGN(auto found, storage::tenants::find(*conn, id_or_slug));
  if (!found) return Error::not_found(fmt::format("no tenant with id or slug '{}'", id_or_slug));
  return std::move(*found);
}

Result<std::string> AnalyzerService::target_url(const Tenant& t, const std::optional<std::string>& url_override) const {
  if (url_override) return validate_website_url("url", *url_override);
  if (t.website_url.empty()) {
    return Error::invalid("website_url", "the tenant has no website_url to analyze; set one or pass a url");
  }
  return t.website_url;
}

Result<StoredProfile> AnalyzerService::analyze(const Actor& actor, std::string_view tenant_id_or_slug,
                                               std::optional<std::string> url_override) {
  WINSTON_TRY_ASSIGN(const Tenant tenant, load_tenant(tenant_id_or_slug));
  WINSTON_TRY_ASSIGN(const std::string url, target_url(tenant, url_override));
  // No lease or transaction is held from here until store(): the crawl and
  // the model may take minutes.
  WINSTON_TRY_ASSIGN(const analyzer::SiteCrawl crawl, fetcher_.crawl(url));
  Draft draft = draft_profile(tenant, crawl);
  return store(actor, tenant, url, std::move(draft), crawl);
}

AnalyzerService::Draft AnalyzerService::draft_profile(const Tenant& t, const analyzer::SiteCrawl& crawl) {
  Draft d;
  const auto prompt = analyzer::build_profile_prompt(crawl, t.name, t.industry);
  auto llm = ask_llm(options_, model_, prompt, d.notes);
  if (llm.ok()) {
    d.profile = std::move(llm).value();
    d.from_llm = true;
  } else {
    log::warn("analyzer.fallback", {{"tenant_id", t.id}, {"model", model_.model_id()}, {"reason", llm.error().message}});
    add_note(d.notes, "built from the extracted site data alone: " + llm.error().message);
    d.profile = analyzer::profile_from_crawl(crawl, t.name, t.industry);
  }
  for (const auto& w : crawl.warnings) add_note(d.notes, "crawl: " + w);
  return d;
}

Result<StoredProfile> AnalyzerService::store(const Actor& actor, const Tenant& t, const std::string& url, Draft draft,
                                             const analyzer::SiteCrawl& crawl) {
  const EpochMs now = clock_.now_ms();
  const std::string source(draft.from_llm ? kSourceLlm : kSourceExtracted);
  const std::optional<std::string> model = draft.from_llm ? std::optional<std::string>{model_.model_id()} : std::nullopt;
  const json::object extracted = analyzer::crawl_summary(crawl);
  const storage::profiles::ProfileRow row{new_uuid_v7(now), t.id, 0, source, url,
                                          json::serialize(to_json(draft.profile)), json::serialize(extracted), model,
                                          json::serialize(notes_json(draft.notes)), actor.name, now};
  WINSTON_TRY_ASSIGN(auto conn, db_.acquire());
  WINSTON_TRY_ASSIGN(auto tx, storage::Transaction::begin(*conn));
  WINSTON_TRY_ASSIGN(auto still_there, storage::tenants::find(*conn, t.id));
  if (!still_there) return Error::not_found("the tenant was deleted while its website was analyzed");
  WINSTON_TRY_ASSIGN(const std::int64_t version, storage::profiles::insert_next(*conn, row));
  const json::object details{{"slug", t.slug},     {"version", version},
                             {"source", source},   {"url", url},
                             {"model", row.model ? json::value(*row.model) : json::value(nullptr)},
                             {"notes", draft.notes.size()}};
  WINSTON_TRY(record_audit(
      *conn, actor, {.tenant_id = t.id, .action = "tenant.analyze", .target = "tenant:" + t.id, .details = details},
      now));
  WINSTON_TRY(tx.commit());
  log::info("analyzer.stored", {{"tenant_id", t.id}, {"version", version}, {"source", source}});
  return StoredProfile{row.id,     t.id,      version,    source,        url, std::move(draft.profile), extracted,
                       row.model, std::move(draft.notes), actor.name, now};
}

Result<StoredProfile> AnalyzerService::latest(std::string_view tenant_id_or_slug) {
  WINSTON_TRY_ASSIGN(const Tenant t, load_tenant(tenant_id_or_slug));
  WINSTON_TRY_ASSIGN(auto conn, db_.acquire());
  WINSTON_TRY_ASSIGN(auto row, storage::profiles::latest(*conn, t.id));
  if (!row) return Error::not_found("the tenant has no business profile yet; analyze its website first");
  return from_row(*row);
}

Result<StoredProfile> AnalyzerService::get(std::string_view tenant_id_or_slug, std::int64_t version) {
  WINSTON_TRY_ASSIGN(const Tenant t, load_tenant(tenant_id_or_slug));
  WINSTON_TRY_ASSIGN(auto conn, db_.acquire());
  WINSTON_TRY_ASSIGN(auto row, storage::profiles::get(*conn, t.id, version));
  if (!row) return Error::not_found(fmt::format("the tenant has no business profile version {}", version));
  return from_row(*row);
}

Result<std::vector<StoredProfile>> AnalyzerService::list(std::string_view tenant_id_or_slug, std::int64_t limit) {
  WINSTON_TRY(validate_page(limit, 0));
  WINSTON_TRY_ASSIGN(const Tenant t, load_tenant(tenant_id_or_slug));
  WINSTON_TRY_ASSIGN(auto conn, db_.acquire());
  WINSTON_TRY_ASSIGN(auto rows, storage::profiles::list(*conn, t.id, limit));
  std::vector<StoredProfile> out;
  out.reserve(rows.size());
  for (const auto& r : rows) {
    WINSTON_TRY_ASSIGN(auto s, from_row(r));
    out.push_back(std::move(s));
  }
  return out;
}

}  // namespace winston::services
