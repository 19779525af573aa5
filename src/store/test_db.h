// Test support for the repository tests: a migrated SQLite database in a fresh temp directory, removed again
// when the fixture ends. Header-only and used only by *_test.cc files.
// Thread-safety: one fixture per test; connect() hands out independent connections.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <memory>
#include <string>

#include "store/database.h"
#include "store/schema.h"

namespace tributary::store::testing_db {

inline std::string unique_dir(const std::string& tag) {
  static std::atomic<int> counter{0};
  return ::testing::TempDir() + "/tributary_repos_" + tag + "_" + std::to_string(::getpid()) + "_" +
         std::to_string(counter.fetch_add(1));
}

class MigratedDbTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = unique_dir("db");
    path_ = dir_ + "/test.db";
    auto db = open_database(path_);
    ASSERT_TRUE(db.ok()) << db.error().message;
    db_ = std::move(*db);
    conn_ = connect();
    ASSERT_NE(conn_, nullptr);
    auto s = migrate(*conn_);
    ASSERT_TRUE(s.ok()) << s.error().message;
  }

  void TearDown() override {
    conn_.reset();
    db_.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  std::unique_ptr<Connection> connect() {
    auto conn = db_->connect();
    EXPECT_TRUE(conn.ok()) << conn.error().message;
    return conn.ok() ? std::move(*conn) : nullptr;
  }

  std::int64_t scalar(const std::string& sql, const std::vector<Value>& params = {}) {
    auto rows = conn_->query(sql, params);
    EXPECT_TRUE(rows.ok()) << rows.error().message;
    return rows.ok() && !rows->empty() ? rows->front().int64(0) : -1;
  }

  Connection& c() { return *conn_; }

  std::string dir_;
  std::string path_;
  std::unique_ptr<Database> db_;
  std::unique_ptr<Connection> conn_;
};

}  // namespace tributary::store::testing_db
