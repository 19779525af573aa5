#include "sim/common/record_store.h"

#include "core/crypto.h"

namespace tributary::sim {

StoredRecord& RecordStore::put(std::string id, boost::json::object data, Millis now) {
  if (auto it = seq_by_id_.find(id); it != seq_by_id_.end()) {
    StoredRecord& rec = by_seq_.at(it->second);
    rec.data = std::move(data);
    rec.updated_at = now;
    return rec;
  }
  std::uint64_t seq = next_seq_++;
  seq_by_id_.emplace(id, seq);
  StoredRecord rec;
  rec.id = std::move(id);
  rec.seq = seq;
  rec.created_at = now;
  rec.updated_at = now;
  rec.data = std::move(data);
  return by_seq_.emplace(seq, std::move(rec)).first->second;
}

StoredRecord* RecordStore::find(std::string_view id) {
  auto it = seq_by_id_.find(std::string(id));
  if (it == seq_by_id_.end()) return nullptr;
  return &by_seq_.at(it->second);
}

const StoredRecord* RecordStore::find(std::string_view id) const {
  auto it = seq_by_id_.find(std::string(id));
  if (it == seq_by_id_.end()) return nullptr;
  return &by_seq_.at(it->second);
}

bool RecordStore::erase(std::string_view id) {
  auto it = seq_by_id_.find(std::string(id));
  if (it == seq_by_id_.end()) return false;
  by_seq_.erase(it->second);
  seq_by_id_.erase(it);
  return true;
}

std::vector<const StoredRecord*> RecordStore::page(std::uint64_t after_seq, std::size_t limit,
                                                   const std::function<bool(const StoredRecord&)>& keep,
                                                   bool* more) const {
  std::vector<const StoredRecord*> out;
  if (more != nullptr) *more = false;
  for (auto it = by_seq_.upper_bound(after_seq); it != by_seq_.end(); ++it) {
    if (keep && !keep(it->second)) continue;
    if (out.size() == limit) {
      if (more != nullptr) *more = true;
      break;
    }
    out.push_back(&it->second);
  }
  return out;
}

std::vector<const StoredRecord*> RecordStore::all() const {
  std::vector<const StoredRecord*> out;
  out.reserve(by_seq_.size());
  for (const auto& [seq, rec] : by_seq_)
    out.push_back(&rec);
  return out;
}

Result<boost::json::value> RecordStore::data_of(std::string_view id) const {
  const auto* rec = find(id);
  if (rec == nullptr) return make_error(ErrorKind::kNotFound, "no record " + std::string(id));
  return boost::json::value(rec->data);
}

boost::json::array RecordStore::all_data() const {
  boost::json::array out;
  out.reserve(by_seq_.size());
  for (const auto& [seq, rec] : by_seq_)
    out.push_back(rec.data);
  return out;
}

std::string new_uuid() {
  std::string b = crypto::random_bytes(16);
  b[6] = static_cast<char>((static_cast<unsigned char>(b[6]) & 0x0F) | 0x40);
  b[8] = static_cast<char>((static_cast<unsigned char>(b[8]) & 0x3F) | 0x80);
  std::string hex = crypto::hex_encode(b);
  return hex.substr(0, 8) + "-" + hex.substr(8, 4) + "-" + hex.substr(12, 4) + "-" + hex.substr(16, 4) + "-" +
         hex.substr(20, 12);
}

}  // namespace tributary::sim
