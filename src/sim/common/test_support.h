// Test support for the simulators: TestReceiver, a webhook receiver on a real http::Server on 127.0.0.1 (port
// 0) that records every request and answers with programmable statuses ("fail the next 2 requests to /a with
// 500, then 200"), and call(), a blocking request through a CurlClient. Header-only and used by tests only.
// SimFixture is the fixture every simulator test derives from; it switches the tool's API limits off (the
// tests check behaviour, not pacing; limits_test.cc checks the limits). Thread-safety: all methods are safe
// from any thread.
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <fstream>
#include <functional>
#include <iterator>
#include <map>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <boost/json.hpp>

#include "core/mutex.h"
#include "http/client.h"
#include "http/server.h"
#include "sim/simulator.h"

namespace tributary::sim::testing {

// A vendor example from src/connectors/<tool>/testdata/contract/ (its README gives the source), parsed.
inline boost::json::value contract_example(const std::string& tool, const std::string& file) {
  std::ifstream in(std::string(TRIBUTARY_SOURCE_DIR) + "/src/connectors/" + tool + "/testdata/contract/" +
                   file);
  if (!in) throw std::runtime_error("no contract example " + tool + "/" + file);
  return boost::json::parse(std::string(std::istreambuf_iterator<char>(in), {}));
}

// The keys of an object, to hold a simulator's answer against the vendor's example.
inline std::set<std::string> keys_of(const boost::json::value& v) {
  std::set<std::string> out;
  for (const auto& kv : v.as_object())
    out.emplace(kv.key());
  return out;
}

// The keys of `got` (dotted paths, "[]" for an array's items) that the vendor's example `vendor` lacks: an
// object's keys must all be in the example's object, recursively where both hold an object, or an array whose
// first item is an object (every item of `got` against the example's first item). A key the example has with
// a null or scalar value is not looked into.
inline std::set<std::string> keys_not_in(const boost::json::value& got, const boost::json::value& vendor,
                                         const std::string& path = "") {
  std::set<std::string> out;
  if (got.is_array() && vendor.is_array()) {
    if (vendor.as_array().empty()) return out;
    for (const auto& item : got.as_array())
      for (auto& k : keys_not_in(item, vendor.as_array().front(), path + "[]"))
        out.insert(std::move(k));
    return out;
  }
  if (!got.is_object() || !vendor.is_object()) return out;
  for (const auto& kv : got.as_object()) {
    const std::string key = path.empty() ? std::string(kv.key()) : path + "." + std::string(kv.key());
    const boost::json::value* theirs = vendor.as_object().if_contains(kv.key());
    if (theirs == nullptr) {
      out.insert(key);
      continue;
    }
    for (auto& k : keys_not_in(kv.value(), *theirs, key))
      out.insert(std::move(k));
  }
  return out;
}

// The paths (as keys_not_in names them) where `got` holds a value of another kind than the vendor's example
// (string, number, boolean, object, array; null matches any kind): "id: string, the vendor's number", or an
// envelope where the vendor answers a bare array. A connector written against the simulator could come to
// read only the simulator's kind.
inline std::set<std::string> kinds_not_as_in(const boost::json::value& got, const boost::json::value& vendor,
                                             const std::string& path = "") {
  auto kind = [](const boost::json::value& v) -> std::string {
    if (v.is_string()) return "string";
    if (v.is_number()) return "number";
    if (v.is_bool()) return "boolean";
    if (v.is_object()) return "object";
    if (v.is_array()) return "array";
    return {};
  };
  std::set<std::string> out;
  if (got.is_array() && vendor.is_array()) {
    if (vendor.as_array().empty()) return out;
    for (const auto& item : got.as_array())
      for (auto& k : kinds_not_as_in(item, vendor.as_array().front(), path + "[]"))
        out.insert(std::move(k));
    return out;
  }
  if (got.is_object() && vendor.is_object()) {
    for (const auto& kv : got.as_object()) {
      const std::string key = path.empty() ? std::string(kv.key()) : path + "." + std::string(kv.key());
      if (const boost::json::value* theirs = vendor.as_object().if_contains(kv.key()))
        for (auto& k : kinds_not_as_in(kv.value(), *theirs, key))
          out.insert(std::move(k));
    }
    return out;
  }
  const std::string ours = kind(got);
  const std::string theirs = kind(vendor);
  if (!ours.empty() && !theirs.empty() && ours != theirs)
    out.insert((path.empty() ? std::string("(the answer)") : path) + ": " + ours + ", the vendor's " +
               theirs);
  return out;
}

// A simulator's answer held against the vendor's example `file` in src/connectors/<tool>/testdata/contract/:
// it passes when every key of `got` (envelope and record, recursively, as keys_not_in reads them) is in the
// example, apart from `unconfirmed`, the keys the simulator answers that no vendor example shows (each named
// in the tool's contract README). An `unconfirmed` key the answer no longer has fails too, so the list cannot
// outlive the simulator. A simulator may leave optional keys out; it must not answer keys the vendor does
// not. A value of another kind than the example's (kinds_not_as_in) fails the same way, unless listed as
// "<path>: <kind>, the vendor's <kind>" in `unconfirmed`.
inline ::testing::AssertionResult answers_like_vendor(const boost::json::value& got, const std::string& tool,
                                                      const std::string& file,
                                                      const std::set<std::string>& unconfirmed = {}) {
  if (got.is_null()) return ::testing::AssertionFailure() << "the answer is not JSON";
  const boost::json::value vendor = contract_example(tool, file);
  std::set<std::string> extra = keys_not_in(got, vendor);
  extra.merge(kinds_not_as_in(got, vendor));
  std::set<std::string> unexpected;
  std::set<std::string> stale(unconfirmed);
  for (const auto& k : extra)
    if (stale.erase(k) == 0) unexpected.insert(k);
  if (unexpected.empty() && stale.empty()) return ::testing::AssertionSuccess();
  auto join = [](const std::set<std::string>& keys) {
    std::string out;
    for (const auto& k : keys)
      out += (out.empty() ? "" : ", ") + k;
    return out;
  };
  auto failure = ::testing::AssertionFailure() << tool << "/" << file << ":";
  if (!unexpected.empty())
    failure << " keys (or kinds) the vendor's example does not have: " << join(unexpected) << ";";
  if (!stale.empty()) failure << " listed as unconfirmed but not answered: " << join(stale) << ";";
  return failure;
}

class TestReceiver {
 public:
  TestReceiver() {
    http::ServerOptions options;
    options.threads = 1;
    server_ = std::make_unique<http::Server>(options, [this](http::Request request, http::Responder respond) {
      int status = 200;
      {
        MutexLock lock(mu_);
        auto& queue = planned_[request.path];
        if (!queue.empty()) {
          status = queue.front();
          queue.pop_front();
        }
        requests_.push_back(std::move(request));
      }
      cv_.notify_all();
      respond(http::Response::json(status, "{}"));
    });
    started_ = server_->start().ok();
  }
  ~TestReceiver() { server_->stop(); }

  bool started() const { return started_; }
  std::string url(std::string_view path = "/hook") const {
    return "http://127.0.0.1:" + std::to_string(server_->port()) + std::string(path);
  }
  // The next `n` requests to `path` get `status`; later ones 200.
  void fail_next(std::string_view path, int n, int status) {
    MutexLock lock(mu_);
    for (int i = 0; i < n; ++i)
      planned_[std::string(path)].push_back(status);
  }
  std::vector<http::Request> requests() const {
    MutexLock lock(mu_);
    return requests_;
  }
  // Waits (bounded) until `pred` holds over the requests received so far.
  bool wait_until(const std::function<bool(const std::vector<http::Request>&)>& pred,
                  std::chrono::milliseconds timeout = std::chrono::milliseconds{5000}) const {
    MutexLock lock(mu_);
    return lock.wait_for(cv_, timeout, [&]() REQUIRES(mu_) { return pred(requests_); });
  }
  // Waits (bounded) until `n` received requests pass `keep`; returns those that do.
  std::vector<http::Request> wait_matching(const std::function<bool(const http::Request&)>& keep,
                                           std::size_t n = 1) const {
    auto matching = [&](const std::vector<http::Request>& all) {
      std::vector<http::Request> out;
      for (const auto& r : all)
        if (keep(r)) out.push_back(r);
      return out;
    };
    wait_until([&](const auto& all) { return matching(all).size() >= n; });
    return matching(requests());
  }
  bool wait_for_count(std::size_t n,
                      std::chrono::milliseconds timeout = std::chrono::milliseconds{5000}) const {
    return wait_until([n](const auto& r) { return r.size() >= n; }, timeout);
  }

 private:
  mutable Mutex mu_;
  mutable std::condition_variable cv_;
  std::vector<http::Request> requests_ GUARDED_BY(mu_);
  std::map<std::string, std::deque<int>> planned_ GUARDED_BY(mu_);
  std::unique_ptr<http::Server> server_;
  bool started_ = false;
};

struct Reply {
  int status = 0;
  std::string body;
  HeaderList headers;
  std::string error;

  boost::json::value json() const {
    boost::system::error_code ec;
    auto v = boost::json::parse(body, ec);
    return ec ? boost::json::value() : v;
  }
  std::string header(std::string_view name) const {
    for (const auto& [k, v] : headers)
      if (http::iequals(k, name)) return v;
    return {};
  }
};

inline Reply call(http::HttpClient& client, std::string method, std::string url, std::string body = {},
                  HeaderList headers = {}) {
  http::ClientRequest request;
  request.method = std::move(method);
  request.url = std::move(url);
  request.body = std::move(body);
  if (!request.body.empty() && headers.empty()) headers.emplace_back("Content-Type", "application/json");
  request.headers = std::move(headers);
  request.timeout = std::chrono::milliseconds{5000};
  auto response = client.send_sync(std::move(request));
  return Reply{response.status, std::move(response.body), std::move(response.headers),
               std::move(response.error)};
}

inline boost::json::value body_json(const http::Request& request) {
  boost::system::error_code ec;
  auto v = boost::json::parse(request.body, ec);
  return ec ? boost::json::value() : v;
}

inline std::string header_of(const http::Request& r, std::string_view name) {
  auto h = r.header(name);
  return h ? std::string(*h) : std::string{};
}

// A webhook receiver, an HTTP client and the tool's simulator (from `make`), started with every vendor delay
// scaled by `retry_scale` so retries come within milliseconds. `Receiver` needs started() and a default
// constructor.
template <typename Receiver = TestReceiver>
class SimFixture : public ::testing::Test {
 protected:
  using Factory = std::unique_ptr<Simulator> (*)(SimOptions);
  explicit SimFixture(Factory make, double retry_scale = 0.0002) : make_(make), retry_scale_(retry_scale) {}

  void SetUp() override {
    ASSERT_TRUE(receiver_.started());
    SimOptions options;
    options.retry_scale = retry_scale_;
    sim_ = make_(options);
    ASSERT_TRUE(sim_->start().ok());
    ASSERT_EQ(call(client_, "POST", sim_->base_url() + "/_sim/limits", R"({"enforce": false})").status, 200);
  }
  void TearDown() override {
    if (sim_) sim_->stop();
  }

  Receiver receiver_;
  http::CurlClient client_{http::CurlClientOptions{}};
  std::unique_ptr<Simulator> sim_;

 private:
  Factory make_;
  double retry_scale_;
};

}  // namespace tributary::sim::testing
