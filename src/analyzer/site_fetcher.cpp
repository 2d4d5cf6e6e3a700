#include "analyzer/site_fetcher.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/url/parse.hpp>
#include <boost/url/url.hpp>

#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <thread>
#include <variant>

#include "analyzer/charset.hpp"
#include "core/log.hpp"
#include "core/text.hpp"
#include "http/awaitable.hpp"

namespace winston::analyzer {
namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace urls = boost::urls;
namespace ip = net::ip;
using tcp = ip::tcp;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

namespace {

using ::winston::http::kTuple;
constexpr std::uint32_t kHeaderLimit = 64 * 1024;
constexpr std::size_t kReadChunk = 16 * 1024;
constexpr std::size_t kMaxShownUrl = 200;
constexpr std::size_t kBinarySniffBytes = 4096;
constexpr milliseconds kRunGrace{500};  // past the deadline before the io_context is abandoned
constexpr std::string_view kField = "website_url";

/// A URL as quoted in a message: bounded, valid UTF-8.
std::string shown(std::string_view url) {
  std::string s = to_utf8(utf8_prefix(url, kMaxShownUrl), "utf-8");
  if (url.size() > kMaxShownUrl) s += "...";
  return s;
}

std::string ms_text(milliseconds d) { return std::to_string(d.count()) + " ms"; }

Error refused(std::string_view context, std::string_view why) {
  return Error::invalid(std::string(kField), std::string(context) + " refused: " + std::string(why));
}

/// The deadline of one page: its own timeout or the crawl's, whichever ends first.
struct Deadline {
  Clock::time_point at;
  std::string label;  // "page timeout 20000 ms", for messages
  milliseconds left() const { return std::chrono::duration_cast<milliseconds>(at - Clock::now()); }
};

// ---- URL rules -----------------------------------------------------------

/// A URL that passed the scheme, credential, host and port rules.
struct Target {
  std::string url;      // as fetched, without fragment
  std::string context;  // "http://x/" or "redirect to http://x/", opening messages
  bool tls = false;
  std::string host;     // lowercase DNS name, or the IP literal without brackets
  std::optional<ip::address> literal;
  std::uint16_t port = 0;
  std::string request_target;  // path and query
  std::string host_header;
};

bool valid_host_name(std::string_view h) {
  return !h.empty() && h.size() <= 253 && std::all_of(h.begin(), h.end(), [](unsigned char c) {
    return std::isalnum(c) != 0 || c == '-' || c == '.' || c == '_';
  });
}

Status read_host(const urls::url_view& u, Target& t) {
  switch (u.host_type()) {
    case urls::host_type::ipv4:
      t.literal = ip::address(ip::address_v4(u.host_ipv4_address().to_bytes()));
      break;
    case urls::host_type::ipv6:
      t.literal = ip::address(ip::address_v6(u.host_ipv6_address().to_bytes()));
      break;
    case urls::host_type::name:
      t.host = to_lower(u.host());
      if (t.host.ends_with('.')) t.host.pop_back();  // "example.com." is example.com
      if (!valid_host_name(t.host)) {
        return refused(t.context, "'" + shown(t.host) +
                                      "' is not a valid host name (international names must be given in their "
                                      "xn-- form)");
      }
      return ok_status();
    default:
      return refused(t.context, "the URL has no usable host");
  }
  t.host = t.literal->to_string();
  return ok_status();
}

Result<Target> vet_url(std::string_view text, bool redirect) {
  Target t;
  t.context = redirect ? "redirect to " + shown(text) : shown(text);
  auto parsed = urls::parse_uri(text);
  if (!parsed) return refused(t.context, "it is not an absolute URL such as https://example.com/");
  const urls::url_view u = *parsed;
  if (u.scheme_id() != urls::scheme::http && u.scheme_id() != urls::scheme::https) {
    return refused(t.context, "only http and https URLs are fetched, not " + shown(u.scheme()) + ":");
  }
  if (u.has_userinfo()) return refused(t.context, "URLs with a user name or password are not fetched");
  t.tls = u.scheme_id() == urls::scheme::https;
  if (auto s = read_host(u, t); !s.ok()) return s.error();
  t.port = t.tls ? 443 : 80;
  if (u.has_port() && !u.port().empty()) {
    t.port = u.port_number();
    if (t.port == 0) return refused(t.context, "port " + shown(u.port()) + " is not a valid port");
  }
  t.request_target = u.encoded_path().empty() ? "/" : std::string(u.encoded_path());
  if (u.has_query()) t.request_target += "?" + std::string(u.encoded_query());
  t.host_header = std::string(u.encoded_host_and_port());
  urls::url copy(u);
  copy.remove_fragment();
  t.url = std::string(copy.buffer());
  return t;
}

/// The absolute URL a Location header points to.
Result<std::string> follow(const Target& from, std::string_view location) {
  const std::string_view loc = trim(location);
  auto ref = urls::parse_uri_reference(loc);
  const auto base = urls::parse_uri(from.url);
  urls::url dest;
  if (!ref || !base || !urls::resolve(*base, *ref, dest)) {
    return refused(from.context, "it redirects to '" + shown(loc) + "', which is not a valid URL");
  }
  dest.remove_fragment();
  return std::string(dest.buffer());
}

// ---- name resolution -----------------------------------------------------

Result<std::vector<ip::address>> lookup(const std::string& host) {
  net::io_context ioc;
  tcp::resolver resolver(ioc);
  boost::system::error_code ec;
  const auto results = resolver.resolve(host, "80", tcp::resolver::numeric_service, ec);
  if (ec) return Error::unavailable("cannot resolve " + host + ": " + ec.message());
  std::vector<ip::address> out;
  for (const auto& entry : results) {
    const ip::address a = entry.endpoint().address();
    if (std::find(out.begin(), out.end(), a) == out.end()) out.push_back(a);
  }
  return out;
}

/// Resolves and vets a target's host: only the addresses the guard allows
/// remain, and none left is a refusal naming the first refused address.
Result<std::vector<ip::address>> vetted_addresses(const Target& t, const AddressGuard& guard,
                                                  const std::function<Result<std::vector<ip::address>>()>& resolve) {
  std::vector<ip::address> all;
  if (t.literal) {
    all.push_back(*t.literal);
  } else {
    auto r = resolve();
    if (!r.ok()) return Error{r.error().code, t.context + ": " + r.error().message, r.error().field};
    all = std::move(r).value();
  }
  if (all.empty()) return Error::unavailable(t.context + ": " + t.host + " has no addresses");
  std::vector<ip::address> allowed;
  std::optional<std::string> first_refusal;
  for (const auto& a : all) {
    if (auto why = guard.refusal(a)) {
      if (!first_refusal) first_refusal = std::move(why);
    } else {
      allowed.push_back(a);
    }
  }
  if (!allowed.empty()) return allowed;
  if (t.literal) return refused(t.context, *first_refusal);
  return refused(t.context, t.host + " resolves to a refused address: " + *first_refusal);
}

// ---- one request ---------------------------------------------------------

/// A plain or TLS connection.
class Connection {
 public:
  using Plain = beast::tcp_stream;
  using Tls = beast::ssl_stream<beast::tcp_stream>;

  explicit Connection(const net::any_io_executor& ex) : stream_(std::in_place_index<0>, ex) {}
  Connection(const net::any_io_executor& ex, net::ssl::context& ctx) : stream_(std::in_place_index<1>, ex, ctx) {}

  beast::tcp_stream& lowest() {
    return std::visit([](auto& s) -> beast::tcp_stream& { return beast::get_lowest_layer(s); }, stream_);
  }
  Tls* tls() { return std::get_if<1>(&stream_); }
  net::awaitable<std::tuple<beast::error_code, std::size_t>> write(http::request<http::empty_body>& req) {
    return std::visit([&](auto& s) { return http::async_write(s, req, kTuple); }, stream_);
  }
  net::awaitable<std::tuple<beast::error_code, std::size_t>> read_header(
      http::response_parser<http::buffer_body>& p) {
    return std::visit([&](auto& s) { return http::async_read_header(s, buffer_, p, kTuple); }, stream_);
  }
  net::awaitable<std::tuple<beast::error_code, std::size_t>> read_some(http::response_parser<http::buffer_body>& p) {
    return std::visit([&](auto& s) { return http::async_read_some(s, buffer_, p, kTuple); }, stream_);
  }
  void close() {
    beast::error_code ec;
    lowest().socket().shutdown(tcp::socket::shutdown_both, ec);
    lowest().socket().close(ec);
  }

 private:
  std::variant<Plain, Tls> stream_;
  beast::flat_buffer buffer_;
};

/// What one request returned: a redirect or a page body.
struct HopResult {
  unsigned status = 0;
  std::string location;  // set for redirects
  std::string body;
  std::string media_type, charset;
  bool truncated = false;
};

bool is_redirect(unsigned s) { return s == 301 || s == 302 || s == 303 || s == 307 || s == 308; }

/// A status that ends the fetch, or nothing for 2xx and followable redirects.
std::optional<Error> status_error(const Target& t, unsigned status, std::string_view reason, bool has_location) {
  const std::string answered = t.context + " answered HTTP " + std::to_string(status) +
                               (reason.empty() ? "" : " " + shown(reason));
  if (status >= 200 && status < 300) return std::nullopt;
  if (is_redirect(status)) {
    if (has_location) return std::nullopt;
    return Error::invalid(std::string(kField), answered + " without a Location to follow");
  }
  if (status >= 500 || status == 408 || status == 425 || status == 429) return Error::unavailable(answered);
  return Error::invalid(std::string(kField), answered);
}

/// Parameter `name` of a header value such as "text/html; charset=utf-8".
std::string header_param(std::string_view value, std::string_view name) {
  const std::string v = to_lower(value);
  for (auto pos = v.find(';'); pos != std::string::npos; pos = v.find(';', pos + 1)) {
    std::string_view param = trim(std::string_view(v).substr(pos + 1));
    param = param.substr(0, param.find(';'));
    if (param.substr(0, name.size() + 1) == std::string(name) + "=") {
      std::string_view val = trim(param.substr(name.size() + 1));
      if (val.size() >= 2 && val.front() == '"' && val.back() == '"') val = val.substr(1, val.size() - 2);
      return std::string(val);
    }
  }
  return {};
}

/// Runs one request (connect, TLS, write, read) on a private io_context.
class HopRunner {
 public:
  HopRunner(const FetchOptions& o, const AddressGuard& g, net::ssl::context& tls, const Target& t,
            std::vector<ip::address> addrs, const Deadline& d)
      : o_(o), guard_(g), tls_(tls), t_(t), addrs_(std::move(addrs)), deadline_(d) {
    parser_.header_limit(kHeaderLimit);
    parser_.body_limit(boost::none);  // the body is bounded by max_page_bytes as it is read
  }
  ~HopRunner() {
    if (conn_) conn_->close();
  }
  HopRunner(const HopRunner&) = delete;
  HopRunner& operator=(const HopRunner&) = delete;

  Result<HopResult> run();

 private:
  net::awaitable<void> main(std::optional<Result<HopResult>>& out);
  net::awaitable<Status> connect();
  Status check_peer();
  net::awaitable<Status> handshake();
  net::awaitable<Result<HopResult>> exchange();
  Result<HopResult> head_result();
  net::awaitable<Status> read_body(HopResult& h);
  void arm(milliseconds op, std::string_view name);
  Error failure(const beast::error_code& ec, std::string_view doing) const;

  net::io_context ioc_;  // first: destroyed after everything bound to it
  const FetchOptions& o_;
  const AddressGuard& guard_;
  net::ssl::context& tls_;
  const Target& t_;
  std::vector<ip::address> addrs_;
  const Deadline& deadline_;
  std::unique_ptr<Connection> conn_;
  http::response_parser<http::buffer_body> parser_;
  std::array<char, kReadChunk> chunk_{};
  std::string limit_;  // the timeout the armed operation runs under, for messages
};

Result<HopResult> HopRunner::run() {
  std::optional<Result<HopResult>> out;
  std::exception_ptr failed;
  net::co_spawn(ioc_, main(out), [&failed](std::exception_ptr e) { failed = std::move(e); });
  ioc_.run_for(std::max(deadline_.left(), milliseconds{0}) + kRunGrace);
  if (out) return std::move(*out);
  if (failed) {
    try {
      std::rethrow_exception(failed);
    } catch (const std::exception& e) {
      return Error::internal(t_.context + ": fetching failed: " + e.what());
    }
  }
  return Error::unavailable(t_.context + ": timed out (" + deadline_.label + ")");
}

net::awaitable<void> HopRunner::main(std::optional<Result<HopResult>>& out) {
  const Status connected = co_await connect();
  if (!connected.ok()) {
    out.emplace(connected.error());
    co_return;
  }
  const Status secured = co_await handshake();
  if (!secured.ok()) {
    out.emplace(secured.error());
    co_return;
  }
  auto result = co_await exchange();
  conn_->close();
  out.emplace(std::move(result));
}

void HopRunner::arm(milliseconds op, std::string_view name) {
  const milliseconds left = deadline_.left();
  limit_ = left < op ? deadline_.label : std::string(name) + " " + ms_text(op);
  conn_->lowest().expires_after(std::max(milliseconds{1}, std::min(left, op)));
}

Error HopRunner::failure(const beast::error_code& ec, std::string_view doing) const {
  if (ec == beast::error::timeout) return Error::unavailable(t_.context + ": timed out " + std::string(doing) + " (" + limit_ + ")");
  return Error::unavailable(t_.context + ": " + std::string(doing) + " failed: " + ec.message());
}

/// Tries the vetted addresses in order; only these are ever connected to.
net::awaitable<Status> HopRunner::connect() {
  beast::error_code last;
  std::string last_peer;
  for (const auto& address : addrs_) {
    conn_ = t_.tls ? std::make_unique<Connection>(ioc_.get_executor(), tls_)
                   : std::make_unique<Connection>(ioc_.get_executor());
    const tcp::endpoint endpoint(address, t_.port);
    arm(o_.connect_timeout, "connect timeout");
    auto [ec] = co_await conn_->lowest().async_connect(endpoint, kTuple);
    if (!ec) co_return check_peer();
    last = ec;
    last_peer = (address.is_v6() ? "[" + address.to_string() + "]" : address.to_string()) + ":" + std::to_string(t_.port);
    conn_->close();
  }
  co_return failure(last, "connecting to " + last_peer);
}

/// The peer actually connected must pass the guard too (defence in depth:
/// nothing but vetted addresses is ever dialled).
Status HopRunner::check_peer() {
  beast::error_code ec;
  const auto peer = conn_->lowest().socket().remote_endpoint(ec);
  if (ec) return Error::unavailable(t_.context + ": the connection dropped at once: " + ec.message());
  if (auto why = guard_.refusal(peer.address())) return refused(t_.context, "connected to " + *why);
  return ok_status();
}

net::awaitable<Status> HopRunner::handshake() {
  Connection::Tls* tls = conn_->tls();
  if (tls == nullptr) co_return ok_status();
  SSL* ssl = tls->native_handle();
  // OpenSSL checks the name (or IP literal) against the certificate during
  // the handshake; SNI is only for names (RFC 6066 forbids literals).
  if (t_.literal) {
    X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), t_.host.c_str());
  } else {
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wold-style-cast"  // OpenSSL's macro
    const bool sni = SSL_set_tlsext_host_name(ssl, t_.host.c_str()) == 1;
#pragma GCC diagnostic pop
    if (!sni || SSL_set1_host(ssl, t_.host.c_str()) != 1) co_return Error::internal(t_.context + ": cannot set up TLS");
  }
  tls->set_verify_mode(net::ssl::verify_peer);
  arm(o_.connect_timeout, "connect timeout");
  auto [ec] = co_await tls->async_handshake(net::ssl::stream_base::client, kTuple);
  if (!ec) co_return ok_status();
  if (const long verify = SSL_get_verify_result(ssl); verify != X509_V_OK) {
    co_return Error::invalid(std::string(kField), t_.context + ": its TLS certificate is not valid for " + t_.host +
                                                      ": " + X509_verify_cert_error_string(verify));
  }
  co_return failure(ec, "in the TLS handshake");
}

net::awaitable<Result<HopResult>> HopRunner::exchange() {
  http::request<http::empty_body> req{http::verb::get, t_.request_target, 11};
  req.set(http::field::host, t_.host_header);
  req.set(http::field::user_agent, o_.user_agent);
  req.set(http::field::accept, "text/html,application/xhtml+xml;q=0.9,*/*;q=0.1");
  req.set(http::field::accept_encoding, "identity");
  req.set(http::field::accept_language, "en-US,en;q=0.8");
  req.set(http::field::connection, "close");
  arm(o_.read_timeout, "read timeout");
  auto [wec, wn] = co_await conn_->write(req);
  if (wec) co_return failure(wec, "sending the request");
  arm(o_.read_timeout, "read timeout");
  auto [hec, hn] = co_await conn_->read_header(parser_);
  if (hec) co_return failure(hec, "waiting for the response");
  auto head = head_result();
  if (!head.ok() || !head->location.empty()) co_return std::move(head);
  const Status body = co_await read_body(*head);
  if (!body.ok()) co_return body.error();
  co_return std::move(head);
}

/// Status, redirect and content type, decided before any body is read.
Result<HopResult> HopRunner::head_result() {
  const auto& res = parser_.get();
  HopResult h;
  h.status = res.result_int();
  const std::string_view location = res[http::field::location];
  if (auto err = status_error(t_, h.status, res.reason(), !trim(location).empty())) return *err;
  if (is_redirect(h.status)) {
    h.location = std::string(trim(location));
    return h;
  }
  const std::string_view type = res[http::field::content_type];
  h.media_type = to_lower(trim(type.substr(0, type.find(';'))));
  h.charset = header_param(type, "charset");
  if (!h.media_type.empty() && h.media_type != "text/html" && h.media_type != "application/xhtml+xml") {
    return Error::invalid(std::string(kField), t_.context + " is not an HTML page (content type " + shown(h.media_type) + ")");
  }
  const std::string encoding = to_lower(trim(res[http::field::content_encoding]));
  if (!encoding.empty() && encoding != "identity") {
    return Error::invalid(std::string(kField), t_.context + " was sent with content encoding " + shown(encoding) +
                                                    ", which the analyzer does not decode");
  }
  return h;
}

/// Reads at most max_page_bytes of the body; a longer one is cut, not refused.
net::awaitable<Status> HopRunner::read_body(HopResult& h) {
  auto& body = parser_.get().body();
  while (!parser_.is_done()) {
    body.data = chunk_.data();
    body.size = chunk_.size();
    arm(o_.read_timeout, "read timeout");
    auto [ec, n] = co_await conn_->read_some(parser_);
    if (ec == http::error::need_buffer) ec = {};
    if (ec == net::ssl::error::stream_truncated) {
      ec = {};
      parser_.put_eof(ec);  // fine for a body that ends at close; partial_message otherwise
    }
    if (ec) co_return failure(ec, "reading the page");
    const std::size_t got = chunk_.size() - body.size;
    const std::size_t room = o_.max_page_bytes - h.body.size();
    h.body.append(chunk_.data(), std::min(got, room));
    if (got > room) {
      h.truncated = true;
      break;
    }
  }
  co_return ok_status();
}

/// The decoded page, or why the body is not one.
Result<FetchedPage> to_page(const Target& t, HopResult h) {
  const std::string_view sniff = std::string_view(h.body).substr(0, kBinarySniffBytes);
  if (sniff.find('\0') != std::string_view::npos) {
    return Error::invalid(std::string(kField), t.context + " is binary data, not an HTML page");
  }
  if (h.media_type.empty()) {
    const std::string_view start = trim(sniff.substr(sniff.starts_with("\xEF\xBB\xBF") ? 3 : 0));
    if (!start.starts_with('<')) {
      return Error::invalid(std::string(kField), t.context + " has no content type and does not look like HTML");
    }
  }
  if (h.truncated) h.body.resize(utf8_prefix(h.body, h.body.size()).size());
  const std::string charset = h.charset.empty() ? sniff_meta_charset(h.body) : h.charset;
  return FetchedPage{t.url, to_utf8(h.body, charset), h.truncated};
}

// ---- choosing extra pages ------------------------------------------------

struct Topic {
  std::string_view name;
  std::vector<std::string_view> words;
};

const std::vector<Topic>& topics() {
  static const std::vector<Topic> kTopics = {
      {"about", {"about", "our-story", "our story", "who-we-are", "who we are"}},
      {"menu", {"menu", "products", "strains"}},
      {"contact", {"contact", "find-us", "find us", "directions"}},
      {"shop", {"shop", "store"}},
      {"hours", {"hours"}},
      {"location", {"location", "visit"}},
  };
  return kTopics;
}

/// Links that are downloads or account pages rather than pages about the business.
bool unwanted(std::string_view path) {
  static constexpr std::array<std::string_view, 12> kFiles = {".pdf", ".jpg", ".jpeg", ".png", ".gif", ".webp",
                                                               ".svg", ".zip", ".mp4",  ".css", ".js",  ".xml"};
  static constexpr std::array<std::string_view, 9> kAccount = {"cart",   "checkout", "login",    "logout", "account",
                                                               "signin", "sign-in",  "register", "wp-admin"};
  return std::any_of(kFiles.begin(), kFiles.end(), [&](std::string_view e) { return path.ends_with(e); }) ||
         std::any_of(kAccount.begin(), kAccount.end(), [&](std::string_view w) { return path.find(w) != path.npos; });
}

/// Path and query with trailing slashes ignored, to recognise the home page.
std::string page_key(const urls::url_view& u) {
  std::string p = to_lower(u.encoded_path());
  while (!p.empty() && p.back() == '/') p.pop_back();
  return to_lower(u.encoded_host()) + p + (u.has_query() ? "?" + std::string(u.encoded_query()) : "");
}

}  // namespace

// ---- public --------------------------------------------------------------

Result<std::vector<ip::address>> resolve_host(std::string_view host, milliseconds timeout) {
  struct Lookup {
    std::mutex mu;
    std::condition_variable cv;
    std::optional<Result<std::vector<ip::address>>> result;
  };
  auto state = std::make_shared<Lookup>();
  try {
    // getaddrinfo cannot be cancelled; a slow lookup finishes on its own
    // thread and the shared state outlives whichever side ends last.
    std::thread([state, name = std::string(host)] {
      auto r = lookup(name);
      std::lock_guard lock(state->mu);
      state->result.emplace(std::move(r));
      state->cv.notify_all();
    }).detach();
  } catch (const std::system_error& e) {
    return Error::unavailable("cannot resolve " + std::string(host) + ": " + e.what());
  }
  std::unique_lock lock(state->mu);
  if (!state->cv.wait_for(lock, std::max(timeout, milliseconds{1}), [&] { return state->result.has_value(); })) {
    return Error::unavailable("resolving " + std::string(host) + " timed out (" + ms_text(timeout) + ")");
  }
  return std::move(*state->result);
}

std::vector<std::string> pick_extra_pages(const std::vector<PageLink>& links, std::string_view home_url,
                                          std::size_t max) {
  const auto home = urls::parse_uri(home_url);
  const std::string home_key = home ? page_key(*home) : std::string();
  std::vector<std::string> picked;
  for (const auto& topic : topics()) {
    if (picked.size() >= max) break;
    for (const auto& link : links) {
      const auto u = urls::parse_uri(link.url);
      if (!u || page_key(*u) == home_key) continue;
      const std::string path = to_lower(u->encoded_path()), text = to_lower(link.text);
      if (unwanted(path) || std::find(picked.begin(), picked.end(), link.url) != picked.end()) continue;
      const bool match = std::any_of(topic.words.begin(), topic.words.end(), [&](std::string_view w) {
        return path.find(w) != std::string::npos || text.find(w) != std::string::npos;
      });
      if (match) {
        picked.push_back(link.url);
        break;
      }
    }
  }
  return picked;
}

struct HttpSiteFetcher::Impl {
  FetchOptions options;
  AddressGuard guard;
  net::ssl::context tls{net::ssl::context::tls_client};

  Result<FetchedPage> fetch(std::string_view url, const Deadline& crawl);
  Result<std::vector<ip::address>> resolve(const Target& t, const Deadline& d) const;
};

Result<std::vector<ip::address>> HttpSiteFetcher::Impl::resolve(const Target& t, const Deadline& d) const {
  auto by_name = [&]() -> Result<std::vector<ip::address>> {
    if (options.resolver) return options.resolver(t.host);
    return resolve_host(t.host, std::min(options.connect_timeout, d.left()));
  };
  return vetted_addresses(t, guard, by_name);
}

Result<FetchedPage> HttpSiteFetcher::Impl::fetch(std::string_view url, const Deadline& crawl) {
  const Clock::time_point page_end = Clock::now() + options.page_timeout;
  const Deadline d = page_end < crawl.at ? Deadline{page_end, "page timeout " + ms_text(options.page_timeout)} : crawl;
  std::string current(trim(url));
  for (int redirects = 0;; ++redirects) {
    WINSTON_TRY_ASSIGN(const Target t, vet_url(current, redirects > 0));
    WINSTON_TRY_ASSIGN(auto addresses, resolve(t, d));
    if (d.left() <= milliseconds{0}) return Error::unavailable(t.context + ": timed out (" + d.label + ")");
    HopRunner runner(options, guard, tls, t, std::move(addresses), d);
    WINSTON_TRY_ASSIGN(HopResult hop, runner.run());
    if (hop.location.empty()) return to_page(t, std::move(hop));
    if (redirects >= options.max_redirects) {
      return refused(t.context, "it redirects more than " + std::to_string(options.max_redirects) +
                                    " times (next: " + shown(hop.location) + ")");
    }
    WINSTON_TRY_ASSIGN(current, follow(t, hop.location));
  }
}

HttpSiteFetcher::HttpSiteFetcher(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
HttpSiteFetcher::~HttpSiteFetcher() = default;

Result<std::unique_ptr<HttpSiteFetcher>> HttpSiteFetcher::create(FetchOptions options) {
  auto impl = std::make_unique<Impl>();
  WINSTON_TRY_ASSIGN(impl->guard, AddressGuard::create({options.allow_private, options.allow_networks}));
  boost::system::error_code ec;
  impl->tls.set_default_verify_paths(ec);
  if (ec) log::warn("analyzer.tls_store", {{"error", ec.message()}});
  impl->tls.set_options(net::ssl::context::no_sslv2 | net::ssl::context::no_sslv3 | net::ssl::context::no_tlsv1 |
                        net::ssl::context::no_tlsv1_1);
  if (!options.extra_ca_pem.empty()) {
    impl->tls.add_certificate_authority(net::buffer(options.extra_ca_pem), ec);
    if (ec) return Error::invalid("extra_ca_pem", "extra_ca_pem cannot be loaded: " + ec.message());
  }
  impl->options = std::move(options);
  return std::unique_ptr<HttpSiteFetcher>(new HttpSiteFetcher(std::move(impl)));
}

Result<FetchedPage> HttpSiteFetcher::fetch(std::string_view url) {
  const Deadline crawl{Clock::now() + impl_->options.total_timeout,
                       "total timeout " + ms_text(impl_->options.total_timeout)};
  return impl_->fetch(url, crawl);
}

Result<SiteCrawl> HttpSiteFetcher::crawl(std::string_view url) {
  const auto& o = impl_->options;
  const Deadline deadline{Clock::now() + o.total_timeout, "total timeout " + ms_text(o.total_timeout)};
  SiteCrawl crawl;
  crawl.start_url = std::string(trim(url));
  WINSTON_TRY_ASSIGN(FetchedPage home, impl_->fetch(crawl.start_url, deadline));
  auto note = [&crawl, &o](const FetchedPage& p, const ParsedPage& parsed) {
    if (p.truncated) {
      crawl.warnings.push_back(p.url + ": the page is larger than " + std::to_string(o.max_page_bytes) +
                               " bytes; only its beginning was read");
    }
    if (parsed.markup_cut) {
      crawl.warnings.push_back(p.url + ": the markup nests too deeply or is too costly to parse; only its beginning was used");
    }
  };
  ParsedPage parsed = parse_page(home.html, home.url);
  note(home, parsed);
  crawl.pages.push_back(parsed.page);
  const auto extra = pick_extra_pages(parsed.links, home.url, static_cast<std::size_t>(std::max(o.max_extra_pages, 0)));
  for (const auto& link : extra) {
    auto page = impl_->fetch(link, deadline);
    if (!page.ok()) {
      const std::string& why = page.error().message;
      crawl.warnings.push_back(why.starts_with(shown(link)) ? why : shown(link) + ": " + why);
      continue;
    }
    const bool seen = std::any_of(crawl.pages.begin(), crawl.pages.end(),
                                  [&](const ExtractedPage& p) { return p.url == page->url; });
    if (seen) continue;  // redirected back to a page already read
    ParsedPage extra_parsed = parse_page(page->html, page->url);
    note(*page, extra_parsed);
    crawl.pages.push_back(std::move(extra_parsed.page));
  }
  return crawl;
}

}  // namespace winston::analyzer
