// The LLM proxy end to end over HTTP: real server, fake upstreams on
// loopback speaking the documented formats, on SQLite and PostgreSQL.

#include <gtest/gtest.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <boost/json.hpp>

#include <atomic>
#include <set>
#include <thread>

#include <filesystem>

#include "core/ids.hpp"
#include "support/fake_upstream.hpp"
#include "support/subprocess.hpp"
#include "support/test_server.hpp"
#include "support/wait.hpp"

namespace winston {
namespace {
namespace json = boost::json;
using boost::beast::http::verb;
using testing::FakeBehavior;
using testing::FakeFlavor;
using testing::FakeUpstream;
using testing::HttpClient;
using testing::HttpReply;
using testing::TestDatabase;
using testing::TestServer;

constexpr const char* kAnthropicKey = "sk-ant-upstream-secret";
constexpr const char* kMoonshotKey = "sk-moonshot-upstream-secret";

class ProxyTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    WINSTON_REQUIRE_DB(tdb_);
    server_ = std::make_unique<TestServer>(tdb_, std::chrono::seconds(5), [this](app::Config& c) { configure(c); });
    HttpClient admin = server_->client();
    auto t = admin.post("/v1/tenants", R"({"name":"Proxy Shop","email":"p@example.com","website_url":"https://p.example.com"})");
    ASSERT_EQ(t.status, 201U) << t.body;
    tenant_id_ = std::string(t.json().at("id").as_string());
    auto k = admin.post("/v1/tenants/" + tenant_id_ + "/keys", R"({"name":"cell"})");
    ASSERT_EQ(k.status, 201U) << k.body;
    key_ = std::string(k.json().at("key").as_string());
    key_id_ = std::string(k.json().at("id").as_string());
  }
  /// The fake upstreams as the providers; the tenant is on the free tier (see models_for_relay_tests).
  void configure(app::Config& c) {
    std::vector<Provider> providers = {
        {"anthropic", WireApi::kAnthropicMessages, anthropic_.base_url(), "ANTHROPIC_API_KEY"},
        {"moonshot", WireApi::kOpenAIChat, openai_.base_url() + "/v1", "MOONSHOT_API_KEY"}};
    c.catalog = Catalog(providers, testing::models_for_relay_tests());
    c.provider_keys = {{"anthropic", kAnthropicKey}, {"moonshot", kMoonshotKey}};
    c.upstream_first_byte_timeout_ms = 1500;
    c.upstream_idle_timeout_ms = 1500;
    c.upstream_connect_timeout_ms = 1500;
  }
  /// A minimal call of `model` on `api`'s endpoint with `key`, on the proxy at `port` (default: this fixture's).
  HttpReply ask(WireApi api, const std::string& model, bool stream, const std::string& key, std::uint16_t port = 0) {
    HttpClient c(port != 0 ? port : server_->proxy_port(), key);
    const bool anthropic = api == WireApi::kAnthropicMessages;
    return c.post(anthropic ? "/v1/messages" : "/v1/chat/completions",
                  json::serialize(json::object{{"model", model}, {"max_tokens", 64}, {"stream", stream},
                                               {"messages", json::array{json::object{{"role", "user"}, {"content", "Hi"}}}}}));
  }
  /// A new tenant on `tier` and a key of it.
  std::pair<std::string, std::string> tenant_with_key(const std::string& tier) {
    auto admin = server_->client();
    auto t = admin.post("/v1/tenants", json::serialize(json::object{{"name", "Tier " + tier}, {"email", tier + "@example.com"},
                                                                    {"website_url", "https://t.example.com"}, {"tier", tier}}));
    EXPECT_EQ(t.status, 201U) << t.body;
    const std::string id(t.json().at("id").as_string());
    auto k = admin.post("/v1/tenants/" + id + "/keys", R"({"name":"cell"})");
    EXPECT_EQ(k.status, 201U) << k.body;
    return {id, std::string(k.json().at("key").as_string())};
  }
  std::set<std::string> listed_models(const std::string& key, std::uint16_t port = 0) {
    auto r = HttpClient(port != 0 ? port : server_->proxy_port(), key).get("/v1/models");
    EXPECT_EQ(r.status, 200U) << r.body;
    std::set<std::string> ids;
    const auto doc = r.json();
    for (const auto& m : doc.at("data").as_array()) ids.insert(std::string(m.at("id").as_string()));
    return ids;
  }

  HttpClient proxy() { return HttpClient(server_->proxy_port(), key_); }
  HttpReply anthropic_call(bool stream, std::map<std::string, std::string> headers = {},
                           std::string model = "claude-sonnet-4-5") {
    HttpClient c(server_->proxy_port());  // the Anthropic SDK sends x-api-key, not a bearer token
    headers["x-api-key"] = key_;
    headers.emplace("anthropic-version", "2023-06-01");
    return c.send(verb::post, "/v1/messages",
                  json::serialize(json::object{{"model", model}, {"max_tokens", 64}, {"stream", stream},
                                               {"messages", json::array{json::object{{"role", "user"}, {"content", "Hi"}}}}}),
                  headers);
  }
  HttpReply openai_call(bool stream, bool include_usage = false, std::map<std::string, std::string> headers = {},
                        std::string model = "kimi-k2.5") {
    json::object body{{"model", model}, {"max_completion_tokens", 64}, {"stream", stream},
                      {"messages", json::array{json::object{{"role", "user"}, {"content", "Hi"}}}}};
    if (include_usage) body["stream_options"] = json::object{{"include_usage", true}};
    auto c = proxy();
    return c.send(verb::post, "/v1/chat/completions", json::serialize(body), headers);
  }
  void set_balance(std::int64_t mc) {
    auto admin = server_->client();
    const auto cur = admin.get("/v1/tenants/" + tenant_id_).json().at("balance_mc").as_int64();
    if (cur == mc) return;
    auto r = admin.post("/v1/tenants/" + tenant_id_ + "/credits",
                        json::serialize(json::object{{"amount_mc", mc - cur}, {"reason", "test"}, {"force", true}}));
    ASSERT_EQ(r.status, 201U) << r.body;
  }
  std::int64_t balance() { return server_->client().get("/v1/tenants/" + tenant_id_).json().at("balance_mc").as_int64(); }
  std::int64_t ledger_sum() {
    auto conn = storage::connect(tdb_.url());
    return (*conn)->query("SELECT COALESCE(SUM(amount_mc), 0) FROM credit_ledger WHERE tenant_id = $1", {tenant_id_})
        ->front().i64(0);
  }
  /// Rows of credit_usage matching `where`. A stream is settled just after its
  /// last byte is sent, so this waits (bounded) for the expected row to appear.
  std::int64_t usage_rows(const std::string& where, std::int64_t expect_at_least = 1, std::string tenant = {}) {
    if (tenant.empty()) tenant = tenant_id_;
    std::int64_t n = 0;
    testing::wait_until(
        [&] {
          n = tdb_.count("credit_usage", "tenant_id = '" + tenant + "' AND " + where);
          return n >= expect_at_least;
        },
        std::chrono::seconds(5));
    return n;
  }

  TestDatabase tdb_{GetParam()};
  FakeUpstream anthropic_{FakeFlavor::kAnthropic};
  FakeUpstream openai_{FakeFlavor::kOpenAI};
  std::unique_ptr<TestServer> server_;
  std::string tenant_id_, key_, key_id_;
};

TEST_P(ProxyTest, AnthropicNonStreamingIsRelayedAndCharged) {
  auto r = anthropic_call(false);
  ASSERT_EQ(r.status, 200U) << r.body;
  EXPECT_EQ(r.json().at("content").at(0).at("text").as_string(), "Hello from the fake upstream.");
  // 12 input + 7 output tokens at 5.0x = 95 mc.
  EXPECT_EQ(r.headers["x-winston-credits-charged"], "0.095");
  EXPECT_EQ(r.headers["x-winston-credits-remaining"], "49999.905");
  EXPECT_EQ(r.headers.count("x-winston-credits-warning"), 0U);
  ASSERT_EQ(anthropic_.request_count(), 1U);
  const auto sent = anthropic_.requests().front();
  EXPECT_EQ(sent.target, "/v1/messages");
  EXPECT_EQ(sent.headers.at("x-api-key"), kAnthropicKey) << "the provider key, never the tenant's";
  EXPECT_EQ(sent.headers.at("anthropic-version"), "2023-06-01");
  EXPECT_EQ(sent.headers.count("authorization"), 0U);
  EXPECT_EQ(json::parse(sent.body).at("model").as_string(), "claude-sonnet-4-5");
  EXPECT_EQ(usage_rows("input_tokens = 12 AND output_tokens = 7 AND credits_mc = 95 AND status = 'ok' AND "
                       "provider = 'anthropic' AND upstream_status = 200 AND api_key_id = '" + key_id_ + "'"), 1);
  EXPECT_EQ(balance(), 50'000'000 - 95);
  EXPECT_EQ(balance(), ledger_sum());
  EXPECT_EQ(tdb_.count("credit_reservations"), 0);
}

TEST_P(ProxyTest, OpenAICompatibleNonStreamingIsRelayedAndCharged) {
  auto r = openai_call(false);
  ASSERT_EQ(r.status, 200U) << r.body;
  EXPECT_EQ(r.json().at("choices").at(0).at("message").at("content").as_string(), "Hello from the fake upstream.");
  EXPECT_EQ(r.headers["x-winston-credits-charged"], "0.019");
  const auto sent = openai_.requests().front();
  EXPECT_EQ(sent.target, "/v1/chat/completions");
  EXPECT_EQ(sent.headers.at("authorization"), std::string("Bearer ") + kMoonshotKey);
  EXPECT_EQ(usage_rows("credits_mc = 19 AND provider = 'moonshot'"), 1);
}

TEST_P(ProxyTest, AnthropicStreamIsRelayedEventByEventAndMeteredFromItsUsageFields) {
  FakeBehavior b;
  b.input_tokens = 100;
  b.output_tokens = 40;
  b.cache_creation_tokens = 5;
  b.cache_read_tokens = 3;
  anthropic_.set_behavior(b);
  auto r = anthropic_call(true);
  ASSERT_EQ(r.status, 200U) << r.body;
  EXPECT_NE(r.headers["content-type"].find("text/event-stream"), std::string::npos);
  const auto events = testing::parse_sse(r.body);
  ASSERT_FALSE(events.empty());
  EXPECT_EQ(events.front().event, "message_start");
  EXPECT_EQ(events.back().event, "message_stop");
  std::string text;
  for (const auto& e : events) {
    if (e.event == "content_block_delta") text += json::parse(e.data).at("delta").at("text").as_string();
  }
  EXPECT_EQ(text, "Hello from the fake upstream.");
  // (100 + 40 + 5 + 3) tokens at 5.0x.
  EXPECT_EQ(usage_rows("input_tokens = 100 AND output_tokens = 40 AND cache_creation_tokens = 5 AND "
                       "cache_read_tokens = 3 AND credits_mc = 740 AND status = 'ok'"), 1);
  EXPECT_EQ(balance(), ledger_sum());
}

TEST_P(ProxyTest, OpenAIStreamGetsUsageAddedAndHiddenFromAClientThatDidNotAsk) {
  auto r = openai_call(true, false);
  ASSERT_EQ(r.status, 200U) << r.body;
  const auto events = testing::parse_sse(r.body);
  ASSERT_FALSE(events.empty());
  EXPECT_EQ(events.back().data, "[DONE]");
  for (const auto& e : events) {
    if (e.data == "[DONE]") continue;
    const auto chunk = json::parse(e.data);
    EXPECT_FALSE(chunk.at("choices").as_array().empty()) << "the usage-only chunk must not reach this client";
  }
  const auto sent = json::parse(openai_.requests().front().body);
  EXPECT_TRUE(sent.at("stream_options").at("include_usage").as_bool());
  EXPECT_EQ(usage_rows("input_tokens = 12 AND output_tokens = 7 AND credits_mc = 19"), 1);

  auto asked = openai_call(true, true, {{"Idempotency-Key", "second"}});
  bool saw_usage_chunk = false;
  for (const auto& e : testing::parse_sse(asked.body)) {
    if (e.data == "[DONE]") continue;
    const auto chunk = json::parse(e.data);
    if (chunk.at("choices").as_array().empty() && chunk.at("usage").is_object()) saw_usage_chunk = true;
  }
  EXPECT_TRUE(saw_usage_chunk) << "a client that asked for usage gets it";
}

TEST_P(ProxyTest, UsageInsideTheLastChoiceIsRead) {
  FakeBehavior b;
  b.usage = testing::UsagePlacement::kInChoice;
  b.input_tokens = 30;
  b.output_tokens = 20;
  openai_.set_behavior(b);
  ASSERT_EQ(openai_call(true).status, 200U);
  ASSERT_EQ(openai_call(false, false, {{"Idempotency-Key", "ns"}}).status, 200U);
  EXPECT_EQ(usage_rows("input_tokens = 30 AND output_tokens = 20 AND credits_mc = 50", 2), 2);
}

TEST_P(ProxyTest, KeysAreCheckedAndRefusalsUseTheClientsErrorShape) {
  HttpClient none(server_->proxy_port());
  auto missing = none.post("/v1/messages", R"({"model":"claude-sonnet-4-5","max_tokens":5,"messages":[]})");
  EXPECT_EQ(missing.status, 401U);
  EXPECT_EQ(missing.json().at("type").as_string(), "error");
  EXPECT_EQ(missing.json().at("error").at("type").as_string(), "authentication_error");

  HttpClient wrong(server_->proxy_port(), "wsk_0000000000000000000000000000000000000000");
  auto bad = wrong.post("/v1/chat/completions", R"({"model":"kimi-k2.5","messages":[]})");
  EXPECT_EQ(bad.status, 401U);
  EXPECT_EQ(bad.json().at("error").at("code").as_string(), "invalid_api_key");

  auto admin = server_->client();
  ASSERT_EQ(admin.patch("/v1/tenants/" + tenant_id_, R"({"status":"suspended"})").status, 200U);
  auto suspended = openai_call(false);
  EXPECT_EQ(suspended.status, 403U) << suspended.body;
  EXPECT_NE(std::string(suspended.json().at("error").at("message").as_string()).find("suspended"), std::string::npos);
  ASSERT_EQ(admin.patch("/v1/tenants/" + tenant_id_, R"({"status":"active"})").status, 200U);

  ASSERT_EQ(admin.del("/v1/tenants/" + tenant_id_ + "/keys/" + key_id_).status, 204U);
  auto revoked = openai_call(false);
  EXPECT_EQ(revoked.status, 401U) << "revoked on this replica at once";
  EXPECT_EQ(openai_.request_count() + anthropic_.request_count(), 0U) << "no refused request reaches a provider";
}

TEST_P(ProxyTest, UnknownModelsAndTheWrongApiGetClearClientErrors) {
  auto unknown = openai_call(false, false, {}, "gpt-17");
  EXPECT_EQ(unknown.status, 404U);
  EXPECT_EQ(unknown.json().at("error").at("code").as_string(), "model_not_found");
  EXPECT_NE(std::string(unknown.json().at("error").at("message").as_string()).find("GET /v1/models"), std::string::npos);
  auto wrong_api = openai_call(false, false, {}, "claude-sonnet-4-6");
  EXPECT_EQ(wrong_api.status, 400U);
  EXPECT_NE(std::string(wrong_api.json().at("error").at("message").as_string()).find("/v1/messages"), std::string::npos);
  auto wrong_api2 = anthropic_call(false, {}, "kimi-k2.5");
  EXPECT_EQ(wrong_api2.status, 400U);
  EXPECT_EQ(wrong_api2.json().at("error").at("type").as_string(), "invalid_request_error");
  auto bad_json = proxy().post("/v1/chat/completions", "{nope");
  EXPECT_EQ(bad_json.status, 400U);
  EXPECT_EQ(openai_.request_count() + anthropic_.request_count(), 0U);
  EXPECT_EQ(tdb_.count("credit_usage"), 0);
}

TEST_P(ProxyTest, EmptyBalanceIs402BeforeAnyUpstreamByteInBothShapes) {
  set_balance(0);
  auto a = anthropic_call(false);
  EXPECT_EQ(a.status, 402U);
  EXPECT_EQ(a.json().at("error").at("type").as_string(), "billing_error");
  auto o = openai_call(true);
  EXPECT_EQ(o.status, 402U);
  EXPECT_EQ(o.json().at("error").at("code").as_string(), "insufficient_quota");
  EXPECT_EQ(anthropic_.request_count() + openai_.request_count(), 0U);
  EXPECT_EQ(tdb_.count("credit_usage"), 0);
  HttpClient admin_on_proxy(server_->proxy_port(), testing::kAdminToken);
  auto pm = admin_on_proxy.get("/metrics");
  ASSERT_EQ(pm.status, 200U);
  EXPECT_NE(pm.body.find("winston_proxy_payment_required_total 2"), std::string::npos) << pm.body;
}

TEST_P(ProxyTest, UpstreamErrorsPassThroughWithTheirStatusAndCostNothing) {
  for (unsigned status : {400U, 401U, 429U, 500U, 529U}) {
    SCOPED_TRACE(status);
    FakeBehavior b;
    b.status = status;
    anthropic_.set_behavior(b);
    auto r = anthropic_call(false, {{"Idempotency-Key", "err-" + std::to_string(status)}});
    EXPECT_EQ(r.status, status);
    EXPECT_EQ(r.json().at("type").as_string(), "error");
    EXPECT_FALSE(r.json().at("error").at("type").as_string().empty());
  }
  EXPECT_EQ(usage_rows("credits_mc = 0 AND status = 'upstream_error'", 5), 5);
  EXPECT_EQ(balance(), 50'000'000);
  EXPECT_EQ(tdb_.count("credit_reservations"), 0);
}

TEST_P(ProxyTest, OverloadedUpstreamIsRetriedBeforeTheFirstByte) {
  FakeBehavior b;
  b.status = 529;
  b.fail_first = 1;
  anthropic_.set_behavior(b);
  auto r = anthropic_call(true);
  ASSERT_EQ(r.status, 200U) << r.body;
  EXPECT_EQ(anthropic_.request_count(), 2U);
  EXPECT_EQ(usage_rows("status = 'ok' AND credits_mc = 95"), 1);
}

TEST_P(ProxyTest, TruncatedAndMalformedStreamsEndWithAnErrorEventAndAreSettledOnWhatWasSeen) {
  FakeBehavior b;
  b.truncate_stream = true;
  anthropic_.set_behavior(b);
  auto cut = anthropic_call(true, {{"Idempotency-Key", "cut"}});
  ASSERT_EQ(cut.status, 200U);
  auto events = testing::parse_sse(cut.body);
  ASSERT_FALSE(events.empty());
  EXPECT_EQ(events.back().event, "error");
  EXPECT_EQ(json::parse(events.back().data).at("error").at("type").as_string(), "api_error");
  EXPECT_EQ(usage_rows("request_id = 'cut' AND status = 'truncated' AND input_tokens = 12"), 1);

  FakeBehavior m;
  m.malformed_stream = true;
  openai_.set_behavior(m);
  auto bad = openai_call(true, false, {{"Idempotency-Key", "bad"}});
  ASSERT_EQ(bad.status, 200U);
  auto oevents = testing::parse_sse(bad.body);
  ASSERT_FALSE(oevents.empty());
  EXPECT_TRUE(json::parse(oevents.back().data).as_object().contains("error"));
  EXPECT_EQ(usage_rows("request_id = 'bad' AND status = 'malformed'"), 1);
  EXPECT_EQ(balance(), ledger_sum());
}

TEST_P(ProxyTest, ClientDisconnectMidStreamCancelsTheUpstreamAndSettles) {
  FakeBehavior b;
  b.chunks = 20;
  b.text = std::string(200, 'x');
  b.chunk_delay = std::chrono::milliseconds(100);
  anthropic_.set_behavior(b);
  {
    boost::asio::io_context ioc;
    boost::asio::ip::tcp::socket s(ioc);
    s.connect({boost::asio::ip::make_address("127.0.0.1"), server_->proxy_port()});
    const std::string body =
        R"({"model":"claude-sonnet-4-5","max_tokens":64,"stream":true,"messages":[{"role":"user","content":"Hi"}]})";
    const std::string req = "POST /v1/messages HTTP/1.1\r\nHost: x\r\nx-api-key: " + key_ +
                            "\r\nIdempotency-Key: gone\r\ncontent-type: application/json\r\ncontent-length: " +
                            std::to_string(body.size()) + "\r\n\r\n" + body;
    boost::asio::write(s, boost::asio::buffer(req));
    std::array<char, 512> buf{};
    std::size_t got = 0;
    while (got < 300) got += s.read_some(boost::asio::buffer(buf));
  }  // the client goes away after the first events
  EXPECT_EQ(usage_rows("request_id = 'gone' AND status = 'cancelled' AND input_tokens = 12"), 1);
  testing::wait_until([&] { return anthropic_.cancelled_streams() > 0; }, std::chrono::seconds(2));
  EXPECT_EQ(anthropic_.cancelled_streams(), 1U) << "the upstream request was cancelled";
  EXPECT_EQ(balance(), ledger_sum());
  EXPECT_EQ(tdb_.count("credit_reservations"), 0);
}

TEST_P(ProxyTest, ConcurrentRequestsAgainstABalanceForTwentyChargeAtMostTwentyOne) {
  // One call costs 19 mc (12 + 7 tokens at 1.0x); the balance covers 20 of them.
  set_balance(20 * 19);
  FakeBehavior b;
  b.first_byte_delay = std::chrono::milliseconds(50);
  openai_.set_behavior(b);
  std::atomic<int> ok{0}, payment{0}, other{0};
  std::vector<std::thread> threads;
  for (int w = 0; w < 20; ++w) {
    threads.emplace_back([&, w] {
      for (int i = 0; i < 10; ++i) {
        auto r = openai_call(false, false, {{"Idempotency-Key", "c" + std::to_string(w) + "-" + std::to_string(i)}});
        (r.status == 200U ? ok : r.status == 402U ? payment : other)++;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(other.load(), 0);
  EXPECT_EQ(ok.load() + payment.load(), 200);
  EXPECT_GE(ok.load(), 1);
  EXPECT_LE(ok.load(), 21);
  EXPECT_EQ(usage_rows("credits_mc > 0", ok.load()), ok.load());
  EXPECT_GE(balance(), -19);
  EXPECT_EQ(balance(), ledger_sum());
  EXPECT_EQ(tdb_.count("credit_reservations"), 0);
  if (HasFailure()) {
    auto conn = storage::connect(tdb_.url());
    auto t = (*conn)->query("SELECT balance_mc, reserved_mc FROM tenants WHERE id = $1", {tenant_id_});
    std::cerr << "balance " << t->front().str(0) << " reserved " << t->front().str(1) << "\n";
    auto rows = (*conn)->query("SELECT u.request_id, u.credits_mc, u.status, u.created_at FROM credit_usage u ORDER BY u.created_at", {});
    for (const auto& row : *rows) std::cerr << row.str(0) << " " << row.str(1) << " " << row.str(2) << " " << row.str(3) << "\n";
  }
}

TEST_P(ProxyTest, ARetriedRequestIdIsChargedOnce) {
  ASSERT_EQ(openai_call(false, false, {{"Idempotency-Key", "same"}}).status, 200U);
  auto retry = openai_call(false, false, {{"Idempotency-Key", "same"}});
  ASSERT_EQ(retry.status, 200U);
  EXPECT_EQ(retry.headers["x-winston-credits-charged"], "0.000");
  EXPECT_EQ(usage_rows("request_id = 'same'"), 1);
  EXPECT_EQ(balance(), 50'000'000 - 19);
  EXPECT_EQ(balance(), ledger_sum());
}

TEST_P(ProxyTest, LowBalanceIsFlaggedOnResponsesAndAuditedOncePerCrossing) {
  set_balance(10'000'030);  // 20 % of the free allotment is 10,000,000 mc
  auto first = openai_call(false, false, {{"Idempotency-Key", "l1"}});
  ASSERT_EQ(first.status, 200U);
  EXPECT_EQ(first.headers.count("x-winston-credits-warning"), 0U) << first.headers["x-winston-credits-remaining"];
  auto second = openai_call(false, false, {{"Idempotency-Key", "l2"}});
  auto third = anthropic_call(true, {{"Idempotency-Key", "l3"}});
  EXPECT_EQ(second.headers["x-winston-credits-warning"], "low");
  EXPECT_EQ(third.headers["x-winston-credits-warning"], "low") << "streams carry the warning in their headers";
  EXPECT_EQ(tdb_.count("audit_log", "tenant_id = '" + tenant_id_ + "' AND action = 'credits.low'"), 1);
}

TEST_P(ProxyTest, ASilentUpstreamTimesOutWith504AndCostsNothing) {
  FakeBehavior b;
  b.first_byte_delay = std::chrono::milliseconds(4000);
  openai_.set_behavior(b);
  auto r = openai_call(false, false, {{"Idempotency-Key", "slow"}});
  EXPECT_EQ(r.status, 504U) << r.body;
  EXPECT_EQ(r.json().at("error").at("code").as_string(), "upstream_timeout");
  EXPECT_EQ(openai_.request_count(), 1U) << "a delivered request is not retried after a timeout";
  EXPECT_EQ(usage_rows("request_id = 'slow' AND status = 'upstream_error' AND credits_mc = 0"), 1);
  EXPECT_EQ(balance(), 50'000'000);
}

TEST_P(ProxyTest, AStreamThatGoesQuietIsEndedWithAnErrorEvent) {
  FakeBehavior b;
  b.chunks = 3;
  b.chunk_delay = std::chrono::milliseconds(4000);
  anthropic_.set_behavior(b);
  auto r = anthropic_call(true, {{"Idempotency-Key", "quiet"}});
  ASSERT_EQ(r.status, 200U);
  const auto events = testing::parse_sse(r.body);
  ASSERT_FALSE(events.empty());
  EXPECT_EQ(events.back().event, "error");
  EXPECT_NE(events.back().data.find("idle timeout"), std::string::npos) << events.back().data;
  EXPECT_EQ(usage_rows("request_id = 'quiet' AND status = 'truncated'"), 1);
}

TEST_P(ProxyTest, ProviderCertificatesAreVerified) {
  // A TLS server with a self-signed certificate: the handshake must fail.
  const auto dir = std::filesystem::temp_directory_path() / ("winston-tls-" + random_hex(4));
  std::filesystem::create_directories(dir);
  const auto gen = testing::run({"/usr/bin/openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-subj",
                                 "/CN=127.0.0.1", "-days", "1", "-keyout", (dir / "k.pem").string(), "-out",
                                 (dir / "c.pem").string()},
                                {});
  ASSERT_EQ(gen.exit_code, 0) << gen.err;
  const std::uint16_t port = 20000 + static_cast<std::uint16_t>(std::stoul(random_hex(2), nullptr, 16) % 20000);
  testing::Background tls({"/usr/bin/openssl", "s_server", "-accept", std::to_string(port), "-cert",
                           (dir / "c.pem").string(), "-key", (dir / "k.pem").string(), "-www"},
                          {});
  // Until openssl listens (a loaded machine takes longer than a fixed sleep).
  testing::wait_until(
      [&] {
        boost::asio::io_context ioc;
        boost::asio::ip::tcp::socket probe(ioc);
        boost::system::error_code ec;
        probe.connect({boost::asio::ip::make_address("127.0.0.1"), port}, ec);
        return !ec;
      },
      std::chrono::seconds(10), std::chrono::milliseconds(100));
  TestServer tls_proxy(tdb_, std::chrono::seconds(5), [&](app::Config& c) {
    c.catalog = Catalog({{"moonshot", WireApi::kOpenAIChat, "https://127.0.0.1:" + std::to_string(port) + "/v1", "X"}},
                        {Catalog::defaults().models().front()});
    c.provider_keys = {{"moonshot", "sk"}};
  });
  HttpClient c(tls_proxy.proxy_port(), key_);
  auto r = c.post("/v1/chat/completions", R"({"model":"kimi-k2.5","messages":[{"role":"user","content":"Hi"}]})");
  EXPECT_EQ(r.status, 502U) << r.body;
  EXPECT_NE(std::string(r.json().at("error").at("message").as_string()).find("TLS"), std::string::npos) << r.body;
  std::filesystem::remove_all(dir);
}

TEST_P(ProxyTest, ModelsAreListedInOpenAIsShapeForTheTenantsTierOnly) {
  auto r = proxy().get("/v1/models");
  ASSERT_EQ(r.status, 200U);
  EXPECT_EQ(r.json().at("object").as_string(), "list");
  EXPECT_EQ(listed_models(key_), (std::set<std::string>{"kimi-k2.5", "claude-sonnet-4-5", "claude-sonnet-4-6"}))
      << "a free tenant is not offered claude-opus-4-6";
  const auto [pro_id, pro_key] = tenant_with_key("pro");
  EXPECT_EQ(listed_models(pro_key),
            (std::set<std::string>{"kimi-k2.5", "claude-sonnet-4-5", "claude-sonnet-4-6", "claude-opus-4-6"}));
  HttpClient anon(server_->proxy_port());
  EXPECT_EQ(anon.get("/v1/models").status, 401U);
  EXPECT_EQ(anon.get("/healthz").status, 200U);
}

TEST_P(ProxyTest, AModelTheTierIsNotOfferedIs403InBothShapesBeforeAnyUpstreamByteOrCredit) {
  for (const bool stream : {false, true}) {
    for (const auto& model : {std::string("claude-opus-4-6"), std::string("opus")}) {
      auto a = ask(WireApi::kAnthropicMessages, model, stream, key_);
      EXPECT_EQ(a.status, 403U) << a.body;
      EXPECT_EQ(a.headers["content-type"], "application/json") << "an error, not an event stream";
      EXPECT_EQ(a.json().at("type").as_string(), "error");
      EXPECT_EQ(a.json().at("error").at("type").as_string(), "permission_error");
      const std::string am(a.json().at("error").at("message").as_string());
      EXPECT_EQ(am, "model 'claude-opus-4-6' is not offered to the 'free' tier; GET /v1/models lists the models "
                    "your tier can use");
      // On the OpenAI endpoint too: the entitlement is checked before which API serves the model.
      auto o = ask(WireApi::kOpenAIChat, model, stream, key_);
      EXPECT_EQ(o.status, 403U) << o.body;
      EXPECT_EQ(o.json().at("error").at("type").as_string(), "permission_error");
      EXPECT_EQ(o.json().at("error").at("code").as_string(), "permission_denied");
      EXPECT_EQ(o.json().at("error").at("message").as_string(), am);
    }
  }
  EXPECT_EQ(anthropic_.request_count() + openai_.request_count(), 0U) << "no upstream request";
  EXPECT_EQ(balance(), 50'000'000) << "nothing charged";
  EXPECT_EQ(balance(), ledger_sum());
  EXPECT_EQ(tdb_.count("credit_reservations"), 0) << "nothing held";
  EXPECT_EQ(tdb_.count("credit_usage"), 0) << "no usage row";
  HttpClient admin_on_proxy(server_->proxy_port(), testing::kAdminToken);
  EXPECT_NE(admin_on_proxy.get("/metrics").body.find(
                "winston_proxy_tier_refusals_total{tier=\"free\",model=\"claude-opus-4-6\"} 8"),
            std::string::npos);

  // A pro tenant is served the same model, streaming and not; on the wrong API it is told where to send it.
  const auto [pro_id, pro_key] = tenant_with_key("pro");
  auto whole = ask(WireApi::kAnthropicMessages, "claude-opus-4-6", false, pro_key);
  EXPECT_EQ(whole.status, 200U) << whole.body;
  auto streamed = ask(WireApi::kAnthropicMessages, "opus", true, pro_key);
  EXPECT_EQ(streamed.status, 200U) << streamed.body;
  EXPECT_EQ(testing::parse_sse(streamed.body).back().event, "message_stop");
  EXPECT_EQ(ask(WireApi::kOpenAIChat, "claude-opus-4-6", false, pro_key).status, 400U);
  EXPECT_EQ(anthropic_.request_count(), 2U);
  EXPECT_EQ(json::parse(anthropic_.requests().front().body).at("model").as_string(), "claude-opus-4-6");
  EXPECT_EQ(usage_rows("model = 'claude-opus-4-6' AND status = 'ok'", 2, pro_id), 2);
}

TEST_P(ProxyTest, ATierChangeReachesTheProxyWithinTheKeyCacheTtl) {
  ManualClock clock(SystemClock().now_ms());
  TestServer proxy(tdb_, std::chrono::seconds(5), [this](app::Config& c) {
    configure(c);
    c.key_cache_ms = 5000;
  }, &clock);
  const auto port = proxy.proxy_port();
  auto admin = server_->client();
  EXPECT_EQ(ask(WireApi::kAnthropicMessages, "claude-opus-4-6", false, key_, port).status, 403U);

  ASSERT_EQ(admin.patch("/v1/tenants/" + tenant_id_, R"({"tier":"pro"})").status, 200U);
  EXPECT_EQ(ask(WireApi::kAnthropicMessages, "claude-opus-4-6", false, key_, port).status, 403U)
      << "the cached tier holds until the TTL";
  clock.advance(5001);
  EXPECT_EQ(ask(WireApi::kAnthropicMessages, "claude-opus-4-6", false, key_, port).status, 200U);
  EXPECT_TRUE(listed_models(key_, port).contains("claude-opus-4-6"));

  ASSERT_EQ(admin.patch("/v1/tenants/" + tenant_id_, R"({"tier":"free"})").status, 200U);
  EXPECT_EQ(ask(WireApi::kAnthropicMessages, "claude-opus-4-6", false, key_, port).status, 200U);
  clock.advance(5001);
  EXPECT_EQ(ask(WireApi::kAnthropicMessages, "claude-opus-4-6", false, key_, port).status, 403U)
      << "a downgrade stops the model after the TTL";
  EXPECT_FALSE(listed_models(key_, port).contains("claude-opus-4-6"));
  EXPECT_EQ(anthropic_.request_count(), 2U);
}

INSTANTIATE_TEST_SUITE_P(Backends, ProxyTest, testing::kBackends, [](const auto& p) { return p.param; });

}  // namespace
}  // namespace winston
