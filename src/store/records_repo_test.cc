#include "store/records_repo.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <thread>

#include "core/crypto.h"
#include "testing/test_db.h"

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

// The Kombo pattern — "give me what changed since my previous read started" — run against writers whose
// transactions commit a while after they write their records with a time taken then (as a processor batch or
// a sync page does). The reader must end with exactly the stored state of every record, on every run: without
// the stamp at commit and the read horizon it misses changes for good.
TEST_P(RecordsRepoTest, AReaderPollingUpdatedAfterNeverMissesAConcurrentChange) {
  constexpr int kRecords = 12;
  constexpr int kWriters = 3;
  constexpr int kWritesPerWriter = 120;
  for (int i = 0; i < kRecords; ++i)
    put(std::to_string(i), R"({"v":"initial"})", now_ms());

  std::atomic<int> writers_left{kWriters};
  std::vector<std::thread> writers;
  for (int w = 0; w < kWriters; ++w) {
    writers.emplace_back([&, w] {
      auto conn = connect();
      std::mt19937 rng(static_cast<unsigned>(w) * 7919u + 1u);
      for (int i = 0; i < kWritesPerWriter; ++i) {
        const std::string remote_id = std::to_string(rng() % kRecords);
        Status s = in_transaction(*conn, [&]() -> Status {
          const Millis stamp = now_ms();
          auto up =
              records::upsert(*conn, "personio:a", "hris_employees", "id_" + remote_id, remote_id,
                              R"({"v":")" + std::to_string(w) + "-" + std::to_string(i) + R"("})", stamp);
          if (!up) return up.error();
          // Work between the stamp and the commit: a batch's other rows, an fsync.
          std::this_thread::sleep_for(std::chrono::microseconds(rng() % 6000));
          return {};
        });
        EXPECT_TRUE(s.ok()) << s.error().message;
      }
      --writers_left;
    });
  }

  std::map<std::string, std::string> seen;  // remote id -> data, as the reader holds it
  auto reader = connect();
  auto poll = [&](std::optional<Millis> updated_after) {
    const Millis started = now_ms();
    auto horizon = records::read_horizon(*reader, std::chrono::seconds(10));
    EXPECT_TRUE(horizon.ok()) << horizon.error().message;
    RecordFilter f;
    f.integration_id = "personio:a";
    f.model = "hris_employees";
    f.updated_after = updated_after;
    f.visible_before = horizon.ok() ? *horizon : started;
    f.limit = 1000;
    auto rows = records::list(*reader, f);
    EXPECT_TRUE(rows.ok()) << rows.error().message;
    if (rows.ok())
      for (const auto& row : *rows)
        seen[row.remote_id] = row.data;
    return started;
  };
  std::optional<Millis> since;
  int polls = 0;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (writers_left.load() > 0 && std::chrono::steady_clock::now() < deadline) {
    since = poll(since);
    ++polls;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  for (auto& t : writers)
    t.join();
  std::this_thread::sleep_for(std::chrono::milliseconds(5));  // past the last stamp, on this clock
  since = poll(since);

  RecordFilter all;
  all.integration_id = "personio:a";
  all.model = "hris_employees";
  all.limit = 1000;
  auto stored = records::list(c(), all);
  ASSERT_TRUE(stored.ok());
  ASSERT_EQ(stored->size(), static_cast<std::size_t>(kRecords));
  int stale = 0;
  for (const auto& row : *stored) {
    EXPECT_EQ(seen[row.remote_id], row.data)
        << "the reader holds a stale version of record " << row.remote_id;
    stale += seen[row.remote_id] != row.data ? 1 : 0;
  }
  EXPECT_GT(polls, 10) << "the reader must have polled while the writers ran";
  EXPECT_EQ(stale, 0);
}

// A version written in a transaction is stamped when the transaction commits, not when it was written; a
// reader waits for a record write announced before it, however long that takes, and only for those.
TEST_P(RecordsRepoTest, VersionsAreStampedAtCommitAndReadersWaitForAnnouncedWrites) {
  auto writer = connect();
  ASSERT_TRUE(writer->begin().ok());
  ASSERT_TRUE(records::upsert(*writer, "personio:a", "hris_employees", "id_1", "1", R"({"v":1})", 1000).ok());
  ASSERT_TRUE(records::mark_deleted(*writer, "personio:a", "hris_employees", "1", 1000).ok());
  const Millis before_commit = now_ms();
  ASSERT_TRUE(writer->commit().ok());
  auto stored = records::get(c(), "personio:a", "hris_employees", "1");
  ASSERT_TRUE(stored.ok() && *stored);
  EXPECT_GE((*stored)->changed_at, before_commit) << "stamped when written, not at commit";
  EXPECT_EQ((*stored)->remote_deleted_at, std::optional<Millis>(1000));

  // The fence itself: a reader waits for an announced write until it ends.
  ASSERT_TRUE(writer->begin().ok());
  ASSERT_TRUE(writer->announce_record_write().ok());
  std::atomic<bool> committed{false};
  std::thread later([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    committed = true;
    EXPECT_TRUE(writer->commit().ok());
  });
  const auto began = std::chrono::steady_clock::now();
  auto fenced = records::await_writers(c(), std::chrono::seconds(10));
  const auto waited = std::chrono::steady_clock::now() - began;
  later.join();
  ASSERT_TRUE(fenced.ok()) << fenced.error().message;
  EXPECT_TRUE(committed.load());
  EXPECT_GE(waited, std::chrono::milliseconds(250));

  // Nothing announced: no wait. A bounded wait gives up with kUnavailable; a rolled-back write is no wait.
  EXPECT_TRUE(records::await_writers(c(), std::chrono::seconds(10)).ok());
  ASSERT_TRUE(writer->begin().ok());
  ASSERT_TRUE(writer->announce_record_write().ok());
  auto timed_out = records::await_writers(c(), std::chrono::milliseconds(50));
  ASSERT_FALSE(timed_out.ok());
  EXPECT_EQ(timed_out.error().kind, ErrorKind::kUnavailable);
  ASSERT_TRUE(writer->rollback().ok());
  EXPECT_TRUE(records::await_writers(c(), std::chrono::milliseconds(50)).ok());
}

INSTANTIATE_TEST_SUITE_P(Backends, RecordsRepoTest, testing_db::kBackends, testing_db::BackendParamName());

}  // namespace
}  // namespace tributary::store
