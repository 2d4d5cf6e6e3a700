#pragma once
// `winston smoke`: the seed POC's acceptance run as a command an operator
// points at any live deployment. It is a client of the admin API and the LLM
// proxy only (no database access): it creates a throw-away tenant, checks the
// POC's nineteen points one by one, prints a table and deletes the tenant.

#include <chrono>
#include <iosfwd>
#include <set>
#include <string>

namespace winston::app {

struct SmokeOptions {
  std::string api_url;    // e.g. http://127.0.0.1:8080
  std::string proxy_url;  // e.g. http://127.0.0.1:8081
  std::string admin_token;
  bool with_llm = false;  // run the checks that call a real model (they cost money on a real provider)
  std::set<std::string> skip;  // check names not to run (reported as SKIP)
  std::string website = "https://example.com";
  std::string kimi_model = "kimi-k2.5";
  std::string sonnet_model = "claude-sonnet-4-6";
  std::string opus_model = "claude-opus-4-6";
  std::string paid_tier = "pro";  // a tier that is offered every model above
  std::chrono::seconds cell_timeout{300};
  std::chrono::seconds call_timeout{120};
};

/// The names of the checks, in the order they run.
const std::set<std::string>& smoke_check_names();

/// Runs every check, writes the table to `out`; 0 when none failed, 1 otherwise.
int run_smoke(const SmokeOptions& options, std::ostream& out);

}  // namespace winston::app
