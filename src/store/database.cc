// Row accessors and the backend choice behind open_database().
#include "store/database.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <limits>
#include <system_error>

#include "store/postgres.h"
#include "store/sqlite.h"

namespace tributary::store {
namespace {

std::int64_t parse_int64(const std::string& s) {
  std::int64_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  (void)end;
  return ec == std::errc() ? v : 0;
}

double parse_double(const std::string& s) {
  double v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  (void)end;
  return ec == std::errc() ? v : 0;
}

// Saturates instead of the undefined behaviour of casting an out-of-range double.
std::int64_t to_int64(double d) {
  if (std::isnan(d)) return 0;
  if (d >= 9223372036854775807.0) return std::numeric_limits<std::int64_t>::max();
  if (d <= -9223372036854775808.0) return std::numeric_limits<std::int64_t>::min();
  return static_cast<std::int64_t>(d);
}

std::string format_double(double d) {
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, d);  // shortest form that reads back the same
  return ec == std::errc() ? std::string(buf, end) : std::string();
}

bool starts_with(const std::string& s, std::string_view prefix) {
  return s.rfind(prefix, 0) == 0;
}

// The database holds sealed secrets, hashes of API keys and every relayed payload: a new file is created
// readable by its owner only, whatever the umask. SQLite creates the -wal and -shm files with the mode of the
// database file. An existing file keeps its mode.
Status create_private_file(const std::string& path) {
  if (path == ":memory:" || starts_with(path, "file:")) return {};
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    if (errno == EEXIST) return {};
    return make_error(ErrorKind::kInternal, "database: cannot create " + path + ": " + std::strerror(errno));
  }
  const bool ok = ::fchmod(fd, 0600) == 0;
  ::close(fd);
  if (!ok) return make_error(ErrorKind::kInternal, "database: cannot set the mode of " + path);
  return {};
}

}  // namespace

std::int64_t Row::int64(std::size_t i) const {
  const Value& v = columns.at(i);
  if (auto* p = std::get_if<std::int64_t>(&v)) return *p;
  if (auto* p = std::get_if<double>(&v)) return to_int64(*p);
  if (auto* p = std::get_if<std::string>(&v)) return parse_int64(*p);
  if (auto* p = std::get_if<Blob>(&v)) return parse_int64(p->bytes);
  return 0;
}

double Row::real(std::size_t i) const {
  const Value& v = columns.at(i);
  if (auto* p = std::get_if<double>(&v)) return *p;
  if (auto* p = std::get_if<std::int64_t>(&v)) return static_cast<double>(*p);
  if (auto* p = std::get_if<std::string>(&v)) return parse_double(*p);
  if (auto* p = std::get_if<Blob>(&v)) return parse_double(p->bytes);
  return 0;
}

std::string Row::text(std::size_t i) const {
  const Value& v = columns.at(i);
  if (auto* p = std::get_if<std::string>(&v)) return *p;
  if (auto* p = std::get_if<Blob>(&v)) return p->bytes;
  if (auto* p = std::get_if<std::int64_t>(&v)) return std::to_string(*p);
  if (auto* p = std::get_if<double>(&v)) return format_double(*p);
  return {};
}

void Connection::add_notified(std::string_view channel) {
  if (std::find(notified_.begin(), notified_.end(), channel) == notified_.end())
    notified_.emplace_back(channel);
}

Status notify(Connection& conn, std::string_view channel) {
  if (conn.backend() == Backend::kPostgres) {
    auto r = conn.query("SELECT pg_notify($1, '')", {std::string(channel)});
    if (!r) return r.error();
  }
  conn.add_notified(channel);
  return {};
}

Result<std::unique_ptr<Database>> open_database(const std::string& url) {
  if (starts_with(url, "postgres://") || starts_with(url, "postgresql://")) {
    return open_postgres_database(url);
  }
  if (url.empty()) return make_error(ErrorKind::kInvalidArgument, "database: empty path");

  const std::filesystem::path parent = std::filesystem::path(url).parent_path();
  if (!parent.empty()) {
    std::error_code ec;
    const bool created = std::filesystem::create_directories(parent, ec);
    if (ec) {
      return make_error(ErrorKind::kInternal,
                        "database: cannot create directory " + parent.string() + ": " + ec.message());
    }
    // The directory holds the database and, by default, the master key: its owner's only.
    if (created) std::filesystem::permissions(parent, std::filesystem::perms::owner_all, ec);
  }
  if (auto s = create_private_file(url); !s) return s.error();
  return open_sqlite_database(url);
}

}  // namespace tributary::store
