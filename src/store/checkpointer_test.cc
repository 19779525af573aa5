#include "store/checkpointer.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "core/ids.h"

namespace tributary::store {
namespace {

std::int64_t wal_size(const std::string& path) {
  std::error_code ec;
  auto size = std::filesystem::file_size(path + "-wal", ec);
  return ec ? 0 : static_cast<std::int64_t>(size);
}

// With automatic checkpoints off, the log only shrinks because the checkpointer copied it back: the writer's
// next transaction then starts the log over from its beginning instead of appending.
TEST(Checkpointer, KeepsTheLogBoundedWithoutAutomaticCheckpoints) {
  std::string path = testing::TempDir() + "/" + new_id("ckpt") + ".db";
  auto db = open_database(path);
  ASSERT_TRUE(db.ok()) << db.error().message;
  auto writer = (*db)->connect();
  ASSERT_TRUE(writer.ok());
  ASSERT_TRUE(disable_auto_checkpoint(**writer).ok());
  ASSERT_TRUE((*writer)->exec_script("CREATE TABLE t (v BLOB)").ok());
  auto write_batch = [&] {
    ASSERT_TRUE((*writer)->begin().ok());
    for (int i = 0; i < 200; ++i)
      ASSERT_TRUE((*writer)->execute("INSERT INTO t VALUES ($1)", {Blob{std::string(4000, 'x')}}).ok());
    ASSERT_TRUE((*writer)->commit().ok());
  };
  for (int i = 0; i < 5; ++i)
    write_batch();
  std::int64_t grown = wal_size(path);
  EXPECT_GT(grown, 4'000'000);  // nothing checkpointed: the log holds all five batches

  Checkpointer checkpointer(**db, std::chrono::milliseconds(20));
  ASSERT_TRUE(checkpointer.start().ok());
  checkpointer.stop();  // at least the final pass has run
  for (int i = 0; i < 5; ++i)
    write_batch();
  // The log restarted at its beginning: about as large as before, although as much was written again.
  EXPECT_LT(wal_size(path), grown + grown / 2);  // without the checkpoint it would be about 2 × grown
  auto rows = (*writer)->query("SELECT COUNT(*) FROM t");
  ASSERT_TRUE(rows.ok());
  EXPECT_EQ(rows->front().int64(0), 2000);
}

}  // namespace
}  // namespace tributary::store
