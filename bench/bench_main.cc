// tributary_bench: measures the figures of DESIGN §6 against a running `tributary serve`, each next to a
// reference measured in the same run with the same client (see bench/README.md). bench/run starts the
// processes and calls `tributary_bench run ...`; `tributary_bench free-port` prints a free loopback port.
// Every figure is reported as measured; nothing here passes or fails on timing.
#include <fcntl.h>
#include <unistd.h>
#include <CLI/CLI.hpp>

#include <atomic>
#include <boost/asio.hpp>
#include <boost/json.hpp>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <fstream>
#include <functional>
#include <iostream>
#include <sstream>
#include <thread>

#include "api.h"
#include "core/crypto.h"
#include "core/json.h"
#include "http/client.h"
#include "load_gen.h"
#include "sink.h"
#include "stats.h"
#include "thread_cpu.h"

namespace tributary::bench {
namespace {

namespace bj = boost::json;

// Sink slots: one per figure, so every count is unambiguous.
constexpr int kSlotReference = 0;   // plain POSTs from the load generator / CurlClient (reference)
constexpr int kSlotIngest = 1;      // figure 1's endpoint
constexpr int kSlotLatency = 2;     // figure 2's endpoint
constexpr int kSlotThroughput = 3;  // figure 3's endpoint (held while events are pre-loaded)
constexpr int kSlotMemory = 4;      // figure 4's endpoint (held: its deliveries stay pending)
constexpr int kSlotCurl = 5;        // figure 3's reference
// Figure 2 also measures at this rate: the pipeline's latency without queueing.
constexpr double kLowRate = 100;

struct Options {
  std::string tributary_url;
  int tributary_pid = 0;
  std::string api_key;
  std::string nginx_url;
  std::string database;
  int connections = 64;
  int threads = 1;
  double warmup_s = 1;
  double ingest_s = 8;
  double reference_s = 4;
  double latency_s = 6;
  std::uint64_t throughput_events = 20000;
  int curl_concurrency = 16;  // Tributary's default delivery.per_endpoint_concurrency
  std::uint64_t memory_stored = 100000;
  std::uint64_t memory_pending = 10000;
  bool memory_full = false;
};

struct HostPort {
  std::string host;
  std::uint16_t port = 0;
};

HostPort parse_url(const std::string& url) {
  // http://127.0.0.1:PORT[/...]
  std::string rest = url.substr(url.find("://") == std::string::npos ? 0 : url.find("://") + 3);
  rest = rest.substr(0, rest.find('/'));
  auto colon = rest.rfind(':');
  return {rest.substr(0, colon), static_cast<std::uint16_t>(std::atoi(rest.c_str() + colon + 1))};
}

std::chrono::milliseconds ms(double seconds) {
  return std::chrono::milliseconds(static_cast<std::int64_t>(seconds * 1000));
}

bool wait_for(const std::function<bool()>& done, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!done()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return true;
}

std::string grouped(double value) {
  auto n = static_cast<std::int64_t>(std::llround(value));
  std::string digits = std::to_string(n < 0 ? -n : n);
  std::string out;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return n < 0 ? "-" + out : out;
}

std::string fixed(double value, int decimals) {
  std::ostringstream os;
  os.setf(std::ios::fixed);
  os.precision(decimals);
  os << value;
  return os.str();
}

std::string mib(std::int64_t kib) {
  return fixed(static_cast<double>(kib) / 1024.0, 1) + " MiB";
}

// What a signed Greenhouse delivery looks like (shared/vendors.md): the raw body, HMAC-SHA256 of it under the
// web hook's secret key in `Signature: sha256 <hex>`, a unique Greenhouse-Event-ID per delivery.
class GreenhouseRequests {
 public:
  GreenhouseRequests(std::string path, std::string secret, std::string run_tag)
      : path_(std::move(path)), secret_(std::move(secret)), run_tag_(std::move(run_tag)) {}

  static std::string body(std::uint64_t id) {
    std::string n = std::to_string(id);
    return R"({"action":"new_candidate_application","payload":{"application":{"id":)" + n +
           R"(,"status":"active","applied_at":"2024-05-01T10:00:00.000Z","source":{"id":7,"public_name":"Company website"},"candidate":{"id":)" +
           n +
           R"(,"first_name":"Ada","last_name":"Lovelace","company":"Analytical Engines","title":"Engineer","email_addresses":[{"value":"ada.)" +
           n +
           R"(@example.com","type":"personal"}],"phone_numbers":[],"tags":["bench"]},"jobs":[{"id":4001,"name":"Backend Engineer","status":"open"}]}}})";
  }

  // The complete request for candidate `id`, sent to `host` (the Host header) at `path` (default: the ingress
  // path), so every server receives the same bytes but for the Host header.
  std::string request(std::uint64_t id, const HostPort& host, const std::string& path = "") const {
    std::string b = body(id);
    std::string signature = crypto::hex_encode(crypto::hmac_sha256(secret_, b));
    std::string out;
    out.reserve(b.size() + 400);
    out += "POST ";
    out += path.empty() ? path_ : path;
    out += " HTTP/1.1\r\nHost: ";
    out += host.host + ":" + std::to_string(host.port);
    out += "\r\nUser-Agent: Greenhouse-Webhooks\r\nContent-Type: application/json\r\nSignature: sha256 ";
    out += signature;
    out += "\r\nGreenhouse-Event-ID: ";
    out += run_tag_ + "-" + std::to_string(id);
    out += "\r\nContent-Length: ";
    out += std::to_string(b.size());
    out += "\r\n\r\n";
    out += b;
    return out;
  }

 private:
  std::string path_;
  std::string secret_;
  std::string run_tag_;
};

// The disk's durable-write latency where Tributary's database lives: 4 KiB appended and fdatasync'ed, `n`
// times. Every acknowledged webhook waits for at least one of these, so it bounds the commit rate.
Percentiles fsync_probe(const std::string& dir, int n) {
  std::string path = dir + "/fsync-probe";
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  std::vector<std::int64_t> ns;
  if (fd < 0) return percentiles(ns);
  std::string block(4096, 'x');
  for (int i = 0; i < n; ++i) {
    if (::write(fd, block.data(), block.size()) != static_cast<ssize_t>(block.size())) break;
    std::int64_t t = now_ns();
    if (::fdatasync(fd) != 0) break;
    ns.push_back(now_ns() - t);
  }
  ::close(fd);
  ::unlink(path.c_str());
  return percentiles(ns);
}

struct Row {
  std::string figure;
  std::string tributary;
  std::string reference;
  std::string target;
};

class Bench {
 public:
  explicit Bench(Options options)
      : o_(std::move(options)),
        api_(o_.tributary_url, o_.api_key),
        trib_(parse_url(o_.tributary_url)),
        nginx_(parse_url(o_.nginx_url)) {}

  int run() {
    if (!sink_.start()) return fail("cannot start the benchmark endpoint");
    if (!api_.wait_ready(std::chrono::seconds(30))) return fail("tributary did not become ready within 30 s");
    if (!setup()) return 1;
    cpu_.reset(o_.tributary_pid);
    probe_disk("before");
    if (!figure_ingest()) return 1;
    if (!figure_latency()) return 1;
    if (!figure_throughput()) return 1;
    probe_disk("after figures 1-3");
    figure_memory();
    print();
    sink_.stop();
    return 0;
  }

 private:
  int fail(const std::string& message) {
    std::cerr << "tributary_bench: " << message << "\n";
    return 1;
  }
  bool failed(const std::string& message) {
    fail(message);
    return false;
  }

  void note(const std::string& line) { std::cout << "  " << line << std::endl; }

  void phase(const std::string& name) { std::cout << "== " << name << std::endl; }

  void probe_disk(const std::string& when) {
    if (o_.database.empty()) return;
    std::string dir = o_.database.substr(0, o_.database.rfind('/'));
    auto p = fsync_probe(dir.empty() ? "." : dir, 200);
    std::string line = "disk " + when + ": fdatasync of 4 KiB p50 " + fixed(p.p50_ms, 2) + " ms, p99 " +
                       fixed(p.p99_ms, 2) + " ms (every commit waits for one; the figures scale with it)";
    note(line);
    footer_.push_back(line);
  }

  std::uint64_t accepted() {
    return static_cast<std::uint64_t>(api_.metrics()["tributary_ingress_accepted_total"]);
  }
  std::uint64_t processed() {
    return static_cast<std::uint64_t>(api_.metrics()["tributary_processed_total"]);
  }

  // Group-commit activity between two points: commits/s and jobs per commit show whether a phase is bound by
  // the commit rate (fsync) or by the work inside each commit.
  struct WriterMark {
    double batches = 0;
    double jobs = 0;
    std::int64_t at_ns = 0;
  };
  WriterMark writer_mark() {
    auto m = api_.metrics();
    return {m["tributary_writer_batches_total"], m["tributary_writer_jobs_total"], now_ns()};
  }
  std::string writer_report(const WriterMark& from) {
    WriterMark to = writer_mark();
    double seconds = static_cast<double>(to.at_ns - from.at_ns) / 1e9;
    double batches = to.batches - from.batches;
    double jobs = to.jobs - from.jobs;
    if (seconds <= 0 || batches <= 0) return "no commits";
    return grouped(batches / seconds) + " commits/s, " + fixed(jobs / batches, 1) + " jobs per commit, " +
           fixed(seconds / batches * 1000, 2) + " ms per commit";
  }

  // Waits until the processor has handled everything the ingress accepted.
  bool wait_processed(std::chrono::milliseconds timeout) {
    return wait_for(
        [this] {
          auto m = api_.metrics();
          return m["tributary_processed_total"] >= m["tributary_ingress_accepted_total"];
        },
        timeout);
  }

  Result<std::string> create_endpoint(int slot, const std::string& description) {
    bj::value body = bj::object{{"url", sink_.url(slot)}, {"description", description}, {"enabled", true}};
    auto r = api_.call("POST", "/v1/webhook-endpoints", &body);
    if (!r) return r.error();
    auto id = json::get_string(*r, "id");
    if (!id) return make_error(ErrorKind::kInternal, "endpoint answer has no id");
    return *id;
  }

  bool set_enabled(const std::string& endpoint_id, bool enabled) {
    bj::value body = bj::object{{"enabled", enabled}};
    auto r = api_.call("PATCH", "/v1/webhook-endpoints/" + endpoint_id, &body);
    if (!r) return failed(r.error().message);
    return true;
  }

  bool setup() {
    phase("setup: a Greenhouse integration (manual web hooks) and its ingress URL");
    bj::value body = bj::object{
        {"tool", "greenhouse"},
        {"end_user", bj::object{{"organization_name", "Bench GmbH"},
                                {"creator_email", "bench@example.com"},
                                {"origin_id", "bench"}}},
        {"credentials", bj::object{{"client_id", "bench"}, {"client_secret", "bench"}, {"user_id", "1"}}},
        // Loopback and closed: nothing in the benchmark may reach beyond this machine.
        {"remote_base_url", "http://127.0.0.1:9"},
        {"remote_auth_url", "http://127.0.0.1:9"},
        {"scope", bj::object{{"upstream_webhooks", true}}}};
    auto integration = api_.call("POST", "/v1/integrations", &body);
    if (!integration) return failed(integration.error().message);
    const auto* subs = json::find(*integration, "subscriptions");
    if (subs == nullptr || !subs->is_array()) return failed("the integration lists no subscriptions");
    for (const auto& s : subs->get_array()) {
      bool candidates = false;
      if (const auto* types = json::find(s, "event_types"); types && types->is_array()) {
        for (const auto& t : types->get_array())
          candidates = candidates || (t.is_string() && t.get_string() == "new_candidate_application");
      }
      if (!candidates) continue;
      ingress_url_ = json::get_string(s, "ingress_url").value_or("");
      secret_ = json::get_string(s, "setup.secret").value_or("");
    }
    if (ingress_url_.empty() || secret_.empty())
      return failed("no subscription with an ingress URL and a secret");
    std::string path = ingress_url_.substr(ingress_url_.find('/', ingress_url_.find("://") + 3));
    requests_ = std::make_unique<GreenhouseRequests>(path, secret_, "bench-" + crypto::random_token(8));
    note("ingress path " + path.substr(0, path.rfind('/') + 1) + "<token>, body " +
         std::to_string(GreenhouseRequests::body(1'000'000).size()) + " bytes, signed per request");

    auto ep = create_endpoint(kSlotIngest, "bench: figure 1");
    if (!ep) return failed(ep.error().message);
    endpoint_ingest_ = *ep;

    // A few requests through the whole pipeline: the subscription turns active and every cache is warm.
    LoadOptions warm;
    warm.host = trib_.host;
    warm.port = trib_.port;
    warm.connections = 4;
    warm.max_requests = 200;
    warm.duration = std::chrono::seconds(20);
    auto r = load(warm, trib_);
    if (r.ok != r.sent || r.ok == 0) {
      return failed("warm-up: " + std::to_string(r.ok) + " of " + std::to_string(r.sent) +
                    " signed requests accepted (first bad status " + std::to_string(r.first_bad_status) +
                    ")");
    }
    if (!wait_for([&] { return sink_.count(kSlotIngest) >= r.ok; }, std::chrono::seconds(20))) {
      return failed("warm-up: the deliveries did not arrive within 20 s");
    }
    return true;
  }

  // Runs the load generator with fresh candidate ids against `to`.
  LoadResult load(LoadOptions options, const HostPort& to, const std::string& path = "",
                  const SendHook& on_send = {}) {
    std::uint64_t base = next_id_;
    auto result = run_load(
        options, [&](std::uint64_t seq) { return requests_->request(base + seq, to, path); }, on_send);
    next_id_ += result.sent;
    return result;
  }

  LoadOptions closed_loop(const HostPort& to, double seconds) const {
    LoadOptions l;
    l.host = to.host;
    l.port = to.port;
    l.connections = o_.connections;
    l.threads = o_.threads;
    l.warmup = ms(o_.warmup_s);
    l.duration = ms(seconds);
    l.max_requests = 5'000'000;
    return l;
  }

  std::string describe(const LoadResult& r) const {
    return grouped(r.rate()) + "/s (" + grouped(static_cast<double>(r.measured)) + " in " +
           fixed(r.measured_seconds, 1) + " s; answer p50 " + fixed(r.rtt.p50_ms, 2) + " ms, p99 " +
           fixed(r.rtt.p99_ms, 2) + " ms; non-2xx " + std::to_string(r.non_2xx) + ", errors " +
           std::to_string(r.errors) + ")";
  }

  // Figure 1: durable ingest vs nginx `return 200`, same client, same requests, same concurrency.
  bool figure_ingest() {
    phase("1. durable ingest: " + std::to_string(o_.connections) + " keep-alive connections, closed loop");
    auto n1 = load(closed_loop(nginx_, o_.reference_s), nginx_);
    note("nginx (static 200), before: " + describe(n1));
    cpu_.reset(o_.tributary_pid);
    auto mark = writer_mark();
    auto t = load(closed_loop(trib_, o_.ingest_s), trib_);
    std::uint64_t ingest_ok = t.ok;
    std::string cpu = cpu_.report(o_.tributary_pid);
    std::string commits = writer_report(mark);
    note("tributary (signed, verified, committed, then processed and delivered): " + describe(t));
    note("tributary CPU during figure 1: " + cpu);
    note("tributary group commit during figure 1: " + commits);
    auto n2 = load(closed_loop(nginx_, o_.reference_s), nginx_);
    note("nginx (static 200), after: " + describe(n2));
    if (t.ok == 0)
      return failed("figure 1: tributary accepted nothing (first bad status " +
                    std::to_string(t.first_bad_status) + ")");
    ingest_rate_ = t.rate();
    double nginx_rate = (n1.rate() + n2.rate()) / 2;
    rows_.push_back(
        {"1 durable ingest, signed webhooks, " + std::to_string(o_.connections) + " conns",
         grouped(t.rate()) + " req/s",
         "nginx return 200: " + grouped(nginx_rate) + " req/s; ratio " + fixed(t.rate() / nginx_rate, 2),
         "ratio >= 0.50"});

    // The pipeline behind the ingress: how long until every accepted event was processed and delivered.
    std::int64_t start = now_ns();
    std::uint64_t expected = accepted();  // every event accepted so far has a delivery to this endpoint
    bool drained = wait_for([&] { return sink_.count(kSlotIngest) >= expected; }, std::chrono::seconds(60));
    double after = static_cast<double>(now_ns() - start) / 1e9;
    note("figure 1's " + grouped(static_cast<double>(ingest_ok)) + " events: " +
         (drained ? "all delivered " + fixed(after, 1) + " s after the load stopped"
                  : "still " + grouped(static_cast<double>(expected - sink_.count(kSlotIngest))) +
                        " deliveries outstanding after 60 s (endpoint disabled; they stay pending)"));
    if (!set_enabled(endpoint_ingest_, false)) return false;
    if (!wait_processed(std::chrono::seconds(60))) note("the processor had not caught up after 60 s");
    return true;
  }

  struct Relay {
    Percentiles relay;          // send -> downstream arrival
    std::uint64_t missing = 0;  // measured requests whose delivery never arrived (within 30 s)
    LoadResult ingress;         // send -> 200 answer
  };

  // Sends signed webhooks at `rate` (open loop) while the latency endpoint is enabled and matches every
  // downstream arrival to its upstream request by remote_id: both timestamps come from this process's clock.
  Relay measure_relay(double rate, double seconds) {
    LoadOptions l;
    l.host = trib_.host;
    l.port = trib_.port;
    l.connections = o_.connections;
    l.threads = o_.threads;
    l.rate = rate;
    l.warmup = ms(o_.warmup_s);
    l.duration = ms(seconds);
    l.max_requests = static_cast<std::uint64_t>(rate * (o_.warmup_s + seconds) * 1.1) + 100;

    std::vector<std::int64_t> sent_ns(l.max_requests, 0);
    std::vector<std::atomic<std::int64_t>> arrived_ns(l.max_requests);
    sink_.reset(kSlotLatency);
    sink_.record_arrivals(kSlotLatency, next_id_, &arrived_ns);
    std::int64_t t0 = now_ns();
    Relay out;
    out.ingress = load(l, trib_, "", [&](std::uint64_t seq, std::int64_t t) { sent_ns[seq] = t; });
    wait_for([&] { return sink_.count(kSlotLatency) >= out.ingress.ok; }, std::chrono::seconds(30));
    sink_.record_arrivals(kSlotLatency, 0, nullptr);

    std::int64_t measured_from = t0 + std::chrono::nanoseconds(ms(o_.warmup_s)).count();
    std::vector<std::int64_t> relay;
    for (std::uint64_t i = 0; i < out.ingress.sent && i < sent_ns.size(); ++i) {
      if (sent_ns[i] < measured_from) continue;
      std::int64_t a = arrived_ns[i].load();
      if (a == 0) {
        ++out.missing;
        continue;
      }
      relay.push_back(a - sent_ns[i]);
    }
    out.relay = percentiles(relay);
    return out;
  }

  std::string describe(const Relay& r) const {
    const auto& p = r.relay;
    return "p50 " + fixed(p.p50_ms, 2) + " ms, p90 " + fixed(p.p90_ms, 2) + " ms, p99 " + fixed(p.p99_ms, 2) +
           " ms, max " + fixed(p.max_ms, 1) + " ms over " + grouped(static_cast<double>(p.samples)) +
           " events; " + std::to_string(r.missing) + " not delivered within 30 s; ingress answer p50 " +
           fixed(r.ingress.rtt.p50_ms, 2) + " ms, p99 " + fixed(r.ingress.rtt.p99_ms, 2) +
           " ms; client backlog max " + std::to_string(r.ingress.max_backlog) + "; non-2xx " +
           std::to_string(r.ingress.non_2xx) + ", errors " + std::to_string(r.ingress.errors);
  }

  // Figure 2: upstream request sent -> downstream request arrives, at half the ingest rate, open loop.
  bool figure_latency() {
    double rate = std::max(50.0, std::floor(ingest_rate_ / 2));
    phase("2. relay latency at " + grouped(rate) + " req/s (half of figure 1), open loop");
    auto ep = create_endpoint(kSlotLatency, "bench: figure 2");
    if (!ep) return failed(ep.error().message);
    endpoint_latency_ = *ep;

    cpu_.reset(o_.tributary_pid);
    auto mark = writer_mark();
    Relay half = measure_relay(rate, o_.latency_s);
    std::string cpu = cpu_.report(o_.tributary_pid);
    std::string commits = writer_report(mark);
    note("tributary relay (send -> downstream arrival) at " + grouped(rate) + "/s: " + describe(half));
    note("tributary CPU during figure 2: " + cpu);
    note("tributary group commit during figure 2: " + commits);
    // The same at a low rate shows the pipeline's own latency, without queueing.
    Relay low = measure_relay(kLowRate, 2);
    note("tributary relay at " + grouped(kLowRate) + "/s (unloaded, for comparison): " + describe(low));
    if (!set_enabled(endpoint_latency_, false)) return false;

    // Reference: the same requests, same client, same rate, posted straight to the same endpoint.
    LoadOptions ref;
    ref.host = "127.0.0.1";
    ref.port = sink_.port();
    ref.connections = o_.connections;
    ref.threads = o_.threads;
    ref.rate = rate;
    ref.warmup = ms(o_.warmup_s);
    ref.duration = ms(o_.reference_s);
    ref.max_requests = static_cast<std::uint64_t>(rate * (o_.warmup_s + o_.reference_s) * 1.1) + 100;
    auto plain = load(ref, HostPort{"127.0.0.1", sink_.port()}, "/e/" + std::to_string(kSlotReference));
    note("reference, plain POST round trip to the same endpoint at the same rate: p50 " +
         fixed(plain.rtt.p50_ms, 2) + " ms, p99 " + fixed(plain.rtt.p99_ms, 2) + " ms over " +
         grouped(static_cast<double>(plain.measured)));
    rows_.push_back(
        {"2 relay latency p50 / p99 @ " + grouped(rate) + "/s",
         fixed(half.relay.p50_ms, 2) + " / " + fixed(half.relay.p99_ms, 2) + " ms",
         "plain POST round trip: " + fixed(plain.rtt.p50_ms, 2) + " / " + fixed(plain.rtt.p99_ms, 2) + " ms",
         "<= 2 / <= 20 ms"});
    if (!wait_processed(std::chrono::seconds(30))) note("the processor had not caught up after 30 s");
    return true;
  }

  // Figure 3: K events wait in the outbox behind a held endpoint; then the endpoint answers and the
  // dispatcher delivers them as fast as it can.
  bool figure_throughput() {
    const std::uint64_t k = o_.throughput_events;
    phase("3. delivery throughput: " + grouped(static_cast<double>(k)) + " events queued, then delivered");
    sink_.hold(kSlotThroughput);
    auto ep = create_endpoint(kSlotThroughput, "bench: figure 3");
    if (!ep) return failed(ep.error().message);
    endpoint_throughput_ = *ep;
    LoadOptions pre = closed_loop(trib_, 120);
    pre.warmup = std::chrono::milliseconds(0);
    pre.max_requests = k;
    cpu_.reset(o_.tributary_pid);
    auto r = load(pre, trib_);
    note("tributary CPU while pre-loading (endpoint held): " + cpu_.report(o_.tributary_pid));
    note("pre-loaded " + grouped(static_cast<double>(r.ok)) + " events in " + fixed(r.wall_seconds, 1) +
         " s (" + grouped(static_cast<double>(r.ok) / std::max(r.wall_seconds, 1e-9)) + "/s)");
    if (r.ok == 0) return failed("figure 3: nothing pre-loaded");
    if (!wait_processed(std::chrono::seconds(120)))
      return failed("figure 3: the processor did not catch up in 120 s");
    // The dispatcher fills its window for the endpoint; everything else stays pending in the outbox.
    std::size_t held = 0;
    wait_for(
        [&] {
          std::size_t now = sink_.held(kSlotThroughput);
          bool stable = now == held && now > 0;
          held = now;
          return stable;
        },
        std::chrono::seconds(5));
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    held = sink_.held(kSlotThroughput);

    cpu_.reset(o_.tributary_pid);
    auto mark = writer_mark();
    std::int64_t t0 = now_ns();
    sink_.release(kSlotThroughput);
    bool all = wait_for([&] { return sink_.count(kSlotThroughput) >= r.ok; }, std::chrono::seconds(120));
    std::string cpu = cpu_.report(o_.tributary_pid);
    std::string commits = writer_report(mark);
    std::uint64_t got = sink_.count(kSlotThroughput);
    double seconds = static_cast<double>(sink_.last_arrival_ns(kSlotThroughput) - t0) / 1e9;
    double rate = static_cast<double>(got - held) / std::max(seconds, 1e-9);
    note("tributary: " + grouped(static_cast<double>(got - held)) + " deliveries in " + fixed(seconds, 2) +
         " s = " + grouped(rate) + "/s (" + std::to_string(held) +
         " were in flight when the endpoint was released)" + (all ? "" : "; NOT all arrived within 120 s"));
    note("tributary CPU during figure 3: " + cpu);
    note("tributary group commit during figure 3: " + commits);
    if (!set_enabled(endpoint_throughput_, false)) return false;

    // Reference: the same CurlClient posting to the same endpoint, as many at once as Tributary allows
    // itself.
    double curl_rate = curl_reference(k);
    note("reference, CurlClient raw POSTs to the same endpoint, " + std::to_string(o_.curl_concurrency) +
         " in flight: " + grouped(curl_rate) + "/s");
    rows_.push_back({"3 delivery throughput, keep-alive endpoint", grouped(rate) + " deliveries/s",
                     "CurlClient raw POST: " + grouped(curl_rate) + "/s", ">= 10,000/s"});
    return true;
  }

  double curl_reference(std::uint64_t k) {
    http::CurlClientOptions copts;
    copts.max_host_connections = o_.curl_concurrency;
    http::CurlClient client(copts);
    // A body and headers the size of Tributary's deliveries.
    std::string body =
        R"({"id":"evt_bench","type":"remote-event-received","data":{"integration_id":"greenhouse:xxxxxxxxxxxxxxxx","integration_tool":"greenhouse","integration_category":"ATS","end_user":{"organization_name":"Bench GmbH","creator_email":"bench@example.com","origin_id":"bench"},"events":[{"model":"ats_candidates","action":"created","remote_id":"1000000","id":null}]}})";
    std::string sig = crypto::base64url_encode_nopad(crypto::hmac_sha256("whsec_bench", body));
    std::atomic<std::uint64_t> issued{0};
    std::atomic<std::uint64_t> done{0};
    std::atomic<std::uint64_t> ok{0};
    std::function<void()> send_one;
    send_one = [&] {
      if (issued.fetch_add(1) >= k) return;
      http::ClientRequest req;
      req.method = "POST";
      req.url = sink_.url(kSlotCurl);
      req.body = body;
      req.headers = {{"Content-Type", "application/json"},
                     {"webhook-id", "evt_bench"},
                     {"webhook-timestamp", "1700000000"},
                     {"webhook-signature", "v1," + crypto::base64_encode(crypto::hmac_sha256("k", body))},
                     {"X-Kombo-Signature", sig}};
      req.timeout = std::chrono::milliseconds(15000);
      client.send(std::move(req), [&](http::ClientResponse response) {
        if (response.status == 200) ok.fetch_add(1);
        done.fetch_add(1);
        send_one();
      });
    };
    std::int64_t t0 = now_ns();
    for (int i = 0; i < o_.curl_concurrency; ++i)
      send_one();
    wait_for([&] { return done.load() >= k; }, std::chrono::seconds(60));
    std::int64_t t1 = now_ns();
    // Stop issuing before the client (and its callbacks) go away.
    issued.store(k + 1'000'000);
    wait_for([&] { return client.in_flight() == 0; }, std::chrono::seconds(20));
    return static_cast<double>(ok.load()) / (static_cast<double>(t1 - t0) / 1e9);
  }

  // Figure 4: the memory of the Tributary process after figures 1-3, then with a stored/pending load.
  void figure_memory() {
    auto after = read_memory(o_.tributary_pid);
    std::uint64_t stored = accepted();
    phase("4. memory");
    note("after figures 1-3 (" + grouped(static_cast<double>(stored)) + " events stored): VmRSS " +
         mib(after.rss_kib) + ", VmHWM (peak) " + mib(after.hwm_kib));
    rows_.push_back({"4 memory after 1-3 (" + grouped(static_cast<double>(stored)) + " events stored)",
                     "RSS " + mib(after.rss_kib) + ", peak " + mib(after.hwm_kib), "-",
                     "<= 200 MB at 1 M stored / 100 k pending"});

    // First events without any enabled endpoint (stored only), then `pending` more while a held endpoint is
    // enabled: each of those gets a delivery that stays pending (all but the dispatcher's window in flight).
    const std::uint64_t pending = o_.memory_pending;
    const std::uint64_t filler =
        o_.memory_stored > stored + pending ? o_.memory_stored - stored - pending : 0;
    const std::chrono::seconds cap(o_.memory_full ? 1800 : 150);
    LoadOptions fill = closed_loop(trib_, static_cast<double>(cap.count()));
    fill.warmup = std::chrono::milliseconds(0);
    fill.max_requests = filler;
    LoadResult stored_only;
    if (filler > 0) stored_only = load(fill, trib_);
    sink_.hold(kSlotMemory);
    auto ep = create_endpoint(kSlotMemory, "bench: figure 4 (held: its deliveries stay pending)");
    if (!ep) {
      fail(ep.error().message);
      return;
    }
    fill.max_requests = pending;
    auto r = load(fill, trib_);
    bool caught_up = wait_processed(std::chrono::seconds(o_.memory_full ? 600 : 120));
    std::uint64_t total = accepted();
    std::uint64_t waiting = r.ok > sink_.held(kSlotMemory) ? r.ok - sink_.held(kSlotMemory) : 0;
    auto mem = read_memory(o_.tributary_pid);
    std::string db_size;
    if (!o_.database.empty()) {
      std::int64_t bytes = 0;
      for (const char* suffix : {"", "-wal"}) {
        std::ifstream f(o_.database + suffix, std::ios::binary | std::ios::ate);
        if (f) bytes += static_cast<std::int64_t>(f.tellg());
      }
      db_size = ", database " + mib(bytes / 1024) + " on disk";
    }
    double seconds = stored_only.wall_seconds + r.wall_seconds;
    note("ingested " + grouped(static_cast<double>(stored_only.ok)) + " more without an endpoint and " +
         grouped(static_cast<double>(r.ok)) + " with a held endpoint in " + fixed(seconds, 1) + " s (" +
         grouped(static_cast<double>(stored_only.ok + r.ok) / std::max(seconds, 1e-9)) + "/s)" +
         (caught_up ? "" : " (processor not caught up)") + ": " + grouped(static_cast<double>(total)) +
         " events stored, " + grouped(static_cast<double>(waiting)) + " deliveries pending: VmRSS " +
         mib(mem.rss_kib) + ", VmHWM " + mib(mem.hwm_kib) + db_size);
    rows_.push_back({std::string("4 memory, ") + (o_.memory_full ? "full" : "scaled") + ": " +
                         grouped(static_cast<double>(total)) + " stored / " +
                         grouped(static_cast<double>(waiting)) + " pending",
                     "RSS " + mib(mem.rss_kib) + ", peak " + mib(mem.hwm_kib), "-",
                     "<= 200 MB at 1 M stored / 100 k pending"});
    if (set_enabled(*ep, false)) sink_.release(kSlotMemory);
  }

  void print() {
    std::size_t w[4] = {6, 9, 9, 6};
    for (const auto& r : rows_) {
      w[0] = std::max(w[0], r.figure.size());
      w[1] = std::max(w[1], r.tributary.size());
      w[2] = std::max(w[2], r.reference.size());
      w[3] = std::max(w[3], r.target.size());
    }
    auto line = [&](const std::string& a, const std::string& b, const std::string& c, const std::string& d) {
      auto pad = [](const std::string& s, std::size_t n) { return s + std::string(n - s.size(), ' '); };
      std::cout << pad(a, w[0]) << " | " << pad(b, w[1]) << " | " << pad(c, w[2]) << " | " << d << "\n";
    };
    std::cout << "\n";
    line("figure", "tributary", "reference (same run, same client)", "target");
    std::cout << std::string(w[0], '-') << "-|-" << std::string(w[1], '-') << "-|-" << std::string(w[2], '-')
              << "-|-" << std::string(w[3], '-') << "\n";
    for (const auto& r : rows_)
      line(r.figure, r.tributary, r.reference, r.target);
    for (const auto& f : footer_)
      std::cout << f << "\n";
    std::cout << std::flush;
  }

  Options o_;
  Api api_;
  HostPort trib_;
  HostPort nginx_;
  Sink sink_;
  ThreadCpu cpu_;
  std::string ingress_url_;
  std::string secret_;
  std::unique_ptr<GreenhouseRequests> requests_;
  std::string endpoint_ingest_;
  std::string endpoint_latency_;
  std::string endpoint_throughput_;
  std::uint64_t next_id_ = 1'000'000;
  double ingest_rate_ = 0;
  std::vector<Row> rows_;
  std::vector<std::string> footer_;
};

int free_port() {
  namespace asio = boost::asio;
  asio::io_context io;
  asio::ip::tcp::acceptor acceptor(io, asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  std::cout << acceptor.local_endpoint().port() << "\n";
  return 0;
}

}  // namespace
}  // namespace tributary::bench

int main(int argc, char** argv) {
  using tributary::bench::Options;
  CLI::App app{"Tributary's benchmark driver (bench/run starts the processes and calls it)"};
  app.require_subcommand(1);
  auto* port = app.add_subcommand("free-port", "Print a free TCP port on 127.0.0.1");
  auto* run = app.add_subcommand("run", "Measure the figures against a running tributary and nginx");
  Options o;
  run->add_option("--tributary", o.tributary_url, "Base URL of `tributary serve` (loopback)")->required();
  run->add_option("--tributary-pid", o.tributary_pid, "Its process id (memory figure)")->required();
  run->add_option("--api-key", o.api_key, "A management API key")->required();
  run->add_option("--nginx", o.nginx_url, "Base URL of the reference nginx (return 200)")->required();
  run->add_option("--database", o.database, "Tributary's SQLite file (for its size on disk)");
  run->add_option("--connections", o.connections, "Keep-alive connections of the load generator");
  run->add_option("--threads", o.threads, "Load generator threads");
  run->add_option("--warmup-seconds", o.warmup_s);
  run->add_option("--ingest-seconds", o.ingest_s, "Figure 1's measured window for tributary");
  run->add_option("--reference-seconds", o.reference_s, "Measured window of each reference run");
  run->add_option("--latency-seconds", o.latency_s, "Figure 2's measured window");
  run->add_option("--throughput-events", o.throughput_events, "Figure 3's queued events");
  run->add_option("--curl-concurrency", o.curl_concurrency,
                  "Figure 3's reference: CurlClient requests in flight");
  run->add_option("--memory-stored", o.memory_stored, "Figure 4: events stored before reading the memory");
  run->add_option("--memory-pending", o.memory_pending, "Figure 4: deliveries pending");
  run->add_flag("--memory-full", o.memory_full, "Figure 4 at full scale: 1 M stored, 100 k pending");
  CLI11_PARSE(app, argc, argv);
  if (*port) return tributary::bench::free_port();
  if (o.memory_full) {
    o.memory_stored = 1'000'000;
    o.memory_pending = 100'000;
  }
  std::signal(SIGPIPE, SIG_IGN);
  tributary::bench::Bench bench(o);
  return bench.run();
}
