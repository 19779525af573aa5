// The master key held against the database, with whole nodes on SQLite and on PostgreSQL: a fresh database
// gets a key file (mode 0600) and the key's check value; a node with another key, or without the key file of
// a database that has one, refuses to start with a message that says what to do; a database set up before
// check values existed is matched against what it has sealed.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <boost/json.hpp>
#include <filesystem>
#include <fstream>

#include "app/master_key.h"
#include "app/node_test_support.h"
#include "store/settings_repo.h"

namespace tributary::app {
namespace {

namespace bj = boost::json;
using namespace pipeline_testing;
using namespace node_testing;

class MasterKeyTest : public NodeTest, public ::testing::WithParamInterface<store::Backend> {
 protected:
  MasterKeyTest() : NodeTest(GetParam()) {}

  void SetUp() override {
    NodeTest::SetUp();
    // Each node of a test runs "in a working directory" of its own: its key file is there.
    config_.master_key.clear();
    config_.master_key_file = (keys_.path() / "first" / "master.key").string();
  }

  // Starts a node with `config`, stops it at once; the start's result.
  Status start_and_stop(const Config& config) {
    Node node(config);
    Status s = node.start();
    node.stop();
    return s;
  }

  std::optional<std::string> stored_check_value() {
    auto db = must(store::open_database(config_.database));
    auto conn = must(db->connect());
    return must(store::settings::get(*conn, store::settings::kMasterKeyCheck));
  }

  void execute(const std::string& sql) {
    auto db = must(store::open_database(config_.database));
    auto conn = must(db->connect());
    must(conn->execute(sql));
  }

  // A value as sealed before values were bound to their place (no mark, no associated data), under the key
  // in the node's key file.
  std::string unbound_seal(std::string_view plain) {
    std::ifstream in(config_.master_key_file);
    std::string text;
    in >> text;
    auto key = crypto::base64_decode(text);
    if (!key) throw std::runtime_error("the key file does not hold base64");
    return crypto::seal(*key, plain);
  }

  TempDir keys_;
};

TEST_P(MasterKeyTest, AFreshDatabaseGetsAKeyFileAndItsCheckValue) {
  ASSERT_FALSE(std::filesystem::exists(config_.master_key_file));
  start_node();
  node_->stop();
  struct stat st {};
  ASSERT_EQ(::stat(config_.master_key_file.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  EXPECT_FALSE(key_file_warning(config_.master_key_file));
  auto key = must(SecretBox::read_key_file(config_.master_key_file));
  EXPECT_EQ(stored_check_value(), key.check_value());
  // The same key starts again.
  EXPECT_TRUE(start_and_stop(config_).ok());
}

TEST_P(MasterKeyTest, ANodeWithAnotherKeyIsRefused) {
  config_.master_key = crypto::base64_encode(crypto::random_bytes(32));
  ASSERT_TRUE(start_and_stop(config_).ok());
  Config other = config_;
  other.master_key = crypto::base64_encode(crypto::random_bytes(32));
  Status s = start_and_stop(other);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message.find("master key mismatch"), std::string::npos) << s.error().message;
  EXPECT_NE(s.error().message.find("TRIBUTARY_MASTER_KEY"), std::string::npos) << s.error().message;
  EXPECT_EQ(s.error().message.find(other.master_key), std::string::npos);  // never the key itself
  // A key file of another key is refused alike.
  other.master_key.clear();
  other.master_key_file = (keys_.path() / "other.key").string();
  must(SecretBox::create_key_file(other.master_key_file));
  s = start_and_stop(other);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message.find("master key mismatch"), std::string::npos) << s.error().message;
  // The right key still starts.
  EXPECT_TRUE(start_and_stop(config_).ok());
}

// What happens when the key file is lost, or when a second PostgreSQL node starts in another working
// directory without `master_key`: no new key, no start.
TEST_P(MasterKeyTest, AMissingKeyFileOfADatabaseThatHasAKeyIsNotRegenerated) {
  ASSERT_TRUE(start_and_stop(config_).ok());
  Config second = config_;
  second.master_key_file = (keys_.path() / "second" / "master.key").string();
  Status s = start_and_stop(second);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message.find("does not exist"), std::string::npos) << s.error().message;
  EXPECT_NE(s.error().message.find("none is generated"), std::string::npos) << s.error().message;
  EXPECT_FALSE(std::filesystem::exists(second.master_key_file));
  EXPECT_TRUE(start_and_stop(config_).ok());
}

// A database set up before check values existed has none; what it has sealed tells its key.
TEST_P(MasterKeyTest, ADatabaseWithoutACheckValueIsMatchedAgainstWhatItSealed) {
  FakeEndpoint downstream;
  start_node();
  create_endpoint(downstream.url());
  node_->stop();
  node_.reset();
  execute("DELETE FROM settings");

  // Another key opens none of its secrets.
  Config other = config_;
  other.master_key = crypto::base64_encode(crypto::random_bytes(32));
  Status s = start_and_stop(other);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message.find("opens none of the secrets"), std::string::npos) << s.error().message;
  EXPECT_FALSE(stored_check_value());
  // A lost key file is not replaced by a new key either.
  Config lost = config_;
  lost.master_key_file = (keys_.path() / "lost.key").string();
  s = start_and_stop(lost);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message.find("does not exist"), std::string::npos) << s.error().message;
  EXPECT_FALSE(std::filesystem::exists(lost.master_key_file));
  // Its own key starts and stores the check value.
  ASSERT_TRUE(start_and_stop(config_).ok());
  EXPECT_EQ(stored_check_value(), must(SecretBox::read_key_file(config_.master_key_file)).check_value());
}

// Values sealed before values were bound to their place are bound at the next start, and still work: the
// endpoint's secret reads back the same, the subscription's secret still verifies the tool's webhooks.
TEST_P(MasterKeyTest, ValuesSealedBeforePlacesAreBoundAtStartAndStillOpen) {
  FakeEndpoint downstream;
  start_node();
  ASSERT_NO_FATAL_FAILURE(create_greenhouse_integration());
  const std::string endpoint_secret = create_endpoint(downstream.url());
  auto listed = bj::parse(api("GET", "/v1/webhook-endpoints").body);
  const std::string id(listed.at("data").at("results").at(0).at("id").as_string());
  node_->stop();
  node_.reset();
  {
    const auto box = must(SecretBox::read_key_file(config_.master_key_file));
    auto db = must(store::open_database(config_.database));
    auto conn = must(db->connect());
    auto values = must(store::settings::sealed_values(*conn, std::nullopt));
    ASSERT_GE(values.size(), 3u);  // credentials, the subscription's secret, the endpoint's secret
    for (const auto& v : values) {
      auto plain = box.open(v.value, {v.table, v.column, v.row_id});
      ASSERT_TRUE(plain) << v.table << "." << v.column;
      ASSERT_TRUE(must(store::settings::replace_sealed(*conn, v, unbound_seal(*plain))));
      ASSERT_FALSE(box.open(unbound_seal(*plain), {v.table, v.column, v.row_id}));
    }
  }
  start_node();
  {
    auto db = must(store::open_database(config_.database));
    auto conn = must(db->connect());
    for (const auto& v : must(store::settings::sealed_values(*conn, std::nullopt)))
      EXPECT_TRUE(SecretBox::is_bound(v.value)) << v.table << "." << v.column << " of " << v.row_id;
  }
  auto revealed = api("GET", "/v1/webhook-endpoints/" + id + "/secret");
  ASSERT_EQ(revealed.status, 200) << revealed.body;
  EXPECT_EQ(bj::parse(revealed.body).at("data").at("secret"), endpoint_secret.c_str());
  auto reply = post_signed(candidate_created("31"), "gh-" + crypto::random_token(12));
  EXPECT_EQ(reply.status, 200) << reply.body;
}

// Someone who can write to the database but has no key moves a sealed value to another place: the tool's
// credentials over an endpoint's secret are not revealed by the reveal call, and one endpoint's secret does
// not become another's.
TEST_P(MasterKeyTest, ASealedValueCopiedToAnotherPlaceDoesNotOpenThere) {
  FakeEndpoint downstream;
  start_node();
  ASSERT_NO_FATAL_FAILURE(create_greenhouse_integration());
  create_endpoint(downstream.url());
  create_endpoint(downstream.url());
  auto listed = bj::parse(api("GET", "/v1/webhook-endpoints").body);
  const auto& results = listed.at("data").at("results").as_array();
  ASSERT_EQ(results.size(), 2u);
  const std::string first(results.at(0).at("id").as_string());
  const std::string second(results.at(1).at("id").as_string());
  auto db = must(store::open_database(config_.database));
  auto conn = must(db->connect());
  must(
      conn->execute("UPDATE endpoints SET secret = (SELECT credentials FROM integrations WHERE id = $1) "
                    "WHERE id = $2",
                    {integration_id_, first}));
  auto reply = api("GET", "/v1/webhook-endpoints/" + first + "/secret");
  EXPECT_EQ(reply.status, 500) << reply.body;
  EXPECT_EQ(reply.body.find("client_secret"), std::string::npos) << reply.body;
  must(conn->execute(
      "UPDATE endpoints SET secret = (SELECT secret FROM endpoints WHERE id = $1) WHERE id = $2",
      {second, first}));
  reply = api("GET", "/v1/webhook-endpoints/" + first + "/secret");
  EXPECT_EQ(reply.status, 500) << reply.body;
  EXPECT_EQ(reply.body.find("whsec_"), std::string::npos) << reply.body;
}

TEST_P(MasterKeyTest, AKeyFileOthersCanReadIsWarnedAbout) {
  ASSERT_TRUE(start_and_stop(config_).ok());
  ASSERT_EQ(::chmod(config_.master_key_file.c_str(), 0644), 0);
  auto warning = key_file_warning(config_.master_key_file);
  ASSERT_TRUE(warning);
  EXPECT_NE(warning->find("0644"), std::string::npos) << *warning;
  EXPECT_NE(warning->find("chmod 600"), std::string::npos) << *warning;
  EXPECT_TRUE(start_and_stop(config_).ok());  // a warning, not a refusal
}

// The reveal call answers an error, never an empty string that looks like a secret.
TEST_P(MasterKeyTest, TheRevealCallRefusesASecretItCannotOpen) {
  FakeEndpoint downstream;
  start_node();
  create_endpoint(downstream.url());
  auto listed = bj::parse(api("GET", "/v1/webhook-endpoints").body);
  const std::string id(listed.at("data").at("results").at(0).at("id").as_string());
  EXPECT_EQ(api("GET", "/v1/webhook-endpoints/" + id + "/secret").status, 200);
  auto db = must(store::open_database(config_.database));
  auto conn = must(db->connect());
  must(conn->execute(
      "UPDATE endpoints SET secret = $1 WHERE id = $2",
      {store::Blob{
           SecretBox(crypto::random_bytes(32)).seal("whsec_x", SecretBox::secret_of("endpoints", id))},
       id}));
  auto reply = api("GET", "/v1/webhook-endpoints/" + id + "/secret");
  EXPECT_EQ(reply.status, 500) << reply.body;
  EXPECT_NE(reply.body.find("cannot be opened"), std::string::npos) << reply.body;
}

INSTANTIATE_TEST_SUITE_P(Backends, MasterKeyTest,
                         ::testing::Values(store::Backend::kSqlite, store::Backend::kPostgres),
                         [](const auto& info) {
                           return info.param == store::Backend::kSqlite ? "Sqlite" : "Postgres";
                         });

}  // namespace
}  // namespace tributary::app
