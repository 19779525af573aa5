#include "core/sd_notify.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>

#include "core/crypto.h"
#include "testing/notify_receiver.h"

namespace tributary {
namespace {

using namespace std::chrono_literals;

class ScratchDir {
 public:
  ScratchDir()
      : path_(std::filesystem::temp_directory_path() / ("tributary-notify-" + crypto::random_token(8))) {
    std::filesystem::create_directories(path_);
  }
  ~ScratchDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

TEST(SdNotify, SendsTheStateToAPathSocket) {
  ScratchDir dir;
  notify_testing::NotifyReceiver receiver(dir.path());
  ASSERT_TRUE(notify_service_manager(receiver.name(), "READY=1").ok());
  EXPECT_EQ(receiver.receive(2000ms), "READY=1");
}

TEST(SdNotify, SendsTheStateToAnAbstractSocket) {
  notify_testing::NotifyReceiver receiver;
  ASSERT_EQ(receiver.name()[0], '@');
  ASSERT_TRUE(notify_service_manager(receiver.name(), "STOPPING=1").ok());
  EXPECT_EQ(receiver.receive(2000ms), "STOPPING=1");
}

TEST(SdNotify, ReadsTheSocketFromTheEnvironment) {
  notify_testing::NotifyReceiver receiver;
  ::setenv("NOTIFY_SOCKET", receiver.name().c_str(), 1);
  auto sent = notify_service_manager("READY=1");
  ::unsetenv("NOTIFY_SOCKET");
  ASSERT_TRUE(sent.ok());
  EXPECT_EQ(receiver.receive(2000ms), "READY=1");
  // Not started by systemd: nothing to send, and no error.
  EXPECT_TRUE(notify_service_manager("READY=1").ok());
}

TEST(SdNotify, ReportsASocketThatIsNotThere) {
  ScratchDir dir;
  EXPECT_FALSE(notify_service_manager((dir.path() / "absent").string(), "READY=1").ok());
  EXPECT_FALSE(notify_service_manager("relative/name", "READY=1").ok());
}

}  // namespace
}  // namespace tributary
