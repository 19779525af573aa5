// Test-only helpers for connector tests: reading files from a connector's testdata/ folder, building
// requests and checking parsed events against a testdata case. Header-only, so nothing here is linked into
// the library.
#pragma once

#include <gtest/gtest.h>

#include <atomic>
#include <boost/json.hpp>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "connectors/model.h"
#include "connectors/registry.h"
#include "core/clock.h"
#include "http/message.h"

namespace tributary::connectors::testing {

// Reads src/connectors/<relative> byte for byte (signatures cover exact bytes).
inline std::string read_testdata(std::string_view relative) {
  const std::string path = std::string(TRIBUTARY_SOURCE_DIR) + "/src/connectors/" + std::string(relative);
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot open test data " + path);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

inline boost::json::value read_testdata_json(std::string_view relative) {
  return boost::json::parse(read_testdata(relative));
}

// A clock that reads what a test set it to (freshness checks of signed send times).
class ManualClock final : public Clock {
 public:
  explicit ManualClock(Millis now = 0) : now_(now) {}
  Millis now_ms() const override { return now_.load(); }
  void set(Millis now) { now_.store(now); }
  void advance(Millis by) { now_.fetch_add(by); }

 private:
  std::atomic<Millis> now_;
};

inline http::Request post_request(std::string body, HeaderList headers) {
  http::Request r;
  r.method = "POST";
  r.target = "/ingress/test";
  r.path = "/ingress/test";
  r.headers = std::move(headers);
  r.body = std::move(body);
  r.remote_address = "127.0.0.1";
  return r;
}

// The shared fixture of a registered connector's webhook tests: the connector as `register_connector` adds
// it, its testdata/vectors.json and that file's `secret` (the webhook secret or token).
class RegisteredConnectorTest : public ::testing::Test {
 protected:
  RegisteredConnectorTest(void (*register_connector)(Registry&), std::string tool) : tool_(std::move(tool)) {
    register_connector(registry_);
    connector_ = registry_.find(tool_);
    vectors_ = read_testdata_json(tool_ + "/testdata/vectors.json");
    secret_ = std::string(vectors_.at("secret").as_string());
  }

  // A file of the connector's testdata/ folder.
  std::string body_of(std::string_view file) const {
    return read_testdata(tool_ + "/testdata/" + std::string(file));
  }
  Verification verify(const http::Request& r) const {
    return connector_->verify(r, VerificationKeys{{secret_}});
  }
  Result<ParsedEvent> parse_json(std::string body) const {
    return connector_->parse(post_request(std::move(body), {}));
  }

  std::string tool_;
  Registry registry_;
  const Connector* connector_ = nullptr;
  boost::json::value vectors_;
  std::string secret_;
};

// `events` are, in order, the `expected` array of a testdata case: each entry's model, action and remote_id.
inline void expect_events(const std::vector<UnifiedEvent>& events, const boost::json::value& expected) {
  const auto& want = expected.as_array();
  ASSERT_EQ(events.size(), want.size());
  for (std::size_t i = 0; i < want.size(); ++i) {
    EXPECT_EQ(to_string(events[i].model), want[i].at("model").as_string());
    EXPECT_EQ(to_string(events[i].action), want[i].at("action").as_string());
    EXPECT_EQ(events[i].remote_id, want[i].at("remote_id").as_string());
  }
}

}  // namespace tributary::connectors::testing
