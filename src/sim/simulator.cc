#include "sim/simulator.h"

#include "sim/ashby/ashby_sim.h"
#include "sim/greenhouse/greenhouse_sim.h"
#include "sim/lever/lever_sim.h"
#include "sim/personio/personio_sim.h"
#include "sim/recruitee/recruitee_sim.h"
#include "sim/smartrecruiters/smartrecruiters_sim.h"
#include "sim/teamtailor/teamtailor_sim.h"

namespace tributary::sim {

std::string Simulator::base_url() const {
  return "http://127.0.0.1:" + std::to_string(port());
}

std::unique_ptr<Simulator> make_simulator(std::string_view tool, SimOptions options) {
  if (tool == "ashby") return ashby::make_ashby_simulator(std::move(options));
  if (tool == "greenhouse") return greenhouse::make_greenhouse_simulator(std::move(options));
  if (tool == "lever") return lever::make_lever_simulator(std::move(options));
  if (tool == "personio") return personio::make_personio_simulator(std::move(options));
  if (tool == "recruitee") return recruitee::make_recruitee_simulator(std::move(options));
  if (tool == "teamtailor") return teamtailor::make_teamtailor_simulator(std::move(options));
  if (tool == "smartrecruiters") return smartrecruiters::make_smartrecruiters_simulator(std::move(options));
  return nullptr;
}

std::vector<std::string> simulator_tools() {
  return {"ashby", "greenhouse", "lever", "personio", "recruitee", "smartrecruiters", "teamtailor"};
}

}  // namespace tributary::sim
