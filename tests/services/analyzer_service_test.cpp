// The analyzer end to end except the website: a fake SiteFetcher, the real
// Winston proxy (in-process) in front of fake LLM upstreams, a system-tenant
// key, on SQLite and PostgreSQL.

#include "services/analyzer_service.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <mutex>
#include <thread>

#include "services/key_service.hpp"
#include "support/fake_upstream.hpp"
#include "support/test_server.hpp"
#include "support/wait.hpp"

namespace winston::services {
namespace {
namespace json = boost::json;
using testing::FakeBehavior;
using testing::FakeFlavor;
using testing::FakeUpstream;
using testing::TestDatabase;
using testing::TestServer;

constexpr const char* kProviderKey = "sk-moonshot-upstream-secret";
constexpr const char* kAnthropicProviderKey = "sk-ant-upstream-secret";
constexpr EpochMs kStart = 1'780'000'000'000;

/// Serves one canned crawl (or error) and records the URLs it was asked for.
class FakeFetcher final : public analyzer::SiteFetcher {
 public:
  Result<analyzer::SiteCrawl> crawl(std::string_view url) override {
    std::lock_guard lock(mu_);
    urls_.emplace_back(url);
    if (error_) return *error_;
    auto c = crawl_;
    c.start_url = std::string(url);
    return c;
  }
  void fail_with(Error e) {
    std::lock_guard lock(mu_);
    error_ = std::move(e);
  }
  std::vector<std::string> urls() const {
    std::lock_guard lock(mu_);
    return urls_;
  }

 private:
  mutable std::mutex mu_;
  analyzer::SiteCrawl crawl_ = dispensary();
  std::optional<Error> error_;
  std::vector<std::string> urls_;

  static analyzer::SiteCrawl dispensary() {
    analyzer::JsonLdBusiness b;
    b.type = "Store";
    b.name = "Green Leaf Dispensary";
    b.street = "1 Main St";
    b.locality = "Oakland";
    b.region = "CA";
    b.telephone = "+1-510-555-0100";
    b.opening_hours = {"Mo-Sa 09:00-21:00"};
    analyzer::ExtractedPage home;
    home.url = "https://greenleaf.example.com/";
    home.title = "Green Leaf Dispensary";
    home.meta_description = "Adult-use cannabis in Oakland.";
    home.headings = {"Flower", "Edibles"};
    home.text = "You must be 21+ with a valid ID. Order online for pickup.";
    home.businesses = {b};
    return {"", {home}, {"https://greenleaf.example.com/about: 404"}};
  }
};

const std::string kValidAnswer = R"({"business_name":"Green Leaf","industry":"cannabis dispensary",
  "summary":"A neighbourhood dispensary in Oakland.","location":{"city":"Oakland","region":"CA"},
  "products":["flower","edibles"],"services":["in-store pickup"],"offers_online_ordering":true,
  "compliance":{"minimum_age":21,"prohibited_claims":["medical claims"],"rules":["Valid ID required"]}})";

class AnalyzerServiceTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    WINSTON_REQUIRE_DB(tdb_);
    server_ = std::make_unique<TestServer>(tdb_, std::chrono::seconds(5), [this](app::Config& c) {
      std::vector<Provider> providers = {
          {"anthropic", WireApi::kAnthropicMessages, anthropic_.base_url(), "ANTHROPIC_API_KEY"},
          {"moonshot", WireApi::kOpenAIChat, openai_.base_url() + "/v1", "MOONSHOT_API_KEY"}};
      c.catalog = Catalog(providers, Catalog::defaults().models());
      c.provider_keys = {{"anthropic", kAnthropicProviderKey}, {"moonshot", kProviderKey}};
      c.upstream_first_byte_timeout_ms = 3000;
      c.upstream_idle_timeout_ms = 3000;
      c.upstream_connect_timeout_ms = 1500;
    });
    db_ = tdb_.open();
    ASSERT_TRUE(db_);
    TenantService tenants(*db_, clock_, TierTable::defaults());
    auto t = tenants.create({"test", {}}, {"Green Leaf", "owner@greenleaf.example.com", "https://greenleaf.example.com",
                                           std::string("cannabis-dispensary"), "starter", {}});
    ASSERT_TRUE(t.ok()) << t.error().message;
    tenant_ = *t;
    KeyService keys(*db_, clock_);
    auto k = keys.create({"test", {}}, kSystemTenantId, "analyzer");
    ASSERT_TRUE(k.ok()) << k.error().message;
    system_key_ = k->secret;
    llm_.base_url = "http://127.0.0.1:" + std::to_string(server_->proxy_port());
    llm_.model = "kimi-k2.5";
    llm_.api = WireApi::kOpenAIChat;
    llm_.connect_timeout = std::chrono::milliseconds(2000);
    llm_.response_timeout = std::chrono::milliseconds(10'000);
    options_.api_key = [this]() -> Result<std::string> { return system_key_; };
  }

  /// A service over the model as llm_ says now (each kept alive: a service holds a reference).
  AnalyzerService service() {
    models_.push_back(std::make_unique<analyzer::LlmClient>(llm_));
    return AnalyzerService(*db_, clock_, fetcher_, *models_.back(), options_);
  }
  void answers(std::vector<std::string> texts, unsigned status = 200) {
    FakeBehavior b;
    b.texts = std::move(texts);
    b.status = status;
    openai_.set_behavior(b);
  }
  /// credit_usage rows of the system tenant (settled right after the response; waits briefly).
  std::int64_t system_usage_rows(std::int64_t expect) {
    std::int64_t n = 0;
    testing::wait_until(
        [&] {
          n = tdb_.count("credit_usage", "tenant_id = '" + std::string(kSystemTenantId) + "' AND status = 'ok'");
          return n >= expect;
        },
        std::chrono::seconds(2));
    return n;
  }
  static json::array sent_messages(const testing::RecordedRequest& r) {
    return json::parse(r.body).at("messages").as_array();
  }
  static bool has_note(const StoredProfile& p, std::string_view text) {
    return std::any_of(p.notes.begin(), p.notes.end(), [&](const auto& n) { return n.find(text) != std::string::npos; });
  }

  TestDatabase tdb_{GetParam()};
  FakeUpstream openai_{FakeFlavor::kOpenAI};
  FakeUpstream anthropic_{FakeFlavor::kAnthropic};
  std::unique_ptr<TestServer> server_;
  std::unique_ptr<storage::Database> db_;
  ManualClock clock_{kStart};
  FakeFetcher fetcher_;
  AnalyzerOptions options_;
  analyzer::LlmOptions llm_;
  std::vector<std::unique_ptr<analyzer::LlmClient>> models_;
  Tenant tenant_;
  std::string system_key_;
};

TEST_P(AnalyzerServiceTest, ValidAnswerIsStoredAsLlmAndChargedToTheSystemTenant) {
  answers({kValidAnswer});
  auto r = service().analyze({"admin", std::string("req-1")}, tenant_.slug, std::nullopt);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->source, "llm");
  EXPECT_EQ(r->model, std::optional<std::string>("kimi-k2.5"));
  EXPECT_EQ(r->version, 1);
  EXPECT_EQ(r->tenant_id, tenant_.id);
  EXPECT_EQ(r->source_url, "https://greenleaf.example.com");
  EXPECT_EQ(r->profile.business_name, "Green Leaf");
  EXPECT_EQ(r->profile.products, (std::vector<std::string>{"flower", "edibles"}));
  EXPECT_TRUE(r->profile.offers_online_ordering);
  EXPECT_TRUE(has_note(*r, "crawl: https://greenleaf.example.com/about: 404"));
  EXPECT_EQ(r->extracted.at("pages").at(0).at("json_ld").at(0).at("name").as_string(), "Green Leaf Dispensary");
  EXPECT_EQ(fetcher_.urls(), std::vector<std::string>{"https://greenleaf.example.com"});

  ASSERT_EQ(openai_.request_count(), 1U);
  const auto sent = openai_.requests().front();
  EXPECT_EQ(sent.headers.at("authorization"), std::string("Bearer ") + kProviderKey) << "the provider key upstream";
  const auto messages = sent_messages(sent);
  ASSERT_EQ(messages.size(), 2U);
  EXPECT_EQ(messages[0].at("role").as_string(), "system");
  EXPECT_NE(std::string(messages[0].at("content").as_string()).find("JSON Schema"), std::string::npos);
  EXPECT_NE(std::string(messages[1].at("content").as_string()).find("Green Leaf Dispensary"), std::string::npos);
  EXPECT_EQ(system_usage_rows(1), 1) << "charged to the system tenant";
  EXPECT_EQ(tdb_.count("credit_usage", "tenant_id = '" + tenant_.id + "'"), 0);

  EXPECT_EQ(tdb_.count("business_profiles", "tenant_id = '" + tenant_.id + "' AND version = 1 AND source = 'llm'"), 1);
  EXPECT_EQ(tdb_.count("audit_log", "tenant_id = '" + tenant_.id + "' AND action = 'tenant.analyze' AND actor = "
                                    "'admin' AND request_id = 'req-1'"), 1);
  auto latest = service().latest(tenant_.id);
  ASSERT_TRUE(latest.ok()) << latest.error().message;
  EXPECT_EQ(to_json(*latest), to_json(*r));
}

TEST_P(AnalyzerServiceTest, AnthropicWireApiWorksThroughTheProxy) {
  FakeBehavior b;
  b.text = "```json\n" + kValidAnswer + "\n```";
  anthropic_.set_behavior(b);
  llm_.model = "claude-sonnet-4-6";
  llm_.api = WireApi::kAnthropicMessages;
  auto r = service().analyze({"admin", {}}, tenant_.id, std::nullopt);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->source, "llm");
  EXPECT_EQ(r->model, std::optional<std::string>("claude-sonnet-4-6"));
  ASSERT_EQ(anthropic_.request_count(), 1U);
  const auto sent = anthropic_.requests().front();
  EXPECT_EQ(sent.headers.at("x-api-key"), kAnthropicProviderKey);
  const auto body = json::parse(sent.body);
  EXPECT_NE(std::string(body.at("system").as_string()).find("JSON Schema"), std::string::npos);
  EXPECT_EQ(body.at("messages").as_array().size(), 1U);
  EXPECT_EQ(system_usage_rows(1), 1);
}

TEST_P(AnalyzerServiceTest, InvalidThenValidAnswerSucceedsOnTheOneRetry) {
  answers({"Sorry, here is some prose and no JSON.", kValidAnswer});
  auto r = service().analyze({"admin", {}}, tenant_.slug, std::nullopt);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->source, "llm");
  EXPECT_EQ(r->profile.business_name, "Green Leaf");
  EXPECT_TRUE(has_note(*r, "first answer was invalid"));
  ASSERT_EQ(openai_.request_count(), 2U);
  const auto retry = sent_messages(openai_.requests()[1]);
  ASSERT_EQ(retry.size(), 4U);
  EXPECT_EQ(retry[2].at("role").as_string(), "assistant");
  EXPECT_EQ(retry[2].at("content").as_string(), "Sorry, here is some prose and no JSON.");
  EXPECT_EQ(retry[3].at("role").as_string(), "user");
  EXPECT_NE(std::string(retry[3].at("content").as_string()).find("no JSON object"), std::string::npos)
      << "the retry says what was wrong";
  EXPECT_EQ(system_usage_rows(2), 2);
}

TEST_P(AnalyzerServiceTest, AnEmptyAnswerIsInvalidOutputAndRetried) {
  answers({"", kValidAnswer});
  auto r = service().analyze({"admin", {}}, tenant_.slug, std::nullopt);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->source, "llm");
  ASSERT_EQ(openai_.request_count(), 2U);
  const auto retry = sent_messages(openai_.requests()[1]);
  ASSERT_EQ(retry.size(), 4U);
  EXPECT_EQ(retry[2].at("content").as_string(), "(empty)") << "providers refuse empty assistant turns";
}

TEST_P(AnalyzerServiceTest, InvalidTwiceFallsBackToTheExtractedProfile) {
  answers({R"({"industry":"cannabis dispensary"})", R"({"business_name":"x","industry":"y","products":"flower"})"});
  auto r = service().analyze({"admin", {}}, tenant_.slug, std::nullopt);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(openai_.request_count(), 2U) << "one retry, no more";
  EXPECT_EQ(r->source, "extracted");
  EXPECT_FALSE(r->model);
  EXPECT_TRUE(has_note(*r, "invalid twice"));
  EXPECT_TRUE(has_note(*r, "products"));
  EXPECT_EQ(r->profile.business_name, "Green Leaf Dispensary");
  EXPECT_EQ(r->profile.location.city, "Oakland");
  EXPECT_EQ(r->profile.compliance.minimum_age, 21);
  EXPECT_EQ(tdb_.count("business_profiles", "tenant_id = '" + tenant_.id + "' AND source = 'extracted' AND model IS NULL"), 1);
}

TEST_P(AnalyzerServiceTest, UpstreamErrorFallsBackToTheExtractedProfile) {
  answers({kValidAnswer}, 500);
  auto r = service().analyze({"admin", {}}, tenant_.slug, std::nullopt);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->source, "extracted");
  EXPECT_TRUE(has_note(*r, "answered 500")) << json::serialize(to_json(*r));
  EXPECT_EQ(r->profile.phone, "+1-510-555-0100");
}

TEST_P(AnalyzerServiceTest, UnreachableProxyFallsBackToTheExtractedProfile) {
  llm_.base_url = "http://127.0.0.1:1";
  auto r = service().analyze({"admin", {}}, tenant_.slug, std::nullopt);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->source, "extracted");
  EXPECT_TRUE(has_note(*r, "LLM is unavailable"));
  EXPECT_EQ(openai_.request_count(), 0U);
}

TEST_P(AnalyzerServiceTest, SlowModelTimesOutIntoTheFallback) {
  FakeBehavior b;
  b.text = kValidAnswer;
  b.first_byte_delay = std::chrono::milliseconds(2000);
  openai_.set_behavior(b);
  llm_.response_timeout = std::chrono::milliseconds(300);
  auto r = service().analyze({"admin", {}}, tenant_.slug, std::nullopt);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->source, "extracted");
  EXPECT_TRUE(has_note(*r, "did not answer within 300 ms")) << json::serialize(to_json(*r));
}

TEST_P(AnalyzerServiceTest, RejectedKeyFallsBackWithoutRevealingTheKey) {
  const std::string bogus = "wsk_" + std::string(40, 'f');
  options_.api_key = [&]() -> Result<std::string> { return bogus; };
  auto r = service().analyze({"admin", {}}, tenant_.slug, std::nullopt);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->source, "extracted");
  EXPECT_TRUE(has_note(*r, "answered 401"));
  const auto all = json::serialize(to_json(*r));
  EXPECT_EQ(all.find(bogus.substr(0, 16)), std::string::npos);
  options_.api_key = []() -> Result<std::string> { return Error::unavailable("no system key yet"); };
  auto none = service().analyze({"admin", {}}, tenant_.slug, std::nullopt);
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(has_note(*none, "no system key yet"));
  EXPECT_EQ(openai_.request_count(), 0U);
}

TEST_P(AnalyzerServiceTest, HistoryKeepsEveryVersion) {
  answers({kValidAnswer});
  auto svc = service();
  auto v1 = svc.analyze({"admin", {}}, tenant_.slug, std::nullopt);
  ASSERT_TRUE(v1.ok()) << v1.error().message;
  llm_.base_url = "http://127.0.0.1:1";
  clock_.advance(1000);
  auto v2 = service().analyze({"cli:root", {}}, tenant_.id, std::string("https://other.example.com/"));
  ASSERT_TRUE(v2.ok()) << v2.error().message;
  EXPECT_EQ(v1->version, 1);
  EXPECT_EQ(v2->version, 2);
  EXPECT_EQ(v2->source_url, "https://other.example.com/");
  EXPECT_EQ(fetcher_.urls().back(), "https://other.example.com/");

  auto list = svc.list(tenant_.slug);
  ASSERT_TRUE(list.ok()) << list.error().message;
  ASSERT_EQ(list->size(), 2U);
  EXPECT_EQ((*list)[0].version, 2);
  EXPECT_EQ((*list)[0].source, "extracted");
  EXPECT_EQ((*list)[0].created_by, "cli:root");
  EXPECT_EQ((*list)[1].version, 1);
  EXPECT_EQ((*list)[1].source, "llm");
  EXPECT_EQ(svc.latest(tenant_.slug)->version, 2);
  auto first = svc.get(tenant_.slug, 1);
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(to_json(first->profile), to_json(v1->profile));
  EXPECT_EQ(svc.get(tenant_.slug, 3).error().code, ErrorCode::kNotFound);
  EXPECT_EQ(svc.list(tenant_.slug, 1)->size(), 1U);
  EXPECT_EQ(svc.list(tenant_.slug, 0).error().field, "limit");
  EXPECT_EQ(tdb_.count("audit_log", "tenant_id = '" + tenant_.id + "' AND action = 'tenant.analyze'"), 2);
}

TEST_P(AnalyzerServiceTest, ErrorsBeforeAnyModelCallStoreNothing) {
  auto svc = service();
  EXPECT_EQ(svc.latest(tenant_.slug).error().code, ErrorCode::kNotFound);
  EXPECT_EQ(svc.analyze({"admin", {}}, "no-such-tenant", std::nullopt).error().code, ErrorCode::kNotFound);
  const auto system = svc.analyze({"admin", {}}, kSystemTenantId, std::nullopt);
  ASSERT_FALSE(system.ok());
  EXPECT_EQ(system.error().field, "website_url") << "the system tenant has no website";
  EXPECT_EQ(svc.analyze({"admin", {}}, tenant_.slug, std::string("ftp://x.example.com")).error().field, "url");
  fetcher_.fail_with(Error::unavailable("https://greenleaf.example.com did not answer in time"));
  const auto down = svc.analyze({"admin", {}}, tenant_.slug, std::nullopt);
  ASSERT_FALSE(down.ok());
  EXPECT_EQ(down.error().code, ErrorCode::kUnavailable);
  EXPECT_EQ(openai_.request_count(), 0U);
  EXPECT_EQ(tdb_.count("business_profiles"), 0);
  EXPECT_EQ(tdb_.count("audit_log", "action = 'tenant.analyze'"), 0);
}

INSTANTIATE_TEST_SUITE_P(Backends, AnalyzerServiceTest, testing::kBackends);

}  // namespace
}  // namespace winston::services
