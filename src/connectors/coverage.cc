#include "connectors/coverage.h"

#include <boost/json.hpp>

namespace tributary::connectors {

namespace bj = boost::json;

namespace {

struct Cell {
  std::vector<std::string> vendor_events;
  std::string note;
};

Cell cell_for(const Connector& connector, const UnifiedEventKind& kind) {
  Cell cell;
  for (const auto& feed : connector.feeds()) {
    if (feed.model != kind.model || feed.action != kind.action) continue;
    for (const auto& v : feed.vendor_events)
      cell.vendor_events.push_back(v);
    if (!feed.note.empty()) cell.note = feed.note;
  }
  return cell;
}

std::vector<Model> record_models(const Connector& connector) {
  std::vector<Model> out;
  for (Model m : kAllModels)
    if (connector.supports_records(m)) out.push_back(m);
  return out;
}

}  // namespace

bj::object coverage_json(const Registry& registry) {
  bj::array tools;
  for (const auto* c : registry.all()) {
    bj::object t;
    t["tool"] = c->tool();
    t["name"] = c->display_name();
    t["category"] = to_string(c->category());
    t["subscription_mode"] = to_string(c->subscription_mode());
    bj::array credentials;
    for (const auto& key : c->credential_keys())
      credentials.emplace_back(key);
    t["credentials"] = std::move(credentials);
    bj::array records;
    for (Model m : record_models(*c))
      records.emplace_back(to_string(m));
    t["records"] = std::move(records);
    bj::array events;
    for (const auto& kind : unified_event_kinds()) {
      Cell cell = cell_for(*c, kind);
      bj::object e;
      e["event"] = kind.label;
      e["model"] = to_string(kind.model);
      e["action"] = to_string(kind.action);
      e["supported"] = !cell.vendor_events.empty();
      bj::array vendor;
      for (auto& v : cell.vendor_events)
        vendor.emplace_back(v);
      e["vendor_events"] = std::move(vendor);
      e["note"] = cell.note.empty() ? bj::value(nullptr) : bj::value(cell.note);
      events.push_back(std::move(e));
    }
    t["events"] = std::move(events);
    const Fidelity f = c->fidelity();
    t["evidence"] =
        bj::object{{"subscribe", to_string(f.subscribe)}, {"verify", to_string(f.verify)},
                   {"events", to_string(f.events)},       {"get", to_string(f.get)},
                   {"list", to_string(f.list)},           {"incremental", to_string(f.incremental)}};
    tools.push_back(std::move(t));
  }
  bj::object data;
  data["tools"] = std::move(tools);
  return data;
}

std::string coverage_markdown(const Registry& registry) {
  std::string out = "| tool | category | subscription | credentials | records |";
  std::string rule = "|---|---|---|---|---|";
  for (const auto& kind : unified_event_kinds()) {
    out += " " + std::string(kind.label) + " |";
    rule += "---|";
  }
  out += "\n" + rule + "\n";
  std::vector<std::string> notes;
  for (const auto* c : registry.all()) {
    out += "| " + std::string(c->display_name()) + " (`" + std::string(c->tool()) + "`) | " +
           std::string(to_string(c->category())) + " | " + std::string(to_string(c->subscription_mode())) +
           " | ";
    std::string keys;
    for (const auto& key : c->credential_keys())
      keys += (keys.empty() ? "" : ", ") + ("`" + key + "`");
    out += keys + " | ";
    std::string models;
    for (Model m : record_models(*c))
      models += (models.empty() ? "" : ", ") + std::string(to_string(m));
    out += (models.empty() ? "–" : models) + " |";
    for (const auto& kind : unified_event_kinds()) {
      Cell cell = cell_for(*c, kind);
      if (cell.vendor_events.empty() && cell.note.empty()) {
        out += " – |";
        continue;
      }
      std::string text;
      for (const auto& v : cell.vendor_events)
        text += (text.empty() ? "" : ", ") + ("`" + v + "`");
      if (text.empty()) text = "by sync";  // no webhook: the note says how the change is found instead
      if (!cell.note.empty()) {
        notes.push_back(std::string(c->display_name()) + ", " + std::string(kind.label) + ": " + cell.note);
        text += " [" + std::to_string(notes.size()) + "]";
      }
      out += " " + text + " |";
    }
    out += "\n";
  }
  if (!notes.empty()) {
    out += "\n";
    for (std::size_t i = 0; i < notes.size(); ++i)
      out += "[" + std::to_string(i + 1) + "] " + notes[i] + (i + 1 < notes.size() ? "<br>\n" : "\n");
  }
  // The evidence each part of each connector is proven against (Connector::fidelity; the sources are in
  // src/connectors/<tool>/testdata/contract/README.md).
  out +=
      "\n| tool | subscribe | verify | events | get | list | incremental |\n|---|---|---|---|---|---|---|\n";
  for (const auto* c : registry.all()) {
    const Fidelity f = c->fidelity();
    out += "| " + std::string(c->display_name()) + " |";
    for (Evidence e : {f.subscribe, f.verify, f.events, f.get, f.list, f.incremental})
      out += " " + std::string(to_string(e)) + " |";
    out += "\n";
  }
  return out;
}

}  // namespace tributary::connectors
