#pragma once
// PostgreSQL backend over libpq: prepared statements cached per session,
// bounded connect and statement timeouts, SQLSTATE mapped to ErrorCode.

#include <libpq-fe.h>

#include <memory>
#include <string>
#include <unordered_map>

#include "storage/database.hpp"

namespace winston::storage {

class PostgresConnection final : public Connection {
 public:
  static Result<std::unique_ptr<Connection>> open(const std::string& url);
  ~PostgresConnection() override;

  Backend backend() const override { return Backend::kPostgres; }
  Result<Rows> query(std::string_view sql, const Params& params) override;
  Status execute_script(std::string_view sql) override;
  Status begin() override { return execute_script("BEGIN"); }
  Status commit() override { return execute_script("COMMIT"); }
  Status rollback() override;
  bool ensure_healthy() override;

 private:
  explicit PostgresConnection(PGconn* c) : conn_(c) {}
  Error error_from(PGresult* res, std::string_view context) const;
  Result<std::string> prepared_name(std::string_view sql);

  PGconn* conn_;
  std::unordered_map<std::string, std::string> prepared_;
};

}  // namespace winston::storage
