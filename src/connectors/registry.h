// The connector registry. Registration is explicit: register_all() calls each connector's register_<tool>()
// function, so no connector depends on static initialisers a linker could drop.
// Thread-safety: built once at start-up, read-only afterwards.
#pragma once

#include <memory>
#include <string_view>
#include <vector>

#include "connectors/connector.h"
#include "core/clock.h"

namespace tributary::connectors {

class Registry {
 public:
  void add(std::unique_ptr<Connector> connector);
  const Connector* find(std::string_view tool) const;
  std::vector<const Connector*> all() const;

 private:
  std::vector<std::unique_ptr<Connector>> connectors_;
};

// Adds every built-in connector to `registry`, in a fixed order; the connectors that check how fresh a signed
// send time is read it from `clock`, which must outlive the registry (tests pass a clock they set).
void register_builtin(Registry& registry, const Clock& clock);

// The registry with every built-in connector, on the system clock.
const Registry& builtin_registry();

}  // namespace tributary::connectors
