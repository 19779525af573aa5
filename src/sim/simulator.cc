#include "sim/simulator.h"

#include "sim/bamboohr/bamboohr_sim.h"
#include "sim/greenhouse/greenhouse_sim.h"
#include "sim/hibob/hibob_sim.h"
#include "sim/personio/personio_sim.h"
#include "sim/workable/workable_sim.h"

namespace tributary::sim {

std::string Simulator::base_url() const {
  return "http://127.0.0.1:" + std::to_string(port());
}

std::unique_ptr<Simulator> make_simulator(std::string_view tool, SimOptions options) {
  if (tool == "bamboohr") return bamboohr::make_bamboohr_simulator(std::move(options));
  if (tool == "greenhouse") return greenhouse::make_greenhouse_simulator(std::move(options));
  if (tool == "hibob") return hibob::make_hibob_simulator(std::move(options));
  if (tool == "personio") return personio::make_personio_simulator(std::move(options));
  if (tool == "workable") return workable::make_workable_simulator(std::move(options));
  return nullptr;
}

std::vector<std::string> simulator_tools() {
  return {"bamboohr", "greenhouse", "hibob", "personio", "workable"};
}

}  // namespace tributary::sim
