// Minimal HTTP/1.1 framing for the benchmark's own client and endpoint: find where a message head ends, read
// the status or request line, Content-Length, chunked encoding and connection handling. Deliberately small
// and allocation-free so the load generator and the sink cost the same for every server they talk to.
// Thread-safety: stateless functions.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace tributary::bench {

struct MessageHead {
  std::size_t head_bytes = 0;  // including the blank line
  int status = 0;              // responses only
  std::string_view method;     // requests only
  std::string_view target;     // requests only
  std::size_t content_length = 0;
  bool chunked = false;
  bool close = false;            // "Connection: close"
  bool expect_continue = false;  // "Expect: 100-continue"
  bool malformed = false;
};

// nullopt while the head is incomplete; a head with `malformed` set when it cannot be read.
std::optional<MessageHead> parse_response_head(std::string_view data);
std::optional<MessageHead> parse_request_head(std::string_view data);

// For a chunked body starting at data[0]: the number of bytes up to and including the final CRLF, or nullopt
// while incomplete. Returns 0 on a malformed chunk header. Trailers are not supported (nobody here sends
// them).
std::optional<std::size_t> chunked_body_size(std::string_view data);

}  // namespace tributary::bench
