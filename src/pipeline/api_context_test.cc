#include "pipeline/api_context.h"

#include <gtest/gtest.h>

#include "connectors/registry.h"

namespace tributary::pipeline {
namespace {

class NoCalls : public http::HttpClient {
 public:
  void send(http::ClientRequest, std::function<void(http::ClientResponse)> done) override {
    done(http::ClientResponse{});
  }
};

store::IntegrationRow greenhouse_row(const SecretBox& box) {
  store::IntegrationRow row;
  row.id = "int_gh";
  row.tool = "greenhouse";
  row.category = "ATS";
  row.credentials = box.seal(R"({"client_id":"cid","client_secret":"s3cret","user_id":"7"})",
                             SecretBox::credentials_of(row.id));
  return row;
}

TEST(ApiContextTest, CarriesTheIntegrationTheCredentialsAndTheToolsHosts) {
  const SecretBox box(std::string(32, 'k'));
  NoCalls client;
  const auto& greenhouse = *connectors::builtin_registry().find("greenhouse");
  const auto ctx = api_context(greenhouse_row(box), greenhouse, box, client, std::chrono::milliseconds(1234));
  EXPECT_EQ(ctx.integration_id, "int_gh");
  EXPECT_EQ(ctx.client, &client);
  EXPECT_EQ(ctx.timeout, std::chrono::milliseconds(1234));
  EXPECT_EQ(ctx.credentials.at("client_secret"), "s3cret");
  EXPECT_EQ(ctx.base_url, greenhouse.default_base_url(ctx.credentials));
  EXPECT_EQ(ctx.auth_url, "https://auth.greenhouse.io");
}

TEST(ApiContextTest, TheIntegrationsOverridesWinWithoutTrailingSlashes) {
  const SecretBox box(std::string(32, 'k'));
  NoCalls client;
  auto row = greenhouse_row(box);
  row.remote_base_url = "http://127.0.0.1:9000/";
  row.remote_auth_url = "http://127.0.0.1:9001//";
  const auto ctx = api_context(row, *connectors::builtin_registry().find("greenhouse"), box, client,
                               std::chrono::milliseconds(1));
  EXPECT_EQ(ctx.base_url, "http://127.0.0.1:9000");
  EXPECT_EQ(ctx.auth_url, "http://127.0.0.1:9001");
}

TEST(ApiContextTest, CredentialsSealedUnderAnotherKeyAreLeftEmpty) {
  const SecretBox box(std::string(32, 'k'));
  const SecretBox other(std::string(32, 'o'));
  NoCalls client;
  const auto ctx = api_context(greenhouse_row(other), *connectors::builtin_registry().find("greenhouse"), box,
                               client, std::chrono::milliseconds(1));
  EXPECT_TRUE(ctx.credentials.empty());
  EXPECT_EQ(ctx.integration_id, "int_gh");
}

}  // namespace
}  // namespace tributary::pipeline
