// The two migration lists in schema.cc are written per backend (their DDL differs); this holds them to one
// resulting schema: after migrating, both backends have the same tables, each with the same columns, the same
// NOT NULL columns and the same kind of type, and the same named indexes.
#include <gtest/gtest.h>

#include <map>
#include <set>
#include <string>
#include <utility>

#include "store/schema.h"
#include "testing/test_db.h"

namespace tributary::store {
namespace {

struct Column {
  std::string kind;  // integer | text | blob | real
  bool not_null = false;
  bool operator==(const Column&) const = default;
};
using Columns = std::map<std::pair<std::string, std::string>, Column>;  // (table, column) → what it is

std::ostream& operator<<(std::ostream& os, const Column& c) {
  return os << c.kind << (c.not_null ? " NOT NULL" : "");
}

std::string kind_of(std::string type) {
  for (auto& ch : type)
    ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  if (type.find("int") != std::string::npos) return "integer";
  if (type == "text" || type.find("char") != std::string::npos) return "text";
  if (type == "blob" || type == "bytea") return "blob";
  if (type == "real" || type.find("double") != std::string::npos) return "real";
  return "other: " + type;
}

struct Shape {
  Columns columns;
  std::set<std::string> indexes;
};

Result<Shape> shape_of(Connection& c, Backend backend) {
  Shape out;
  if (backend == Backend::kSqlite) {
    auto rows = c.query(
        "SELECT m.name, p.name, p.type, p.\"notnull\", p.pk FROM sqlite_master m, pragma_table_info(m.name) "
        "p "
        "WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%'",
        {});
    if (!rows) return rows.error();
    for (const auto& r : *rows) {
      // SQLite lets a primary key column be NULL unless it is an INTEGER PRIMARY KEY; PostgreSQL never does.
      out.columns[{r.text(0), r.text(1)}] = Column{kind_of(r.text(2)), r.int64(3) != 0 || r.int64(4) != 0};
    }
    auto idx =
        c.query("SELECT name FROM sqlite_master WHERE type = 'index' AND name NOT LIKE 'sqlite_%'", {});
    if (!idx) return idx.error();
    for (const auto& r : *idx)
      out.indexes.insert(r.text(0));
    return out;
  }
  auto rows = c.query(
      "SELECT table_name, column_name, data_type, is_nullable FROM information_schema.columns "
      "WHERE table_schema = current_schema()",
      {});
  if (!rows) return rows.error();
  for (const auto& r : *rows)
    out.columns[{r.text(0), r.text(1)}] = Column{kind_of(r.text(2)), r.text(3) == "NO"};
  auto idx = c.query(
      "SELECT indexname FROM pg_indexes WHERE schemaname = current_schema() AND indexname NOT LIKE '%_pkey' "
      "AND indexname NOT LIKE '%_key'",
      {});
  if (!idx) return idx.error();
  for (const auto& r : *idx)
    out.indexes.insert(r.text(0));
  return out;
}

TEST(SchemaParityTest, BothBackendsMigrateToTheSameTablesColumnsAndIndexes) {
  if (testing_db::postgres_url().empty()) GTEST_SKIP() << testing_db::kPostgresUrlEnv << " is not set";
  std::map<Backend, Shape> shapes;
  std::map<Backend, testing_db::ScratchDatabase> scratch;
  for (Backend backend : {Backend::kSqlite, Backend::kPostgres}) {
    ASSERT_TRUE(scratch[backend].create(backend).ok());
    auto db = open_database(scratch[backend].url());
    ASSERT_TRUE(db.ok()) << db.error().message;
    auto conn = (*db)->connect();
    ASSERT_TRUE(conn.ok()) << conn.error().message;
    ASSERT_TRUE(migrate(**conn).ok());
    auto shape = shape_of(**conn, backend);
    ASSERT_TRUE(shape.ok()) << shape.error().message;
    shapes[backend] = std::move(*shape);
  }
  const Shape& sqlite = shapes[Backend::kSqlite];
  const Shape& postgres = shapes[Backend::kPostgres];
  ASSERT_GT(sqlite.columns.size(), 50u) << "the schema was not read";
  for (const auto& [key, column] : sqlite.columns) {
    auto it = postgres.columns.find(key);
    if (it == postgres.columns.end()) {
      ADD_FAILURE() << key.first << "." << key.second << " exists on SQLite only";
      continue;
    }
    EXPECT_EQ(column, it->second) << key.first << "." << key.second << " (SQLite vs PostgreSQL)";
  }
  for (const auto& [key, column] : postgres.columns) {
    if (!sqlite.columns.count(key))
      ADD_FAILURE() << key.first << "." << key.second << " exists on PostgreSQL only";
  }
  EXPECT_FALSE(sqlite.indexes.empty()) << "the indexes were not read";
  EXPECT_EQ(sqlite.indexes, postgres.indexes);
}

}  // namespace
}  // namespace tributary::store
