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

const Registry& builtin_registry() {
  // Built on first use (thread-safe since C++11); each connector is registered by an explicit call, so none
  // depends on a static initialiser the linker could drop.
  static const Registry kRegistry = [] {
    Registry r;
    register_personio(r);
    register_bamboohr(r);
    register_hibob(r);
    register_workable(r);
    register_ashby(r);
    register_greenhouse(r);
    register_smartrecruiters(r);
    register_lever(r);
    register_recruitee(r);
    register_teamtailor(r);
    return r;
  }();
  return kRegistry;
}

}  // namespace tributary::connectors
