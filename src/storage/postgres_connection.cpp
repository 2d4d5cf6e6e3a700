#include "storage/postgres_connection.hpp"

#include <array>
#include <memory>

namespace winston::storage {
namespace {

struct ResultDeleter {
  void operator()(PGresult* r) const { PQclear(r); }
};
using PgResult = std::unique_ptr<PGresult, ResultDeleter>;

void ignore_notice(void*, const char*) {}

constexpr const char* kSessionSetup = "SET statement_timeout = '30s'; SET lock_timeout = '10s'";

}  // namespace

Result<std::unique_ptr<Connection>> PostgresConnection::open(const std::string& url) {
  // Defaults first: keywords later in the list (the URL's own) override them.
  const std::array<const char*, 4> keys{"connect_timeout", "application_name", "dbname", nullptr};
  const std::array<const char*, 4> values{"5", "winston", url.c_str(), nullptr};
  PGconn* c = PQconnectdbParams(keys.data(), values.data(), 1);
  if (c == nullptr || PQstatus(c) != CONNECTION_OK) {
    std::string msg = "cannot connect to PostgreSQL at " + redact_url(url) + ": " +
                      (c ? PQerrorMessage(c) : "out of memory");
    while (!msg.empty() && (msg.back() == '\n' || msg.back() == ' ')) msg.pop_back();
    PQfinish(c);
    return Error::unavailable(msg);
  }
  PQsetNoticeProcessor(c, ignore_notice, nullptr);
  std::unique_ptr<PostgresConnection> conn(new PostgresConnection(c));
  WINSTON_TRY(conn->execute_script(kSessionSetup));
  return std::unique_ptr<Connection>(std::move(conn));
}

PostgresConnection::~PostgresConnection() { PQfinish(conn_); }

bool PostgresConnection::ensure_healthy() {
  if (PQstatus(conn_) == CONNECTION_OK) return true;
  PQreset(conn_);
  if (PQstatus(conn_) != CONNECTION_OK) return false;
  prepared_.clear();  // a new server session has none of our statements
  return execute_script(kSessionSetup).ok();
}

Error PostgresConnection::error_from(PGresult* res, std::string_view context) const {
  const char* state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : nullptr;
  std::string msg = std::string(context) + ": " + (res ? PQresultErrorMessage(res) : PQerrorMessage(conn_));
  while (!msg.empty() && (msg.back() == '\n' || msg.back() == ' ')) msg.pop_back();
  const std::string_view s = state ? state : "";
  if (s == "23505") {
    const char* constraint = PQresultErrorField(res, PG_DIAG_CONSTRAINT_NAME);
    return Error::conflict(msg, constraint ? constraint : "");
  }
  if (s == "23503") return Error::not_found(msg);
  if (s.starts_with("08") || s == "57P01" || s == "57P03" || PQstatus(conn_) != CONNECTION_OK) {
    return Error::unavailable(msg);
  }
  return Error::internal(msg);
}

Result<std::string> PostgresConnection::prepared_name(std::string_view sql) {
  const std::string key(sql);
  if (auto it = prepared_.find(key); it != prepared_.end()) return it->second;
  std::string name = "w" + std::to_string(prepared_.size() + 1);
  PgResult res(PQprepare(conn_, name.c_str(), key.c_str(), 0, nullptr));
  if (PQresultStatus(res.get()) != PGRES_COMMAND_OK) return error_from(res.get(), "prepare failed");
  prepared_.emplace(key, name);
  return name;
}

Result<Rows> PostgresConnection::query(std::string_view sql, const Params& params) {
  WINSTON_TRY_ASSIGN(const std::string name, prepared_name(sql));
  std::vector<std::string> text(params.size());
  std::vector<const char*> values(params.size(), nullptr);
  for (std::size_t i = 0; i < params.size(); ++i) {
    if (const auto* s = std::get_if<std::string>(&params[i])) {
      values[i] = s->c_str();
    } else if (const auto* n = std::get_if<std::int64_t>(&params[i])) {
      text[i] = std::to_string(*n);
      values[i] = text[i].c_str();
    }
  }
  PgResult res(PQexecPrepared(conn_, name.c_str(), static_cast<int>(params.size()), values.data(), nullptr, nullptr, 0));
  const auto st = PQresultStatus(res.get());
  if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK) return error_from(res.get(), "query failed");
  Rows rows;
  const int n = PQntuples(res.get());
  const int cols = PQnfields(res.get());
  rows.reserve(static_cast<std::size_t>(n));
  for (int r = 0; r < n; ++r) {
    std::vector<std::optional<std::string>> cells;
    cells.reserve(static_cast<std::size_t>(cols));
    for (int c = 0; c < cols; ++c) {
      if (PQgetisnull(res.get(), r, c)) {
        cells.emplace_back(std::nullopt);
      } else {
        cells.emplace_back(std::string(PQgetvalue(res.get(), r, c), static_cast<std::size_t>(PQgetlength(res.get(), r, c))));
      }
    }
    rows.emplace_back(std::move(cells));
  }
  return rows;
}

Status PostgresConnection::execute_script(std::string_view sql) {
  const std::string text(sql);
  PgResult res(PQexec(conn_, text.c_str()));
  const auto st = PQresultStatus(res.get());
  if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) return error_from(res.get(), "statement failed");
  return {};
}

Status PostgresConnection::rollback() {
  if (PQtransactionStatus(conn_) == PQTRANS_IDLE) return {};
  return execute_script("ROLLBACK");
}

}  // namespace winston::storage
