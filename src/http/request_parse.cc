#include "http/request_parse.h"

#include <algorithm>
#include <boost/asio/buffer.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <cctype>
#include <limits>

namespace tributary::http {

namespace beast = boost::beast;
namespace bhttp = boost::beast::http;

bool is_token_char(char c) {
  if (std::isalnum(static_cast<unsigned char>(c))) return true;
  return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

bool valid_header_name(std::string_view name) {
  return !name.empty() && std::all_of(name.begin(), name.end(), is_token_char);
}

bool valid_header_value(std::string_view value) {
  return std::none_of(value.begin(), value.end(), [](char c) { return c == '\r' || c == '\n' || c == '\0'; });
}

void fill_target(Request& request, std::string_view target) {
  request.target = std::string(target);
  request.path = percent_decode(target_path(target), false);
  request.query = parse_query(target_query(target));
}

Request request_from_header(const BeastRequest& message, const std::string& remote) {
  Request request;
  request.method = std::string(message.method_string());
  fill_target(request, message.target());
  request.headers.reserve(static_cast<std::size_t>(std::distance(message.begin(), message.end())));
  for (const auto& field : message)
    request.headers.emplace_back(field.name_string(), field.value());
  request.remote_address = remote;
  return request;
}

Request request_from_raw(const beast::flat_buffer& buffer, const BeastRequest& message,
                         const std::string& remote) {
  Request request;
  request.remote_address = remote;
  for (const auto& field : message)
    request.headers.emplace_back(field.name_string(), field.value());
  if (!message.target().empty()) {
    // Beast consumed a valid request line before failing on the fields.
    request.method = std::string(message.method_string());
    fill_target(request, message.target());
    return request;
  }
  const std::string_view data(static_cast<const char*>(buffer.data().data()), buffer.size());
  const auto eol = data.find("\r\n");
  if (eol == std::string_view::npos) return request;
  const std::string_view line = data.substr(0, eol);
  const auto sp1 = line.find(' ');
  const auto sp2 = sp1 == std::string_view::npos ? sp1 : line.find(' ', sp1 + 1);
  if (sp2 == std::string_view::npos) return request;
  const std::string_view method = line.substr(0, sp1);
  const std::string_view target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  const bool printable =
      std::all_of(target.begin(), target.end(), [](char c) { return c > 0x20 && c < 0x7f; });
  if (method.empty() || !std::all_of(method.begin(), method.end(), is_token_char) || target.empty() ||
      !printable) {
    return request;
  }
  request.method = std::string(method);
  fill_target(request, target);
  return request;
}

std::optional<Rejection> rejection_for(const beast::error_code& ec) {
  if (ec == bhttp::error::header_limit) {
    return Rejection{431, "HEADERS_TOO_LARGE", "The request headers exceed the size limit"};
  }
  if (ec == bhttp::error::body_limit) return payload_too_large();
  if (ec == bhttp::error::end_of_stream || ec == bhttp::error::partial_message) return std::nullopt;
  if (ec.category() == bhttp::make_error_code(bhttp::error::bad_target).category()) {
    return Rejection{400, "BAD_REQUEST", "The request is not valid HTTP/1.1"};
  }
  return std::nullopt;
}

Rejection payload_too_large() {
  return Rejection{413, "PAYLOAD_TOO_LARGE", "The request body exceeds the size limit"};
}

namespace {

// Feeds `buffer` to `parser` as Beast's read operations do, until `done()` or an error. Every byte there is
// to read is in `buffer`: when the parser needs more, the stream has ended (as a closed connection would).
template <class Done>
beast::error_code feed(bhttp::request_parser<bhttp::string_body>& parser, beast::flat_buffer& buffer,
                       Done done) {
  beast::error_code ec;
  while (!done()) {
    std::size_t used = 0;
    if (buffer.size() != 0) {
      used = parser.put(buffer.data(), ec);
      buffer.consume(used);
      if (ec == bhttp::error::need_more) ec = {};
      if (ec) return ec;
    }
    if (used == 0) {
      // Nothing at all read is a connection closed between requests (put_eof requires bytes).
      if (!parser.got_some()) return bhttp::error::end_of_stream;
      parser.put_eof(ec);
      if (!ec && !done()) ec = bhttp::error::partial_message;
      return ec;
    }
  }
  return ec;
}

}  // namespace

ParsedRequest parse_request(std::string_view bytes, std::size_t max_header_bytes,
                            const std::function<std::size_t(std::string_view path)>& body_limit) {
  ParsedRequest out;
  const std::string remote = "127.0.0.1";
  beast::flat_buffer buffer;
  buffer.commit(boost::asio::buffer_copy(buffer.prepare(bytes.size()), boost::asio::buffer(bytes)));
  // Not eager until the header is in, as bhttp::async_read_header: the body limit is set from the path first.
  bhttp::request_parser<bhttp::string_body> parser;
  parser.header_limit(static_cast<std::uint32_t>(
      std::min<std::size_t>(max_header_bytes, std::numeric_limits<std::uint32_t>::max())));
  parser.body_limit(boost::none);
  if (auto ec = feed(parser, buffer, [&] { return parser.is_header_done(); })) {
    out.rejection = rejection_for(ec);
    if (out.rejection) out.partial = request_from_raw(buffer, parser.get(), remote);
    return out;
  }
  Request request = request_from_header(parser.get(), remote);
  const std::size_t limit = body_limit(request.path);
  if (const auto length = parser.content_length(); length && *length > limit) {
    out.rejection = payload_too_large();
    out.partial = std::move(request);
    return out;
  }
  parser.body_limit(limit);
  parser.eager(true);  // as bhttp::async_read
  if (auto ec = feed(parser, buffer, [&] { return parser.is_done(); })) {
    out.rejection = rejection_for(ec);
    if (out.rejection) out.partial = std::move(request);
    return out;
  }
  request.body = std::move(parser.get().body());
  out.request = std::move(request);
  return out;
}

}  // namespace tributary::http
