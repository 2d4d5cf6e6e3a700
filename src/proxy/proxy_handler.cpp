#include "proxy/proxy_handler.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/json.hpp>
#include <fmt/format.h>

#include "http/awaitable.hpp"
#include "core/ids.hpp"
#include "http/blocking.hpp"
#include "core/log.hpp"

namespace winston::proxy {
namespace net = boost::asio;
namespace json = boost::json;
namespace {

using http::kTuple;
using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

std::string credits_text(MilliCredits mc) {
  const auto sign = mc < 0 ? "-" : "";
  const auto a = mc < 0 ? -mc : mc;
  return fmt::format("{}{}.{:03}", sign, a / 1000, a % 1000);
}

// The id that makes a retry recognisable: the SDKs' Idempotency-Key, else the
// client's X-Request-Id, else a fresh one.
std::string request_id_of(const http::Request& req) {
  for (auto name : {"Idempotency-Key", "X-Request-Id"}) {
    const auto v = req[name];
    if (!v.empty() && v.size() <= 200 && is_clean_utf8(v, false)) return std::string(v);
  }
  return new_uuid_v7(SystemClock().now_ms());
}

}  // namespace

/// What one LLM call carries from step to step.
struct ProxyHandler::Call {
  WireApi api;
  std::string request_id;
  services::KeyIdentity who;
  LlmRequest request;
  const ModelEntry* entry = nullptr;
  const Provider* provider = nullptr;
  http::UpstreamEndpoint endpoint;
  services::Reservation reservation;
  Clock::time_point started = Clock::now();
  double upstream_seconds = 0;  // from sending to the end of the upstream's response
  std::optional<std::int64_t> ttfb_ms;
  std::size_t body_bytes = 0;
};

ProxyHandler::ProxyHandler(net::thread_pool& pool, const Catalog& catalog,
                           std::map<std::string, std::string> provider_keys, services::KeyService& keys,
                           services::MeteringService& metering, http::UpstreamClient& upstream, ProxyMetrics& metrics,
                           http::RoutedHandler& system_routes, ProxyOptions options)
    : pool_(pool),
      catalog_(catalog),
      provider_keys_(std::move(provider_keys)),
      keys_(keys),
      metering_(metering),
      upstream_(upstream),
      metrics_(metrics),
      system_(system_routes),
      options_(std::move(options)) {
  for (const auto& p : catalog_.providers()) {
    auto endpoint = http::UpstreamEndpoint::parse(p.base_url);
    // Its models answer 503 until configured; say so once, at start-up. A
    // missing key is a normal state (a deployment need not use every
    // provider), a malformed base URL is a configuration error.
    if (!endpoint.ok()) {
      log::error("proxy.provider_unconfigured", {{"provider", p.id}, {"reason", endpoint.error().message}});
    } else if (!provider_keys_.contains(p.id)) {
      log::warn("proxy.provider_unconfigured",
                {{"provider", p.id}, {"set", p.api_key_env}, {"reason", "no API key in the environment"}});
    } else {
      endpoints_.emplace(p.id, std::move(endpoint).value());
    }
  }
}

net::awaitable<void> ProxyHandler::serve(http::Exchange& ex) {
  const std::string_view target = ex.request.target();
  const auto path = target.substr(0, target.find('?'));
  const auto method = ex.request.method();
  if (path == "/v1/messages" && method == bhttp::verb::post) {
    co_await handle_llm(ex, WireApi::kAnthropicMessages);
  } else if (path == "/v1/chat/completions" && method == bhttp::verb::post) {
    co_await handle_llm(ex, WireApi::kOpenAIChat);
  } else if (path == "/v1/models" && method == bhttp::verb::get) {
    co_await handle_models(ex);
  } else {
    co_await system_.serve(ex);
  }
}

net::awaitable<void> ProxyHandler::write(http::Exchange& ex, http::Response res) {
  res.keep_alive(ex.keep_alive && ex.request.keep_alive());
  ex.keep_alive = res.keep_alive();
  res.prepare_payload();
  ex.stream.expires_after(options_.write_timeout);
  auto [ec, n] = co_await bhttp::async_write(ex.stream, res, kTuple);
  if (ec) ex.keep_alive = false;
}

net::awaitable<void> ProxyHandler::reply_error(http::Exchange& ex, WireApi api, ErrorCode code,
                                               std::string_view message, const std::string& request_id) {
  const unsigned status = wire_status(api, code);
  http::Response res{static_cast<bhttp::status>(status), ex.request.version()};
  res.set(bhttp::field::content_type, "application/json");
  res.set("X-Winston-Request-Id", request_id);
  res.body() = error_body(api, status, message);
  if (status == 402) metrics_.payment_required();
  co_await write(ex, std::move(res));
}

net::awaitable<std::optional<services::KeyIdentity>> ProxyHandler::authenticate(http::Exchange& ex, WireApi api,
                                                                                const std::string& request_id) {
  const auto key = http::presented_key(ex.request);
  if (key.empty()) {
    co_await reply_error(ex, api, ErrorCode::kUnauthenticated, "missing API key: send x-api-key or Authorization: Bearer",
                         request_id);
    co_return std::nullopt;
  }
  const auto lookup = [this, key] { return keys_.authenticate(key); };
  auto who_result = co_await http::run_blocking(pool_, lookup);
  auto& who = *who_result;
  if (!who.ok()) {
    co_await reply_error(ex, api, who.error().code, who.error().message, request_id);
    co_return std::nullopt;
  }
  co_return std::move(who).value();
}

net::awaitable<void> ProxyHandler::handle_models(http::Exchange& ex) {
  const auto request_id = request_id_of(ex.request);
  auto who = co_await authenticate(ex, WireApi::kOpenAIChat, request_id);
  if (!who) co_return;
  json::array data;
  for (const auto& m : catalog_.models()) {
    if (!who->may_use(m)) continue;
    json::object o{{"id", m.id}, {"object", "model"}, {"created", 0}, {"owned_by", m.provider},
                   {"context_window", m.context_window}, {"max_output_tokens", m.max_output_tokens},
                   {"credit_multiplier", static_cast<double>(m.multiplier_milli) / 1000.0}};
    if (m.retires_on) o["retires_on"] = *m.retires_on;
    if (m.replacement) o["replacement"] = *m.replacement;
    data.push_back(std::move(o));
  }
  http::Response res{bhttp::status::ok, ex.request.version()};
  res.set(bhttp::field::content_type, "application/json");
  res.body() = json::serialize(json::object{{"object", "list"}, {"data", std::move(data)}});
  co_await write(ex, std::move(res));
}

bhttp::request<bhttp::string_body> ProxyHandler::upstream_request(const Call& call, const http::Request& client) const {
  const bool anthropic = call.api == WireApi::kAnthropicMessages;
  bhttp::request<bhttp::string_body> req{
      bhttp::verb::post, call.endpoint.base_path + (anthropic ? "/v1/messages" : "/chat/completions"), 11};
  req.set(bhttp::field::content_type, "application/json");
  req.set(bhttp::field::accept, call.request.stream ? "text/event-stream" : "application/json");
  req.set(bhttp::field::user_agent, "winston-proxy");
  const auto key_it = provider_keys_.find(call.provider->id);
  const std::string key = key_it == provider_keys_.end() ? "" : key_it->second;
  if (anthropic) {
    if (!key.empty()) req.set("x-api-key", key);
    const auto version = client["anthropic-version"];
    req.set("anthropic-version", version.empty() ? options_.anthropic_version : std::string(version));
    if (auto beta = client["anthropic-beta"]; !beta.empty()) req.set("anthropic-beta", beta);
  } else {
    if (!key.empty()) req.set(bhttp::field::authorization, "Bearer " + key);
  }
  req.body() = upstream_body(call.request, call.entry->upstream_model);
  return req;
}

Status ProxyHandler::admit(Call& call, std::string_view body) {
  auto parsed = parse_request(call.api, body);
  if (!parsed.ok()) return parsed.error();
  call.request = std::move(parsed).value();
  call.entry = catalog_.find(call.request.model);
  if (call.entry == nullptr) {
    return Error{.code = ErrorCode::kNotFound,
                 .message = fmt::format(
                     "model '{}' is not in this deployment's catalog; GET /v1/models lists the models you can use",
                     call.request.model)};
  }
  if (!call.who.may_use(*call.entry)) {
    // Before the API check, the reservation and any upstream byte: a model
    // the tier is not offered is refused the same way on either API.
    metrics_.tier_refused(call.who.tier, call.entry->id);
    return Error{.code = ErrorCode::kForbidden,
                 .message = fmt::format(
                     "model '{}' is not offered to the '{}' tier; GET /v1/models lists the models your tier can use",
                     call.entry->id, call.who.tier)};
  }
  call.provider = catalog_.provider(call.entry->provider);
  if (call.provider->api != call.api) {
    const bool anthropic = call.provider->api == WireApi::kAnthropicMessages;
    return Error::invalid("model", fmt::format("model '{}' is served over the {} API: send it to POST {}",
                                               call.entry->id,
                                               anthropic ? "Anthropic Messages" : "OpenAI Chat Completions",
                                               anthropic ? "/v1/messages" : "/v1/chat/completions"));
  }
  return {};
}

net::awaitable<Status> ProxyHandler::reserve(Call& call) {
  const auto max_out =
      call.request.max_output_tokens > 0 ? call.request.max_output_tokens : call.entry->max_output_tokens;
  const services::ReserveRequest rr{
      .tenant_id = call.who.tenant_id,
      .api_key_id = call.who.key_id,
      .request_id = call.request_id,
      .model = call.entry->id,
      .estimate_mc = reservation_estimate(call.body_bytes, max_out, call.entry->multiplier_milli,
                                          metering_.tokens_per_credit())};
  const auto reserve = [this, rr] { return metering_.reserve(rr); };
  auto reserve_result = co_await http::run_blocking(pool_, reserve);
  auto& reservation = *reserve_result;
  if (!reservation.ok()) co_return reservation.error();
  call.reservation = std::move(reservation).value();
  // Looked up after the reservation: a tenant with nothing left hears 402 whatever
  // the deployment's provider keys; an unconfigured provider then releases the hold.
  const auto endpoint = endpoints_.find(call.provider->id);
  if (endpoint == endpoints_.end()) {
    auto released = co_await settle(call, {}, "upstream_error", std::nullopt);
    (void)released;
    co_return Error{.code = ErrorCode::kUnavailable,
                    .message = "the provider of this model is not configured on this deployment"};
  }
  call.endpoint = endpoint->second;
  co_return Status{};
}

net::awaitable<void> ProxyHandler::handle_llm(http::Exchange& ex, WireApi api) {
  Call call;
  call.api = api;
  call.request_id = request_id_of(ex.request);
  call.body_bytes = ex.request.body().size();
  auto who = co_await authenticate(ex, api, call.request_id);
  if (!who) co_return;
  call.who = std::move(*who);
  Status admitted = admit(call, ex.request.body());
  if (admitted.ok()) admitted = co_await reserve(call);
  if (!admitted.ok()) {
    co_await reply_error(ex, api, admitted.error().code, admitted.error().message, call.request_id);
    co_return;
  }

  const auto sent = Clock::now();
  auto outgoing = upstream_request(call, ex.request);
  auto resp = co_await upstream_.send(call.endpoint, std::move(outgoing));
  call.ttfb_ms = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - sent).count();
  metrics_.upstream_latency(seconds_since(sent));
  if (!resp.ok()) {
    call.upstream_seconds = seconds_since(sent);
    auto settled = co_await settle(call, {}, "upstream_error", std::nullopt);
    (void)settled;
    // No answer in time is the gateway timeout; every other failure to get one a bad gateway.
    const ErrorCode code =
        resp.error().code == ErrorCode::kGatewayTimeout ? ErrorCode::kGatewayTimeout : ErrorCode::kBadGateway;
    const auto message = "the model provider could not be reached: " + resp.error().message;
    co_await reply_error(ex, api, code, message, call.request_id);
    co_return;
  }
  if ((*resp)->status() == 200 && call.request.stream) {
    co_await relay_stream(ex, call, **resp);
  } else {
    co_await relay_whole(ex, call, **resp);
  }
}

net::awaitable<Result<services::Settlement>> ProxyHandler::settle(Call& call, TokenUsage tokens,
                                                                  std::string_view status,
                                                                  std::optional<unsigned> upstream_status) {
  services::UsageReport u;
  u.provider = call.provider->id;
  u.tokens = tokens;
  u.multiplier_milli = call.entry->multiplier_milli;
  u.status = std::string(status);
  if (upstream_status) u.upstream_status = *upstream_status;
  u.latency_ms = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - call.started).count();
  u.ttfb_ms = call.ttfb_ms;
  const auto reservation = call.reservation;
  const auto settle_fn = [this, reservation, u] { return metering_.settle(reservation, u); };
  auto settle_result = co_await http::run_blocking(pool_, settle_fn);
  auto& s = *settle_result;
  if (!s.ok()) {
    // The reservation stays open and is resolved by recovery; never lose the request silently.
    log::error("proxy.settle_failed", {{"request_id", call.request_id}, {"tenant_id", call.who.tenant_id},
                                       {"error", s.error().message}});
  } else {
    metrics_.usage(call.entry->id, tokens, s->charged_mc);
  }
  metrics_.overhead(std::max(0.0, seconds_since(call.started) - call.upstream_seconds));
  log::info("proxy.request", {{"request_id", call.request_id},
                              {"tenant_id", call.who.tenant_id},
                              {"model", call.entry->id},
                              {"provider", call.provider->id},
                              {"stream", call.request.stream},
                              {"status", status},
                              {"upstream_status", upstream_status ? json::value(*upstream_status) : json::value(nullptr)},
                              {"input_tokens", tokens.input},
                              {"output_tokens", tokens.output},
                              {"charged_mc", s.ok() ? s->charged_mc : 0},
                              {"duration_ms", seconds_since(call.started) * 1000.0}});
  co_return std::move(s);
}

void ProxyHandler::add_credit_headers(http::Response& res, const Call& call, const services::Settlement* s) const {
  res.set("X-Winston-Request-Id", call.request_id);
  if (call.reservation.unlimited) {
    res.set("X-Winston-Credits-Remaining", "unlimited");
    return;
  }
  const MilliCredits remaining = s ? s->available_mc : call.reservation.available_before_mc;
  res.set("X-Winston-Credits-Remaining", credits_text(remaining));
  const bool low = s ? s->low : is_low_balance(remaining, call.reservation.allotment_mc);
  if (low) res.set("X-Winston-Credits-Warning", "low");
  if (s) res.set("X-Winston-Credits-Charged", credits_text(s->charged_mc));
}

net::awaitable<void> ProxyHandler::relay_whole(http::Exchange& ex, Call& call, http::UpstreamResponse& resp) {
  const unsigned status = resp.status();
  const auto sent = Clock::now() - std::chrono::milliseconds(call.ttfb_ms.value_or(0));
  auto body = co_await resp.read_all(options_.max_response_bytes);
  call.upstream_seconds = seconds_since(sent);
  if (!body.ok()) {
    auto settled = co_await settle(call, {}, "upstream_error", status);
    (void)settled;
    co_await reply_error(ex, call.api, ErrorCode::kBadGateway, body.error().message, call.request_id);
    co_return;
  }
  TokenUsage tokens;
  if (status == 200) {
    boost::system::error_code ec;
    const auto doc = json::parse(*body, ec);
    if (!ec) tokens = usage_from_body(call.api, doc);
  }
  auto s = co_await settle(call, tokens, status == 200 ? "ok" : "upstream_error", status);
  metrics_.request(call.entry->id, call.provider->id, status);
  http::Response res{static_cast<bhttp::status>(status), ex.request.version()};
  const auto ct = resp.headers()[bhttp::field::content_type];
  res.set(bhttp::field::content_type, ct.empty() ? std::string("application/json") : std::string(ct));
  for (auto h : {"request-id", "x-request-id", "retry-after"}) {
    if (auto v = resp.headers()[h]; !v.empty()) res.set(h, v);
  }
  add_credit_headers(res, call, s.ok() ? &*s : nullptr);
  res.body() = std::move(body).value();
  co_await write(ex, std::move(res));
}

net::awaitable<bool> ProxyHandler::write_stream_head(http::Exchange& ex, const Call& call,
                                                     http::UpstreamResponse& resp) {
  bhttp::response<bhttp::empty_body> head{bhttp::status::ok, ex.request.version()};
  head.set(bhttp::field::content_type, "text/event-stream; charset=utf-8");
  head.set(bhttp::field::cache_control, "no-cache");
  for (auto h : {"request-id", "x-request-id"}) {
    if (auto v = resp.headers()[h]; !v.empty()) head.set(h, v);
  }
  {
    http::Response tmp;
    add_credit_headers(tmp, call, nullptr);
    for (const auto& f : tmp) head.set(f.name_string(), f.value());
  }
  head.chunked(true);
  head.keep_alive(ex.request.keep_alive());
  bhttp::response_serializer<bhttp::empty_body> sr{head};
  ex.stream.expires_after(options_.write_timeout);
  auto [ec, n] = co_await bhttp::async_write_header(ex.stream, sr, kTuple);
  co_return !ec;
}

net::awaitable<std::string> ProxyHandler::pump_stream(http::Exchange& ex, StreamMeter& meter,
                                                      http::UpstreamResponse& resp) {
  std::string status = "ok";
  std::string out;
  for (;;) {
    out.clear();
    auto piece = co_await resp.read_some();
    if (!piece.ok()) {
      out = meter.error_event("the model provider's stream broke off: " + piece.error().message);
      status = "truncated";
    } else if (piece->empty() && resp.done()) {
      if (!meter.complete() && !meter.upstream_error()) {
        out = meter.error_event("the model provider's stream ended before it was complete");
        status = "truncated";
      }
    } else if (!meter.feed(*piece, out)) {
      out += meter.error_event("the model provider sent a malformed stream");
      status = "malformed";
      resp.abort();
    }
    if (!out.empty()) {
      ex.stream.expires_after(options_.write_timeout);
      const auto chunk = bhttp::make_chunk(net::buffer(out));
      auto [wec, wn] = co_await net::async_write(ex.stream, chunk, kTuple);
      if (wec) co_return "cancelled";
    }
    if (status != "ok" || resp.done()) co_return status;
  }
}

namespace {

// What a stream is charged: what the provider reported; where it never reported
// output, at least an estimate from the text relayed.
TokenUsage stream_tokens(const StreamMeter& meter, std::size_t body_bytes) {
  TokenUsage tokens = meter.usage();
  if (!meter.complete() || !meter.saw_usage()) {
    tokens.output = std::max(tokens.output, estimate_tokens(meter.text_bytes()));
    if (!meter.saw_usage()) tokens.input = estimate_tokens(body_bytes);
  }
  return tokens;
}

}  // namespace

net::awaitable<void> ProxyHandler::relay_stream(http::Exchange& ex, Call& call, http::UpstreamResponse& resp) {
  const auto sent = Clock::now() - std::chrono::milliseconds(call.ttfb_ms.value_or(0));
  metrics_.stream_opened();
  StreamMeter meter(call.api, call.api == WireApi::kOpenAIChat && !call.request.client_wants_usage);
  const bool head_written = co_await write_stream_head(ex, call, resp);
  // Not `cond ? co_await … : …`: GCC 12 frees that temporary twice in a coroutine.
  std::string status = "cancelled";
  if (head_written) status = co_await pump_stream(ex, meter, resp);
  if (status == "cancelled") {
    resp.abort();  // closing the upstream connection stops the generation
    ex.keep_alive = false;
  } else {
    ex.stream.expires_after(options_.write_timeout);
    const auto last = bhttp::make_chunk_last();
    auto [lec, ln] = co_await net::async_write(ex.stream, last, kTuple);
    if (lec) ex.keep_alive = false;
  }
  call.upstream_seconds = seconds_since(sent);
  if (meter.upstream_error() && status == "ok") status = "upstream_error";
  auto settled = co_await settle(call, stream_tokens(meter, call.body_bytes), status, 200);
  (void)settled;
  metrics_.request(call.entry->id, call.provider->id, 200);
  metrics_.stream_closed();
}

}  // namespace winston::proxy
