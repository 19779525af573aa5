// Group commit: whatever is queued when the writer thread comes round is one transaction. There is no
// deliberate wait for more work — while one batch's fsync runs, new requests pile up and become the next
// batch, so the batch size follows the load by itself.
#include "store/writer.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <exception>
#include <future>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <spdlog/spdlog.h>

#include "core/mutex.h"

namespace tributary::store {
namespace {

// BEGIN IMMEDIATE already waits busy_timeout for the write lock; these retries cover the SQLITE_BUSY answers
// that SQLite gives without waiting (e.g. while another connection recovers the WAL).
constexpr int kLockAttempts = 5;
constexpr auto kFirstBackoff = std::chrono::milliseconds(5);

constexpr std::string_view kSavepoint = "job";

constexpr auto kSpellLogEvery = std::chrono::minutes(1);

Status run_job(const Writer::Job& job, Connection& conn) {
  try {
    return job(conn);
  } catch (const std::exception& e) {
    return make_error(ErrorKind::kInternal, std::string("write job threw: ") + e.what());
  } catch (...) {
    return make_error(ErrorKind::kInternal, "write job threw a non-standard exception");
  }
}

void call_done(const Writer::Done& done, Status status) {
  if (!done) return;
  try {
    done(std::move(status));
  } catch (const std::exception& e) {
    spdlog::error("writer: completion callback threw: {}", e.what());
  } catch (...) {
    spdlog::error("writer: completion callback threw a non-standard exception");
  }
}

// Retries an operation that failed only because the database was locked (kUnavailable), with a doubling
// backoff and a bounded number of attempts.
template <typename Op>
Status with_lock_retry(Op&& op) {
  auto backoff = kFirstBackoff;
  Status status = op();
  for (int attempt = 1; attempt < kLockAttempts && !status && status.error().kind == ErrorKind::kUnavailable;
       ++attempt) {
    std::this_thread::sleep_for(backoff);
    backoff *= 2;
    status = op();
  }
  return status;
}

}  // namespace

struct Writer::Impl {
  struct Pending {
    Job job;
    Done done;
  };

  Impl(std::unique_ptr<Connection> c, WriterOptions o) : conn(std::move(c)), options(o) {
    options.max_batch = std::max<std::size_t>(options.max_batch, 1);
    options.max_log_per_batch = std::max<std::size_t>(options.max_log_per_batch, 1);
  }

  std::unique_ptr<Connection> conn;
  WriterOptions options;

  Mutex mu;
  std::condition_variable cv;
  std::deque<Pending> queue GUARDED_BY(mu);
  std::deque<Pending> log_queue GUARDED_BY(mu);
  bool stopping GUARDED_BY(mu) = false;
  bool started GUARDED_BY(mu) = false;
  std::thread thread;
  std::atomic<std::thread::id> thread_id{};

  std::atomic<std::uint64_t> batches{0};
  std::atomic<std::uint64_t> jobs{0};
  std::atomic<std::uint64_t> log_dropped{0};
  std::atomic<std::uint64_t> storage_errors{0};
  // A spell of refused writes (writer thread only, but storage_failing, which readiness reads).
  std::atomic<bool> storage_failing{false};
  std::chrono::steady_clock::time_point failing_since;
  std::chrono::steady_clock::time_point next_probe;
  std::uint64_t refused_in_spell = 0;
  // A disk that is nearly full may refuse one write and take the next: a new spell is logged at most once a
  // minute (with its end), so that flapping does not fill the log either.
  std::optional<std::chrono::steady_clock::time_point> spell_logged_at;
  bool spell_logged = false;

  struct Subscriber {
    std::uint64_t id;
    std::string channel;
    std::function<void()> fn;
  };
  Mutex subscribers_mu;
  std::vector<Subscriber> subscribers GUARDED_BY(subscribers_mu);
  std::uint64_t next_subscriber GUARDED_BY(subscribers_mu) = 1;

  // Runs batches until stop() is requested and both queues are empty.
  void loop() {
    thread_id.store(std::this_thread::get_id());
    for (;;) {
      std::vector<Pending> batch;
      {
        MutexLock lock(mu);
        auto ready = [&]() REQUIRES(mu) { return stopping || !queue.empty() || !log_queue.empty(); };
        // While the database refuses writes, the probe runs even when nobody writes: the spell (and the
        // node's readiness) ends when the database takes writes again, not at the next request.
        if (probing()) {
          (void)lock.wait_until(cv, next_probe, ready);
        } else {
          lock.wait(cv, ready);
        }
        if (queue.empty() && log_queue.empty() && (stopping || !probe_due())) {
          if (stopping) break;
          continue;
        }
        take_batch(batch);
      }
      run_batch(batch);
    }
    thread_id.store(std::thread::id());
  }

  // The writes that gate an answer first, then a bounded share of the log-only ones.
  void take_batch(std::vector<Pending>& batch) REQUIRES(mu) {
    const std::size_t n = std::min(options.max_batch, queue.size());
    const std::size_t logs = std::min(options.max_log_per_batch, log_queue.size());
    batch.reserve(n + logs);
    for (std::size_t i = 0; i < n; ++i) {
      batch.push_back(std::move(queue.front()));
      queue.pop_front();
    }
    for (std::size_t i = 0; i < logs; ++i) {
      batch.push_back(std::move(log_queue.front()));
      log_queue.pop_front();
    }
  }

  bool probing() const { return storage_failing.load() && options.probe; }
  bool probe_due() const { return probing() && std::chrono::steady_clock::now() >= next_probe; }

  void run_batch(std::vector<Pending>& batch) {
    // The probe rides along with whatever is waiting (it is one small write), last.
    const bool with_probe = probe_due();
    if (with_probe) batch.push_back(Pending{options.probe, {}});
    std::vector<Status> results(batch.size());
    std::vector<std::string> notified;
    Status outcome = with_lock_retry([&] { return conn->begin(); });
    if (outcome) outcome = run_jobs(batch, results, notified, with_probe ? batch.size() - 1 : batch.size());
    if (outcome) outcome = with_lock_retry([&] { return conn->commit(); });
    if (!outcome) {
      if (auto rolled_back = conn->rollback(); !rolled_back) replace_connection(rolled_back.error());
      for (Status& r : results)
        r = outcome;
      notified.clear();
    }
    if (with_probe) {
      next_probe = std::chrono::steady_clock::now() + options.probe_interval;
      if (outcome && !results.back() && results.back().error().kind != ErrorKind::kStorageUnavailable)
        spdlog::warn("writer: the storage probe failed: {}", results.back().error().message);
      note_outcome(outcome, batch.size() - 1, outcome && results.back().ok());
      batch.pop_back();
      results.pop_back();
    } else {
      note_outcome(outcome, batch.size(), false);
    }
    batches.fetch_add(1, std::memory_order_relaxed);
    jobs.fetch_add(batch.size(), std::memory_order_relaxed);
    wake(notified);
    // Only now is the batch durable (or known to be lost): report in submission order.
    for (std::size_t i = 0; i < batch.size(); ++i)
      call_done(batch[i].done, std::move(results[i]));
  }

  // Keeps the spell of refused writes: its start and end logged once, each refused batch counted. Other
  // failures are logged per batch, as they are rare and each may say something new.
  void note_outcome(const Status& outcome, std::size_t jobs_in_batch, bool probe_committed) {
    const auto now = std::chrono::steady_clock::now();
    if (!outcome && outcome.error().kind == ErrorKind::kStorageUnavailable) {
      storage_errors.fetch_add(1, std::memory_order_relaxed);
      ++refused_in_spell;
      next_probe = now + options.probe_interval;
      if (!storage_failing.exchange(true)) {
        failing_since = now;
        spell_logged = !spell_logged_at || now - *spell_logged_at >= kSpellLogEvery;
        if (spell_logged) {
          spell_logged_at = now;
          spdlog::error(
              "writer: the database refuses writes ({}); writes are refused (ingress answers 503) until it "
              "takes them again",
              outcome.error().message);
        }
      }
      return;
    }
    if (!outcome) {
      spdlog::warn("writer: batch of {} jobs failed: {}", jobs_in_batch, outcome.error().message);
      return;
    }
    if (storage_failing.load() && (probe_committed || !options.probe)) {
      storage_failing.store(false);
      if (spell_logged)
        spdlog::warn("writer: the database takes writes again, after {} s and {} refused batches",
                     std::chrono::duration_cast<std::chrono::seconds>(now - failing_since).count(),
                     refused_in_spell);
      refused_in_spell = 0;
    }
  }

  // A connection that could not roll back may still hold its transaction open: it is replaced, when the
  // options say how, rather than failing every batch after it.
  void replace_connection(const Error& why) {
    if (!options.reopen) {
      spdlog::error("writer: rollback failed: {}", why.message);
      return;
    }
    auto fresh = options.reopen();
    if (!fresh) {
      spdlog::error("writer: rollback failed ({}), and a new connection could not be opened: {}", why.message,
                    fresh.error().message);
      return;
    }
    spdlog::warn("writer: rollback failed ({}); continuing on a new connection", why.message);
    conn = std::move(*fresh);
  }

  // Runs each job in its own savepoint. A failing job is rolled back alone, with the channels it notified;
  // a failure of the savepoint commands themselves means the transaction is in an unknown state, and the
  // whole batch fails.
  Status run_jobs(std::vector<Pending>& batch, std::vector<Status>& results,
                  std::vector<std::string>& notified, std::size_t probe_at) {
    for (std::size_t i = 0; i < batch.size(); ++i) {
      if (auto s = conn->savepoint(kSavepoint); !s) return s;
      Status result = run_job(batch[i].job, *conn);
      std::vector<std::string> channels = conn->take_notified();
      // The database refusing writes is no fault of the job: the whole batch fails (SQLite may already
      // have rolled the transaction back, savepoint and all). The probe's refusal is only the probe's: the
      // savepoint tells whether the transaction is still there.
      if (!result && result.error().kind == ErrorKind::kStorageUnavailable && i != probe_at) return result;
      if (!result) {
        if (auto s = conn->rollback_to(kSavepoint); !s) return s;
        results[i] = std::move(result);
      } else {
        for (auto& channel : channels)
          if (std::find(notified.begin(), notified.end(), channel) == notified.end())
            notified.push_back(std::move(channel));
      }
      if (auto s = conn->release(kSavepoint); !s) return s;
    }
    return {};
  }

  void wake(const std::vector<std::string>& notified) {
    if (notified.empty()) return;
    MutexLock lock(subscribers_mu);
    for (const auto& subscriber : subscribers) {
      if (std::find(notified.begin(), notified.end(), subscriber.channel) == notified.end()) continue;
      try {
        subscriber.fn();
      } catch (const std::exception& e) {
        spdlog::error("writer: subscriber of {} threw: {}", subscriber.channel, e.what());
      }
    }
  }
};

Writer::Writer(std::unique_ptr<Connection> connection, WriterOptions options)
    : impl_(std::make_unique<Impl>(std::move(connection), options)) {}

Writer::~Writer() {
  stop();
}

void Writer::start() {
  MutexLock lock(impl_->mu);
  if (impl_->started || impl_->stopping) return;
  impl_->started = true;
  impl_->thread = std::thread([impl = impl_.get()] { impl->loop(); });
}

void Writer::stop() {
  bool started = false;
  {
    MutexLock lock(impl_->mu);
    impl_->stopping = true;
    started = impl_->started;
  }
  impl_->cv.notify_all();
  if (started) {
    if (impl_->thread.joinable()) impl_->thread.join();
  } else {
    // Never started: finish what was submitted here, so stop() keeps its promise either way.
    impl_->loop();
  }
}

void Writer::submit(Job job, Done done) {
  {
    MutexLock lock(impl_->mu);
    if (!impl_->stopping) {
      impl_->queue.push_back(Impl::Pending{std::move(job), std::move(done)});
      impl_->cv.notify_one();
      return;
    }
  }
  call_done(done, make_error(ErrorKind::kUnavailable, "writer is stopped"));
}

bool Writer::submit_log(Job job, Done done) {
  {
    MutexLock lock(impl_->mu);
    if (!impl_->stopping) {
      if (impl_->log_queue.size() >= impl_->options.max_log_queue) {
        impl_->log_dropped.fetch_add(1, std::memory_order_relaxed);
        return false;
      }
      impl_->log_queue.push_back(Impl::Pending{std::move(job), std::move(done)});
      impl_->cv.notify_one();
      return true;
    }
  }
  call_done(done, make_error(ErrorKind::kUnavailable, "writer is stopped"));
  return false;
}

Status Writer::run(Job job) {
  // The writer thread waiting for its own batch would never finish it.
  if (impl_->thread_id.load() == std::this_thread::get_id()) {
    return make_error(ErrorKind::kInternal, "Writer::run called from the writer thread");
  }
  std::promise<Status> promise;
  std::future<Status> future = promise.get_future();
  submit(std::move(job), [&promise](Status s) { promise.set_value(std::move(s)); });
  return future.get();
}

Writer::Subscription Writer::subscribe(std::string_view channel, std::function<void()> fn) {
  MutexLock lock(impl_->subscribers_mu);
  const std::uint64_t id = impl_->next_subscriber++;
  impl_->subscribers.push_back(Impl::Subscriber{id, std::string(channel), std::move(fn)});
  return Subscription(this, id);
}

Writer::Subscription::Subscription(Subscription&& other) noexcept
    : writer_(std::exchange(other.writer_, nullptr)), id_(other.id_) {}

Writer::Subscription& Writer::Subscription::operator=(Subscription&& other) noexcept {
  if (this != &other) {
    reset();
    writer_ = std::exchange(other.writer_, nullptr);
    id_ = other.id_;
  }
  return *this;
}

void Writer::Subscription::reset() {
  if (writer_ == nullptr) return;
  Impl& impl = *writer_->impl_;
  writer_ = nullptr;
  MutexLock lock(impl.subscribers_mu);
  std::erase_if(impl.subscribers, [this](const Impl::Subscriber& s) { return s.id == id_; });
}

std::uint64_t Writer::batches() const {
  return impl_->batches.load(std::memory_order_relaxed);
}
std::uint64_t Writer::jobs() const {
  return impl_->jobs.load(std::memory_order_relaxed);
}
std::uint64_t Writer::log_dropped() const {
  return impl_->log_dropped.load(std::memory_order_relaxed);
}
std::uint64_t Writer::storage_errors() const {
  return impl_->storage_errors.load(std::memory_order_relaxed);
}
bool Writer::storage_failing() const {
  return impl_->storage_failing.load();
}

}  // namespace tributary::store
