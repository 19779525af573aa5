#include <gtest/gtest.h>
#include <stdlib.h>

#include "http/client.h"
#include "http/message.h"
#include "sim/common/access_tokens.h"
#include "sim/common/fields.h"
#include "sim/common/form.h"
#include "sim/common/record_store.h"
#include "sim/common/retry_schedule.h"
#include "sim/simulator.h"

namespace tributary::sim {
namespace {

namespace bj = boost::json;

TEST(RetryScale, DefaultsAndRejectsNonsense) {
  ::unsetenv(kRetryScaleEnv);
  EXPECT_DOUBLE_EQ(retry_scale_from_env(), 0.001);
  ::setenv(kRetryScaleEnv, "0.5", 1);
  EXPECT_DOUBLE_EQ(retry_scale_from_env(), 0.5);
  ::setenv(kRetryScaleEnv, "-1", 1);
  EXPECT_DOUBLE_EQ(retry_scale_from_env(), 0.001);
  ::setenv(kRetryScaleEnv, "fast", 1);
  EXPECT_DOUBLE_EQ(retry_scale_from_env(), 0.001);
  ::unsetenv(kRetryScaleEnv);
}

TEST(RetrySchedule, ScalesAndJitters) {
  RetrySchedule s;
  s.delays = {std::chrono::minutes{1}, std::chrono::minutes{15}};
  s.jitter = 0.1;
  EXPECT_EQ(s.max_attempts(), 3u);
  EXPECT_EQ(s.delay_before(2, 0.001, 0.5).count(), 60);
  EXPECT_EQ(s.delay_before(2, 0.001, 0.0).count(), 54);
  EXPECT_EQ(s.delay_before(3, 0.001, 0.5).count(), 900);
  EXPECT_EQ(s.delay_before(4, 0.001, 0.5).count(), 0);
}

TEST(RecordStore, PagesInCreationOrder) {
  RecordStore store;
  for (int i = 0; i < 5; ++i)
    store.put(std::to_string(100 + i), bj::object{{"n", i}}, i);
  store.erase("101");
  bool more = false;
  auto page = store.page(0, 2, {}, &more);
  ASSERT_EQ(page.size(), 2u);
  EXPECT_EQ(page[0]->id, "100");
  EXPECT_EQ(page[1]->id, "102");
  EXPECT_TRUE(more);
  page = store.page(page[1]->seq, 2, {}, &more);
  ASSERT_EQ(page.size(), 2u);
  EXPECT_FALSE(more);
  store.put("103", bj::object{{"n", 33}}, 9);
  EXPECT_EQ(store.find("103")->data.at("n").as_int64(), 33);
  EXPECT_EQ(store.size(), 4u);
}

TEST(RecordStore, AllDataIsEveryRecordInCreationOrder) {
  RecordStore store;
  store.put("b", boost::json::object{{"n", 1}}, 0);
  store.put("a", boost::json::object{{"n", 2}}, 0);
  store.put("b", boost::json::object{{"n", 3}}, 0);  // replaced in place
  EXPECT_EQ(boost::json::serialize(store.all_data()), R"([{"n":3},{"n":2}])");
  store.erase("b");
  EXPECT_EQ(boost::json::serialize(store.all_data()), R"([{"n":2}])");
}

TEST(RecordStore, DataOfIsACopyOrNotFound) {
  RecordStore store;
  store.put("7", boost::json::object{{"n", 1}}, 0);
  auto found = store.data_of("7");
  ASSERT_TRUE(found.ok());
  EXPECT_EQ(boost::json::serialize(*found), R"({"n":1})");
  auto missing = store.data_of("8");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().kind, ErrorKind::kNotFound);
  EXPECT_EQ(missing.error().message, "no record 8");
}

TEST(RetrySchedule, BuiltFromMinutes) {
  auto s = make_retry_schedule(delays_in_minutes({1, 15}), 0.1, std::chrono::milliseconds{3000},
                               retry_every_failure);
  ASSERT_EQ(s->max_attempts(), 3u);
  EXPECT_EQ(s->delays[0], std::chrono::milliseconds{60000});
  EXPECT_EQ(s->delays[1], std::chrono::milliseconds{900000});
  EXPECT_DOUBLE_EQ(s->jitter, 0.1);
  EXPECT_EQ(s->timeout, std::chrono::milliseconds{3000});
  EXPECT_TRUE(s->should_retry(http::ClientResponse{}));
}

TEST(AccessTokens, AcceptsIssuedBearerTokensUntilTheyExpire) {
  AccessTokens tokens;
  tokens.add("tok-1", 1000, 2);
  auto with = [](std::string value) {
    http::Request r;
    r.headers.emplace_back("Authorization", std::move(value));
    return r;
  };
  EXPECT_TRUE(tokens.accepts(with("Bearer tok-1"), 2999));
  EXPECT_FALSE(tokens.accepts(with("Bearer tok-1"), 3000));
  EXPECT_FALSE(tokens.accepts(with("Bearer tok-2"), 1500));
  EXPECT_FALSE(tokens.accepts(with("Basic tok-1"), 1500));
  EXPECT_FALSE(tokens.accepts(http::Request{}, 1500));
  tokens.add("tok-2", 5000, 1);  // drops the expired tok-1
  EXPECT_TRUE(tokens.accepts(with("Bearer tok-2"), 5500));
  EXPECT_FALSE(tokens.accepts(with("Bearer tok-1"), 0));
}

TEST(Uuid, LooksLikeAVersion4Uuid) {
  std::string u = new_uuid();
  ASSERT_EQ(u.size(), 36u);
  EXPECT_EQ(u[14], '4');
  EXPECT_NE(new_uuid(), u);
}

TEST(Fields, RejectsUnknownKeysAndWrongTypes) {
  bj::object f{{"first_name", "Ada"}, {"age", 3}};
  EXPECT_FALSE(check_keys(f, "m", {"first_name"}).ok());
  EXPECT_TRUE(check_keys(f, "m", {"first_name", "age"}).ok());
  EXPECT_FALSE(opt_string(f, "age").ok());
  EXPECT_EQ(**opt_id(f, "age"), "3");
  EXPECT_FALSE(opt_enum(bj::object{{"s", "nope"}}, "s", {"OPEN"}).ok());
  EXPECT_EQ(**opt_enum(bj::object{{"s", "open"}}, "s", {"OPEN"}), "OPEN");
  EXPECT_EQ(**opt_date(bj::object{{"d", "2026-03-02T10:00:00Z"}}, "d"), "2026-03-02");
  EXPECT_FALSE(opt_date(bj::object{{"d", "March"}}, "d").ok());
}

TEST(Fields, EmptyStringsAreNullAndListsAreArrays) {
  EXPECT_TRUE(str_or_null(std::string{}).is_null());
  EXPECT_TRUE(str_or_null(std::optional<std::string>{}).is_null());
  EXPECT_TRUE(str_or_null(std::optional<std::string>{""}).is_null());
  EXPECT_EQ(str_or_null(std::string{"a"}), boost::json::value("a"));
  EXPECT_EQ(str_or_null(std::optional<std::string>{"b"}), boost::json::value("b"));
  EXPECT_EQ(boost::json::serialize(string_array({"x", "y"})), R"(["x","y"])");
  EXPECT_TRUE(string_array({}).empty());
}

TEST(Fields, ParsesWholeNumbersOnly) {
  EXPECT_EQ(parse_number<std::size_t>("42"), 42u);
  EXPECT_EQ(parse_number<std::int64_t>("-7"), -7);
  EXPECT_FALSE(parse_number<std::size_t>("").has_value());
  EXPECT_FALSE(parse_number<std::size_t>("4x").has_value());
  EXPECT_FALSE(parse_number<std::size_t>("-1").has_value());
  EXPECT_FALSE(parse_number<std::size_t>("99999999999999999999999").has_value());
}

TEST(Fields, WebhookUrls) {
  EXPECT_TRUE(has_http_scheme("http://127.0.0.1:1/a"));
  EXPECT_TRUE(has_http_scheme("https://x.example/a b"));
  EXPECT_FALSE(has_http_scheme("ftp://x.example/"));
  EXPECT_TRUE(is_plain_http_url("https://x.example/hook"));
  EXPECT_FALSE(is_plain_http_url("https://x.example/a b"));
  EXPECT_FALSE(is_plain_http_url("https://x.example/" + std::string(2048, 'a')));
  EXPECT_FALSE(is_plain_http_url("mailto:a@b"));
}

TEST(Form, ParsesFormsAndCredentials) {
  auto form = parse_form("grant_type=client_credentials&client_id=a%2Bb&x=1+2");
  EXPECT_EQ(form_value(form, "client_id"), "a+b");
  EXPECT_EQ(form_value(form, "x"), "1 2");
  EXPECT_FALSE(form_value(form, "missing").has_value());
  auto basic = parse_basic_auth("Basic dXNlcjpwYXNz");
  ASSERT_TRUE(basic.has_value());
  EXPECT_EQ(basic->first, "user");
  EXPECT_EQ(basic->second, "pass");
  EXPECT_FALSE(parse_basic_auth("Basic !!!").has_value());
  http::Request with_key;
  with_key.headers.emplace_back("Authorization", "Basic a2V5Og==");  // "key:"
  EXPECT_TRUE(has_basic_credentials(with_key, false));
  EXPECT_FALSE(has_basic_credentials(with_key, true));
  http::Request without;
  EXPECT_FALSE(has_basic_credentials(without, false));
  http::Request bearer;
  bearer.headers.emplace_back("Authorization", "Bearer t-1");
  EXPECT_EQ(bearer_token(bearer), "t-1");
  EXPECT_FALSE(bearer_token(with_key).has_value());
  EXPECT_FALSE(bearer_token(without).has_value());
  EXPECT_EQ(parse_bearer("bearer abc"), "abc");
  EXPECT_FALSE(parse_bearer("Token abc").has_value());
}

TEST(Simulators, FactoryKnowsEveryListedTool) {
  for (const auto& tool : simulator_tools())
    EXPECT_NE(make_simulator(tool, {}), nullptr) << tool;
  EXPECT_EQ(make_simulator("nope", {}), nullptr);
}

}  // namespace
}  // namespace tributary::sim
