// The whole of issue #4 as an operator runs it, over HTTP with every real
// part but the LLM vendor: create a dispensary, analyze its website (served
// on loopback, fetched by the real SSRF-guarded fetcher; the LLM call goes
// through Winston's own proxy as the system tenant to a fake Moonshot),
// generate its config, change and roll back. The SSRF guard stays on: only
// the site's own address is allowed.

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "support/fake_site.hpp"
#include "support/fake_upstream.hpp"
#include "support/test_server.hpp"

namespace winston {
namespace {
namespace json = boost::json;
using testing::FakeFlavor;
using testing::FakeRoute;
using testing::FakeSite;
using testing::FakeUpstream;

const std::string kHome = R"html(<!doctype html><html><head><title>Green Leaf Dispensary | Oakland</title>
<meta name="description" content="Adult-use cannabis in Oakland. 21+ with valid ID.">
<script type="application/ld+json">{"@context":"https://schema.org","@type":"Store","name":"Green Leaf Dispensary",
"telephone":"+1-510-555-0100","address":{"@type":"PostalAddress","streetAddress":"1 Broadway","addressLocality":"Oakland",
"addressRegion":"CA","postalCode":"94607","addressCountry":"US"},"openingHours":"Mo-Sa 09:00-21:00"}</script></head>
<body><h1>Green Leaf</h1><h2>Flower</h2><h2>Edibles</h2><p>Order online for in-store pickup.</p>
<a href="/about">About us</a></body></html>)html";

const std::string kAnswer = R"({"business_name":"Green Leaf Dispensary","industry":"cannabis dispensary",
"summary":"An adult-use dispensary in Oakland.","location":{"address":"1 Broadway","city":"Oakland","region":"CA","postal_code":"94607","country":"US"},
"phone":"+1-510-555-0100","hours":["Mon-Sat 9:00-21:00"],"products":["flower","edibles"],"services":["in-store pickup"],
"tone_of_voice":"calm and friendly","offers_online_ordering":true,
"compliance":{"minimum_age":21,"prohibited_claims":["health benefits"],"rules":["California: valid ID for every sale"]}})";

FakeRoute html(std::string body) {
  FakeRoute r;
  r.body = std::move(body);
  return r;
}

TEST(Onboarding, AnalyzeThenGenerateGivesADispensaryItsConfigWithHistory) {
  testing::TestDatabase tdb("sqlite");
  FakeSite site("127.0.0.2");
  site.route("/", html(kHome));
  site.route("/about", html("<html><body><h1>About</h1><p>Family owned since 2018.</p></body></html>"));
  FakeUpstream moonshot(FakeFlavor::kOpenAI);
  testing::FakeBehavior b;
  b.text = kAnswer;
  moonshot.set_behavior(b);
  testing::TestServer server(tdb, std::chrono::seconds(30), [&](app::Config& c) {
    c.catalog = Catalog({{"moonshot", WireApi::kOpenAIChat, moonshot.base_url() + "/v1", "MOONSHOT_API_KEY"}},
                        {Catalog::defaults().models().front()});  // kimi-k2.5
    c.provider_keys = {{"moonshot", "sk-provider"}};
    c.analyzer_allow_networks = {"127.0.0.2/32"};  // the guard stays on for everything else
  });
  auto admin = server.client();
  const json::object tenant = {{"name", "Green Leaf Dispensary"}, {"email", "owner@greenleaf.example.com"},
                               {"website_url", site.url("/")}, {"industry", "cannabis dispensary"}, {"tier", "starter"}};
  ASSERT_EQ(admin.post("/v1/tenants", json::serialize(tenant)).status, 201U);

  auto analyzed = admin.post("/v1/tenants/green-leaf-dispensary/analyze", "");
  ASSERT_EQ(analyzed.status, 201U) << analyzed.body;
  EXPECT_EQ(analyzed.json().at("source"), "llm") << analyzed.body;
  EXPECT_EQ(analyzed.json().at("version").as_int64(), 1);
  EXPECT_EQ(site.hits("/about"), 1U) << "the about page was crawled too";
  ASSERT_EQ(moonshot.request_count(), 1U);
  const std::string prompt = moonshot.requests().front().body;
  EXPECT_NE(prompt.find("1 Broadway"), std::string::npos) << "JSON-LD facts reach the model";
  EXPECT_GE(tdb.count("credit_usage", "tenant_id = '" + std::string(kSystemTenantId) + "'"), 1)
      << "charged to the system tenant";

  auto v1 = admin.post("/v1/tenants/green-leaf-dispensary/configs", R"({"reason":"onboarding"})");
  ASSERT_EQ(v1.status, 201U) << v1.body;
  auto files = admin.get("/v1/tenants/green-leaf-dispensary/configs/1").json().at("files").as_object();
  const std::string user(files.at("workspace/USER.md").as_string());
  EXPECT_NE(user.find("Mon-Sat 9:00-21:00"), std::string::npos) << user;
  EXPECT_NE(user.find("+1-510-555-0100"), std::string::npos);
  const std::string agents(files.at("workspace/AGENTS.md").as_string());
  EXPECT_NE(agents.find("California: valid ID for every sale"), std::string::npos);
  EXPECT_NE(agents.find("delivery"), std::string::npos) << "no delivery is offered, so none may be promised";
  EXPECT_NE(std::string(files.at("workspace/IDENTITY.md").as_string()).find("- **Name:** Green Leaf Dispensary Assistant"),
            std::string::npos);

  // A second analysis with a changed answer is a new profile version and a new config version.
  b.text = std::string(kAnswer).replace(kAnswer.find("calm and friendly"), 17, "upbeat");
  moonshot.set_behavior(b);
  ASSERT_EQ(admin.post("/v1/tenants/green-leaf-dispensary/analyze", "").json().at("version").as_int64(), 2);
  ASSERT_EQ(admin.post("/v1/tenants/green-leaf-dispensary/configs", "").json().at("version").as_int64(), 2);
  auto diff = admin.get("/v1/tenants/green-leaf-dispensary/configs/1/diff/2");
  ASSERT_EQ(diff.status, 200U);
  EXPECT_NE(diff.body.find("upbeat"), std::string::npos);
  ASSERT_EQ(admin.post("/v1/tenants/green-leaf-dispensary/configs/1/rollback", "").status, 201U);
  EXPECT_EQ(admin.get("/v1/tenants/green-leaf-dispensary/configs").json().at("total").as_int64(), 3);
  EXPECT_EQ(admin.get("/v1/tenants/green-leaf-dispensary/profiles").json().at("data").as_array().size(), 2U);
}

TEST(Onboarding, AnalyzeRefusesAPrivateWebsiteWithTheGuardOn) {
  testing::TestDatabase tdb("sqlite");
  FakeSite site("127.0.0.2");
  site.route("/", html(kHome));
  testing::TestServer server(tdb);  // default configuration: no private addresses
  auto admin = server.client();
  const json::object tenant = {{"name", "Inside Job"}, {"email", "x@inside.example.com"}, {"website_url", site.url("/")}};
  ASSERT_EQ(admin.post("/v1/tenants", json::serialize(tenant)).status, 201U);
  auto r = admin.post("/v1/tenants/inside-job/analyze", "");
  EXPECT_EQ(r.status, 422U) << r.body;
  EXPECT_EQ(r.error_field(), "website_url");
  EXPECT_NE(r.error_message().find("127.0.0.2"), std::string::npos) << r.body;
  EXPECT_EQ(site.requests().size(), 0U) << "nothing was sent to the refused address";
  EXPECT_EQ(tdb.count("business_profiles"), 0);
}

}  // namespace
}  // namespace winston
