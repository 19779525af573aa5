#include "store/database.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <filesystem>
#include <string>

#include "testing/test_db.h"

namespace tributary::store {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using testing_db::auto_id_pk;
using testing_db::blob_type;
using testing_db::real_type;

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

std::string unique_dir(const std::string& tag) {
  static std::atomic<int> counter{0};
  return testing::TempDir() + "/tributary_store_" + tag + "_" + std::to_string(::getpid()) + "_" +
         std::to_string(counter.fetch_add(1));
}

// SQLite-specific behaviour: the file, its pragmas, its locking.
class SqliteDatabaseTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = unique_dir("db");
    // A nested path checks that open_database() creates the directories.
    path_ = dir_ + "/nested/dir/test.db";
    auto db = open_database(path_);
    ASSERT_TRUE(db.ok()) << db.error().message;
    db_ = std::move(*db);
    auto conn = db_->connect();
    ASSERT_TRUE(conn.ok()) << conn.error().message;
    conn_ = std::move(*conn);
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

  std::int64_t count(Connection& conn, const std::string& table) {
    auto rows = conn.query("SELECT count(*) FROM " + table);
    EXPECT_TRUE(rows.ok()) << rows.error().message;
    return rows.ok() ? rows->at(0).int64(0) : -1;
  }

  void exec(const std::string& sql) {
    auto s = conn_->exec_script(sql);
    ASSERT_TRUE(s.ok()) << s.error().message;
  }

  std::string dir_;
  std::string path_;
  std::unique_ptr<Database> db_;
  std::unique_ptr<Connection> conn_;
};

TEST_F(SqliteDatabaseTest, OpensFileInCreatedDirectory) {
  EXPECT_TRUE(std::filesystem::exists(path_));
  EXPECT_EQ(db_->backend(), Backend::kSqlite);
  EXPECT_EQ(conn_->backend(), Backend::kSqlite);
  EXPECT_THAT(db_->describe(), HasSubstr(path_));
}

// The database holds sealed secrets and API key hashes: its files are the owner's only, whatever the umask —
// the -wal and -shm files too, which SQLite creates with the database file's mode.
TEST_F(SqliteDatabaseTest, NewFilesAreReadableByTheirOwnerOnly) {
  const mode_t before = ::umask(022);
  const std::string path = dir_ + "/private/tributary.db";
  auto db = open_database(path);
  ::umask(before);
  ASSERT_TRUE(db.ok()) << db.error().message;
  auto conn = (*db)->connect();
  ASSERT_TRUE(conn.ok()) << conn.error().message;
  ASSERT_TRUE((*conn)->exec_script("CREATE TABLE t (x INTEGER); INSERT INTO t VALUES (1);").ok());
  auto mode = [](const std::string& p) {
    struct stat st {};
    return ::stat(p.c_str(), &st) == 0 ? static_cast<int>(st.st_mode & 0777) : -1;
  };
  EXPECT_EQ(mode(path), 0600);
  EXPECT_EQ(mode(path + "-wal"), 0600);
  EXPECT_EQ(mode(path + "-shm"), 0600);
  EXPECT_EQ(mode(dir_ + "/private"), 0700);
}

TEST_F(SqliteDatabaseTest, ConnectionPragmasAreInForce) {
  auto mode = conn_->query("PRAGMA journal_mode");
  ASSERT_TRUE(mode.ok()) << mode.error().message;
  EXPECT_EQ(mode->at(0).text(0), "wal");

  auto sync = conn_->query("PRAGMA synchronous");
  ASSERT_TRUE(sync.ok()) << sync.error().message;
  EXPECT_EQ(sync->at(0).int64(0), 2);  // FULL

  auto fk = conn_->query("PRAGMA foreign_keys");
  ASSERT_TRUE(fk.ok()) << fk.error().message;
  EXPECT_EQ(fk->at(0).int64(0), 1);

  auto busy = conn_->query("PRAGMA busy_timeout");
  ASSERT_TRUE(busy.ok()) << busy.error().message;
  EXPECT_EQ(busy->at(0).int64(0), 10000);

  auto temp = conn_->query("PRAGMA temp_store");
  ASSERT_TRUE(temp.ok()) << temp.error().message;
  EXPECT_EQ(temp->at(0).int64(0), 2);  // MEMORY

  // A second connection gets the same settings.
  auto other = connect();
  ASSERT_NE(other, nullptr);
  auto other_sync = other->query("PRAGMA synchronous");
  ASSERT_TRUE(other_sync.ok());
  EXPECT_EQ(other_sync->at(0).int64(0), 2);
}

// The Connection contract, on both backends.
class DatabaseTest : public testing_db::BackendTest {
 protected:
  std::int64_t count(Connection& conn, const std::string& table) {
    auto rows = conn.query("SELECT count(*) FROM " + table);
    EXPECT_TRUE(rows.ok()) << rows.error().message;
    return rows.ok() ? rows->at(0).int64(0) : -1;
  }
};

TEST_P(DatabaseTest, RoundTripsEveryValueType) {
  exec("CREATE TABLE v (i BIGINT, r " + real_type(backend()) + ", s TEXT, b " + blob_type(backend()) +
       ", n TEXT)");
  const std::string bytes("a\0b\xff\x01", 5);
  auto changed =
      conn_->execute("INSERT INTO v (i, r, s, b, n) VALUES ($1, $2, $3, $4, $5)",
                     {std::int64_t{-9007199254740993}, 2.5, std::string("héllo"), Blob{bytes}, nullptr});
  ASSERT_TRUE(changed.ok()) << changed.error().message;
  EXPECT_EQ(*changed, 1);

  auto rows = conn_->query("SELECT i, r, s, b, n FROM v");
  ASSERT_TRUE(rows.ok()) << rows.error().message;
  ASSERT_EQ(rows->size(), 1u);
  const Row& row = rows->at(0);
  ASSERT_EQ(row.columns.size(), 5u);
  ASSERT_TRUE(std::holds_alternative<std::int64_t>(row.columns[0]));
  EXPECT_EQ(std::get<std::int64_t>(row.columns[0]), -9007199254740993);
  ASSERT_TRUE(std::holds_alternative<double>(row.columns[1]));
  EXPECT_EQ(std::get<double>(row.columns[1]), 2.5);
  ASSERT_TRUE(std::holds_alternative<std::string>(row.columns[2]));
  EXPECT_EQ(std::get<std::string>(row.columns[2]), "héllo");
  ASSERT_TRUE(std::holds_alternative<Blob>(row.columns[3]));
  EXPECT_EQ(std::get<Blob>(row.columns[3]).bytes, bytes);
  EXPECT_EQ(row.blob(3).size(), 5u);
  EXPECT_TRUE(row.is_null(4));
}

TEST_P(DatabaseTest, EmptyTextAndBlobAreNotNull) {
  exec("CREATE TABLE v (s TEXT, b " + blob_type(backend()) + ")");
  ASSERT_TRUE(conn_->execute("INSERT INTO v VALUES ($1, $2)", {std::string(), Blob{}}).ok());
  auto rows = conn_->query("SELECT s IS NULL, b IS NULL, s, b FROM v");
  ASSERT_TRUE(rows.ok()) << rows.error().message;
  EXPECT_EQ(rows->at(0).int64(0), 0);
  EXPECT_EQ(rows->at(0).int64(1), 0);
  ASSERT_TRUE(std::holds_alternative<std::string>(rows->at(0).columns[2]));
  EXPECT_EQ(std::get<std::string>(rows->at(0).columns[2]), "");
  ASSERT_TRUE(std::holds_alternative<Blob>(rows->at(0).columns[3]));
  EXPECT_EQ(std::get<Blob>(rows->at(0).columns[3]).bytes, "");
  if (!postgres()) {
    auto types = conn_->query("SELECT typeof(s), typeof(b) FROM v");
    ASSERT_TRUE(types.ok()) << types.error().message;
    EXPECT_EQ(types->at(0).text(0), "text");
    EXPECT_EQ(types->at(0).text(1), "blob");
  }
}

TEST(RowTest, AccessorsConvert) {
  Row row{{nullptr, std::int64_t{42}, 1.5, std::string("17"), Blob{"3.25"}, std::string("x")}};
  EXPECT_EQ(row.int64(0), 0);
  EXPECT_EQ(row.text(0), "");
  EXPECT_EQ(row.real(0), 0.0);
  EXPECT_EQ(row.text(1), "42");
  EXPECT_EQ(row.real(1), 42.0);
  EXPECT_EQ(row.int64(2), 1);
  EXPECT_EQ(row.text(2), "1.5");
  EXPECT_EQ(row.int64(3), 17);
  EXPECT_EQ(row.real(4), 3.25);
  EXPECT_EQ(row.int64(5), 0);
  EXPECT_THROW((void)row.int64(6), std::out_of_range);
}

TEST_P(DatabaseTest, BindsParametersByName) {
  // $2 appears first, $1 twice: positional binding would swap them.
  auto rows = conn_->query("SELECT $2 || '-' || $1, $1 || $1, $3 + 1",
                           {std::string("a"), std::string("b"), std::int64_t{41}});
  ASSERT_TRUE(rows.ok()) << rows.error().message;
  EXPECT_EQ(rows->at(0).text(0), "b-a");
  EXPECT_EQ(rows->at(0).text(1), "aa");
  EXPECT_EQ(rows->at(0).int64(2), 42);

  exec("CREATE TABLE kv (k TEXT PRIMARY KEY, v TEXT)");
  ASSERT_TRUE(
      conn_->execute("INSERT INTO kv (v, k) VALUES ($2, $1)", {std::string("key"), std::string("val")}).ok());
  auto kv = conn_->query("SELECT v FROM kv WHERE k = $1", {std::string("key")});
  ASSERT_TRUE(kv.ok()) << kv.error().message;
  ASSERT_EQ(kv->size(), 1u);
  EXPECT_EQ(kv->at(0).text(0), "val");
}

TEST_P(DatabaseTest, MissingParameterIsAnError) {
  auto rows = conn_->query("SELECT $1, $2", {std::int64_t{1}});
  ASSERT_FALSE(rows.ok());
  EXPECT_THAT(rows.error().message, HasSubstr("$2"));
  // The cached statement is usable again with the right parameters.
  auto again = conn_->query("SELECT $1, $2", {std::int64_t{1}, std::int64_t{2}});
  ASSERT_TRUE(again.ok()) << again.error().message;
  EXPECT_EQ(again->at(0).int64(1), 2);
}

TEST_P(DatabaseTest, RejectsOtherPlaceholderStyles) {
  EXPECT_FALSE(conn_->query("SELECT ?", {std::int64_t{1}}).ok());
  EXPECT_FALSE(conn_->query("SELECT :name", {std::int64_t{1}}).ok());
}

TEST_P(DatabaseTest, CachedStatementsDoNotKeepOldBindings) {
  exec("CREATE TABLE t (id " + auto_id_pk(backend()) + ", name TEXT)");
  for (int i = 0; i < 100; ++i) {
    auto r = conn_->execute("INSERT INTO t (name) VALUES ($1)", {std::string("n") + std::to_string(i)});
    ASSERT_TRUE(r.ok()) << r.error().message;
  }
  auto rows = conn_->query("SELECT name FROM t WHERE id = $1", {std::int64_t{100}});
  ASSERT_TRUE(rows.ok());
  EXPECT_EQ(rows->at(0).text(0), "n99");
  EXPECT_EQ(count(*conn_, "t"), 100);
}

TEST_P(DatabaseTest, InsertReturning) {
  exec("CREATE TABLE t (id " + auto_id_pk(backend()) + ", name TEXT NOT NULL UNIQUE)");
  auto first = conn_->query("INSERT INTO t (name) VALUES ($1) RETURNING id, name", {std::string("a")});
  ASSERT_TRUE(first.ok()) << first.error().message;
  ASSERT_EQ(first->size(), 1u);
  EXPECT_EQ(first->at(0).int64(0), 1);
  EXPECT_EQ(first->at(0).text(1), "a");

  auto second = conn_->query("INSERT INTO t (name) VALUES ($1) RETURNING id, name", {std::string("b")});
  ASSERT_TRUE(second.ok()) << second.error().message;
  EXPECT_EQ(second->at(0).int64(0), 2);

  // Upsert that touches nothing returns no row.
  auto none = conn_->query("INSERT INTO t (name) VALUES ($1) ON CONFLICT (name) DO NOTHING RETURNING id",
                           {std::string("a")});
  ASSERT_TRUE(none.ok()) << none.error().message;
  EXPECT_TRUE(none->empty());
  EXPECT_EQ(count(*conn_, "t"), 2);
}

TEST_P(DatabaseTest, ExecuteCountsChangedRows) {
  exec("CREATE TABLE t (id " + auto_id_pk(backend()) + ", flag INTEGER)");
  for (int i = 0; i < 5; ++i)
    ASSERT_TRUE(conn_->execute("INSERT INTO t (flag) VALUES (0)").ok());
  auto updated = conn_->execute("UPDATE t SET flag = 1 WHERE id <= $1", {std::int64_t{3}});
  ASSERT_TRUE(updated.ok());
  EXPECT_EQ(*updated, 3);
  auto none = conn_->execute("UPDATE t SET flag = 1 WHERE id > 100");
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(*none, 0);
  auto ddl = conn_->execute("CREATE TABLE u (x INTEGER)");
  ASSERT_TRUE(ddl.ok());
  EXPECT_EQ(*ddl, 0);
}

TEST_P(DatabaseTest, ConstraintViolationIsConflictWithoutValues) {
  exec("CREATE TABLE t (name TEXT PRIMARY KEY)");
  ASSERT_TRUE(conn_->execute("INSERT INTO t (name) VALUES ($1)", {std::string("secret-value")}).ok());
  auto dup = conn_->execute("INSERT INTO t (name) VALUES ($1)", {std::string("secret-value")});
  ASSERT_FALSE(dup.ok());
  EXPECT_EQ(dup.error().kind, ErrorKind::kConflict);
  EXPECT_THAT(lower(dup.error().message), HasSubstr("unique"));
  EXPECT_THAT(dup.error().message, Not(HasSubstr("secret-value")));
  // The statement is reset after the failure and works again.
  EXPECT_TRUE(conn_->execute("INSERT INTO t (name) VALUES ($1)", {std::string("other")}).ok());
}

TEST_P(DatabaseTest, ForeignKeysAreEnforced) {
  exec(
      "CREATE TABLE parent (id INTEGER PRIMARY KEY);"
      "CREATE TABLE child (id " +
      auto_id_pk(backend()) + ", parent_id INTEGER NOT NULL REFERENCES parent(id));");
  auto orphan = conn_->execute("INSERT INTO child (parent_id) VALUES ($1)", {std::int64_t{7}});
  ASSERT_FALSE(orphan.ok());
  EXPECT_EQ(orphan.error().kind, ErrorKind::kConflict);
}

TEST_P(DatabaseTest, SqlErrorsAreInternal) {
  auto bad = conn_->query("SELEC 1");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().kind, ErrorKind::kInternal);
  EXPECT_THAT(bad.error().message, HasSubstr("syntax error"));
  EXPECT_FALSE(conn_->query("").ok());
}

TEST_P(DatabaseTest, QueryRunsExactlyOneStatement) {
  exec("CREATE TABLE t (x INTEGER)");
  auto two = conn_->execute("INSERT INTO t VALUES (1); INSERT INTO t VALUES (2)");
  EXPECT_FALSE(two.ok());
  EXPECT_EQ(count(*conn_, "t"), 0);
  // A trailing semicolon or comment is fine.
  EXPECT_TRUE(conn_->execute("INSERT INTO t VALUES (1); -- done\n").ok());
  EXPECT_EQ(count(*conn_, "t"), 1);
}

TEST_P(DatabaseTest, ExecScriptRunsSeveralStatements) {
  exec(
      "CREATE TABLE a (x INTEGER);"
      "CREATE TABLE b (y INTEGER);"
      "INSERT INTO a VALUES (1), (2);"
      "INSERT INTO b SELECT x * 10 FROM a;");
  EXPECT_EQ(count(*conn_, "b"), 2);
  auto bad = conn_->exec_script("CREATE TABLE c (z INTEGER); NOT SQL;");
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(bad.error().message, HasSubstr("syntax error"));
}

TEST_P(DatabaseTest, RollbackDiscards) {
  exec("CREATE TABLE t (x INTEGER)");
  ASSERT_TRUE(conn_->begin().ok());
  ASSERT_TRUE(conn_->execute("INSERT INTO t VALUES (1)").ok());
  ASSERT_TRUE(conn_->rollback().ok());
  EXPECT_EQ(count(*conn_, "t"), 0);

  Status failed = in_transaction(*conn_, [&]() -> Status {
    if (auto r = conn_->execute("INSERT INTO t VALUES (2)"); !r) return r.error();
    return make_error(ErrorKind::kInvalidArgument, "changed my mind");
  });
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.error().kind, ErrorKind::kInvalidArgument);
  EXPECT_EQ(count(*conn_, "t"), 0);

  Status ok = in_transaction(*conn_, [&]() -> Status {
    if (auto r = conn_->execute("INSERT INTO t VALUES (3)"); !r) return r.error();
    return {};
  });
  ASSERT_TRUE(ok.ok()) << ok.error().message;
  EXPECT_EQ(count(*conn_, "t"), 1);
  // Nothing to roll back is not an error.
  EXPECT_TRUE(conn_->rollback().ok());
}

TEST_P(DatabaseTest, Savepoints) {
  exec("CREATE TABLE t (x INTEGER)");
  ASSERT_TRUE(conn_->begin().ok());
  ASSERT_TRUE(conn_->execute("INSERT INTO t VALUES (1)").ok());
  ASSERT_TRUE(conn_->savepoint("sp_1").ok());
  ASSERT_TRUE(conn_->execute("INSERT INTO t VALUES (2)").ok());
  ASSERT_TRUE(conn_->rollback_to("sp_1").ok());
  ASSERT_TRUE(conn_->release("sp_1").ok());
  ASSERT_TRUE(conn_->savepoint("sp_2").ok());
  ASSERT_TRUE(conn_->execute("INSERT INTO t VALUES (3)").ok());
  ASSERT_TRUE(conn_->release("sp_2").ok());
  ASSERT_TRUE(conn_->commit().ok());

  auto rows = conn_->query("SELECT x FROM t ORDER BY x");
  ASSERT_TRUE(rows.ok());
  ASSERT_EQ(rows->size(), 2u);
  EXPECT_EQ(rows->at(0).int64(0), 1);
  EXPECT_EQ(rows->at(1).int64(0), 3);

  EXPECT_EQ(conn_->savepoint("x; DROP TABLE t").error().kind, ErrorKind::kInvalidArgument);
  EXPECT_EQ(conn_->savepoint("").error().kind, ErrorKind::kInvalidArgument);
  EXPECT_FALSE(conn_->release("never_made").ok());
}

TEST_P(DatabaseTest, ConnectionsSeeEachOthersCommits) {
  exec("CREATE TABLE t (x INTEGER)");
  auto other = connect();
  ASSERT_NE(other, nullptr);

  ASSERT_TRUE(conn_->begin().ok());
  ASSERT_TRUE(conn_->execute("INSERT INTO t VALUES (1)").ok());
  EXPECT_EQ(count(*other, "t"), 0);  // not yet committed
  ASSERT_TRUE(conn_->commit().ok());
  EXPECT_EQ(count(*other, "t"), 1);

  ASSERT_TRUE(other->execute("INSERT INTO t VALUES (2)").ok());
  EXPECT_EQ(count(*conn_, "t"), 2);
}

TEST_F(SqliteDatabaseTest, SecondWriterIsBusy) {
  exec("CREATE TABLE t (x INTEGER)");
  auto other = connect();
  ASSERT_NE(other, nullptr);
  // Don't wait the default 10 s for a lock this test holds on purpose.
  ASSERT_TRUE(other->exec_script("PRAGMA busy_timeout=0").ok());

  ASSERT_TRUE(conn_->begin().ok());
  Status busy = other->begin();
  ASSERT_FALSE(busy.ok());
  EXPECT_EQ(busy.error().kind, ErrorKind::kUnavailable);
  // Readers are not blocked in WAL mode.
  EXPECT_EQ(count(*other, "t"), 0);
  ASSERT_TRUE(conn_->commit().ok());
  ASSERT_TRUE(other->begin().ok());
  ASSERT_TRUE(other->commit().ok());
}

TEST_P(DatabaseTest, DataSurvivesReopen) {
  exec("CREATE TABLE t (x TEXT)");
  ASSERT_TRUE(conn_->execute("INSERT INTO t VALUES ($1)", {std::string("kept")}).ok());
  conn_.reset();
  db_.reset();

  auto db = open_database(url_);
  ASSERT_TRUE(db.ok()) << db.error().message;
  auto conn = (*db)->connect();
  ASSERT_TRUE(conn.ok());
  auto rows = (*conn)->query("SELECT x FROM t");
  ASSERT_TRUE(rows.ok());
  ASSERT_EQ(rows->size(), 1u);
  EXPECT_EQ(rows->at(0).text(0), "kept");
}

TEST(OpenDatabaseTest, UnreachablePostgresIsUnavailableAndNeverShowsThePassword) {
  // Port 1 on the loopback: nothing listens there, the connection is refused at once.
  for (const char* url :
       {"postgres://user:pw-4711@127.0.0.1:1/db", "postgresql://user:pw-4711@127.0.0.1:1/db"}) {
    auto db = open_database(url);
    ASSERT_FALSE(db.ok()) << url;
    EXPECT_EQ(db.error().kind, ErrorKind::kUnavailable);
    EXPECT_THAT(db.error().message, HasSubstr("127.0.0.1"));
    EXPECT_THAT(db.error().message, Not(HasSubstr("pw-4711")));
  }
}

TEST(OpenDatabaseTest, MalformedPostgresUrlIsRejectedWithoutEchoingIt) {
  auto db = open_database("postgres://user:pw-4711@127.0.0.1:5432/db?no_such_option=1");
  ASSERT_FALSE(db.ok());
  EXPECT_EQ(db.error().kind, ErrorKind::kInvalidArgument);
  EXPECT_THAT(db.error().message, Not(HasSubstr("pw-4711")));
}

TEST(OpenDatabaseTest, UnusablePathFails) {
  EXPECT_FALSE(open_database("").ok());
  const std::string dir = unique_dir("bad");
  std::filesystem::create_directories(dir);
  // A directory where the database file should be.
  auto db = open_database(dir);
  EXPECT_FALSE(db.ok());
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
}

// ---------------------------------------------------------------------------------------------------------------
// PostgreSQL-specific behaviour: error kinds by SQLSTATE, what messages leave out, column types, lost
// connections.

class PostgresTest : public testing_db::BackendTest {};

TEST_P(PostgresTest, DescribeShowsHostPortAndDatabaseButNoCredentials) {
  // The test cluster asks TCP connections for its password, which its URL carries (scripts/with-postgres.sh).
  const std::string url = testing_db::postgres_url();
  const auto user = url.find("://");
  const auto at = url.find('@');
  const auto colon = url.find(':', user == std::string::npos ? 0 : user + 3);
  ASSERT_TRUE(user != std::string::npos && at != std::string::npos && colon < at)
      << "expected postgres://user:password@host:port/db";
  const std::string password = url.substr(colon + 1, at - colon - 1);
  ASSERT_FALSE(password.empty());
  auto db = open_database(url);
  ASSERT_TRUE(db.ok()) << db.error().message;
  EXPECT_EQ((*db)->backend(), Backend::kPostgres);
  const std::string described = (*db)->describe();
  EXPECT_THAT(described, HasSubstr("postgres://127.0.0.1:"));
  EXPECT_THAT(described, HasSubstr("/tributary_test"));
  EXPECT_THAT(described, Not(HasSubstr(password)));
  EXPECT_THAT(described, Not(HasSubstr("@")));
  auto conn = (*db)->connect();
  ASSERT_TRUE(conn.ok()) << conn.error().message;
  EXPECT_EQ((*conn)->backend(), Backend::kPostgres);
}

TEST_P(PostgresTest, ColumnsConvertByType) {
  auto rows = c().query(
      "SELECT CAST(1 AS SMALLINT), CAST(2 AS INTEGER), CAST(3 AS BIGINT), CAST(1.5 AS REAL), "
      "CAST(2.25 AS NUMERIC), CAST('x' AS VARCHAR(4)), TRUE, FALSE, CAST(NULL AS BIGINT), "
      "CAST('\\x00ff' AS BYTEA)");
  ASSERT_TRUE(rows.ok()) << rows.error().message;
  const auto& cols = rows->at(0).columns;
  for (int i : {0, 1, 2}) {
    ASSERT_TRUE(std::holds_alternative<std::int64_t>(cols[i])) << i;
    EXPECT_EQ(std::get<std::int64_t>(cols[i]), i + 1);
  }
  ASSERT_TRUE(std::holds_alternative<double>(cols[3]));
  EXPECT_EQ(std::get<double>(cols[3]), 1.5);
  ASSERT_TRUE(std::holds_alternative<double>(cols[4]));
  EXPECT_EQ(std::get<double>(cols[4]), 2.25);
  ASSERT_TRUE(std::holds_alternative<std::string>(cols[5]));
  EXPECT_EQ(std::get<std::string>(cols[5]), "x");
  EXPECT_EQ(rows->at(0).int64(6), 1);
  EXPECT_EQ(rows->at(0).int64(7), 0);
  EXPECT_TRUE(rows->at(0).is_null(8));
  ASSERT_TRUE(std::holds_alternative<Blob>(cols[9]));
  EXPECT_EQ(std::get<Blob>(cols[9]).bytes, std::string("\0\xff", 2));
}

TEST_P(PostgresTest, DoublesRoundTripExactly) {
  for (double d : {0.1, 1.0 / 3.0, -2.5e-300, 1.7976931348623157e308}) {
    auto rows = c().query("SELECT CAST($1 AS DOUBLE PRECISION)", {d});
    ASSERT_TRUE(rows.ok()) << rows.error().message;
    EXPECT_EQ(rows->at(0).real(0), d);
  }
}

TEST_P(PostgresTest, ErrorKindsFollowTheSqlstate) {
  auto raise = [&](const std::string& state) {
    return c().exec_script("DO $$ BEGIN RAISE EXCEPTION 'raised' USING ERRCODE = '" + state + "'; END $$");
  };
  EXPECT_EQ(raise("23505").error().kind, ErrorKind::kConflict);
  EXPECT_EQ(raise("23503").error().kind, ErrorKind::kConflict);
  EXPECT_EQ(raise("40001").error().kind, ErrorKind::kUnavailable);
  EXPECT_EQ(raise("40P01").error().kind, ErrorKind::kUnavailable);
  EXPECT_EQ(raise("42P01").error().kind, ErrorKind::kInternal);
  EXPECT_THAT(raise("40001").error().message, HasSubstr("40001"));
}

TEST_P(PostgresTest, MessagesLeaveOutTheValues) {
  exec("CREATE TABLE t (name TEXT PRIMARY KEY, n BIGINT)");
  ASSERT_TRUE(c().execute("INSERT INTO t (name) VALUES ($1)", {std::string("secret-value")}).ok());
  // The DETAIL of a unique violation quotes the key: it must not reach the message.
  auto dup = c().execute("INSERT INTO t (name) VALUES ($1)", {std::string("secret-value")});
  ASSERT_FALSE(dup.ok());
  EXPECT_THAT(dup.error().message, Not(HasSubstr("secret-value")));
  // Nor the input a data exception quotes in its primary message.
  auto bad = c().execute("UPDATE t SET n = CAST($1 AS BIGINT)", {std::string("secret-number")});
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().kind, ErrorKind::kInternal);
  EXPECT_THAT(bad.error().message, Not(HasSubstr("secret-number")));
  EXPECT_THAT(bad.error().message, HasSubstr("22P02"));
}

TEST_P(PostgresTest, TextWithANulByteIsRefusedNotTruncated) {
  exec("CREATE TABLE t (s TEXT)");
  auto r = c().execute("INSERT INTO t VALUES ($1)", {std::string("a\0b", 3)});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::kInvalidArgument);
  EXPECT_EQ(scalar("SELECT count(*) FROM t"), 0);
}

TEST_P(PostgresTest, CommitAfterAFailedStatementReportsTheRollback) {
  exec("CREATE TABLE t (x INTEGER PRIMARY KEY)");
  ASSERT_TRUE(c().begin().ok());
  ASSERT_TRUE(c().execute("INSERT INTO t VALUES (1)").ok());
  EXPECT_FALSE(c().execute("INSERT INTO t VALUES (1)").ok());  // aborts the transaction
  Status committed = c().commit();
  ASSERT_FALSE(committed.ok());
  EXPECT_THAT(committed.error().message, HasSubstr("rolled back"));
  EXPECT_EQ(scalar("SELECT count(*) FROM t"), 0);
}

TEST_P(PostgresTest, ALostConnectionIsUnavailableThenReconnects) {
  exec("CREATE TABLE t (x INTEGER)");
  auto admin = connect();
  ASSERT_NE(admin, nullptr);
  auto kill = [&] {
    const std::int64_t pid = scalar("SELECT pg_backend_pid()");
    auto r = admin->query("SELECT pg_terminate_backend(CAST($1 AS INTEGER))", {pid});
    ASSERT_TRUE(r.ok()) << r.error().message;
  };

  // Outside a transaction: the next statement fails, the one after runs on a new session.
  ASSERT_TRUE(c().query("SELECT 1").ok());
  kill();
  auto lost = c().query("SELECT 1");
  ASSERT_FALSE(lost.ok());
  EXPECT_EQ(lost.error().kind, ErrorKind::kUnavailable);
  auto again = c().query("SELECT count(*) FROM t");
  ASSERT_TRUE(again.ok()) << again.error().message;

  // Inside a transaction: nothing runs on a new session behind the caller's back until it rolls back.
  ASSERT_TRUE(c().begin().ok());
  ASSERT_TRUE(c().execute("INSERT INTO t VALUES (1)").ok());
  kill();
  EXPECT_EQ(c().execute("INSERT INTO t VALUES (2)").error().kind, ErrorKind::kUnavailable);
  EXPECT_EQ(c().execute("INSERT INTO t VALUES (3)").error().kind, ErrorKind::kUnavailable);
  EXPECT_TRUE(c().rollback().ok());
  EXPECT_EQ(scalar("SELECT count(*) FROM t"), 0);
}

// ---------------------------------------------------------------------------------------------------------------

INSTANTIATE_TEST_SUITE_P(Backends, DatabaseTest, testing_db::kBackends, testing_db::BackendParamName());
INSTANTIATE_TEST_SUITE_P(Backends, PostgresTest, ::testing::Values(Backend::kPostgres),
                         testing_db::BackendParamName());

}  // namespace
}  // namespace tributary::store
