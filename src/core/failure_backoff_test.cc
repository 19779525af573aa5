#include "core/failure_backoff.h"

#include <gtest/gtest.h>
#include <spdlog/sinks/ringbuffer_sink.h>
#include <spdlog/spdlog.h>

#include <memory>

namespace tributary {
namespace {

using std::chrono::milliseconds;

// The lines the default logger writes while `fn` runs.
template <typename Fn>
std::vector<std::string> logged(Fn&& fn) {
  auto sink = std::make_shared<spdlog::sinks::ringbuffer_sink_mt>(64);
  spdlog::default_logger()->sinks().push_back(sink);
  fn();
  spdlog::default_logger()->sinks().pop_back();
  return sink->last_formatted();
}

TEST(FailureBackoff, TheWaitDoublesUpToTheMaximumAndStartsOverAfterASuccess) {
  FailureBackoff backoff("stage", milliseconds(100), milliseconds(500));
  const Error full{ErrorKind::kStorageUnavailable, "disk full"};
  EXPECT_FALSE(backoff.failing());
  EXPECT_EQ(backoff.failed(full), milliseconds(100));
  EXPECT_EQ(backoff.failed(full), milliseconds(200));
  EXPECT_EQ(backoff.failed(full), milliseconds(400));
  EXPECT_EQ(backoff.failed(full), milliseconds(500));
  EXPECT_EQ(backoff.failed(full), milliseconds(500));
  EXPECT_TRUE(backoff.failing());
  EXPECT_EQ(backoff.failures(), 5u);
  backoff.succeeded();
  EXPECT_FALSE(backoff.failing());
  EXPECT_EQ(backoff.failed(full), milliseconds(100));
}

// A fault that lasts must not fill the log as well: one line when it starts, one when its kind changes, one
// when it ends.
TEST(FailureBackoff, ASpellIsLoggedOnceWhenItStartsChangesAndEnds) {
  FailureBackoff backoff("processor", milliseconds(1), milliseconds(2));
  auto lines = logged([&] {
    for (int i = 0; i < 50; ++i)
      (void)backoff.failed(Error{ErrorKind::kStorageUnavailable, "database or disk is full"});
    (void)backoff.failed(Error{ErrorKind::kUnavailable, "pool exhausted"});
    (void)backoff.failed(Error{ErrorKind::kUnavailable, "pool exhausted"});
    backoff.succeeded();
    backoff.succeeded();
  });
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_NE(lines[0].find("processor: database or disk is full"), std::string::npos) << lines[0];
  EXPECT_NE(lines[1].find("pool exhausted"), std::string::npos) << lines[1];
  EXPECT_NE(lines[2].find("working again"), std::string::npos) << lines[2];
  EXPECT_NE(lines[2].find("52 failed tries"), std::string::npos) << lines[2];
}

}  // namespace
}  // namespace tributary
