// Test-only helpers for connector tests: reading files from a connector's testdata/ folder, building
// requests and checking parsed events against a testdata case. Header-only, so nothing here is linked into
// the library.
#pragma once

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "connectors/model.h"
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
