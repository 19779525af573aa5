#include "wire.h"

#include <charconv>

namespace tributary::bench {
namespace {

bool iequal(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    char x = a[i] >= 'A' && a[i] <= 'Z' ? static_cast<char>(a[i] + 32) : a[i];
    char y = b[i] >= 'A' && b[i] <= 'Z' ? static_cast<char>(b[i] + 32) : b[i];
    if (x != y) return false;
  }
  return true;
}

bool icontains(std::string_view haystack, std::string_view needle) {
  if (needle.size() > haystack.size()) return false;
  for (std::size_t i = 0; i + needle.size() <= haystack.size(); ++i) {
    if (iequal(haystack.substr(i, needle.size()), needle)) return true;
  }
  return false;
}

std::string_view trim(std::string_view v) {
  while (!v.empty() && (v.front() == ' ' || v.front() == '\t'))
    v.remove_prefix(1);
  while (!v.empty() && (v.back() == ' ' || v.back() == '\t'))
    v.remove_suffix(1);
  return v;
}

// Reads the header lines after the first line into `head`.
void read_headers(std::string_view lines, MessageHead& head) {
  while (!lines.empty()) {
    auto eol = lines.find("\r\n");
    std::string_view line = lines.substr(0, eol);
    lines = eol == std::string_view::npos ? std::string_view{} : lines.substr(eol + 2);
    if (line.empty()) break;
    auto colon = line.find(':');
    if (colon == std::string_view::npos) {
      head.malformed = true;
      return;
    }
    std::string_view name = line.substr(0, colon);
    std::string_view value = trim(line.substr(colon + 1));
    if (iequal(name, "content-length")) {
      auto [p, ec] = std::from_chars(value.data(), value.data() + value.size(), head.content_length);
      if (ec != std::errc{} || p != value.data() + value.size()) head.malformed = true;
    } else if (iequal(name, "transfer-encoding")) {
      head.chunked = icontains(value, "chunked");
    } else if (iequal(name, "connection")) {
      head.close = icontains(value, "close");
    } else if (iequal(name, "expect")) {
      head.expect_continue = icontains(value, "100-continue");
    }
  }
}

std::optional<std::string_view> head_of(std::string_view data, std::size_t& head_bytes) {
  auto end = data.find("\r\n\r\n");
  if (end == std::string_view::npos) return std::nullopt;
  head_bytes = end + 4;
  return data.substr(0, end + 2);
}

}  // namespace

std::optional<MessageHead> parse_response_head(std::string_view data) {
  MessageHead head;
  auto text = head_of(data, head.head_bytes);
  if (!text) return std::nullopt;
  // "HTTP/1.1 200 OK"
  auto eol = text->find("\r\n");
  std::string_view line = text->substr(0, eol);
  if (line.size() < 12 || line.substr(0, 5) != "HTTP/") {
    head.malformed = true;
    return head;
  }
  auto [p, ec] = std::from_chars(line.data() + 9, line.data() + 12, head.status);
  if (ec != std::errc{} || p != line.data() + 12) head.malformed = true;
  if (line.substr(0, 8) == "HTTP/1.0") head.close = true;
  read_headers(text->substr(eol + 2), head);
  return head;
}

std::optional<MessageHead> parse_request_head(std::string_view data) {
  MessageHead head;
  auto text = head_of(data, head.head_bytes);
  if (!text) return std::nullopt;
  // "POST /path HTTP/1.1"
  auto eol = text->find("\r\n");
  std::string_view line = text->substr(0, eol);
  auto sp1 = line.find(' ');
  auto sp2 = line.rfind(' ');
  if (sp1 == std::string_view::npos || sp2 == sp1) {
    head.malformed = true;
    return head;
  }
  head.method = line.substr(0, sp1);
  head.target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  read_headers(text->substr(eol + 2), head);
  return head;
}

std::optional<std::size_t> chunked_body_size(std::string_view data) {
  std::size_t pos = 0;
  // Bounded: every round consumes at least the chunk-size line.
  while (true) {
    auto eol = data.find("\r\n", pos);
    if (eol == std::string_view::npos) return std::nullopt;
    std::string_view size_text = data.substr(pos, eol - pos);
    if (auto semi = size_text.find(';'); semi != std::string_view::npos)
      size_text = size_text.substr(0, semi);
    std::size_t size = 0;
    auto [p, ec] = std::from_chars(size_text.data(), size_text.data() + size_text.size(), size, 16);
    if (ec != std::errc{} || size_text.empty()) return std::size_t{0};
    pos = eol + 2;
    if (size == 0) {
      if (data.size() < pos + 2) return std::nullopt;
      return pos + 2;  // the blank line that ends a body without trailers
    }
    if (data.size() < pos + size + 2) return std::nullopt;
    pos += size + 2;
  }
}

}  // namespace tributary::bench
