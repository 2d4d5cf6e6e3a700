#pragma once
// SQLite backend: WAL, foreign keys on, a busy timeout, cached statements.

#include <sqlite3.h>

#include <memory>
#include <string>
#include <unordered_map>

#include "storage/database.hpp"

namespace winston::storage {

/// The constraint a SQLite UNIQUE/PRIMARY KEY failure violated, named as
/// PostgreSQL names it by default, from sqlite3_errmsg's "UNIQUE constraint
/// failed: t.a, t.b" ("t_a_b_key", or "t_pkey" for the primary key) or
/// "... failed: index 'i'" ("i"); empty when the message is not one of those.
/// (A named unique index over plain columns is reported by its columns, so it
/// gets the default name, not its own.)
std::string sqlite_constraint_name(std::string_view errmsg, bool primary_key);

class SqliteConnection final : public Connection {
 public:
  /// Opens (creating if needed, with its parent directory) the database file.
  static Result<std::unique_ptr<Connection>> open(const std::string& path);
  ~SqliteConnection() override;

  Backend backend() const override { return Backend::kSqlite; }
  Result<Rows> query(std::string_view sql, const Params& params) override;
  Status execute_script(std::string_view sql) override;
  Status begin() override { return execute_script("BEGIN IMMEDIATE"); }
  Status commit() override { return execute_script("COMMIT"); }
  Status rollback() override;
  bool ensure_healthy() override { return db_ != nullptr; }

 private:
  explicit SqliteConnection(sqlite3* db) : db_(db) {}
  Error error_from(int rc, std::string_view context) const;
  Result<sqlite3_stmt*> prepare(std::string_view sql);

  sqlite3* db_;
  std::unordered_map<std::string, sqlite3_stmt*> statements_;
};

}  // namespace winston::storage
