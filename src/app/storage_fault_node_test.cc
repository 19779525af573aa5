// A node whose database stops taking writes, with real faults: SQLite on a small tmpfs that is filled up
// (root only: the case is skipped where mount is not permitted), PostgreSQL made read-only for the node's
// role, and PostgreSQL with the node's tables in a tablespace on a full tmpfs. What must hold: the ingress
// answers 503 (never 2xx) for what it could not write, with a reason and Retry-After; /readyz and /metrics
// say so; the fault is logged once, not per request; the node recovers by itself when the fault passes; and
// every webhook acknowledged before, during and after the fault is recorded and relayed.
#include <gtest/gtest.h>
#include <pwd.h>
#include <spdlog/sinks/ringbuffer_sink.h>
#include <spdlog/spdlog.h>
#include <sys/mount.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <thread>

#include "app/node_test_support.h"

namespace tributary::app {
namespace {

namespace bj = boost::json;
using namespace pipeline_testing;
using namespace node_testing;

// Bodies padded so that a few hundred of them outgrow what SQLite's write-ahead log already holds.
std::string padded_body(int candidate) {
  std::string body = candidate_created(std::to_string(candidate));
  body.pop_back();  // the closing brace
  body += R"(,"padding":")" + std::string(16 * 1024, 'x') + "\"}";
  return body;
}

// Mounts a tmpfs of `megabytes` at a fresh directory; "" (and `why` set) when that is not permitted.
std::string mount_tmpfs(int megabytes, std::string& why) {
  if (::geteuid() != 0) {
    why = "not root: mounting a small tmpfs needs root";
    return {};
  }
  const std::string dir = store::testing_db::unique_dir("tmpfs");
  std::filesystem::create_directories(dir);
  const std::string options = "size=" + std::to_string(megabytes) + "m,mode=0755";
  if (::mount("tmpfs", dir.c_str(), "tmpfs", MS_NOSUID | MS_NODEV, options.c_str()) != 0) {
    why = std::string("mount -t tmpfs failed: ") + std::strerror(errno);
    std::filesystem::remove_all(dir);
    return {};
  }
  return dir;
}

void unmount(std::string& dir) {
  if (dir.empty()) return;
  ::umount2(dir.c_str(), MNT_DETACH);
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
  dir.clear();
}

// Writes `path` until the file system holding it is full (bounded by `max_bytes`).
void fill(const std::string& path, std::size_t max_bytes = std::size_t{1} << 30) {
  std::FILE* f = std::fopen(path.c_str(), "wb");
  ASSERT_NE(f, nullptr) << path << ": " << std::strerror(errno);
  std::setvbuf(f, nullptr, _IONBF, 0);
  const std::string chunk(64 * 1024, 'f');
  std::size_t written = 0;
  for (std::size_t size : {chunk.size(), std::size_t{4096}, std::size_t{512}}) {
    while (written < max_bytes && std::fwrite(chunk.data(), 1, size, f) == size)
      written += size;
    std::clearerr(f);
  }
  std::fclose(f);
}

class StorageFaultTest : public NodeTest {
 protected:
  using NodeTest::NodeTest;

  // From here on the database refuses writes; and takes them again.
  virtual void fault_on() = 0;
  virtual void fault_off() = 0;

  void SetUp() override {
    NodeTest::SetUp();
    config_.processing.targeted_fetch = false;  // no calls to the tool: only the store is under test
    config_.ingress.rate_per_subscription = 100000;
    config_.ingress.burst_per_subscription = 100000;
  }

  struct Sent {
    std::string event_id;
    std::string body;
  };

  Reply send(int candidate, std::map<int, Sent>& sent) {
    Sent s{"gh-" + crypto::random_token(10) + "-" + std::to_string(candidate), padded_body(candidate)};
    auto reply = post_signed(s.body, s.event_id);
    sent[candidate] = s;
    return reply;
  }

  static std::string code_of(const Reply& reply) {
    boost::system::error_code ec;
    auto parsed = bj::parse(reply.body, ec);
    if (ec || !parsed.is_object()) return reply.body;
    const auto* error = parsed.as_object().if_contains("error");
    const auto* code =
        error != nullptr && error->is_object() ? error->as_object().if_contains("code") : nullptr;
    return code != nullptr && code->is_string() ? std::string(code->as_string()) : reply.body;
  }

  static bool has_header(const Reply& reply, const std::string& name) {
    for (const auto& [k, v] : reply.headers)
      if (strcasecmp(k.c_str(), name.c_str()) == 0 && !v.empty()) return true;
    return false;
  }

  std::string metric(const std::string& name) {
    auto reply = api("GET", "/metrics");
    const std::string needle = "\n" + name + " ";
    auto at = reply.body.find(needle);
    if (at == std::string::npos) return "";
    auto end = reply.body.find('\n', at + needle.size());
    return reply.body.substr(at + needle.size(), end - at - needle.size());
  }

  int readyz() { return call(*client_, "GET", node_->base_url() + "/readyz").status; }

  void run_scenario();
};

void StorageFaultTest::run_scenario() {
  FakeEndpoint downstream;
  start_node();
  create_endpoint(downstream.url());
  ASSERT_NO_FATAL_FAILURE(create_greenhouse_integration());

  std::map<int, Sent> sent;
  std::set<int> acked;    // answered 2xx: must be recorded and relayed
  std::set<int> refused;  // answered 503: must not be recorded (sent again below)
  int next = 1;
  auto classify = [&](int candidate, const Reply& reply) {
    if (reply.status == 200) {
      acked.insert(candidate);
      return;
    }
    ASSERT_EQ(reply.status, 503) << reply.body << reply.error;
    EXPECT_TRUE(has_header(reply, "Retry-After")) << reply.body;
    refused.insert(candidate);
  };

  // Before the fault.
  for (int i = 0; i < 5; ++i, ++next) {
    auto reply = send(next, sent);
    ASSERT_EQ(reply.status, 200) << reply.body;
    acked.insert(next);
  }
  ASSERT_TRUE(downstream.wait_for_count(5, std::chrono::seconds(30)));

  // What the node logs during the fault (left attached if the test ends early: harmless).
  auto sink = std::make_shared<spdlog::sinks::ringbuffer_sink_mt>(2000);
  spdlog::default_logger()->sinks().push_back(sink);

  // The fault: webhooks until 20 were refused for storage (bounded in count and time).
  ASSERT_NO_FATAL_FAILURE(fault_on());
  int storage_refusals = 0;
  const auto fault_deadline = std::chrono::steady_clock::now() + std::chrono::seconds(90);
  for (int i = 0; i < 1500 && storage_refusals < 20 && std::chrono::steady_clock::now() < fault_deadline;
       ++i, ++next) {
    auto reply = send(next, sent);
    ASSERT_NO_FATAL_FAILURE(classify(next, reply));
    if (reply.status == 503 && code_of(reply) == "INGRESS.STORAGE_UNAVAILABLE") ++storage_refusals;
  }
  ASSERT_GE(storage_refusals, 20) << "the database never refused a write; acked " << acked.size();
  // Said to the operator: the gauge, the counter, readiness.
  EXPECT_TRUE(wait_until([&] { return metric("tributary_storage_unavailable") == "1"; }, 10s));
  EXPECT_NE(metric("tributary_storage_errors_total"), "0");
  EXPECT_EQ(readyz(), 503);
  // Nothing spins while the fault lasts: in two idle seconds the writer runs its probe about twice, the
  // stages back off (a hot loop would run thousands of batches).
  const auto batches_before = std::stoull(metric("tributary_writer_batches_total"));
  std::this_thread::sleep_for(2s);
  const auto batches_idle = std::stoull(metric("tributary_writer_batches_total")) - batches_before;
  EXPECT_LT(batches_idle, 100u);

  // Space returns: the node takes webhooks again by itself.
  ASSERT_NO_FATAL_FAILURE(fault_off());
  bool recovered = false;
  const auto recover_deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  for (int i = 0; i < 600 && !recovered && std::chrono::steady_clock::now() < recover_deadline; ++i, ++next) {
    auto reply = send(next, sent);
    ASSERT_NO_FATAL_FAILURE(classify(next, reply));
    recovered = reply.status == 200;
    if (!recovered) std::this_thread::sleep_for(100ms);
  }
  ASSERT_TRUE(recovered) << "the node did not take webhooks again after the fault";
  spdlog::default_logger()->sinks().pop_back();

  // The fault was logged once per component, not once per refused request.
  const auto lines = sink->last_formatted();
  std::size_t fault_lines = 0;
  for (const auto& line : lines)
    if (line.find("[error]") != std::string::npos || line.find("[warning]") != std::string::npos)
      ++fault_lines;
  EXPECT_LE(fault_lines, 20u) << "of " << refused.size()
                              << " refused requests; first: " << (lines.empty() ? "" : lines.front());

  // A tool sends the refused webhooks again: each is new to the node (nothing of it was stored).
  for (int candidate : std::set<int>(refused)) {
    Reply reply;
    for (int attempt = 0; attempt < 50; ++attempt) {
      reply = post_signed(sent[candidate].body, sent[candidate].event_id);
      if (reply.status != 503) break;
      std::this_thread::sleep_for(200ms);
    }
    ASSERT_EQ(reply.status, 200) << reply.body;
    EXPECT_FALSE(bj::parse(reply.body).at("data").as_object().contains("duplicate"))
        << "candidate " << candidate << " was answered 503 but stored";
    acked.insert(candidate);
  }

  // Every acknowledged webhook is recorded once and relayed.
  for (int candidate : acked) {
    auto rows = rows_with_delivery_id(sent[candidate].event_id);
    ASSERT_EQ(rows.size(), 1u) << "candidate " << candidate;
  }
  std::set<std::string> relayed;
  const bool all_relayed = wait_until(
      [&] {
        relayed.clear();
        for (const auto& r : downstream.received()) {
          auto payload = bj::parse(r.request.body);
          for (const auto& e : payload.at("data").at("events").as_array())
            relayed.insert(std::string(e.at("remote_id").as_string()));
        }
        for (int candidate : acked)
          if (!relayed.contains(std::to_string(candidate))) return false;
        return true;
      },
      90s);
  EXPECT_TRUE(all_relayed) << relayed.size() << " of " << acked.size() << " acknowledged webhooks relayed";
  for (int candidate : acked) {
    auto rows = rows_with_delivery_id(sent[candidate].event_id);
    ASSERT_EQ(rows.size(), 1u);
    EXPECT_EQ(rows[0].outcome, store::InboxOutcome::kAccepted) << "candidate " << candidate;
  }
  EXPECT_TRUE(wait_until([&] { return metric("tributary_storage_unavailable") == "0"; }, 10s));
  EXPECT_EQ(readyz(), 200);
  std::cout << "[ storage  ] acknowledged " << acked.size() << ", refused then resent " << refused.size()
            << ", relayed requests " << downstream.count() << " (at least once)\n";
}

// SQLite on a 24 MiB tmpfs that a filler file fills up.
class StorageFaultSqliteTest : public StorageFaultTest {
 protected:
  void SetUp() override {
    StorageFaultTest::SetUp();
    if (IsSkipped()) return;
    std::string why;
    dir_ = mount_tmpfs(24, why);
    if (dir_.empty()) GTEST_SKIP() << "SQLite disk-full test skipped: " << why;
    config_.database = dir_ + "/tributary.db";
  }
  void TearDown() override {
    StorageFaultTest::TearDown();
    unmount(dir_);
  }
  void fault_on() override { fill(dir_ + "/filler"); }
  void fault_off() override { std::filesystem::remove(dir_ + "/filler"); }

  std::string dir_;
};

TEST_F(StorageFaultSqliteTest, ADiskFullIsAnswered503AndTheNodeRecoversByItselfLosingNothingAcknowledged) {
  run_scenario();
}

// PostgreSQL, the node connecting as a role of its own (so that the fault touches no other test sharing the
// test database): made read-only for that role, or with the node's tables in a tablespace on a full tmpfs.
class StorageFaultPostgresTest : public StorageFaultTest {
 protected:
  StorageFaultPostgresTest() : StorageFaultTest(store::Backend::kPostgres) {}

  void SetUp() override {
    StorageFaultTest::SetUp();
    if (IsSkipped()) return;
    admin_ = must(must(store::open_database(store::testing_db::postgres_url()))->connect());
    role_ = "trib_fault_" + crypto::hex_encode(crypto::random_bytes(6));
    const std::string password = crypto::hex_encode(crypto::random_bytes(16));
    // The scratch schema, from the URL's search_path option.
    const std::string marker = "search_path%3D";
    const auto at = config_.database.find(marker);
    ASSERT_NE(at, std::string::npos) << "no search_path in the scratch URL";
    const std::string schema = config_.database.substr(at + marker.size());
    admin_sql("CREATE ROLE " + role_ + " LOGIN PASSWORD '" + password + "'");
    admin_sql("GRANT ALL ON SCHEMA " + schema + " TO " + role_);
    // postgres://user:password@host… → postgres://role:password@host…
    const auto scheme = config_.database.find("://");
    const auto userinfo_end = config_.database.find('@');
    ASSERT_TRUE(scheme != std::string::npos && userinfo_end != std::string::npos);
    config_.database = config_.database.substr(0, scheme + 3) + role_ + ":" + password +
                       config_.database.substr(userinfo_end);
  }

  void TearDown() override {
    StorageFaultTest::TearDown();  // the node stops, the scratch schema is dropped
    drop_before_role();
    if (!role_.empty()) {
      terminate_role_sessions();
      (void)admin_->exec_script("DROP OWNED BY " + role_);
      (void)admin_->exec_script("DROP ROLE IF EXISTS " + role_);
    }
  }

  virtual void drop_before_role() {}

  void admin_sql(const std::string& sql) {
    auto done = admin_->exec_script(sql);
    ASSERT_TRUE(done.ok()) << sql << ": " << done.error().message;
  }

  // The node's sessions end (it reconnects by itself): settings of the role apply to new sessions only.
  void terminate_role_sessions() {
    (void)admin_->exec_script("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = '" +
                              role_ + "'");
  }

  std::unique_ptr<store::Connection> admin_;
  std::string role_;
};

class StorageFaultPostgresReadOnlyTest : public StorageFaultPostgresTest {
 protected:
  void fault_on() override {
    ASSERT_NO_FATAL_FAILURE(admin_sql("ALTER ROLE " + role_ + " SET default_transaction_read_only = on"));
    terminate_role_sessions();
  }
  void fault_off() override {
    ASSERT_NO_FATAL_FAILURE(admin_sql("ALTER ROLE " + role_ + " RESET default_transaction_read_only"));
    terminate_role_sessions();
  }
};

TEST_F(StorageFaultPostgresReadOnlyTest, AReadOnlyDatabaseIsAnswered503AndTheNodeRecoversByItself) {
  run_scenario();
}

// The node's tables and indexes in a tablespace on a 16 MiB tmpfs (owned by the server's user), which a
// filler file fills up: "could not extend file" (SQLSTATE 53100) while the server itself runs on.
class StorageFaultPostgresDiskFullTest : public StorageFaultPostgresTest {
 protected:
  void SetUp() override {
    StorageFaultPostgresTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    const passwd* pg = ::getpwnam("postgres");
    if (pg == nullptr) GTEST_SKIP() << "no postgres system user to own the tablespace's directory";
    std::string why;
    dir_ = mount_tmpfs(16, why);
    if (dir_.empty()) GTEST_SKIP() << "PostgreSQL disk-full test skipped: " << why;
    ASSERT_EQ(::chown(dir_.c_str(), pg->pw_uid, pg->pw_gid), 0) << std::strerror(errno);
    tablespace_ = role_ + "_ts";
    ASSERT_NO_FATAL_FAILURE(
        admin_sql("CREATE TABLESPACE " + tablespace_ + " OWNER " + role_ + " LOCATION '" + dir_ + "'"));
    ASSERT_NO_FATAL_FAILURE(admin_sql("ALTER ROLE " + role_ + " SET default_tablespace = " + tablespace_));
  }
  void TearDown() override {
    StorageFaultPostgresTest::TearDown();
    unmount(dir_);
  }
  void drop_before_role() override {
    if (!tablespace_.empty()) (void)admin_->exec_script("DROP TABLESPACE IF EXISTS " + tablespace_);
  }
  void fault_on() override { fill(dir_ + "/filler"); }
  void fault_off() override { std::filesystem::remove(dir_ + "/filler"); }

  std::string dir_;
  std::string tablespace_;
};

TEST_F(StorageFaultPostgresDiskFullTest, ADiskFullIsAnswered503AndTheNodeRecoversByItself) {
  run_scenario();
}

}  // namespace
}  // namespace tributary::app
