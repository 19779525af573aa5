#include "connectors/registry.h"

#include "connectors/ashby/ashby.h"
#include "connectors/bamboohr/bamboohr.h"
#include "connectors/greenhouse/greenhouse.h"
#include "connectors/hibob/hibob.h"
#include "connectors/lever/lever.h"
#include "connectors/personio/personio.h"
#include "connectors/recruitee/recruitee.h"
#include "connectors/smartrecruiters/smartrecruiters.h"
#include "connectors/teamtailor/teamtailor.h"
#include "connectors/workable/workable.h"

namespace tributary::connectors {

void Registry::add(std::unique_ptr<Connector> connector) {
  connectors_.push_back(std::move(connector));
}

const Connector* Registry::find(std::string_view tool) const {
  for (const auto& c : connectors_)
    if (c->tool() == tool) return c.get();
  return nullptr;
}

std::vector<const Connector*> Registry::all() const {
  std::vector<const Connector*> out;
  out.reserve(connectors_.size());
  for (const auto& c : connectors_)
    out.push_back(c.get());
  return out;
}

void register_builtin(Registry& registry, const Clock& clock) {
  register_personio(registry);
  registry.add(make_bamboohr_connector(clock));
  register_hibob(registry);
  register_workable(registry);
  register_ashby(registry);
  register_greenhouse(registry);
  registry.add(make_smartrecruiters_connector(clock));
  registry.add(make_lever_connector(clock));
  register_recruitee(registry);
  registry.add(make_teamtailor_connector(clock));
}

const Registry& builtin_registry() {
  // Built on first use (thread-safe since C++11); each connector is registered by an explicit call, so none
  // depends on a static initialiser the linker could drop.
  static const Registry kRegistry = [] {
    Registry r;
    register_builtin(r, SystemClock::instance());
    return r;
  }();
  return kRegistry;
}

}  // namespace tributary::connectors
