// What may reach a log line from the network, and what never does.
#include "core/log.h"

#include <gtest/gtest.h>

namespace tributary {
namespace {

TEST(LogSafeTest, ControlCharactersCannotStartALineOfTheirOwn) {
  const std::string forged = log_safe("/x\n2026-12-07 [info] integration deleted\r\x1b[2J\x7f");
  EXPECT_EQ(forged.find('\n'), std::string::npos);
  EXPECT_EQ(forged.find('\r'), std::string::npos);
  EXPECT_EQ(forged.find('\x1b'), std::string::npos);
  EXPECT_EQ(forged, "/x\\x0a2026-12-07 [info] integration deleted\\x0d\\x1b[2J\\x7f");
  // An escape sequence already in the input stays distinguishable from an escaped byte.
  EXPECT_EQ(log_safe("a\\x0ab"), "a\\\\x0ab");
  EXPECT_EQ(log_safe("Zoë – ok"), "Zoë – ok");
}

TEST(LogSafeTest, LongTextIsCutAndMarked) {
  EXPECT_EQ(log_safe(std::string(300, 'a'), 10), std::string(10, 'a') + "…");
  EXPECT_EQ(log_safe(std::string(10, 'a'), 10), std::string(10, 'a'));
}

}  // namespace
}  // namespace tributary
