#include "storage/sqlite_connection.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>

namespace winston::storage {
namespace {

constexpr int kBusyTimeoutMs = 10'000;
constexpr std::size_t kMaxCachedStatements = 256;

/// The database holds every tenant's email and ledger: owner-only, whatever
/// the umask. Created 0600 before SQLite opens it (SQLite gives its -wal and
/// -shm files the database's mode), and tightened if an older run left it wider.
///
/// Only a file that does not exist yet is opened here (O_EXCL). close() on any
/// descriptor of the database drops every POSIX lock this process holds on it —
/// those of the pool's other SQLite connections too — and another process then
/// believes it is the last user, checkpoints and deletes the WAL while this one
/// goes on writing into the unlinked file: committed transactions vanish at
/// the next start (sqlite.org/howtocorrupt.html §2.2; found by the local
/// end-to-end test, where a CLI process read the database beside `serve`).
/// chmod takes no descriptor and touches no lock.
void restrict_to_owner(const std::string& path) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd >= 0) ::close(fd);
  for (const char* suffix : {"", "-wal", "-shm"}) {
    const std::string file = path + suffix;
    struct stat st {};
    if (::stat(file.c_str(), &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & 077) != 0) ::chmod(file.c_str(), 0600);
  }
}

}  // namespace

Result<std::unique_ptr<Connection>> SqliteConnection::open(const std::string& path) {
  if (path.empty()) return Error::invalid("database_url", "sqlite: needs a file path");
  std::error_code ec;
  const auto parent = std::filesystem::path(path).parent_path();
  if (!parent.empty()) std::filesystem::create_directories(parent, ec);
  restrict_to_owner(path);
  sqlite3* db = nullptr;
  const int rc = sqlite3_open_v2(path.c_str(), &db,
                                 SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    std::string msg = "cannot open SQLite database '" + path + "': " + (db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
    sqlite3_close(db);
    return Error::unavailable(msg);
  }
  std::unique_ptr<SqliteConnection> conn(new SqliteConnection(db));
  sqlite3_busy_timeout(db, kBusyTimeoutMs);
  sqlite3_extended_result_codes(db, 1);
  WINSTON_TRY(conn->execute_script(
      "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON; PRAGMA recursive_triggers=OFF;"));
  restrict_to_owner(path);  // -wal and -shm, which an older run may have left world-readable
  return std::unique_ptr<Connection>(std::move(conn));
}

std::string sqlite_constraint_name(std::string_view errmsg, bool primary_key) {
  constexpr std::string_view kFailed = "constraint failed: ";
  const auto at = errmsg.find(kFailed);
  if (at == std::string_view::npos) return {};
  std::string_view rest = errmsg.substr(at + kFailed.size());
  if (rest.starts_with("index '") && rest.ends_with("'")) return std::string(rest.substr(7, rest.size() - 8));
  std::string table;
  std::string columns;
  while (!rest.empty()) {  // "t.a, t.b"
    const auto comma = rest.find(", ");
    const std::string_view item = rest.substr(0, comma);
    const auto dot = item.find('.');
    if (dot == std::string_view::npos) return {};
    if (table.empty()) table = std::string(item.substr(0, dot));
    columns += "_" + std::string(item.substr(dot + 1));
    rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 2);
  }
  if (table.empty()) return {};
  return primary_key ? table + "_pkey" : table + columns + "_key";
}

SqliteConnection::~SqliteConnection() {
  for (auto& [_, stmt] : statements_) sqlite3_finalize(stmt);
  sqlite3_close_v2(db_);
}

Error SqliteConnection::error_from(int rc, std::string_view context) const {
  std::string msg = std::string(context) + ": " + sqlite3_errmsg(db_);
  switch (rc) {
    case SQLITE_CONSTRAINT_UNIQUE:
    case SQLITE_CONSTRAINT_PRIMARYKEY:
      return Error::conflict(msg, sqlite_constraint_name(sqlite3_errmsg(db_), rc == SQLITE_CONSTRAINT_PRIMARYKEY));
    case SQLITE_CONSTRAINT_FOREIGNKEY: return Error::not_found(msg);
    case SQLITE_BUSY:
    case SQLITE_LOCKED: return Error::unavailable(msg);
    default: return Error::internal(msg);
  }
}

Result<sqlite3_stmt*> SqliteConnection::prepare(std::string_view sql) {
  const std::string key(sql);
  if (auto it = statements_.find(key); it != statements_.end()) {
    sqlite3_reset(it->second);
    sqlite3_clear_bindings(it->second);
    return it->second;
  }
  if (statements_.size() >= kMaxCachedStatements) {
    for (auto& [_, stmt] : statements_) sqlite3_finalize(stmt);
    statements_.clear();
  }
  sqlite3_stmt* stmt = nullptr;
  const int rc = sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT, &stmt,
                                    nullptr);
  if (rc != SQLITE_OK) return error_from(rc, "prepare failed");
  statements_.emplace(key, stmt);
  return stmt;
}

Result<Rows> SqliteConnection::query(std::string_view sql, const Params& params) {
  WINSTON_TRY_ASSIGN(sqlite3_stmt* stmt, prepare(sql));
  for (std::size_t i = 0; i < params.size(); ++i) {
    const std::string name = "$" + std::to_string(i + 1);
    const int idx = sqlite3_bind_parameter_index(stmt, name.c_str());
    if (idx == 0) return Error::internal("statement has no parameter " + name);
    int rc = SQLITE_OK;
    if (const auto* s = std::get_if<std::string>(&params[i])) {
      rc = sqlite3_bind_text64(stmt, idx, s->data(), s->size(), SQLITE_TRANSIENT, SQLITE_UTF8);
    } else if (const auto* n = std::get_if<std::int64_t>(&params[i])) {
      rc = sqlite3_bind_int64(stmt, idx, *n);
    } else {
      rc = sqlite3_bind_null(stmt, idx);
    }
    if (rc != SQLITE_OK) return error_from(rc, "bind failed");
  }
  Rows rows;
  const int cols = sqlite3_column_count(stmt);
  while (true) {
    const int rc = sqlite3_step(stmt);
    if (rc == SQLITE_DONE) break;
    if (rc != SQLITE_ROW) {
      auto err = error_from(rc, "query failed");
      sqlite3_reset(stmt);
      return err;
    }
    std::vector<std::optional<std::string>> cells;
    cells.reserve(static_cast<std::size_t>(cols));
    for (int c = 0; c < cols; ++c) {
      if (sqlite3_column_type(stmt, c) == SQLITE_NULL) {
        cells.emplace_back(std::nullopt);
      } else {
        const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(stmt, c));
        cells.emplace_back(std::string(text, static_cast<std::size_t>(sqlite3_column_bytes(stmt, c))));
      }
    }
    rows.emplace_back(std::move(cells));
  }
  sqlite3_reset(stmt);
  return rows;
}

Status SqliteConnection::execute_script(std::string_view sql) {
  char* err = nullptr;
  const std::string text(sql);
  const int rc = sqlite3_exec(db_, text.c_str(), nullptr, nullptr, &err);
  if (rc != SQLITE_OK) {
    sqlite3_free(err);
    return error_from(rc, "statement failed");
  }
  return {};
}

Status SqliteConnection::rollback() {
  if (sqlite3_get_autocommit(db_)) return {};  // nothing open (e.g. COMMIT already rolled back)
  return execute_script("ROLLBACK");
}

}  // namespace winston::storage
