// A node started by systemd (Type=notify) tells it it is ready once its listener accepts, and that it is
// stopping when it stops: the notices go to the datagram socket named by $NOTIFY_SOCKET.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>

#include "app/node_test_support.h"
#include "testing/notify_receiver.h"

namespace tributary::app {
namespace {

using namespace std::chrono_literals;

class SdNotifyNodeTest : public node_testing::NodeTest {
 protected:
  void TearDown() override {
    ::unsetenv("NOTIFY_SOCKET");
    NodeTest::TearDown();
  }
};

TEST_F(SdNotifyNodeTest, TellsTheServiceManagerWhenReadyAndWhenStopping) {
  notify_testing::NotifyReceiver manager;
  ::setenv("NOTIFY_SOCKET", manager.name().c_str(), 1);
  EXPECT_EQ(manager.receive(0ms), std::nullopt);
  start_node();

  ASSERT_EQ(manager.receive(5000ms), "READY=1");
  // Ready means accepting: the health endpoint answers at once.
  auto health = pipeline_testing::call(*client_, "GET", node_->base_url() + "/healthz");
  EXPECT_EQ(health.status, 200) << health.body;

  node_->stop();
  EXPECT_EQ(manager.receive(5000ms), "STOPPING=1");
}

TEST_F(SdNotifyNodeTest, AFileSocketWorksToo) {
  pipeline_testing::TempDir dir;
  notify_testing::NotifyReceiver manager(dir.path());
  ::setenv("NOTIFY_SOCKET", manager.name().c_str(), 1);
  start_node();
  EXPECT_EQ(manager.receive(5000ms), "READY=1");
}

}  // namespace
}  // namespace tributary::app
