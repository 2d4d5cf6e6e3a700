#pragma once
// The one storage interface. Repositories are written once against
// Connection with the SQL text both backends accept ($1 placeholders,
// RETURNING, ON CONFLICT); only connections and migrations know the backend.

#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/error.hpp"

namespace winston::storage {

enum class Backend { kSqlite, kPostgres };
std::string_view to_string(Backend b);

/// A bound parameter: NULL, an integer or text.
using Value = std::variant<std::nullptr_t, std::int64_t, std::string>;

inline Value null_if_empty(const std::optional<std::string>& s) {
  return s ? Value{*s} : Value{nullptr};
}

/// One result row; every cell is read as text or NULL and converted on access.
class Row {
 public:
  explicit Row(std::vector<std::optional<std::string>> cells) : cells_(std::move(cells)) {}
  std::size_t size() const { return cells_.size(); }
  bool is_null(std::size_t i) const { return !cells_.at(i).has_value(); }
  const std::string& str(std::size_t i) const;
  std::optional<std::string> opt_str(std::size_t i) const { return cells_.at(i); }
  std::int64_t i64(std::size_t i) const;
  std::optional<std::int64_t> opt_i64(std::size_t i) const;

 private:
  std::vector<std::optional<std::string>> cells_;
};

using Rows = std::vector<Row>;
using Params = std::vector<Value>;

/// A single database session. Not thread-safe; one owner at a time (the pool).
class Connection {
 public:
  virtual ~Connection() = default;
  virtual Backend backend() const = 0;
  /// Runs one statement with `$n` parameters and returns its rows (if any).
  /// A unique-constraint violation is ErrorCode::kConflict whose `field` names
  /// the constraint as PostgreSQL does by default ("tenants_email_key",
  /// "tenants_pkey"; an index by its name), on either backend; a lost server
  /// is kUnavailable.
  virtual Result<Rows> query(std::string_view sql, const Params& params = {}) = 0;
  /// Runs several statements without parameters (migrations).
  virtual Status execute_script(std::string_view sql) = 0;
  /// Starts a transaction that will write (SQLite: BEGIN IMMEDIATE, so
  /// writers queue on the lock instead of failing on upgrade).
  virtual Status begin() = 0;
  virtual Status commit() = 0;
  virtual Status rollback() = 0;
  /// Repairs a broken session if the server came back; false if still down.
  virtual bool ensure_healthy() = 0;
};

/// Opens a connection for a URL: "sqlite:PATH", a plain path ending in .db,
/// or "postgres://..."/"postgresql://...".
Result<std::unique_ptr<Connection>> connect(const std::string& url);

/// A fixed-size pool of connections to one database, shared by all threads.
class Database {
 public:
  class Lease;

  /// Connects `pool_size` sessions; fails with a clear message on a bad URL
  /// or an unreachable server.
  static Result<std::unique_ptr<Database>> open(const std::string& url, std::size_t pool_size);

  Backend backend() const { return backend_; }
  /// The URL with any password removed, for logs and error messages.
  const std::string& redacted_url() const { return redacted_url_; }
  /// Waits (bounded) for a free connection.
  Result<Lease> acquire();
  /// One round trip (`SELECT 1`): what /readyz reports.
  Status ping();

  class Lease {
   public:
    Lease(Database* db, std::unique_ptr<Connection> c) : db_(db), conn_(std::move(c)) {}
    Lease(Lease&& o) noexcept = default;
    Lease& operator=(Lease&&) = delete;
    ~Lease();
    Connection& operator*() { return *conn_; }
    Connection* operator->() { return conn_.get(); }

   private:
    Database* db_;
    std::unique_ptr<Connection> conn_;
  };

 private:
  Database(Backend b, std::string redacted) : backend_(b), redacted_url_(std::move(redacted)) {}
  void release(std::unique_ptr<Connection> c);

  Backend backend_;
  std::string redacted_url_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::unique_ptr<Connection>> idle_;
};

/// `url` with the password (if any) replaced by "***".
std::string redact_url(const std::string& url);

/// Rolls back on destruction unless committed: no half-written state
/// survives an early return or an exception.
class Transaction {
 public:
  static Result<Transaction> begin(Connection& c);
  Transaction(Transaction&& o) noexcept : conn_(o.conn_) { o.conn_ = nullptr; }
  Transaction& operator=(Transaction&&) = delete;
  ~Transaction();
  Status commit();

 private:
  explicit Transaction(Connection& c) : conn_(&c) {}
  Connection* conn_;
};

}  // namespace winston::storage
