// In-memory records of one kind (a vendor's candidates, persons, job posts, …), stored in the vendor's own
// representation, listed in creation order so cursor pagination is stable.
// Thread-safety: none; the owning simulator guards it with its state mutex.
#pragma once

#include <boost/json.hpp>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/clock.h"
#include "core/result.h"

namespace tributary::sim {

struct StoredRecord {
  std::string id;
  std::uint64_t seq = 0;  // creation order, starting at 1
  Millis created_at = 0;
  Millis updated_at = 0;
  boost::json::object data;
};

class RecordStore {
 public:
  // Replaces an existing record with the same id (keeping its position).
  StoredRecord& put(std::string id, boost::json::object data, Millis now);
  StoredRecord* find(std::string_view id);
  const StoredRecord* find(std::string_view id) const;
  bool erase(std::string_view id);
  // A copy of the record's data; kNotFound ("no record <id>") when there is none.
  Result<boost::json::value> data_of(std::string_view id) const;

  // Up to `limit` records created after `after_seq` that pass `keep` (all when empty), in creation order.
  // `more` is set when further matching records exist.
  std::vector<const StoredRecord*> page(std::uint64_t after_seq, std::size_t limit,
                                        const std::function<bool(const StoredRecord&)>& keep,
                                        bool* more) const;
  std::vector<const StoredRecord*> all() const;
  // Every record's data, in creation order (the control API's GET /_sim/{model}).
  boost::json::array all_data() const;
  std::size_t size() const { return by_seq_.size(); }

 private:
  std::uint64_t next_seq_ = 1;
  std::map<std::uint64_t, StoredRecord> by_seq_;
  std::unordered_map<std::string, std::uint64_t> seq_by_id_;
};

// Random version-4 UUID, lower case ("3f2c…-4…").
std::string new_uuid();

}  // namespace tributary::sim
