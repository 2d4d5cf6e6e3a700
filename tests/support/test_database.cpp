#include "support/test_database.hpp"

#include <cstdlib>
#include <filesystem>

#include "core/ids.hpp"
#include "core/log.hpp"
#include "storage/migrations.hpp"

namespace winston::testing {

TestDatabase::TestDatabase(const std::string& backend) {
  log::init(log::Level::kWarn);
  if (backend == "sqlite") {
    dir_ = (std::filesystem::temp_directory_path() / ("winston-test-" + random_hex(8))).string();
    std::filesystem::create_directories(dir_);
    url_ = "sqlite:" + dir_ + "/test.db";
    return;
  }
  const char* pg = std::getenv("WINSTON_TEST_PG_URL");
  if (pg == nullptr || *pg == '\0') {
    const char* require = std::getenv("WINSTON_TEST_REQUIRE_PG");
    if (require != nullptr && std::string(require) == "1") {
      ADD_FAILURE() << "WINSTON_TEST_REQUIRE_PG=1 but WINSTON_TEST_PG_URL is not set";
    }
    return;
  }
  base_url_ = pg;
  schema_ = "t_" + random_hex(8);
  auto conn = storage::connect(base_url_);
  if (!conn.ok()) {
    ADD_FAILURE() << conn.error().message;
    return;
  }
  auto s = (*conn)->execute_script("CREATE SCHEMA " + schema_);
  if (!s.ok()) {
    ADD_FAILURE() << s.error().message;
    return;
  }
  url_ = base_url_ + (base_url_.find('?') == std::string::npos ? "?" : "&") + "options=-csearch_path%3D" + schema_;
}

TestDatabase::~TestDatabase() {
  if (!dir_.empty()) {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  if (!schema_.empty()) {
    auto conn = storage::connect(base_url_);
    if (conn.ok()) (void)(*conn)->execute_script("DROP SCHEMA " + schema_ + " CASCADE");
  }
}

std::unique_ptr<storage::Database> TestDatabase::open(std::size_t pool) const {
  auto db = storage::Database::open(url_, pool);
  EXPECT_TRUE(db.ok()) << db.error().message;
  if (!db.ok()) return nullptr;
  auto m = storage::migrate(**db);
  EXPECT_TRUE(m.ok()) << m.error().message;
  return std::move(db).value();
}

std::int64_t TestDatabase::count(const std::string& table, const std::string& where) const {
  auto conn = storage::connect(url_);
  if (!conn.ok()) {
    ADD_FAILURE() << conn.error().message;
    return -1;
  }
  auto rows = (*conn)->query("SELECT COUNT(*) FROM " + table + (where.empty() ? "" : " WHERE " + where), {});
  if (!rows.ok()) {
    ADD_FAILURE() << rows.error().message;
    return -1;
  }
  return rows->front().i64(0);
}

}  // namespace winston::testing
