#include "storage/database.hpp"

#include <boost/url/parse.hpp>
#include <boost/url/url.hpp>

#include <charconv>
#include <chrono>

#include "storage/postgres_connection.hpp"
#include "storage/sqlite_connection.hpp"

namespace winston::storage {

std::string_view to_string(Backend b) { return b == Backend::kSqlite ? "sqlite" : "postgres"; }

const std::string& Row::str(std::size_t i) const {
  static const std::string kEmpty;
  const auto& c = cells_.at(i);
  return c ? *c : kEmpty;
}

std::int64_t Row::i64(std::size_t i) const { return opt_i64(i).value_or(0); }

std::optional<std::int64_t> Row::opt_i64(std::size_t i) const {
  const auto& c = cells_.at(i);
  if (!c) return std::nullopt;
  std::int64_t v = 0;
  const auto [p, ec] = std::from_chars(c->data(), c->data() + c->size(), v);
  if (ec != std::errc{}) return std::nullopt;
  return v;
}

std::string redact_url(const std::string& url) {
  auto parsed = boost::urls::parse_uri(url);
  if (!parsed || !parsed->has_password()) return url;
  boost::urls::url u(*parsed);
  u.set_password("***");
  return std::string(u.buffer());
}

Result<std::unique_ptr<Connection>> connect(const std::string& url) {
  if (url.starts_with("postgres://") || url.starts_with("postgresql://")) return PostgresConnection::open(url);
  if (url.starts_with("sqlite:")) return SqliteConnection::open(url.substr(7));
  if (url.find("://") == std::string::npos && !url.empty()) return SqliteConnection::open(url);
  return Error::invalid("database_url", "unsupported database URL '" + redact_url(url) +
                                           "': use sqlite:PATH or postgres://user:pass@host:port/db");
}

Result<std::unique_ptr<Database>> Database::open(const std::string& url, std::size_t pool_size) {
  std::unique_ptr<Database> db;
  for (std::size_t i = 0; i < std::max<std::size_t>(pool_size, 1); ++i) {
    WINSTON_TRY_ASSIGN(auto conn, connect(url));
    if (!db) db.reset(new Database(conn->backend(), redact_url(url)));
    db->idle_.push_back(std::move(conn));
  }
  return db;
}

Result<Database::Lease> Database::acquire() {
  std::unique_lock lock(mu_);
  if (!cv_.wait_for(lock, std::chrono::seconds(10), [&] { return !idle_.empty(); })) {
    return Error::unavailable("timed out waiting for a database connection");
  }
  auto conn = std::move(idle_.back());
  idle_.pop_back();
  lock.unlock();
  if (!conn->ensure_healthy()) {
    release(std::move(conn));
    return Error::unavailable("database is unreachable");
  }
  return Lease(this, std::move(conn));
}

void Database::release(std::unique_ptr<Connection> c) {
  {
    std::lock_guard lock(mu_);
    idle_.push_back(std::move(c));
  }
  cv_.notify_one();
}

Database::Lease::~Lease() {
  if (conn_) db_->release(std::move(conn_));
}

Result<Transaction> Transaction::begin(Connection& c) {
  WINSTON_TRY(c.begin());
  return Transaction(c);
}

Transaction::~Transaction() {
  if (conn_) (void)conn_->rollback();
}

Status Transaction::commit() {
  auto* c = conn_;
  conn_ = nullptr;
  auto s = c->commit();
  if (!s.ok()) (void)c->rollback();
  return s;
}

Status Database::ping() {
  WINSTON_TRY_ASSIGN(auto conn, acquire());
  if (auto r = conn->query("SELECT 1", {}); !r.ok()) return r.error();
  return {};
}

}  // namespace winston::storage
