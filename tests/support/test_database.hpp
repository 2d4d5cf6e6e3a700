#pragma once
// A fresh, migrated database per test on either backend: a temp SQLite file,
// or a private schema on the PostgreSQL server the test command started
// (WINSTON_TEST_PG_URL). Dropped afterwards.

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "storage/database.hpp"

namespace winston::testing {

class TestDatabase {
 public:
  /// "sqlite" or "postgres". Skips (or fails, under WINSTON_TEST_REQUIRE_PG)
  /// when PostgreSQL is not configured; check `available()`.
  explicit TestDatabase(const std::string& backend);
  ~TestDatabase();

  bool available() const { return !url_.empty(); }
  const std::string& url() const { return url_; }
  /// A migrated pool on this database.
  std::unique_ptr<storage::Database> open(std::size_t pool = 4) const;
  /// Rows in `table` (optionally WHERE `where`), via a separate connection.
  std::int64_t count(const std::string& table, const std::string& where = "") const;

 private:
  std::string url_;
  std::string schema_;   // postgres only
  std::string dir_;      // sqlite only
  std::string base_url_;
};

/// For INSTANTIATE_TEST_SUITE_P over both backends.
inline const auto kBackends = ::testing::Values(std::string("sqlite"), std::string("postgres"));

/// Skips the test body when the backend is unavailable (after TestDatabase reported why).
#define WINSTON_REQUIRE_DB(db) \
  if (!(db).available()) GTEST_SKIP() << "PostgreSQL not configured (WINSTON_TEST_PG_URL)"

}  // namespace winston::testing
