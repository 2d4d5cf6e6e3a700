// POST /v1/tenants/{id}/agent/messages against a fake OpenClaw gateway (the
// fake OpenAI-compatible upstream, which speaks the same chat completions
// and records what it was sent): the message reaches the tenant's own
// gateway with its sealed token, the answer and usage come back, the token
// appears in no response, every relay is audited without the texts, and a
// cell that cannot answer is a clear 409/502/504. On SQLite and PostgreSQL.

#include <gtest/gtest.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/json.hpp>

#include "storage/audit_repository.hpp"
#include "support/fake_upstream.hpp"
#include "support/test_server.hpp"

namespace winston {
namespace {
namespace json = boost::json;
using testing::FakeFlavor;
using testing::FakeUpstream;
using testing::HttpReply;
using testing::TestServer;

// A loopback port with nothing listening (bound, then closed).
std::uint16_t closed_port() {
  boost::asio::io_context ioc;
  boost::asio::ip::tcp::acceptor a(ioc, {boost::asio::ip::make_address("127.0.0.1"), 0});
  return a.local_endpoint().port();
}

class AgentMessageTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    WINSTON_REQUIRE_DB(tdb_);
    start(10'000);
  }
  void start(std::int64_t timeout_ms) {
    server_.reset();
    server_ = std::make_unique<TestServer>(tdb_, std::chrono::seconds(5), [timeout_ms](app::Config& c) {
      c.cells_reconcile = false;  // the test decides the cells' states
      c.agent_message_timeout_ms = timeout_ms;
    });
  }

  /// A tenant with a configured cell (gateway token created) in `state` at `url`; returns its gateway token.
  std::string tenant_with_cell(const std::string& slug, const std::string& state, const std::string& url) {
    const json::object body = {{"name", "Shop " + slug}, {"email", slug + "@example.com"},
                               {"website_url", "https://" + slug + ".example.com"}, {"slug", slug},
                               {"provision", true}};
    auto created = server_->client().post("/v1/tenants", json::serialize(body));
    EXPECT_EQ(created.status, 201U) << created.body;
    EXPECT_EQ(server_->client().post("/v1/tenants/" + slug + "/configs", "").status, 201U);
    set_cell(slug, state, url);
    return server_->runtime().configs().cell_secrets({"test", std::nullopt}, slug)->gateway_token;
  }
  // What the reconciler would have recorded.
  void set_cell(const std::string& slug, const std::string& state, const std::string& url) {
    auto conn = server_->runtime().database().acquire();
    ASSERT_TRUE(conn.ok());
    auto r = (*conn)->query(
        "UPDATE tenant_instances SET actual_state = $1, url = $2, step = $3 "
        "WHERE tenant_id = (SELECT id FROM tenants WHERE slug = $4)",
        {state, url, std::string(state == "running" ? "gateway ready" : "starting"), slug});
    ASSERT_TRUE(r.ok()) << r.error().message;
  }
  HttpReply ask(const std::string& slug, const json::object& body) {
    return server_->client().post("/v1/tenants/" + slug + "/agent/messages", json::serialize(body));
  }
  std::vector<storage::audit::Entry> audits(const std::string& slug) {
    auto conn = server_->runtime().database().acquire();
    const auto t = server_->runtime().tenants().get(slug);
    storage::audit::Query q;
    q.tenant_id = t->id;
    q.action = "agent.message";
    q.limit = 100;
    auto rows = storage::audit::query(**conn, q);
    return rows.ok() ? *rows : std::vector<storage::audit::Entry>{};
  }
  static void expect_no_token(const HttpReply& r, const std::string& token) {
    EXPECT_EQ(r.body.find(token), std::string::npos) << r.body;
    for (const auto& [name, value] : r.headers) EXPECT_EQ(value.find(token), std::string::npos) << name;
  }

  testing::TestDatabase tdb_{GetParam()};
  std::unique_ptr<TestServer> server_;
  FakeUpstream gateway_{FakeFlavor::kOpenAI};
};

TEST_P(AgentMessageTest, TheAnswerAndItsUsageComeBackAndTheTokenStaysInside) {
  testing::FakeBehavior b;
  b.text = "We open at 9.";
  b.input_tokens = 120;
  b.output_tokens = 8;
  gateway_.set_behavior(b);
  const auto token = tenant_with_cell("alpha", "running", gateway_.base_url());

  auto r = ask("alpha", {{"message", "When do you open?"}});
  ASSERT_EQ(r.status, 200U) << r.body;
  const auto doc = r.json();
  const auto& o = doc.as_object();
  EXPECT_EQ(o.at("answer"), "We open at 9.");
  EXPECT_EQ(o.at("model"), "openclaw/default");
  EXPECT_EQ(o.at("usage").at("prompt_tokens").as_int64(), 120);
  EXPECT_EQ(o.at("usage").at("completion_tokens").as_int64(), 8);
  EXPECT_GE(o.at("duration_ms").as_int64(), 0);
  EXPECT_TRUE(o.at("session").is_null());
  expect_no_token(r, token);

  ASSERT_EQ(gateway_.request_count(), 1U);
  const auto sent = gateway_.requests().front();
  EXPECT_EQ(sent.target, "/v1/chat/completions");
  EXPECT_EQ(sent.headers.at("authorization"), "Bearer " + token) << "the sealed gateway token, opened inside Winston";
  const auto req = json::parse(sent.body).as_object();
  EXPECT_EQ(req.at("model"), "openclaw/default");
  EXPECT_EQ(req.at("messages").at(0).at("content"), "When do you open?");
  EXPECT_FALSE(req.contains("user")) << "no session: a new agent session per message";

  const auto rows = audits("alpha");
  ASSERT_EQ(rows.size(), 1U);
  EXPECT_EQ(rows[0].actor, "admin");
  EXPECT_TRUE(rows[0].request_id.has_value());
  const auto details = json::parse(rows[0].details_json).as_object();
  EXPECT_EQ(details.at("outcome"), "answered");
  EXPECT_EQ(details.at("message_bytes").as_int64(), 17);
  EXPECT_EQ(details.at("answer_bytes").as_int64(), 13);
  EXPECT_EQ(details.at("usage").at("total_tokens").as_int64(), 128);
  EXPECT_EQ(rows[0].details_json.find("When do you"), std::string::npos) << "the texts stay out of the audit log";
  EXPECT_EQ(rows[0].details_json.find("We open"), std::string::npos);
  EXPECT_EQ(rows[0].details_json.find(token), std::string::npos);
}

TEST_P(AgentMessageTest, ASessionContinuesOneConversation) {
  tenant_with_cell("alpha", "running", gateway_.base_url());
  auto r = ask("alpha", {{"message", "hi"}, {"session", "thread-7"}});
  ASSERT_EQ(r.status, 200U) << r.body;
  EXPECT_EQ(r.json().at("session"), "thread-7");
  ASSERT_EQ(ask("alpha", {{"message", "and then?"}, {"session", "thread-7"}}).status, 200U);
  const auto sent = gateway_.requests();
  ASSERT_EQ(sent.size(), 2U);
  for (const auto& s : sent) {
    EXPECT_EQ(json::parse(s.body).at("user"), "winston-operator:thread-7") << "OpenClaw keys its session on `user`";
  }
}

TEST_P(AgentMessageTest, TheTokenIsScrubbedFromAnAnswerThatEchoesIt) {
  const auto token = tenant_with_cell("alpha", "running", gateway_.base_url());
  testing::FakeBehavior b;
  b.text = "my env says OPENCLAW_GATEWAY_TOKEN=" + token + ".";
  gateway_.set_behavior(b);
  auto r = ask("alpha", {{"message", "print your environment"}});
  ASSERT_EQ(r.status, 200U) << r.body;
  EXPECT_EQ(r.json().at("answer"), "my env says OPENCLAW_GATEWAY_TOKEN=[redacted].");
  expect_no_token(r, token);
}

TEST_P(AgentMessageTest, ACellThatIsNotRunningIsAConflictNamingItsState) {
  EXPECT_EQ(ask("nobody", {{"message", "hi"}}).status, 404U);

  const json::object body = {{"name", "Shop beta"}, {"email", "beta@example.com"},
                             {"website_url", "https://beta.example.com"}, {"slug", "beta"}};
  ASSERT_EQ(server_->client().post("/v1/tenants", json::serialize(body)).status, 201U);
  auto none = ask("beta", {{"message", "hi"}});
  EXPECT_EQ(none.status, 409U) << none.body;
  EXPECT_NE(none.error_message().find("no cell"), std::string::npos) << none.body;

  tenant_with_cell("alpha", "provisioning", gateway_.base_url());
  auto starting = ask("alpha", {{"message", "hi"}});
  EXPECT_EQ(starting.status, 409U) << starting.body;
  EXPECT_NE(starting.error_message().find("provisioning"), std::string::npos) << starting.body;
  set_cell("alpha", "stopped", gateway_.base_url());
  EXPECT_NE(ask("alpha", {{"message", "hi"}}).error_message().find("stopped"), std::string::npos);
  EXPECT_EQ(gateway_.request_count(), 0U);
  EXPECT_TRUE(audits("alpha").empty()) << "nothing was relayed";
}

TEST_P(AgentMessageTest, AGatewayThatIsDownOrFailingIsABadGatewayWithoutTheToken) {
  const auto token = tenant_with_cell("alpha", "running", "http://127.0.0.1:" + std::to_string(closed_port()));
  auto down = ask("alpha", {{"message", "hi"}});
  EXPECT_EQ(down.status, 502U) << down.body;
  EXPECT_EQ(down.error_code(), "bad_gateway");
  EXPECT_NE(down.error_message().find("could not be reached"), std::string::npos) << down.body;
  expect_no_token(down, token);

  set_cell("alpha", "running", gateway_.base_url());
  testing::FakeBehavior b;
  b.status = 401;
  gateway_.set_behavior(b);
  auto refused = ask("alpha", {{"message", "hi"}});
  EXPECT_EQ(refused.status, 502U) << refused.body;
  EXPECT_NE(refused.error_message().find("refused Winston's token"), std::string::npos) << refused.body;
  expect_no_token(refused, token);

  b.status = 402;  // the gateway's provider (Winston's proxy) said: no credits
  gateway_.set_behavior(b);
  EXPECT_EQ(ask("alpha", {{"message", "hi"}}).status, 402U);
  b.status = 500;
  gateway_.set_behavior(b);
  EXPECT_EQ(ask("alpha", {{"message", "hi"}}).status, 502U);

  const auto rows = audits("alpha");
  ASSERT_EQ(rows.size(), 4U) << "a failed relay is audited too";
  for (const auto& e : rows) EXPECT_EQ(json::parse(e.details_json).at("outcome"), "failed");
}

TEST_P(AgentMessageTest, AGatewayThatDoesNotAnswerInTimeIsAGatewayTimeout) {
  start(1'000);
  const auto token = tenant_with_cell("alpha", "running", gateway_.base_url());
  testing::FakeBehavior b;
  b.first_byte_delay = std::chrono::milliseconds(3'000);
  gateway_.set_behavior(b);
  auto r = ask("alpha", {{"message", "think hard"}});
  EXPECT_EQ(r.status, 504U) << r.body;
  EXPECT_EQ(r.error_code(), "gateway_timeout");
  EXPECT_NE(r.error_message().find("within 1 s"), std::string::npos) << r.body;
  expect_no_token(r, token);
}

TEST_P(AgentMessageTest, EachTenantsMessageReachesOnlyItsOwnGatewayWithItsOwnToken) {
  FakeUpstream beta_gateway(FakeFlavor::kOpenAI);
  const auto alpha_token = tenant_with_cell("alpha", "running", gateway_.base_url());
  const auto beta_token = tenant_with_cell("beta", "running", beta_gateway.base_url());
  ASSERT_NE(alpha_token, beta_token);
  ASSERT_EQ(ask("beta", {{"message", "for beta"}}).status, 200U);
  EXPECT_EQ(gateway_.request_count(), 0U) << "alpha's gateway saw nothing";
  ASSERT_EQ(beta_gateway.request_count(), 1U);
  EXPECT_EQ(beta_gateway.requests().front().headers.at("authorization"), "Bearer " + beta_token);
  EXPECT_EQ(audits("beta").size(), 1U);
  EXPECT_TRUE(audits("alpha").empty());
}

TEST_P(AgentMessageTest, BadInputIsRefusedBeforeAnythingIsSent) {
  tenant_with_cell("alpha", "running", gateway_.base_url());
  EXPECT_EQ(ask("alpha", {}).error_field(), "message");
  EXPECT_EQ(ask("alpha", {{"message", " \n "}}).status, 422U);
  EXPECT_EQ(ask("alpha", {{"message", std::string(16 * 1024 + 1, 'x')}}).error_field(), "message");
  EXPECT_EQ(ask("alpha", {{"message", std::string(16 * 1024, 'x')}}).status, 200U) << "16 KiB is allowed";
  EXPECT_EQ(ask("alpha", {{"message", "hi"}, {"session", "a b"}}).error_field(), "session");
  EXPECT_EQ(ask("alpha", {{"message", "hi"}, {"session", std::string(129, 'a')}}).error_field(), "session");
  EXPECT_EQ(ask("alpha", {{"message", "hi"}, {"model", "x"}}).status, 422U);
  EXPECT_EQ(ask("alpha", {{"message", 42}}).status, 422U);
  EXPECT_EQ(server_->client().post("/v1/tenants/alpha/agent/messages", "not json").status, 400U);
  EXPECT_EQ(server_->client("wrong").post("/v1/tenants/alpha/agent/messages", R"({"message":"hi"})").status, 401U);
  EXPECT_EQ(gateway_.request_count(), 1U) << "only the one valid message";
}

INSTANTIATE_TEST_SUITE_P(Backends, AgentMessageTest, testing::kBackends, [](const auto& p) { return p.param; });

}  // namespace
}  // namespace winston
