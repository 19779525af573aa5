// Pagination cursors as clients send them back: the unified read API's record cursor
// (store::records::decode_cursor) and the newest-first lists' sequence cursor (api::decode_cursor), plus
// the ISO-8601 parser behind `updated_after`. The input is the cursor text.
// Checks: decoding never crashes; a decoded cursor is non-negative and encodes back to a cursor that decodes
// to the same position.
#include "api/respond.h"
#include "core/clock.h"
#include "fuzz/fuzz_support.h"
#include "store/records_repo.h"

// respond.cc serves the embedded openapi.json, which the API module embeds; the cursor code never reads it.
namespace tributary::embedded {
const std::string& openapi_json() {
  static const std::string none;
  return none;
}
}  // namespace tributary::embedded

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace tributary;
  using namespace tributary::fuzz;
  const std::string text(as_view(data, size));

  if (auto record = store::records::decode_cursor(text)) {
    FUZZ_CHECK(record->changed_at >= 0 && record->seq >= 0);
    auto again = store::records::decode_cursor(store::records::encode_cursor(*record));
    FUZZ_CHECK(again && again->changed_at == record->changed_at && again->seq == record->seq);
  }
  if (auto seq = api::decode_cursor(text)) {
    FUZZ_CHECK(*seq >= 0);
    FUZZ_CHECK(api::decode_cursor(api::encode_cursor(*seq)) == seq);
  }
  if (auto at = parse_iso8601(text)) (void)format_iso8601(*at);
  return 0;
}
