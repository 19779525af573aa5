#include "store/records_repo.h"

#include <gtest/gtest.h>

#include <map>
#include <set>

#include "core/crypto.h"
#include "store/test_db.h"

namespace tributary::store {
namespace {

using testing_db::MigratedDbTest;

class RecordsRepoTest : public MigratedDbTest {
 protected:
  UpsertResult put(const std::string& remote_id, const std::string& data, Millis now,
                   const std::string& integration = "personio:a") {
    auto r = records::upsert(c(), integration, "hris_employees", "id_" + remote_id, remote_id, data, now);
    EXPECT_TRUE(r.ok()) << r.error().message;
    return r.ok() ? *r : UpsertResult{};
  }
  std::vector<RecordRow> list(RecordFilter f) {
    if (f.integration_id.empty()) f.integration_id = "personio:a";
    if (f.model.empty()) f.model = "hris_employees";
    auto r = records::list(c(), f);
    EXPECT_TRUE(r.ok()) << r.error().message;
    return r.ok() ? *r : std::vector<RecordRow>{};
  }
};

TEST_P(RecordsRepoTest, ChangedAtMovesOnlyWhenTheContentChanges) {
  auto first = put("1", R"({"first_name":"Ada"})", 1000);
  EXPECT_TRUE(first.created);
  EXPECT_TRUE(first.changed);
  EXPECT_EQ(first.row.changed_at, 1000);
  EXPECT_EQ(first.row.id, "id_1");

  auto same = put("1", R"({"first_name":"Ada"})", 2000);
  EXPECT_FALSE(same.created);
  EXPECT_FALSE(same.changed);
  EXPECT_EQ(same.row.changed_at, 1000);
  EXPECT_EQ(same.row.seq, first.row.seq);

  auto changed = put("1", R"({"first_name":"Grace"})", 3000);
  EXPECT_TRUE(changed.changed);
  EXPECT_EQ(changed.row.changed_at, 3000);
  EXPECT_GT(changed.row.seq, first.row.seq);
  EXPECT_EQ(changed.row.data, R"({"first_name":"Grace"})");
}

TEST_P(RecordsRepoTest, MarkDeletedHidesTheRecordUnlessDeletedOnesAreAsked) {
  put("1", "{}", 1000);
  put("2", "{}", 1000);
  auto deleted = records::mark_deleted(c(), "personio:a", "hris_employees", "1", 2000);
  ASSERT_TRUE(deleted.ok());
  EXPECT_TRUE(*deleted);
  auto again = records::mark_deleted(c(), "personio:a", "hris_employees", "1", 2500);
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(*again);
  auto missing = records::mark_deleted(c(), "personio:a", "hris_employees", "nope", 2500);
  ASSERT_TRUE(missing.ok());
  EXPECT_FALSE(*missing);

  EXPECT_EQ(list({}).size(), 1u);
  RecordFilter with_deleted;
  with_deleted.include_deleted = true;
  auto all = list(with_deleted);
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[1].remote_id, "1");
  EXPECT_EQ(all[1].remote_deleted_at, 2000);
  EXPECT_EQ(all[1].changed_at, 2000);

  // Coming back clears the deletion even with the same content.
  auto back = put("1", "{}", 3000);
  EXPECT_TRUE(back.changed);
  EXPECT_FALSE(back.row.remote_deleted_at);
}

TEST_P(RecordsRepoTest, FiltersByUpdatedAfterInclusiveIdsRemoteIdsAndIntegration) {
  put("1", "{}", 1000);
  put("2", "{}", 2000);
  put("3", "{}", 3000);
  put("9", "{}", 3000, "personio:other");
  RecordFilter after;
  after.updated_after = 2000;
  auto got = list(after);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].remote_id, "2");
  EXPECT_EQ(got[1].remote_id, "3");

  RecordFilter ids;
  ids.ids = {"id_1", "id_3"};
  EXPECT_EQ(list(ids).size(), 2u);
  RecordFilter remote;
  remote.remote_ids = {"3", "9"};
  got = list(remote);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].remote_id, "3");
}

TEST_P(RecordsRepoTest, CursorNeverSkipsOrRepeatsUnchangedRecordsWhileOthersChange) {
  for (int i = 0; i < 25; ++i)
    put(std::to_string(i), "{\"v\":0}", 1000 + (i / 5));  // ties on changed_at, broken by seq
  std::vector<std::string> seen;
  std::optional<RecordCursor> cursor;
  Millis now = 5000;
  for (int page = 0; page < 20; ++page) {
    RecordFilter f;
    f.limit = 4;
    if (cursor) {
      auto round = records::decode_cursor(records::encode_cursor(*cursor));
      ASSERT_TRUE(round);
      f.after = round;
    }
    auto rows = list(f);
    if (rows.empty()) break;
    for (const auto& r : rows)
      seen.push_back(r.remote_id);
    cursor = RecordCursor{rows.back().changed_at, rows.back().seq};
    // Between pages: change one record already read and one not read yet, and add a new one.
    put(std::to_string(page), "{\"v\":" + std::to_string(page + 1) + "}", now);
    put(std::to_string(24 - page), "{\"v\":" + std::to_string(page + 1) + "}", now);
    put("new" + std::to_string(page), "{}", now);
    ++now;
  }
  // Every original record appears; a record appears again only after it changed.
  std::set<std::string> unique(seen.begin(), seen.end());
  for (int i = 0; i < 25; ++i)
    EXPECT_TRUE(unique.count(std::to_string(i))) << i;
  std::map<std::string, int> counts;
  for (const auto& s : seen)
    ++counts[s];
  for (const auto& [id, n] : counts)
    EXPECT_LE(n, 3) << id;  // first read, and after each of at most two changes
  EXPECT_TRUE(unique.count("new0"));
}

TEST_P(RecordsRepoTest, MalformedCursorsAreRejected) {
  EXPECT_FALSE(records::decode_cursor(""));
  EXPECT_FALSE(records::decode_cursor("!!!"));
  EXPECT_FALSE(records::decode_cursor(crypto::base64url_encode_nopad("r1:12")));
  EXPECT_FALSE(records::decode_cursor(crypto::base64url_encode_nopad("r1:-1:2")));
  EXPECT_FALSE(records::decode_cursor(crypto::base64url_encode_nopad("r1:1:2x")));
  auto ok = records::decode_cursor(records::encode_cursor({123, 45}));
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->changed_at, 123);
  EXPECT_EQ(ok->seq, 45);
}

INSTANTIATE_TEST_SUITE_P(Backends, RecordsRepoTest, testing_db::kBackends, testing_db::BackendParamName());

}  // namespace
}  // namespace tributary::store
