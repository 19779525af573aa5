#include "sim/simulator.h"

#include "sim/ashby/ashby_sim.h"
#include "sim/bamboohr/bamboohr_sim.h"
#include "sim/greenhouse/greenhouse_sim.h"
#include "sim/hibob/hibob_sim.h"
#include "sim/lever/lever_sim.h"
#include "sim/personio/personio_sim.h"
#include "sim/recruitee/recruitee_sim.h"
#include "sim/smartrecruiters/smartrecruiters_sim.h"
#include "sim/teamtailor/teamtailor_sim.h"
#include "sim/workable/workable_sim.h"

namespace tributary::sim {

std::string Simulator::base_url() const {
  return "http://127.0.0.1:" + std::to_string(port());
}

std::unique_ptr<Simulator> make_simulator(std::string_view tool, SimOptions options) {
  if (tool == "ashby") return ashby::make_ashby_simulator(std::move(options));
  if (tool == "bamboohr") return bamboohr::make_bamboohr_simulator(std::move(options));
  if (tool == "greenhouse") return greenhouse::make_greenhouse_simulator(std::move(options));
  if (tool == "hibob") return hibob::make_hibob_simulator(std::move(options));
  if (tool == "lever") return lever::make_lever_simulator(std::move(options));
  if (tool == "personio") return personio::make_personio_simulator(std::move(options));
  if (tool == "recruitee") return recruitee::make_recruitee_simulator(std::move(options));
  if (tool == "smartrecruiters") return smartrecruiters::make_smartrecruiters_simulator(std::move(options));
  if (tool == "teamtailor") return teamtailor::make_teamtailor_simulator(std::move(options));
  if (tool == "workable") return workable::make_workable_simulator(std::move(options));
  return nullptr;
}

std::vector<std::string> simulator_tools() {
  return {"ashby",    "bamboohr",  "greenhouse",      "hibob",      "lever",
          "personio", "recruitee", "smartrecruiters", "teamtailor", "workable"};
}

}  // namespace tributary::sim
